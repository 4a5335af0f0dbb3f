// The one SqlStatement over SQLite, for the server's connection and the importers' read-only one.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "db/sql_connection.h"

struct sqlite3;
struct sqlite3_stmt;

namespace weave {

class SqliteConnection;

// How a statement behaves towards the connection that made it.
struct SqliteStatementOptions {
  // The server's connection: before each step the statement joins the request's read
  // snapshot and a lone write queues on the writers' lock (SqliteConnection::BeforeStep,
  // LoneWriteLock), and failures are counted as database errors (db/db_errors.h). Null for
  // a foreign file opened read-only: no lock, no snapshot, failures thrown uncounted.
  SqliteConnection* connection = nullptr;
  // ColumnText hands back a column's stored bytes (sqlite3_column_blob) instead of its value
  // as UTF-8 text: a foreign file's blobs and texts come back unchanged, whatever its encoding.
  bool blobs_as_bytes = false;
};

class SqliteStatement final : public SqlStatement {
 public:
  // Prepares sql on db (persistent). Throws BackendError when SQLite rejects it.
  SqliteStatement(sqlite3* db, std::string_view sql, SqliteStatementOptions options);

  void BindInt(int index, int64_t value) override;
  void BindText(int index, std::string_view value) override;
  void BindNull(int index) override;
  bool Step() override;
  bool IsNull(int column) override;
  int64_t ColumnInt(int column) override;
  std::string_view ColumnText(int column) override;
  int64_t AffectedRows() override;
  void Reset() override;

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* statement) const;
  };
  void Check(int rc, const char* what);
  [[noreturn]] void Fail(const char* what);

  sqlite3* db_;
  SqliteStatementOptions options_;
  std::unique_ptr<sqlite3_stmt, Finalize> statement_;
  bool read_only_ = true;  // sqlite3_stmt_readonly: the statement writes nothing
};

// The message of a failure on db: "sqlite: WHAT: SQLite's message".
std::string SqliteErrorText(sqlite3* db, const std::string& what);

}  // namespace weave
