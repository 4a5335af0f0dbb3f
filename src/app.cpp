#include "app.h"

#include "db/sqlite_connection.h"
#include "errors.h"

namespace weave {
namespace {

constexpr char kSqliteSchema[] =
#include "sqlite_schema.inc"
    ;

}  // namespace

std::string_view SchemaFor(const DatabaseConfig& /*config*/) { return kSqliteSchema; }

std::unique_ptr<SqlConnection> MakeConnection(const DatabaseConfig& config) {
  if (config.driver == "sqlite") {
    return std::make_unique<SqliteConnection>(config.sqlite, SchemaFor(config));
  }
  throw ConfigError("database.driver", "unknown driver \"" + config.driver + "\" (valid: sqlite)");
}

App::App(Config config)
    : config_(std::move(config)),
      connection_(MakeConnection(config_.database)),
      storage_(*connection_),
      users_(*connection_, config_.auth, clock_),
      account_state_(*connection_, clock_),
      mailer_(config_.mail),
      service_(config_, storage_, users_, clock_) {
  service_.AttachAccounts(users_, account_state_, mailer_);
}

}  // namespace weave
