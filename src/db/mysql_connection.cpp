// The MySQL/MariaDB driver through Connector/C++; the only user of <cppconn/...>.
#include "db/mysql_connection.h"

#include <algorithm>
#include <cctype>
#include <deque>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <variant>
#include <vector>

#include <cppconn/connection.h>
#include <cppconn/datatype.h>
#include <cppconn/driver.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include "core/errors.h"
#include "core/log.h"
#include "db/db_errors.h"

namespace weave {
namespace {

// Statements beyond this many distinct texts (dynamic id lists) are dropped and re-prepared.
constexpr size_t kMaxCachedStatements = 256;

// The system's CA bundle (Debian's ca-certificates), for tls: on without a ca_file: the
// client library verifies nothing against an empty list.
constexpr const char* kSystemCaFile = "/etc/ssl/certs/ca-certificates.crt";

// Client and server error numbers after which the connection is unusable.
bool IsConnectionLost(int code) {
  switch (code) {
    case 1047:  // ER_UNKNOWN_COM_ERROR: a Galera node that is not ready (joining, or cut off
                //   from the cluster's majority); another node may serve
    case 1053:  // ER_SERVER_SHUTDOWN
    case 1243:  // ER_UNKNOWN_STMT_HANDLER: the server no longer knows our statements
    case 1927:  // ER_CONNECTION_KILLED
    case 2002:  // CR_CONNECTION_ERROR
    case 2003:  // CR_CONN_HOST_ERROR
    case 2006:  // CR_SERVER_GONE_ERROR
    case 2013:  // CR_SERVER_LOST (also a read or write timeout)
    case 2014:  // CR_COMMANDS_OUT_OF_SYNC
    case 2026:  // CR_SSL_CONNECTION_ERROR
    case 2055:  // CR_SERVER_LOST_EXTENDED
    case 4031:  // ER_CLIENT_INTERACTION_TIMEOUT
      return true;
    default:
      return false;
  }
}

std::string Describe(const sql::SQLException& error, std::string_view what) {
  return "mysql: " + std::string(what) + ": " + error.what() + " (error " +
         std::to_string(error.getErrorCode()) + ", state " + error.getSQLState() + ")";
}

constexpr int kDeadlock = 1213;         // ER_LOCK_DEADLOCK (SQLSTATE 40001)
constexpr int kLockWaitTimeout = 1205;  // ER_LOCK_WAIT_TIMEOUT

bool IsLockConflict(const sql::SQLException& error) {
  return error.getErrorCode() == kDeadlock || error.getErrorCode() == kLockWaitTimeout ||
         error.getSQLState() == "40001";
}

// The exception for error: TransactionConflict for a lock conflict, else BackendError.
[[noreturn]] void ThrowFor(const sql::SQLException& error, std::string_view what) {
  if (IsLockConflict(error)) {
    ThrowTransactionConflict(error.getErrorCode() == kLockWaitTimeout
                                 ? TransactionConflict::Kind::kLockWaitTimeout
                                 : TransactionConflict::Kind::kDeadlock,
                             Describe(error, what));
  }
  ThrowDatabaseError(Describe(error, what));
}

// True for statements that return rows (executeQuery), false for the rest (executeUpdate).
bool ReturnsRows(std::string_view sql) {
  size_t start = sql.find_first_not_of(" \t\r\n(");
  if (start == std::string_view::npos) {
    return false;
  }
  std::string word;
  for (size_t i = start; i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i])); ++i) {
    word.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i]))));
  }
  if (word == "SELECT" || word == "SHOW" || word == "WITH" || word == "EXPLAIN" ||
      word == "VALUES") {
    return true;
  }
  // INSERT, DELETE or REPLACE ... RETURNING (MariaDB 10.5): the clause ends the statement.
  std::string upper(sql);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return upper.find(" RETURNING ") != std::string::npos;
}

