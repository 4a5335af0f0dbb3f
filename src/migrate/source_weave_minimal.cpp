// weave-minimal: the account is the file, the collection is the table.
#include "migrate/source_weave_minimal.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <system_error>

#include "auth/password_hash.h"
#include "core/config.h"
#include "db/make_connection.h"
#include "migrate/source_sql.h"

namespace weave {
namespace {

namespace fs = std::filesystem;

struct UserFile {
  std::string path;
  std::string digits;  // the 16 hex digits after the last '.'
  fs::file_time_type modified;
};

// "<user>.<16 lower-case hex digits>" → user and digits, the user as weave-minimal's URL
// routes allow it ([A-Za-z0-9._-]+).
std::optional<std::pair<std::string, std::string>> SplitFileName(const std::string& file) {
  const size_t dot = file.rfind('.');
  if (dot == std::string::npos || dot == 0 || file.size() - dot - 1 != 16) {
    return std::nullopt;
  }
  const std::string digits = file.substr(dot + 1);
  if (digits.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return std::nullopt;
  }
  const std::string user = file.substr(0, dot);
  const bool valid =
      user.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
      std::string::npos;
  if (!valid) {
    return std::nullopt;
  }
  return std::pair(user, digits);
}

// The whole second after modified + ttl seconds (both clamped to sane ranges first, so
// nothing overflows: any time past kNeverExpiresS means never).
int64_t ExpiryAfter(int64_t modified_cs, int64_t ttl_s) {
  const int64_t base = std::clamp<int64_t>(modified_cs, 0, kNeverExpiresS * 100);
  const int64_t span = std::clamp<int64_t>(ttl_s, -kNeverExpiresS, kNeverExpiresS);
  return (base + span * 100) / 100 + 1;
}

// "read collection TABLE of NAME", for error messages.
std::string ReadingCollection(const std::string& table, const std::string& name) {
  std::string what = "read collection ";
  what.append(table).append(" of ").append(name);
  return what;
}

class WeaveMinimalSource final : public MigrationSource {
 public:
  explicit WeaveMinimalSource(const std::string& folder) : folder_(folder) {
    std::error_code error;
    fs::directory_iterator entries(folder, error);
    if (error) {
      throw std::runtime_error(folder +
                               ": cannot read the weave-minimal data folder: " + error.message());
    }
    for (const fs::directory_entry& entry : entries) {
      const auto split = SplitFileName(entry.path().filename().string());
      if (!split || !entry.is_regular_file(error)) {
        continue;
      }
      UserFile file{entry.path().string(), split->second, entry.last_write_time(error)};
      auto [slot, added] = files_.emplace(split->first, file);
      if (!added && file.modified > slot->second.modified) {
        slot->second = file;
      }
    }
  }

  std::vector<std::string> AccountNames() override {
    std::vector<std::string> names;
    for (const auto& [name, file] : files_) {
      names.push_back(name);
    }
    return names;
  }

  std::optional<MigratedAccount> Account(const std::string& name) override {
    const auto found = files_.find(name);
    if (found == files_.end()) {
      return std::nullopt;
    }
    MigratedAccount account;
    account.name = name;
    account.password_hash = std::string(kWeaveMinimalHashPrefix) + found->second.digits;
    return account;
  }

  std::vector<MigratedCollection> Collections(const std::string& name) override {
    std::vector<MigratedCollection> collections;
    SourceDatabase* db = Open(name);
    if (db == nullptr) {
      return collections;
    }
    for (const std::string& table : CollectionTables(*db)) {
      db->Guard(ReadingCollection(table, name), [&] {
        StatementScope query(db->Connection().Prepare("SELECT " +
                                                      db->CentisecondsOf("MAX(modified)") +
                                                      ", count(*) FROM " + db->Quote(table)));
        if (query->Step() && query->ColumnInt(1) > 0) {
          collections.push_back({table, query->IsNull(0) ? 0 : query->ColumnInt(0)});
        }
      });
    }
    return collections;
  }

  void ForEachRecord(const std::string& name, const RecordSink& sink) override {
    SourceDatabase* db = Open(name);
    if (db == nullptr) {
      return;
    }
    for (const std::string& table : CollectionTables(*db)) {
      const std::string what = ReadingCollection(table, name);
      // ttl counts from modified: the record expires once now - modified > ttl, so it is
      // served up to the whole second modified + ttl falls in.
      StatementScope query(db->Guard(what, [&]() -> SqlStatement& {
        return db->Connection().Prepare(
            "SELECT id, " + db->CentisecondsOf("modified") +
            ", CAST(sortindex AS INTEGER), parentid, predecessorid, payload, "
            "CAST(ttl AS INTEGER) FROM " +
            db->Quote(table) + " ORDER BY id");
      }));
      MigratedRecord record;
      record.collection = table;
      while (db->Guard(what, [&] { return query->Step(); })) {
        ReadRecordColumns(*query, 0, record);
        record.expires_s = query->IsNull(6)
                               ? std::nullopt
                               : ExpiryOrNone(ExpiryAfter(record.modified_cs, query->ColumnInt(6)));
        sink(record);
      }
    }
  }

 private:
  // The user's database, kept open until another user's is needed; nullptr for no such user.
  SourceDatabase* Open(const std::string& name) {
    const auto found = files_.find(name);
    if (found == files_.end()) {
      return nullptr;
    }
    if (open_name_ != name) {
      open_.reset();
      DatabaseConfig config;
      config.driver = "sqlite";
      config.sqlite.path = found->second.path;
      try {
        open_ = std::make_unique<SourceDatabase>(ConnectToForeignDatabase(config), false,
                                                 found->second.path);
      } catch (const std::exception& error) {
        throw std::runtime_error(found->second.path + ": " + error.what());
      }
      open_name_ = name;
    }
    return open_.get();
  }

  // weave-minimal's tables, SQLite's own left out.
  static std::vector<std::string> CollectionTables(const SourceDatabase& db) {
    std::vector<std::string> tables;
    for (const std::string& table : db.Tables()) {
      if (table.compare(0, 7, "sqlite_") != 0) {
        tables.push_back(table);
      }
    }
    return tables;
  }

  const std::string folder_;
  std::map<std::string, UserFile> files_;  // by user name, so names come out sorted
  std::string open_name_;
  std::unique_ptr<SourceDatabase> open_;
};

}  // namespace

std::unique_ptr<MigrationSource> MakeWeaveMinimalSource(const std::string& folder) {
  return std::make_unique<WeaveMinimalSource>(folder);
}

}  // namespace weave
