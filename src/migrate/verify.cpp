// Comparing a migration source with what this server holds (see verify.h).
#include "migrate/verify.h"

#include <map>
#include <ostream>
#include <string>

namespace weave {
namespace {

class Differences {
 public:
  Differences(std::ostream& report, int64_t max_lines) : report_(report), max_lines_(max_lines) {}
  void Add(const std::string& line) {
    if (count_ < max_lines_) {
      report_ << "differs: " << line << '\n';
    }
    ++count_;
  }
  int64_t Count() const { return count_; }

 private:
  std::ostream& report_;
  const int64_t max_lines_;
  int64_t count_ = 0;
};

template <typename T>
std::string Show(const std::optional<T>& value) {
  if (!value) {
    return "none";
  }
  if constexpr (std::is_same_v<T, std::string>) {
    return "\"" + value->substr(0, 64) + (value->size() > 64 ? "...\"" : "\"");
  } else {
    return std::to_string(*value);
  }
}

// The names of the fields of two records that differ, comma-separated ("" if none).
std::string DifferentFields(const MigratedRecord& source, const MigratedRecord& here) {
  std::string fields;
  const auto add = [&](const char* name, bool differs, const std::string& detail) {
    if (differs) {
      fields += (fields.empty() ? "" : ", ") + std::string(name) + " " + detail;
    }
  };
  add("modified", source.modified_cs != here.modified_cs,
      std::to_string(source.modified_cs) + " here " + std::to_string(here.modified_cs));
  add("sortindex", source.sortindex != here.sortindex,
      Show(source.sortindex) + " here " + Show(here.sortindex));
  add("parentid", source.parentid != here.parentid,
      Show(source.parentid) + " here " + Show(here.parentid));
  add("predecessorid", source.predecessorid != here.predecessorid,
      Show(source.predecessorid) + " here " + Show(here.predecessorid));
  add("expiry", source.expires_s != here.expires_s,
      Show(source.expires_s) + " here " + Show(here.expires_s));
  add("payload", source.payload != here.payload,
      "(" + std::to_string(source.payload.size()) + " bytes, here " +
          std::to_string(here.payload.size()) + ")");
  return fields;
}

void CompareCollections(MigrationSource& source, DatabaseSource& destination,
                        const std::string& name, Differences& differences) {
  std::map<std::string, int64_t> here;
  for (const MigratedCollection& collection : destination.Collections(name)) {
    here.emplace(collection.name, collection.modified_cs);
  }
  for (const MigratedCollection& collection : source.Collections(name)) {
    const auto found = here.find(collection.name);
    if (found == here.end() || found->second != collection.modified_cs) {
      differences.Add(name + " collection " + collection.name + ": time " +
                      std::to_string(collection.modified_cs) + " here " +
                      (found == here.end() ? "none" : std::to_string(found->second)));
    }
  }
}

void CompareAccount(MigrationSource& source, DatabaseSource& destination, const std::string& name,
                    Differences& differences) {
  const auto account = source.Account(name);
  if (!account) {
    return;
  }
  const auto here = destination.Account(name);
  if (!here) {
    differences.Add(name + ": no such account here");
    return;
  }
  if (!account->password_hash.empty() && here->password_hash.empty()) {
    differences.Add(name + ": the source's password was not carried over");
  }
  if (account->email != here->email || account->disabled != here->disabled) {
    differences.Add(name + ": e-mail or enabled state differs");
  }
  CompareCollections(source, destination, name, differences);
  int64_t count = 0;
  source.ForEachRecord(name, [&](const MigratedRecord& record) {
    ++count;
    const auto stored = destination.FindRecord(name, record.collection, record.id);
    const std::string where = name + " " + record.collection + "/" + record.id;
    if (!stored) {
      differences.Add(where + ": missing here");
    } else if (const std::string fields = DifferentFields(record, *stored); !fields.empty()) {
      differences.Add(where + ": " + fields);
    }
  });
  const int64_t stored = destination.CountUserRecords(name);
  if (stored != count) {
    differences.Add(name + ": " + std::to_string(count) + " records in the source, " +
                    std::to_string(stored) + " here");
  }
}

}  // namespace

int64_t VerifyImport(MigrationSource& source, DatabaseSource& destination, std::ostream& report,
                     int64_t max_lines) {
  Differences differences(report, max_lines);
  for (const std::string& name : source.AccountNames()) {
    CompareAccount(source, destination, name, differences);
  }
  if (differences.Count() > max_lines) {
    report << "... and " << differences.Count() - max_lines << " more differences\n";
  }
  return differences.Count();
}

}  // namespace weave
