// SqlStatement over sqlite3_stmt: binding, stepping and reading columns, with the server
// connection's snapshot and writers' lock as an option (db/sqlite_statement.h).
#include "db/sqlite_statement.h"

#include <sqlite3.h>

#include <string>

#include "core/errors.h"
#include "db/db_errors.h"
#include "db/sqlite_connection.h"

namespace weave {

std::string SqliteErrorText(sqlite3* db, const std::string& what) {
  return "sqlite: " + what + ": " + (db != nullptr ? sqlite3_errmsg(db) : "no handle");
}

void SqliteStatement::Finalize::operator()(sqlite3_stmt* statement) const {
  sqlite3_finalize(statement);
}

SqliteStatement::SqliteStatement(sqlite3* db, std::string_view sql, SqliteStatementOptions options)
    : db_(db), options_(options) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  statement_.reset(raw);
  if (rc != SQLITE_OK) {
    Fail("prepare");
  }
  read_only_ = sqlite3_stmt_readonly(raw) != 0;
}

void SqliteStatement::BindInt(int index, int64_t value) {
  Check(sqlite3_bind_int64(statement_.get(), index + 1, value), "bind");
}

void SqliteStatement::BindText(int index, std::string_view value) {
  // SQLITE_TRANSIENT: SQLite copies the text, so binding a temporary is safe.
  Check(sqlite3_bind_text64(statement_.get(), index + 1, value.data(), value.size(),
                            SQLITE_TRANSIENT, SQLITE_UTF8),
        "bind");
}

void SqliteStatement::BindNull(int index) {
  Check(sqlite3_bind_null(statement_.get(), index + 1), "bind");
}

bool SqliteStatement::Step() {
  SqliteConnection* connection = options_.connection;
  if (connection != nullptr) {
    connection->BeforeStep(read_only_);
  }
  // A write outside a write transaction commits on its own, so it queues on the writers'
  // lock like a transaction (see SqliteConnection::Idle for why); a foreign file has none.
  const auto lone_write = connection != nullptr ? connection->LoneWriteLock(read_only_)
                                                : SqliteConnection::WriteLockHold(nullptr);
  const int rc = sqlite3_step(statement_.get());
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  Fail("step");
}

bool SqliteStatement::IsNull(int column) {
  return sqlite3_column_type(statement_.get(), column) == SQLITE_NULL;
}

int64_t SqliteStatement::ColumnInt(int column) {
  return sqlite3_column_int64(statement_.get(), column);
}

std::string_view SqliteStatement::ColumnText(int column) {
  // The pointer first, then the size: SQLite's documented order (the call may convert).
  const void* bytes = options_.blobs_as_bytes ? sqlite3_column_blob(statement_.get(), column)
                                              : sqlite3_column_text(statement_.get(), column);
  const int size = sqlite3_column_bytes(statement_.get(), column);
  return bytes == nullptr
             ? std::string_view()
             : std::string_view(static_cast<const char*>(bytes), static_cast<size_t>(size));
}

int64_t SqliteStatement::AffectedRows() {
  return sqlite3_changes64(db_);
}

void SqliteStatement::Reset() {
  sqlite3_reset(statement_.get());
  sqlite3_clear_bindings(statement_.get());
}

void SqliteStatement::Check(int rc, const char* what) {
  if (rc != SQLITE_OK) {
    Fail(what);
  }
}

void SqliteStatement::Fail(const char* what) {
  const std::string detail = SqliteErrorText(db_, what);
  if (options_.connection != nullptr) {
    ThrowDatabaseError(detail);
  }
  throw BackendError(detail);
}

}  // namespace weave
