// The narrow SQL surface that storage and the SQL authenticator need; one driver per database.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace weave {

// A prepared statement owned by its connection. Parameters and columns are 0-based; bound
// text is copied, so it may be a temporary.
// Usage: Bind..., then Step() until false; Reset() (or the next Prepare of the same text)
// makes it reusable. Text returned by ColumnText stays valid until the next Step/Reset.
class SqlStatement {
 public:
  SqlStatement() = default;
  SqlStatement(const SqlStatement&) = delete;
  SqlStatement& operator=(const SqlStatement&) = delete;
  virtual ~SqlStatement() = default;

  virtual void BindInt(int index, int64_t value) = 0;
  virtual void BindText(int index, std::string_view value) = 0;
  virtual void BindNull(int index) = 0;
  // Executes or advances; true while a result row is available. Throws BackendError.
  virtual bool Step() = 0;
  virtual bool IsNull(int column) = 0;
  virtual int64_t ColumnInt(int column) = 0;
  virtual std::string_view ColumnText(int column) = 0;
  // Rows changed by the last completed INSERT/UPDATE/DELETE.
  virtual int64_t AffectedRows() = 0;
  virtual void Reset() = 0;
};

class SqlDialect;

// One connection per worker process; not thread-safe.
class SqlConnection {
 public:
  SqlConnection() = default;
  SqlConnection(const SqlConnection&) = delete;
  SqlConnection& operator=(const SqlConnection&) = delete;
  virtual ~SqlConnection() = default;

  // Returns the cached prepared statement for this SQL text, reset with bindings cleared.
  // The reference stays valid until TrimStatementCache() runs. Throws BackendError.
  virtual SqlStatement& Prepare(std::string_view sql) = 0;
  // Drops cached statements once there are too many distinct texts (dynamic id lists).
  // Call only between operations, when no statement reference is held.
  virtual void TrimStatementCache() = 0;
  // Starts a write transaction (taking the write lock at once where the database has one).
  virtual void BeginWrite() = 0;
  virtual void Commit() = 0;
  virtual void Rollback() = 0;
  virtual int64_t LastInsertId() = 0;
  // Brackets one request. Between the two, a database that pays per read transaction
  // (SQLite) lets the request's reads share one snapshot, ended before any write.
  virtual void BeginRequest() {}
  virtual void EndRequest() {}
  // Called between requests, when no client waits on this worker: housekeeping that must
  // not delay an answer (SQLite: WAL checkpoints).
  virtual void Idle() {}
  // The statements that differ on this database.
  virtual const SqlDialect& Dialect() const = 0;
  // When an acknowledged (committed) write is on stable storage, as one line for
  // weave-server -t, e.g. "within 1000 ms (database.sqlite.synchronous: normal)". May ask
  // the database server; never throws.
  virtual std::string DescribeDurability() = 0;
};

// Resets a statement when the scope ends, so a cached statement never keeps a read open.
class StatementScope {
 public:
  explicit StatementScope(SqlStatement& statement) : statement_(statement) {}
  StatementScope(const StatementScope&) = delete;
  StatementScope& operator=(const StatementScope&) = delete;
  ~StatementScope() { statement_.Reset(); }
  SqlStatement* operator->() { return &statement_; }
  SqlStatement& operator*() { return statement_; }

 private:
  SqlStatement& statement_;
};

// BeginRequest/EndRequest for a scope.
class RequestScope {
 public:
  explicit RequestScope(SqlConnection& connection) : connection_(connection) {
    connection_.BeginRequest();
  }
  RequestScope(const RequestScope&) = delete;
  RequestScope& operator=(const RequestScope&) = delete;
  ~RequestScope() {
    try {
      connection_.EndRequest();
    } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw
    }
  }

 private:
  SqlConnection& connection_;
};

// A write transaction that rolls back unless Commit() ran.
class SqlTransaction {
 public:
  explicit SqlTransaction(SqlConnection& connection) : connection_(connection) {
    connection_.BeginWrite();
  }
  SqlTransaction(const SqlTransaction&) = delete;
  SqlTransaction& operator=(const SqlTransaction&) = delete;
  ~SqlTransaction() {
    if (!done_) {
      try {
        connection_.Rollback();
      } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw
      }
    }
  }
  void Commit() {
    connection_.Commit();
    done_ = true;
  }

 private:
  SqlConnection& connection_;
  bool done_ = false;
};

}  // namespace weave