// Rewrites ?N parameters to ?, recording which interface parameter each mark takes.
// Quoted strings, quoted identifiers and comments are copied untouched.
std::string TranslateParameters(std::string_view sql, std::vector<int>* parameter_of_mark) {
  std::string out;
  out.reserve(sql.size());
  int highest = 0;
  size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '\'' || c == '"' || c == '`') {
      const size_t begin = i++;
      while (i < sql.size() && sql[i] != c) {
        i += (sql[i] == '\\' && c != '`') ? 2 : 1;
      }
      i = std::min(i + 1, sql.size());
      out.append(sql.substr(begin, i - begin));
    } else if (c == '-' && sql.substr(i, 3) == "-- ") {
      const size_t end = sql.find('\n', i);
      const size_t stop = end == std::string_view::npos ? sql.size() : end;
      out.append(sql.substr(i, stop - i));
      i = stop;
    } else if (c == '/' && sql.substr(i, 2) == "/*") {
      const size_t end = sql.find("*/", i + 2);
      const size_t stop = end == std::string_view::npos ? sql.size() : end + 2;
      out.append(sql.substr(i, stop - i));
      i = stop;
    } else if (c == '?') {
      ++i;
      int number = 0;
      bool numbered = false;
      while (i < sql.size() && sql[i] >= '0' && sql[i] <= '9') {
        number = number * 10 + (sql[i] - '0');
        numbered = true;
        ++i;
      }
      if (!numbered || number < 1) {
        number = highest + 1;
      }
      highest = std::max(highest, number);
      parameter_of_mark->push_back(number - 1);
      out.push_back('?');
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

// True if position at in text starts the word wbo (also as the head of wbo_after_insert).
bool IsTableWord(std::string_view text, size_t at) {
  const auto word_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  };
  if (text.substr(at, 3) != "wbo") {
    return false;
  }
  if (at > 0 && word_char(text[at - 1])) {
    return false;
  }
  return at + 3 >= text.size() || std::isalnum(static_cast<unsigned char>(text[at + 3])) == 0;
}

std::string RenameTable(std::string_view text, const std::string& table) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    if (IsTableWord(text, i)) {
      out += table;
      i += 3;
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

// Splits SQL text into statements: one ends where a line ends with the delimiter (";"
// unless a "DELIMITER x" line changed it). Lines that are only comments are dropped.
void SplitStatements(std::string_view text, std::vector<std::string>* statements) {
  std::string delimiter = ";";
  std::string current;
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    std::string_view trimmed = line;
    while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back()))) {
      trimmed.remove_suffix(1);
    }
    const size_t first = trimmed.find_first_not_of(" \t");
    if (first == std::string_view::npos || trimmed.substr(first, 2) == "--") {
      continue;
    }
    if (trimmed.substr(first, 10) == "DELIMITER " || trimmed.substr(first, 10) == "delimiter ") {
      delimiter = std::string(trimmed.substr(first + 10));
      continue;
    }
    if (trimmed.size() >= delimiter.size() &&
        trimmed.substr(trimmed.size() - delimiter.size()) == delimiter) {
      current.append(trimmed.substr(0, trimmed.size() - delimiter.size()));
      if (current.find_first_not_of(" \t\n") != std::string::npos) {
        statements->push_back(current);
      }
      current.clear();
    } else {
      current.append(trimmed);
      current.push_back('\n');
    }
  }
  if (current.find_first_not_of(" \t\n") != std::string::npos) {
    statements->push_back(current);
  }
}

}  // namespace

// A cached statement. Bindings are kept here rather than in the driver's statement, so that
// a statement can be prepared again on a new connection and run with the same values.
class MysqlStatement final : public SqlStatement {
 public:
  MysqlStatement(MysqlConnection& owner, std::string_view sql)
      : owner_(owner),
        text_(TranslateParameters(sql, &parameter_of_mark_)),
        returns_rows_(ReturnsRows(sql)) {
    int count = 0;
    for (const int parameter : parameter_of_mark_) {
      count = std::max(count, parameter + 1);
    }
    values_.resize(static_cast<size_t>(count));
  }

  void BindInt(int index, int64_t value) override { Slot(index) = value; }
  void BindText(int index, std::string_view value) override { Slot(index) = std::string(value); }
  void BindNull(int index) override { Slot(index) = Null{}; }

  bool Step() override {
    if (!executed_) {
      executed_ = true;
      owner_.Execute(*this);
    }
    if (!rows_) {
      return false;
    }
    texts_.clear();
    try {
      return rows_->next();
    } catch (const sql::SQLException& error) {
      owner_.Fail(error, "fetch");
    }
  }

  bool IsNull(int column) override {
    return Guard([&] { return rows_->isNull(Column(column)); });
  }
  int64_t ColumnInt(int column) override {
    return Guard([&] { return rows_->getInt64(Column(column)); });
  }
  std::string_view ColumnText(int column) override {
    const auto index = static_cast<size_t>(column);
    if (texts_.size() <= index) {
      texts_.resize(index + 1);
    }
    auto& text = texts_[index];
    if (!text) {
      text = Guard([&] { return rows_->getString(Column(column)).asStdString(); });
    }
    return *text;
  }
  int64_t AffectedRows() override { return affected_rows_; }

