// The MySQL maker for the Storage contract suite (tests/unit/storage_contract_test.cpp).
// Not part of the normal unit build: tests/mysql/run.sh compiles the suite with this file in
// place of its `using Backends = std::tuple<SqliteFileBackend>;` line (through
// -DWEAVE_CONTRACT_BACKENDS="mysql_contract_backend.h" when the suite has that hook, else in
// a copy) and runs it against the throwaway MariaDB it starts. Included inside the suite's
// namespace, after its includes and SqliteFileBackend.
//
// The server comes from WEAVE_TEST_MYSQL_HOST, _PORT, _USER, _PASSWORD and _DATABASE; each
// case starts from empty tables.

struct MysqlBackend {
  static std::string Env(const char* name, const char* fallback) {
    const char* value = ::getenv(name);
    return value != nullptr && *value != '\0' ? value : fallback;
  }

  static DatabaseConfig MakeConfig(const testing::TempDir& /*dir*/) {
    DatabaseConfig config;
    config.driver = "mysql";
    config.mysql.host = Env("WEAVE_TEST_MYSQL_HOST", "127.0.0.1");
    config.mysql.port = std::stoi(Env("WEAVE_TEST_MYSQL_PORT", "3306"));
    config.mysql.user = Env("WEAVE_TEST_MYSQL_USER", "weave");
    config.mysql.password = Env("WEAVE_TEST_MYSQL_PASSWORD", "");
    config.mysql.database = Env("WEAVE_TEST_MYSQL_DATABASE", "weave_contract");
    return config;
  }

  MysqlBackend()
      : config(MakeConfig(dir)), connection(MakeConnection(config)), storage(*connection) {
    for (const char* table : {"wbo", "collections", "collection_stats", "users", "reset_codes",
                              "invites", "login_failures"}) {
      StatementScope wipe(connection->Prepare(std::string("DELETE FROM ") + table));
      wipe->Step();
    }
  }

  // Reads one integer with a raw query (for facts the interface does not expose).
  std::optional<int64_t> QueryInt(std::string_view sql, int64_t a, std::string_view b) {
    connection->TrimStatementCache();
    StatementScope query(connection->Prepare(sql));
    query->BindInt(0, a);
    query->BindText(1, b);
    if (!query->Step()) {
      return std::nullopt;
    }
    return query->ColumnInt(0);
  }

  testing::TempDir dir;
  DatabaseConfig config;
  std::unique_ptr<SqlConnection> connection;
  SqlStorage storage;
};

using Backends = std::tuple<SqliteFileBackend, MysqlBackend>;
