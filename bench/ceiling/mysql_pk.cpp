// Ceiling (b) on MariaDB/MySQL: a libfcgi responder that does one primary-key SELECT per
// request through the client library the server uses (MySQL Connector/C++, a server-side
// prepared statement) and returns the row as JSON. What one indexed read through the same
// stack costs on this database.
//   ceiling-mysql_pk SOCKET PROCESSES HOST PORT USER PASSWORD DATABASE
// HOST is a name or address (TCP on PORT) or unix:/path/to/mysqld.sock (PORT ignored).
// PASSWORD is the password itself, or @FILE: the first line of FILE (keeps it off ps).
// Table kv in DATABASE is created with kRows rows (a few hundred bytes each) when it has
// fewer. One connection per process, opened after the fork.
#include <fcgiapp.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include <cppconn/connection.h>
#include <cppconn/driver.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include "prefork.h"

namespace {

using ceiling::kRows;
constexpr int64_t kRowsPerInsert = 500;

struct Target {
  std::string host;
  int port = 3306;
  std::string user;
  std::string password;
  std::string database;
};

[[noreturn]] void Fail(const sql::SQLException& error, const char* what) {
  std::fprintf(stderr, "ceiling-mysql_pk: %s: %s (error %d)\n", what, error.what(),
               error.getErrorCode());
  std::exit(1);
}

std::string ReadPassword(const std::string& argument) {
  if (argument.empty() || argument[0] != '@') {
    return argument;
  }
  std::ifstream in(argument.substr(1));
  std::string password;
  if (!in || !std::getline(in, password)) {
    std::fprintf(stderr, "ceiling-mysql_pk: cannot read %s\n", argument.c_str() + 1);
    std::exit(2);
  }
  if (!password.empty() && password.back() == '\r') {
    password.pop_back();
  }
  return password;
}

// Connects with the options the server's own connection uses where they matter here.
std::unique_ptr<sql::Connection> Connect(const Target& target) {
  sql::ConnectOptionsMap options;
  if (target.host.rfind("unix:", 0) == 0) {
    options["hostName"] = sql::SQLString("unix://" + target.host.substr(5));
  } else {
    options["hostName"] = sql::SQLString("tcp://" + target.host);
    options["port"] = target.port;
  }
  options["userName"] = sql::SQLString(target.user);
  options["password"] = sql::SQLString(target.password);
  options["schema"] = sql::SQLString(target.database);
  options["OPT_CONNECT_TIMEOUT"] = 5;
  options["OPT_RECONNECT"] = false;
  options["OPT_CHARSET_NAME"] = sql::SQLString("binary");
  options["characterSetResults"] = sql::SQLString("binary");
  try {
    return std::unique_ptr<sql::Connection>(get_driver_instance()->connect(options));
  } catch (const sql::SQLException& error) {
    Fail(error, ("connect to " + target.host).c_str());
  }
}

void CreateRows(const Target& target) {
  try {
    const std::unique_ptr<sql::Connection> connection = Connect(target);
    const std::unique_ptr<sql::Statement> statement(connection->createStatement());
    statement->execute(
        "CREATE TABLE IF NOT EXISTS kv (id BIGINT NOT NULL PRIMARY KEY, payload LONGTEXT NOT "
        "NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin");
    int64_t have = 0;
    {
      const std::unique_ptr<sql::ResultSet> count(
          statement->executeQuery("SELECT count(*) FROM kv"));
      if (count->next()) {
        have = count->getInt64(1);
      }
    }
    if (have >= kRows) {
      return;
    }
    // Multi-row INSERTs in one transaction: a few seconds at most. The payloads are base64
    // characters and fixed JSON punctuation, so they need no escaping inside '...'.
    connection->setAutoCommit(false);
    uint64_t state = 88172645463325252ULL;
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string sql;
    for (int64_t id = 1; id <= kRows; ++id) {
      if (sql.empty()) {
        sql = "REPLACE INTO kv (id, payload) VALUES ";
      } else {
        sql += ",";
      }
      sql += "(" + std::to_string(id) + R"(,'{"ciphertext":")";
      for (int i = 0; i < 300; ++i) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        sql.push_back(kAlphabet[state & 63]);
      }
      sql += R"(","IV":"AAAAAAAAAAAAAAAAAAAAAA==","hmac":"00"}'))";
      if (id % kRowsPerInsert == 0 || id == kRows) {
        statement->execute(sql);
        sql.clear();
      }
    }
    connection->commit();
  } catch (const sql::SQLException& error) {
    Fail(error, "create the table");
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 8) {
    std::fprintf(stderr,
                 "usage: ceiling-mysql_pk unix:/path|host:port PROCESSES HOST|unix:/mysqld.sock"
                 " PORT USER PASSWORD|@FILE DATABASE\n");
    return 2;
  }
  Target target;
  target.host = argv[3];
  target.port = std::atoi(argv[4]);
  target.user = argv[5];
  target.password = ReadPassword(argv[6]);
  target.database = argv[7];
  CreateRows(target);  // the parent's connection is closed again before the fork
  FCGX_Init();
  const int fd = ceiling::Listen(argv[1]);
  return ceiling::RunPrefork(fd, std::atoi(argv[2]), [&target](int listen_fd) {
    try {
      const std::unique_ptr<sql::Connection> connection = Connect(target);
      const std::unique_ptr<sql::PreparedStatement> select(
          connection->prepareStatement("SELECT id, payload FROM kv WHERE id = ?"));
      ceiling::RandomKeys keys;
      std::string body;
      ceiling::Serve(listen_fd, [&]() -> const std::string& {
        select->setInt64(1, keys.Next());
        const std::unique_ptr<sql::ResultSet> rows(select->executeQuery());
        if (rows->next()) {
          ceiling::RowBody(body, rows->getInt64(1), rows->getString(2).asStdString());
        } else {
          body = "null";
        }
        return body;
      });
    } catch (const sql::SQLException& error) {
      Fail(error, "select");
    }
    return 0;
  });
}
