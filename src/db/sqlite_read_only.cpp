// Read-only access to a foreign SQLite file: plain statements, no caching beyond the
// connection's lifetime, no write path.
#include "db/sqlite_read_only.h"

#include <sqlite3.h>

#include <unordered_map>

#include "core/errors.h"
#include "db/sqlite_dialect.h"

namespace weave {
namespace {

[[noreturn]] void Fail(sqlite3* db, const std::string& what) {
  throw BackendError("sqlite: " + what + ": " + (db != nullptr ? sqlite3_errmsg(db) : "no handle"));
}

class ReadOnlyStatement final : public SqlStatement {
 public:
  ReadOnlyStatement(sqlite3* db, std::string_view sql) : db_(db) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    statement_.reset(raw);
    if (rc != SQLITE_OK) {
      Fail(db, "prepare");
    }
  }

  void BindInt(int index, int64_t value) override {
    Check(sqlite3_bind_int64(statement_.get(), index + 1, value));
  }
  void BindText(int index, std::string_view value) override {
    Check(sqlite3_bind_text64(statement_.get(), index + 1, value.data(), value.size(),
                              SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  void BindNull(int index) override { Check(sqlite3_bind_null(statement_.get(), index + 1)); }
  bool Step() override {
    const int rc = sqlite3_step(statement_.get());
    if (rc == SQLITE_ROW) {
      return true;
    }
    if (rc == SQLITE_DONE) {
      return false;
    }
    Fail(db_, "step");
  }
  bool IsNull(int column) override {
    return sqlite3_column_type(statement_.get(), column) == SQLITE_NULL;
  }
  int64_t ColumnInt(int column) override { return sqlite3_column_int64(statement_.get(), column); }
  // Text and blobs alike come back as their bytes.
  std::string_view ColumnText(int column) override {
    const auto* text = sqlite3_column_blob(statement_.get(), column);
    const int size = sqlite3_column_bytes(statement_.get(), column);
    return text == nullptr
               ? std::string_view()
               : std::string_view(static_cast<const char*>(text), static_cast<size_t>(size));
  }
  int64_t AffectedRows() override { return sqlite3_changes64(db_); }
  void Reset() override {
    sqlite3_reset(statement_.get());
    sqlite3_clear_bindings(statement_.get());
  }

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
  };
  void Check(int rc) {
    if (rc != SQLITE_OK) {
      Fail(db_, "bind");
    }
  }

  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, Finalize> statement_;
};

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
      found =
          statements_.emplace(std::string(sql), std::make_unique<ReadOnlyStatement>(db_.get(), sql))
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
  std::unordered_map<std::string, std::unique_ptr<ReadOnlyStatement>> statements_;
};

}  // namespace

std::unique_ptr<SqlConnection> OpenSqliteReadOnly(const std::string& path) {
  return std::make_unique<ReadOnlyConnection>(path);
}

}  // namespace weave
