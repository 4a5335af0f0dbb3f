// SqlConnection over MySQL/MariaDB with Connector/C++ 1.1; the only user of <cppconn/...>.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/config.h"
#include "db/mysql_dialect.h"
#include "db/sql_connection.h"

namespace sql {
class Connection;
class SQLException;
class Statement;
}  // namespace sql

namespace weave {

class MysqlStatement;

// One connection per worker. Statements are prepared on the server once and cached by SQL
// text; SQL may number its parameters ?1, ?2 ... as for SQLite (a number used twice is
// bound at both places), plain ? marks count on from the highest number so far.
//
// Failures: every Connector/C++ error becomes BackendError (the dispatcher answers 503);
// a deadlock or a lock wait timeout inside a transaction becomes TransactionConflict, which
// the caller may answer by running the transaction again (db/conflict_retry.h).
// Connect, read and write timeouts bound each wait on the server. A lost connection
// (server gone away, restarted, timed out, or a Galera node answering 1047: not ready) is
// dropped with its prepared statements and opened again on the next use; outside a
// transaction the failed statement is retried once on the new connection. Inside a
// transaction the transaction is lost: the statement throws TransactionConflict
// (kConnectionLost; nothing was committed, so RetryConflicts runs it again) and every
// further call fails until Rollback(). A COMMIT whose connection is lost throws
// BackendError: it may or may not have been committed. After any other error, the next use
// pings the server first.
//
// With database.mysql.hosts, a connection is opened to the current server, else to the
// next ones in turn (wrapping around); after a lost connection the next server becomes
// current. Every listed server must take writes.
class MysqlConnection final : public SqlConnection {
 public:
  // Connects, then applies schema_sql (statements split as described in
  // sql/mysql/schema.sql, the records-table part once per shard) unless this process, or
  // the master it was forked from, already applied it to this database. Throws
  // BackendError if the schema fails, or if the server cannot be reached and the schema was
  // not applied before (otherwise it connects on first use).
  MysqlConnection(const MysqlConfig& config, std::string_view schema_sql);
  ~MysqlConnection() override;

  SqlStatement& Prepare(std::string_view sql) override;
  void TrimStatementCache() override;
  void BeginWrite() override;
  void Commit() override;
  void Rollback() override;
  int64_t LastInsertId() override;
  const SqlDialect& Dialect() const override { return dialect_; }
  // From the server's innodb_flush_log_at_trx_commit (and sync_binlog with binary logging).
  std::string DescribeDurability() override;

  // The statements of schema_sql in order, with the records-table section repeated for
  // each table name (exposed for tests).
  static std::vector<std::string> SplitSchema(std::string_view schema_sql, int shards);

 private:
  friend class MysqlStatement;

  // Opens a connection when there is none, or pings one that saw an error. Throws
  // BackendError (also when a transaction lost its connection).
  void EnsureConnected();
  // Connects to the current server or, failing that, to each other one in turn.
  void Connect();
  void ConnectTo(const MysqlEndpoint& server);
  // Drops the prepared statements and the connection (the server forgets both anyway).
  void Disconnect();
  // Runs statement on the current connection, reconnecting and retrying once when the
  // connection was lost outside a transaction.
  void Execute(MysqlStatement& statement);
  // A statement without parameters or results (transaction control, schema).
  void ExecuteDirect(const std::string& sql, bool may_retry);
  // Turns a Connector/C++ error into BackendError (TransactionConflict for a deadlock or a
  // lock wait timeout), dropping a lost connection first.
  [[noreturn]] void Fail(const sql::SQLException& error, std::string_view what);
  // True (and the connection dropped) if error means the connection is gone, or that its
  // Galera node cannot serve (NodeNotReady).
  bool HandleLost(const sql::SQLException& error);
  // True when the server is a Galera node that is not ready (wsrep_ready OFF: cut off from
  // the cluster's majority, or joining); false for any other server, or when it cannot say.
  bool NodeNotReady();

  // Set at construction
  const MysqlConfig config_;
  const std::string password_;
  const MysqlDialect dialect_;
  const std::vector<MysqlEndpoint> servers_;

  // Index in servers_ of the server to connect to first.
  size_t current_server_ = 0;

  std::unique_ptr<sql::Connection> connection_;
  std::unique_ptr<sql::Statement> direct_;
  // Counts connections; a statement prepared on an older one is prepared again.
  uint64_t generation_ = 0;
  // An error happened since the last successful statement: ping before the next one.
  bool suspect_ = false;
  bool in_transaction_ = false;
  // Transparent hashing lets Prepare look statements up by string_view without allocating.
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>()(text); }
  };
  std::unordered_map<std::string, std::unique_ptr<MysqlStatement>, TextHash, std::equal_to<>>
      statements_;
};

}  // namespace weave