  void Reset() override {
    rows_.reset();
    texts_.clear();
    executed_ = false;
    std::fill(values_.begin(), values_.end(), Value());
  }

  // Prepares on the current connection if needed, binds and runs. Throws sql::SQLException.
  void Run(sql::Connection& connection, uint64_t generation) {
    rows_.reset();
    if (!prepared_ || generation != generation_) {
      prepared_.reset();
      prepared_.reset(connection.prepareStatement(text_));
      generation_ = generation;
    }
    for (size_t mark = 0; mark < parameter_of_mark_.size(); ++mark) {
      const auto parameter = static_cast<size_t>(parameter_of_mark_[mark]);
      const auto position = static_cast<unsigned int>(mark + 1);
      const Value& value = values_[parameter];
      if (const auto* number = std::get_if<int64_t>(&value)) {
        prepared_->setInt64(position, *number);
      } else if (const auto* text = std::get_if<std::string>(&value)) {
        prepared_->setString(position, *text);
      } else if (std::holds_alternative<Null>(value)) {
        prepared_->setNull(position, sql::DataType::VARCHAR);
      } else {
        ThrowDatabaseError("mysql: parameter " + std::to_string(parameter + 1) +
                           " not bound in: " + text_);
      }
    }
    if (returns_rows_) {
      rows_.reset(prepared_->executeQuery());
      affected_rows_ = 0;
    } else {
      affected_rows_ = prepared_->executeUpdate();
    }
  }

  // Forgets the server-side statement (before its connection goes away).
  void Unprepare() {
    rows_.reset();
    prepared_.reset();
  }

 private:
  struct Null {};
  struct Unbound {};
  using Value = std::variant<Unbound, Null, int64_t, std::string>;

  Value& Slot(int index) {
    const auto at = static_cast<size_t>(index);
    if (index < 0 || at >= values_.size()) {
      ThrowDatabaseError("mysql: no parameter " + std::to_string(index + 1) + " in: " + text_);
    }
    return values_[at];
  }
  uint32_t Column(int column) const {
    if (!rows_) {
      ThrowDatabaseError("mysql: no row to read in: " + text_);
    }
    return static_cast<uint32_t>(column + 1);
  }
  template <typename Read>
  auto Guard(Read read) -> decltype(read()) {
    try {
      return read();
    } catch (const sql::SQLException& error) {
      owner_.Fail(error, "read column");
    }
  }

  MysqlConnection& owner_;
  // Set at construction
  std::vector<int> parameter_of_mark_;
  const std::string text_;
  const bool returns_rows_;

  std::vector<Value> values_;
  std::unique_ptr<sql::PreparedStatement> prepared_;
  uint64_t generation_ = 0;
  std::unique_ptr<sql::ResultSet> rows_;
  // Texts of the current row, read on demand. A deque, because growing it must not move
  // strings whose views the caller still holds (short strings live inside the element).
  std::deque<std::optional<std::string>> texts_;
  bool executed_ = false;
  int64_t affected_rows_ = 0;
};

std::vector<std::string> MysqlConnection::SplitSchema(std::string_view schema_sql, int shards) {
  constexpr std::string_view kBegin = "-- BEGIN PER RECORDS TABLE";
  constexpr std::string_view kEnd = "-- END PER RECORDS TABLE";
  std::vector<std::string> statements;
  const size_t begin = schema_sql.find(kBegin);
  const size_t end = schema_sql.find(kEnd);
  if (begin == std::string_view::npos || end == std::string_view::npos || end < begin) {
    SplitStatements(schema_sql, &statements);
    return statements;
  }
  SplitStatements(schema_sql.substr(0, begin), &statements);
  const std::string_view per_table = schema_sql.substr(begin, end - begin);
  const MysqlDialect dialect(shards);
  for (int shard = 0; shard < std::max(shards, 1); ++shard) {
    SplitStatements(RenameTable(per_table, dialect.WboTable(shard)), &statements);
  }
  SplitStatements(schema_sql.substr(end), &statements);
  return statements;
}

