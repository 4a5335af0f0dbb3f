#include "server/app.h"

#include "db/mysql_connection.h"
#include "db/sqlite_connection.h"
#include "core/errors.h"
#include "core/log.h"

namespace weave {
namespace {

constexpr char kSqliteSchema[] =
#include "sqlite_schema.inc"
    ;
constexpr char kMysqlSchema[] =
#include "mysql_schema.inc"
    ;

}  // namespace

std::string_view SchemaFor(const DatabaseConfig& config) {
  return config.driver == "mysql" ? kMysqlSchema : kSqliteSchema;
}

std::unique_ptr<SqlConnection> MakeConnection(const DatabaseConfig& config) {
  if (config.driver == "sqlite") {
    return std::make_unique<SqliteConnection>(config.sqlite, SchemaFor(config));
  }
  if (config.driver == "mysql") {
    return std::make_unique<MysqlConnection>(config.mysql, SchemaFor(config));
  }
  throw ConfigError("database.driver",
                    "unknown driver \"" + config.driver + "\" (valid: sqlite, mysql)");
}

App::App(Config config)
    : config_(std::move(config)),
      connection_(MakeConnection(config_.database)),
      storage_(*connection_),
      users_(*connection_, config_.auth, clock_),
      ldap_(config_.auth.backend == "ldap"
                ? std::make_unique<LdapAuthenticator>(config_.auth.ldap, *connection_, clock_)
                : nullptr),
      account_state_(*connection_, clock_),
      mailer_(config_.mail),
      service_(config_, storage_,
               ldap_ ? static_cast<Authenticator&>(*ldap_) : static_cast<Authenticator&>(users_),
               clock_) {
  service_.AttachAccounts(
      ldap_ ? static_cast<AccountStore&>(*ldap_) : static_cast<AccountStore&>(users_),
      account_state_, mailer_);
}

Response App::Serve(const Request& request) {
  const RequestScope scope(*connection_);
  return service_.Handle(request);
}

void App::Idle() {
  try {
    connection_->Idle();
  } catch (const std::exception& error) {
    Log(LogLevel::kWarning) << "database housekeeping: " << error.what();
  }
}

}  // namespace weave
