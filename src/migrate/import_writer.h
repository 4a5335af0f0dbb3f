// Writing a MigrationSource into this server's accounts and records: weave-admin import.
// Safe against a live server and safe to repeat:
// - each user's records go in one transaction of the records database (the user's old
//   records, collections and collection times are replaced at once, so clients never see a
//   half-imported user);
// - the accounts database's imported_accounts table says which accounts an import created
//   or replaced and whether their records are complete ("pending", "done"), so a run that
//   was killed and is started again redoes the pending users and skips the done ones: it
//   ends in the state of one clean run, without duplicates;
// - an account that exists here and was not made by an import is a conflict, handled by
//   ImportOptions::on_conflict; with kFail every conflict is reported before anything is
//   written.
// Records keep their ids, modified times, sortindex, parentid, predecessorid, expiry and
// payload byte for byte, and collections their times (info/collections answers as before).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "db/sql_connection.h"
#include "migrate/migration.h"

namespace weave {

enum class ConflictRule {
  kFail,     // report every conflict and import nothing (the default)
  kSkip,     // keep the account here as it is, import the others
  kReplace,  // the source wins: the account's password, e-mail, state and records
};

// "skip", "replace", "fail"; throws std::invalid_argument otherwise.
ConflictRule ParseConflictRule(const std::string& text);

struct ImportOptions {
  ConflictRule on_conflict = ConflictRule::kFail;
  std::string source_label;  // "KIND SOURCE", kept with each imported account
  // Give each imported user a new token in cache_dirty (with cache.servers), so no entry
  // of the server's shared cache from before the import is used for them.
  bool renew_cache_token = false;
  bool show_progress = true;  // on standard error (a bar on a terminal)
};

struct ImportIssue {
  std::string account;
  std::string reason;
};

struct ImportSummary {
  int64_t accounts = 0;                // imported by this run
  int64_t records = 0;                 // written by this run
  int64_t bytes = 0;                   // payload bytes written by this run
  int64_t already_imported = 0;        // done by an earlier run, left as they are
  std::vector<ImportIssue> conflicts;  // accounts that exist here (any rule)
  std::vector<ImportIssue> skipped;    // not imported, with why
  std::vector<ImportIssue> passwords_not_carried;
  // True if the import stopped on conflicts (kFail) or an account failed: exit non-zero.
  bool failed = false;
};

// Imports every account of source. The two connections may be the same. Throws
// BackendError or the source's errors only before the first account is written (the
// account list, the conflict check); a failure within one account skips that account, with
// the reason in the summary, and the import goes on.
ImportSummary ImportAccounts(MigrationSource& source, SqlConnection& accounts,
                             SqlConnection& records, const ImportOptions& options);

// The summary as lines for the operator.
void PrintImportSummary(const ImportSummary& summary, std::ostream& out);

}  // namespace weave