namespace {

// The databases whose schema this process, or the master it was forked from, has applied.
// Workers are forked after the master applied it: they skip it, and a worker that starts
// while the server is down (a recycled or replaced worker during an outage) comes up
// without a connection and answers 503 until the server is back, instead of exiting and
// leaving requests waiting for a worker.
std::set<std::string>& AppliedSchemas() {
  static std::set<std::string> applied;
  return applied;
}

std::string TargetOf(const MysqlConfig& config) {
  std::string servers = config.host + ":" + std::to_string(config.port);
  for (const MysqlEndpoint& server : config.hosts) {
    servers += "," + server.host + ":" + std::to_string(server.port);
  }
  return config.unix_socket + "|" + servers + "|" + config.user + "|" + config.database + "|" +
         std::to_string(config.shards);
}

// The servers to try: database.mysql.hosts (port 0 meaning database.mysql.port), else
// host and port.
std::vector<MysqlEndpoint> ServersOf(const MysqlConfig& config) {
  std::vector<MysqlEndpoint> servers;
  for (const MysqlEndpoint& server : config.hosts) {
    servers.push_back({server.host, server.port == 0 ? config.port : server.port});
  }
  if (servers.empty()) {
    servers.push_back({config.host, config.port});
  }
  return servers;
}

}  // namespace

MysqlConnection::MysqlConnection(const MysqlConfig& config, std::string_view schema_sql)
    : config_(config),
      password_(config.password),
      dialect_(config.shards),
      servers_(ServersOf(config)) {
  const std::string target = TargetOf(config_);
  const bool applied = AppliedSchemas().count(target) > 0;
  try {
    Connect();
  } catch (const BackendError&) {
    if (!applied) {
      throw;
    }
    return;  // connect on first use
  }
  if (!applied && !schema_sql.empty()) {
    for (const std::string& statement : SplitSchema(schema_sql, config_.shards)) {
      ExecuteDirect(statement, false);
    }
    AppliedSchemas().insert(target);
  }
}

MysqlConnection::~MysqlConnection() {
  Disconnect();
}

void MysqlConnection::Connect() {
  if (!config_.unix_socket.empty() || servers_.size() == 1) {
    ConnectTo(servers_.front());
    return;
  }
  // Each server once, beginning with the current one; the first that answers stays current.
  for (size_t tried = 0;; ++tried) {
    const MysqlEndpoint& server = servers_[current_server_];
    try {
      ConnectTo(server);
      return;
    } catch (const BackendError& error) {
      if (tried + 1 >= servers_.size()) {
        throw;
      }
      current_server_ = (current_server_ + 1) % servers_.size();
      Log(LogLevel::kWarning) << error.what() << "; trying " << servers_[current_server_].host
                              << ":" << servers_[current_server_].port;
    }
  }
}

// Every session sets @weave_server_write: the records tables' triggers skip its writes, as
// the server keeps collection_stats itself, one change per write (sql/mysql/schema.sql).
void MysqlConnection::ConnectTo(const MysqlEndpoint& server) {
  sql::ConnectOptionsMap options;
  if (!config_.unix_socket.empty()) {
    options["hostName"] = sql::SQLString("unix://" + config_.unix_socket);
  } else {
    options["hostName"] = sql::SQLString("tcp://" + server.host);
    options["port"] = server.port;
  }
  options["userName"] = sql::SQLString(config_.user);
  options["password"] = sql::SQLString(password_);
  options["schema"] = sql::SQLString(config_.database);
  options["OPT_CONNECT_TIMEOUT"] = config_.connect_timeout_seconds;
  options["OPT_READ_TIMEOUT"] = config_.read_timeout_seconds;
  options["OPT_WRITE_TIMEOUT"] = config_.write_timeout_seconds;
  // Reconnecting behind our back would silently end a transaction: we do it ourselves.
  options["OPT_RECONNECT"] = false;
  // UPDATE reports matched rows, not changed ones, as SQLite does.
  options["CLIENT_FOUND_ROWS"] = true;
  // Bytes in, bytes out: no conversion either way, whatever the columns' character set.
  // A PHP-era database stored UTF-8 payloads through latin1 connections; they come back as
  // the same bytes, and what we write PHP reads back unchanged.
  options["OPT_CHARSET_NAME"] = sql::SQLString("binary");
  options["characterSetResults"] = sql::SQLString("binary");
  if (config_.tls == "on") {
    // Encrypted or not at all, and only to a server whose certificate names the host.
    options["sslEnforce"] = true;
    options["sslVerify"] = true;
    options["sslCA"] = sql::SQLString(config_.ca_file.empty() ? kSystemCaFile : config_.ca_file);
    if (!config_.cert_file.empty()) {
      options["sslCert"] = sql::SQLString(config_.cert_file);
      options["sslKey"] = sql::SQLString(config_.key_file);
    }
  }
  try {
    sql::Driver* driver = get_driver_instance();  // a process-wide singleton, not owned
    std::unique_ptr<sql::Connection> connection(driver->connect(options));
    std::unique_ptr<sql::Statement> direct(connection->createStatement());
    direct->execute("SET NAMES binary");
    // Known modes whatever the server's default: strict (an over-long value is an error,
    // not a silent truncation), and no ANSI_QUOTES or PIPES_AS_CONCAT surprises.
    direct->execute(
        "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
        "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'");
    // A row or metadata lock wait ends with an error before the read timeout drops the
    // connection.
    direct->execute("SET SESSION innodb_lock_wait_timeout = " +
                    std::to_string(config_.lock_wait_timeout_seconds));
    direct->execute(
        "SET SESSION lock_wait_timeout = " + std::to_string(config_.lock_wait_timeout_seconds) +
        ", @weave_server_write = 1");
    connection_ = std::move(connection);
    direct_ = std::move(direct);
    ++generation_;
    suspect_ = false;
  } catch (const sql::SQLException& error) {
    const std::string where = config_.unix_socket.empty()
                                  ? server.host + ":" + std::to_string(server.port)
                                  : config_.unix_socket;
    ThrowDatabaseError(Describe(error, "connect to " + where));
  }
}

