// Composition root: builds the back ends and the protocol service of one worker from Config.
#pragma once

#include <memory>

#include "reg/account_state.h"
#include "auth/ldap/ldap_authenticator.h"
#include "auth/sql_user_store.h"
#include "core/config.h"
#include "db/sql_connection.h"
#include "reg/mailer.h"
#include "storage/sql_storage.h"
#include "server/sync_service.h"
#include "core/clock.h"

namespace weave {

// The SQL schema for the configured driver, applied when a connection opens.
std::string_view SchemaFor(const DatabaseConfig& config);
std::unique_ptr<SqlConnection> MakeConnection(const DatabaseConfig& config);

class App {
 public:
  // Opens the database; throws BackendError or ConfigError.
  explicit App(Config config);

  SyncService& Service() { return service_; }
  // Answers one request; the database sees it as one request (see SqlConnection).
  Response Serve(const Request& request);
  // Between requests: the database's housekeeping. Never throws.
  void Idle();
  const Config& GetConfig() const { return config_; }
  SqlUserStore& Users() { return users_; }
  // The accounts the server authenticates against (the SQL users table or the directory).
  AccountStore& Accounts() {
    return ldap_ ? static_cast<AccountStore&>(*ldap_) : static_cast<AccountStore&>(users_);
  }
  bool UsesSqlAccounts() const { return !ldap_; }
  AccountState& State() { return account_state_; }
  Storage& StorageBackend() { return storage_; }

 private:
  // Destroyed in reverse order: service, back ends, connection, config.
  const Config config_;
  SystemClock clock_;
  std::unique_ptr<SqlConnection> connection_;
  SqlStorage storage_;
  SqlUserStore users_;
  std::unique_ptr<LdapAuthenticator> ldap_;  // auth.backend: ldap; then it replaces users_
  AccountState account_state_;
  SmtpMailer mailer_;
  SyncService service_;
};

}  // namespace weave
