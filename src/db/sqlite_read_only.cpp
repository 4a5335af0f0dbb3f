// Read-only access to a foreign SQLite file: plain statements, no caching beyond the
// connection's lifetime, no write path.
#include "db/sqlite_read_only.h"

#include <sqlite3.h>

#include <unordered_map>

#include "core/errors.h"
#include "db/sqlite_dialect.h"
#include "db/sqlite_statement.h"

namespace weave {
namespace {

// No writers' lock or request snapshot (nothing here writes, and the file is another
// program's); texts and blobs come back as the bytes stored.
constexpr SqliteStatementOptions kForeignFile{nullptr, true};

[[noreturn]] void Fail(sqlite3* db, const std::string& what) {
  throw BackendError(SqliteErrorText(db, what));
}

class ReadOnlyConnection final : public SqlConnection {
 public:
  explicit ReadOnlyConnection(const std::string& path) : path_(path) {
    sqlite3* raw = nullptr;
    // sqlite3_open_v2 hands back a handle even when it fails: own it before checking.
    const int rc =
        sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
    db_.reset(raw);
    if (rc != SQLITE_OK) {
      Fail(raw, "open " + path);
    }
    sqlite3_busy_timeout(db_.get(), 10000);
    // Reading the schema fails here, not at the first query, for a file that is no database.
    if (sqlite3_exec(db_.get(), "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr) !=
        SQLITE_OK) {
      Fail(db_.get(), "read " + path);
    }
  }

  SqlStatement& Prepare(std::string_view sql) override {
    auto found = statements_.find(std::string(sql));
    if (found == statements_.end()) {
      found = statements_
                  .emplace(std::string(sql),
                           std::make_unique<SqliteStatement>(db_.get(), sql, kForeignFile))
                  .first;
    } else {
      found->second->Reset();
    }
    return *found->second;
  }
  void TrimStatementCache() override { statements_.clear(); }
  void BeginWrite() override { throw BackendError("sqlite: " + path_ + " is open read-only"); }
  void Commit() override {}
  void Rollback() override {}
  int64_t LastInsertId() override { return 0; }
  const SqlDialect& Dialect() const override { return dialect_; }
  std::string DescribeDurability() override { return "never (read-only)"; }

 private:
  struct Close {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  const std::string path_;
  const SqliteDialect dialect_;
  std::unique_ptr<sqlite3, Close> db_;
  // Declared after db_: statements are finalized before the database closes.
  std::unordered_map<std::string, std::unique_ptr<SqliteStatement>> statements_;
};

}  // namespace

std::unique_ptr<SqlConnection> OpenSqliteReadOnly(const std::string& path) {
  return std::make_unique<ReadOnlyConnection>(path);
}

}  // namespace weave