void MysqlConnection::Disconnect() {
  for (auto& [text, statement] : statements_) {
    statement->Unprepare();
  }
  direct_.reset();
  if (connection_) {
    try {
      connection_->close();
    } catch (const sql::SQLException&) {  // NOLINT(bugprone-empty-catch): already broken
    }
    connection_.reset();
  }
}

void MysqlConnection::EnsureConnected() {
  if (in_transaction_ && !connection_) {
    ThrowDatabaseError("mysql: the connection was lost inside a transaction");
  }
  if (connection_ && suspect_) {
    bool alive = false;
    try {
      alive = connection_->isValid();
    } catch (const sql::SQLException&) {  // NOLINT(bugprone-empty-catch): alive stays false
    }
    if (!alive) {
      if (in_transaction_) {
        Disconnect();
        ThrowDatabaseError("mysql: the connection was lost inside a transaction");
      }
      Disconnect();
    }
    suspect_ = false;
  }
  if (!connection_) {
    Connect();
  }
}

// SHOW statements, not SELECTs: a read that waits for the cluster fails on such a node. A
// server built with Galera but not running it (wsrep_on OFF) also says wsrep_ready OFF.
bool MysqlConnection::NodeNotReady() {
  const auto value = [this](const char* show) {
    std::unique_ptr<sql::ResultSet> row(direct_->executeQuery(show));
    return row->next() ? std::string(row->getString(2)) : std::string();
  };
  try {
    return value("SHOW VARIABLES LIKE 'wsrep_on'") == "ON" &&
           value("SHOW STATUS LIKE 'wsrep_ready'") == "OFF";
  } catch (const sql::SQLException&) {
    return false;  // the caller's error stands; the connection is checked before its next use
  }
}

bool MysqlConnection::HandleLost(const sql::SQLException& error) {
  // A Galera node cut off from the cluster answers 1047 to most statements, but a read that
  // waits for the cluster (wsrep_sync_wait) fails there at once as a lock wait timeout: then
  // the node, not the transaction, is the problem, and another node may serve.
  const bool node_gone =
      IsConnectionLost(error.getErrorCode()) ||
      (error.getErrorCode() == kLockWaitTimeout && connection_ && NodeNotReady());
  if (!node_gone) {
    suspect_ = true;
    return false;
  }
  Disconnect();
  // The next connection begins with the next server: this one may be down, or up but not
  // serving (1047), and would take the connection again.
  current_server_ = (current_server_ + 1) % servers_.size();
  return true;
}

void MysqlConnection::Fail(const sql::SQLException& error, std::string_view what) {
  HandleLost(error);
  ThrowFor(error, what);
}

