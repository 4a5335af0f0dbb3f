// weave-admin export and import: this server's accounts and records to and from the portable
// format (migrate/weave_format.h), and imports from every source kind (migrate/sources.h).
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <stdexcept>

#include "admin/admin_audit.h"
#include "admin/admin_commands.h"
#include "core/progress.h"
#include "migrate/database_source.h"
#include "migrate/import_writer.h"
#include "migrate/sources.h"
#include "migrate/verify.h"
#include "migrate/weave_format.h"
#include "server/app.h"

namespace weave {
namespace {

void NeedSqlAccounts(App& app) {
  if (app.GetConfig().auth.backend != "sql") {
    throw std::runtime_error(
        "export and import need SQL accounts (auth.backend: sql): with LDAP the accounts and "
        "their passwords live in the directory");
  }
}

// The value after an option, or std::invalid_argument.
const std::string& OptionValue(const std::vector<std::string>& args, size_t& at) {
  if (at + 1 >= args.size()) {
    throw std::invalid_argument(args[at] + " needs a value");
  }
  return args[++at];
}

// Writes the accounts (all when names is empty) and their data to out, with progress.
void WriteExport(DatabaseSource& database, const std::vector<std::string>& names,
                 std::ostream& out) {
  int64_t total = 0;
  for (const std::string& name : names) {
    total += database.CountUserRecords(name);
  }
  Progress progress = Progress::ForStderr("exporting", total);
  WeaveFormatWriter writer(out);
  for (const std::string& name : names) {
    const auto account = database.Account(name);
    if (!account) {
      continue;  // deleted since the list was read
    }
    writer.Account(*account);
    for (const MigratedCollection& collection : database.Collections(name)) {
      writer.Collection(collection);
    }
    database.ForEachRecord(name, [&](const MigratedRecord& record) {
      writer.Record(record);
      if (writer.Records() % 1000 == 0) {
        progress.Update(writer.Records());
      }
    });
  }
  writer.Finish();
  progress.Finish(writer.Records());
  std::cerr << "exported " << writer.Accounts() << " accounts, " << writer.Records() << " records, "
            << writer.PayloadBytes() << " payload bytes\n";
}

}  // namespace

int RunExportCommand(App& app, const std::vector<std::string>& args) {
  std::vector<std::string> names;
  std::string output;
  for (size_t at = 1; at < args.size(); ++at) {
    if (args[at] == "-o" || args[at] == "--output") {
      output = OptionValue(args, at);
    } else if (!args[at].empty() && args[at][0] == '-') {
      throw std::invalid_argument("unknown option " + args[at]);
    } else {
      names.push_back(args[at]);
    }
  }
  NeedSqlAccounts(app);
  DatabaseSource database(app.AccountsConnection(), app.Connection());
  if (names.empty()) {
    names = database.AccountNames();
  }
  for (const std::string& name : names) {
    if (!database.Account(name)) {
      std::cerr << "weave-admin: no such user: " << name << '\n';
      return kExitFailed;
    }
  }
  if (output.empty() || output == "-") {
    WriteExport(database, names, std::cout);
  } else {
    std::ofstream file(output, std::ios::binary | std::ios::trunc);
    if (!file) {
      throw std::runtime_error("cannot write " + output);
    }
    try {
      WriteExport(database, names, file);
    } catch (...) {
      file.close();
      unlink(output.c_str());  // never leave a file that looks whole but is not
      throw;
    }
  }
  return kExitOk;
}

namespace {

struct ImportArguments {
  std::string kind;
  std::string source;
  std::string password_file;
  ConflictRule on_conflict = ConflictRule::kFail;
  std::string table_prefix;  // FSyncMS forks that prefix their table names
  bool verify = false;
};

ImportArguments ParseImportArguments(const std::vector<std::string>& args) {
  ImportArguments parsed;
  std::vector<std::string> positional;
  for (size_t at = 1; at < args.size(); ++at) {
    if (args[at] == "--password-file") {
      parsed.password_file = OptionValue(args, at);
    } else if (args[at] == "--on-conflict") {
      parsed.on_conflict = ParseConflictRule(OptionValue(args, at));
    } else if (args[at] == "--table-prefix") {
      parsed.table_prefix = OptionValue(args, at);
    } else if (args[at] == "--verify") {
      parsed.verify = true;
    } else if (args[at].size() > 1 && args[at][0] == '-') {
      throw std::invalid_argument("unknown option " + args[at]);
    } else {
      positional.push_back(args[at]);
    }
  }
  if (positional.size() != 2) {
    throw std::invalid_argument("expects KIND SOURCE");
  }
  parsed.kind = positional[0];
  parsed.source = positional[1];
  return parsed;
}

// The first line of the file (a database password).
std::string ReadPasswordFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) {
    throw std::runtime_error("cannot read " + path);
  }
  std::string line;
  std::getline(file, line);
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();
  }
  return line;
}

}  // namespace

int RunImportCommand(App& app, const std::vector<std::string>& args) {
  const ImportArguments parsed = ParseImportArguments(args);
  NeedSqlAccounts(app);
  SourceOptions source_options;
  if (!parsed.password_file.empty()) {
    source_options.password = ReadPasswordFile(parsed.password_file);
  }
  source_options.table_prefix = parsed.table_prefix;
  const std::unique_ptr<MigrationSource> source =
      OpenMigrationSource(parsed.kind, parsed.source, source_options);
  ImportOptions options;
  options.on_conflict = parsed.on_conflict;
  options.source_label = parsed.kind + " " + parsed.source;
  options.renew_cache_token = !app.GetConfig().cache.servers.empty();
  const ImportSummary summary =
      ImportAccounts(*source, app.AccountsConnection(), app.Connection(), options);
  PrintImportSummary(summary, std::cout);
  AuditAdminAction("import", "",
                   options.source_label + ": " + std::to_string(summary.accounts) + " accounts, " +
                       std::to_string(summary.records) + " records");
  int status = summary.failed ? kExitFailed : kExitOk;
  // After a refusal on conflicts nothing was written: there is nothing to compare.
  const bool refused = parsed.on_conflict == ConflictRule::kFail && !summary.conflicts.empty();
  if (parsed.verify && !refused) {
    DatabaseSource destination(app.AccountsConnection(), app.Connection());
    const int64_t differences = VerifyImport(*source, destination, std::cout);
    std::cout << "verify: " << differences << " differences\n";
    if (differences > 0) {
      status = kExitFailed;
    }
  }
  return status;
}

}  // namespace weave
