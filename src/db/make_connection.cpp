// Driver selection; the only file that knows which drivers were compiled in (WITH_MYSQL).
#include "db/make_connection.h"

#include "core/errors.h"
#include "db/sqlite_connection.h"
#include "db/sqlite_read_only.h"
#if WITH_MYSQL
#include "db/mysql_connection.h"
#endif

namespace weave {
namespace {

constexpr char kSqliteSchema[] =
#include "sqlite_schema.inc"
    ;
#if WITH_MYSQL
constexpr char kMysqlSchema[] =
#include "mysql_schema.inc"
    ;
#endif

// The one error both factories give for a driver this build does not have.
[[noreturn]] void UnknownDriver(const std::string& driver) {
#if WITH_MYSQL
  throw ConfigError("database.driver", "unknown driver \"" + driver + "\" (valid: sqlite, mysql)");
#else
  throw ConfigError("database.driver", "unknown driver \"" + driver +
                                           "\" (valid: sqlite; this build has no MySQL: "
                                           "build with WITH_MYSQL=1)");
#endif
}

}  // namespace

std::string_view SchemaFor(const DatabaseConfig& config) {
#if WITH_MYSQL
  if (config.driver == "mysql") {
    return kMysqlSchema;
  }
#endif
  (void)config;
  return kSqliteSchema;
}

std::unique_ptr<SqlConnection> MakeConnection(const DatabaseConfig& config) {
  if (config.driver == "sqlite") {
    return std::make_unique<SqliteConnection>(config.sqlite, SchemaFor(config));
  }
#if WITH_MYSQL
  if (config.driver == "mysql") {
    return std::make_unique<MysqlConnection>(config.mysql, SchemaFor(config));
  }
#endif
  UnknownDriver(config.driver);
}

std::unique_ptr<SqlConnection> ConnectToForeignDatabase(const DatabaseConfig& config) {
  if (config.driver == "sqlite") {
    return OpenSqliteReadOnly(config.sqlite.path);
  }
#if WITH_MYSQL
  if (config.driver == "mysql") {
    return std::make_unique<MysqlConnection>(config.mysql, std::string_view());
  }
#endif
  UnknownDriver(config.driver);
}

}  // namespace weave