void MysqlConnection::Execute(MysqlStatement& statement) {
  for (int attempt = 0;; ++attempt) {
    EnsureConnected();
    try {
      statement.Run(*connection_, generation_);
      return;
    } catch (const sql::SQLException& error) {
      // Outside a transaction one retry is safe: a statement that failed on a dead
      // connection never ran or lost its effect with the connection, and one chosen as a
      // deadlock victim or timed out on a lock was rolled back.
      const bool lost = HandleLost(error);
      if ((lost || IsLockConflict(error)) && !in_transaction_ && attempt == 0) {
        continue;
      }
      if (lost && in_transaction_) {
        // Nothing of the transaction was committed: the caller may run it again, on a new
        // connection (a lost COMMIT is another matter: see Commit).
        ThrowTransactionConflict(TransactionConflict::Kind::kConnectionLost,
                                 Describe(error, "execute"));
      }
      ThrowFor(error, "execute");
    }
  }
}

void MysqlConnection::ExecuteDirect(const std::string& sql, bool may_retry) {
  for (int attempt = 0;; ++attempt) {
    EnsureConnected();
    try {
      direct_->execute(sql);
      return;
    } catch (const sql::SQLException& error) {
      if (HandleLost(error) && may_retry && !in_transaction_ && attempt == 0) {
        continue;
      }
      ThrowDatabaseError(Describe(error, sql.substr(0, sql.find_first_of("\n("))));
    }
  }
}

SqlStatement& MysqlConnection::Prepare(std::string_view sql) {
  auto found = statements_.find(sql);
  if (found == statements_.end()) {
    found =
        statements_.emplace(std::string(sql), std::make_unique<MysqlStatement>(*this, sql)).first;
  }
  found->second->Reset();
  return *found->second;
}

void MysqlConnection::TrimStatementCache() {
  if (statements_.size() > kMaxCachedStatements) {
    statements_.clear();
  }
}

// The first statement of a transaction may reconnect and retry; after it, a lost
// connection fails the transaction.
void MysqlConnection::BeginWrite() {
  ExecuteDirect("START TRANSACTION", true);
  in_transaction_ = true;
}

void MysqlConnection::Commit() {
  if (!connection_) {
    in_transaction_ = false;
    ThrowDatabaseError("mysql: the connection was lost inside a transaction");
  }
  try {
    direct_->execute("COMMIT");
    in_transaction_ = false;
  } catch (const sql::SQLException& error) {
    in_transaction_ = false;
    Fail(error, "commit");
  }
}

void MysqlConnection::Rollback() {
  if (!in_transaction_) {
    return;
  }
  in_transaction_ = false;
  if (!connection_) {
    return;  // the server rolled back when the connection went
  }
  try {
    direct_->execute("ROLLBACK");
  } catch (const sql::SQLException& error) {
    Fail(error, "rollback");
  }
}

std::string MysqlConnection::DescribeDurability() {
  constexpr const char* kUnknown = "unknown: the server did not say";
  try {
    EnsureConnected();
    std::unique_ptr<sql::ResultSet> row(direct_->executeQuery(
        "SELECT @@innodb_flush_log_at_trx_commit, @@innodb_flush_log_at_timeout, @@log_bin,"
        " @@sync_binlog"));
    if (!row->next()) {
      return kUnknown;
    }
    const int64_t flush = row->getInt64(1);
    const std::string timeout = std::to_string(row->getInt64(2));
    const bool binlog = row->getInt64(3) != 0;
    const int64_t sync_binlog = row->getInt64(4);
    std::string text;
    if (flush == 0) {
      text = "within about " + timeout + " s, even on a crash of MariaDB/MySQL alone";
    } else if (flush == 2) {
      text = "at commit for a crash of MariaDB/MySQL alone; within about " + timeout +
             " s for a crash of the machine";
    } else {
      text = "at commit";
    }
    text += " (innodb_flush_log_at_trx_commit: " + std::to_string(flush) + ")";
    if (binlog && sync_binlog != 1) {
      // Crash recovery rolls back a transaction that its binary log lost.
      text += "; but binary logging is on with sync_binlog " + std::to_string(sync_binlog) +
              " (not 1): a crash of the machine may roll back recent commits";
    }
    return text;
  } catch (const sql::SQLException& error) {
    return std::string(kUnknown) + " (" + error.what() + ")";
  } catch (const BackendError& error) {
    return std::string(kUnknown) + " (" + error.what() + ")";
  }
}

int64_t MysqlConnection::LastInsertId() {
  const uint64_t generation = generation_;
  StatementScope query(Prepare("SELECT LAST_INSERT_ID()"));
  const bool found = query->Step();
  // A new connection has no last insert id: an answer from one would be a wrong 0.
  if (!found || generation != generation_) {
    ThrowDatabaseError("mysql: the connection was lost before LAST_INSERT_ID()");
  }
  return query->ColumnInt(0);
}

}  // namespace weave
