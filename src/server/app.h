// Composition root: builds the parts one worker serves (by server.role) from Config and owns
// them. The only place that knows every part and every back end.
#pragma once

#include <memory>
#include <optional>

#include "auth/account_store.h"
#include "auth/login_failures.h"
#include "auth/login_guard.h"
#include "auth/make_account_backend.h"
#include "auth/node_directory.h"
#include "auth/verified_logins.h"
#include "cache/read_ahead_cache.h"
#include "core/clock.h"
#include "core/config.h"
#include "db/sql_connection.h"
#include "reg/account_state.h"
#include "reg/mailer.h"
#include "reg/page_templates.h"
#include "reg/registration_api.h"
#include "server/dispatcher.h"
#include "server/metrics_endpoint.h"
#include "storage/cached_tabs.h"
#include "storage/caching_storage.h"
#include "storage/sql_storage.h"
#include "storage/storage_api.h"

namespace weave {

// The parts a server.role value serves.
struct RoleParts {
  bool registration = true;  // User API, misc, account pages
  bool storage = true;       // Storage API
};

// Throws ConfigError for an unknown role.
RoleParts PartsOf(std::string_view role);

class App {
 public:
  // Opens the database and builds the configured parts; throws BackendError or ConfigError.
  // Borrows clock (the system clock when none is given) and shared_logins (the verified
  // logins the server's workers share; none: a table of this App's own), which must outlive
  // the App. With cache.servers and cache.login_secret, verified logins are kept in the
  // cache, with shared_logins (when given) in front of it as this machine's copy
  // (auth/layered_logins.h). pages: the page and mail templates (the
  // server loads them once before its workers fork; none: loaded from pages.templates_dir).
  explicit App(Config config, VerifiedLogins* shared_logins = nullptr,
               std::shared_ptr<const PageTemplates> pages = nullptr);
  App(Config config, const Clock& clock, VerifiedLogins* shared_logins = nullptr,
      std::shared_ptr<const PageTemplates> pages = nullptr);

  // Answers one request; the database sees it as one request (see SqlConnection).
  Response Serve(const Request& request);
  // Between requests: the database's housekeeping. Never throws. (The purge of old rows is
  // server/upkeep.h's, on a schedule shared by the workers.)
  void Idle();

  const Config& GetConfig() const { return config_; }
  const Clock& GetClock() const { return clock_; }
  // The database of records (`database`).
  SqlConnection& Connection() { return *connection_; }
  // The database of accounts, nodes and login state: accounts_database when configured,
  // else the same as Connection().
  SqlConnection& AccountsConnection() {
    return accounts_connection_ ? *accounts_connection_ : *connection_;
  }
  NodeDirectory& Nodes() { return nodes_; }
  // The accounts the server authenticates against (the SQL users table or the directory),
  // behind the login cache.
  AccountBackend& Accounts() { return *accounts_.cached; }
  // The registration service's reset codes and invites.
  AccountState& State() { return account_state_; }
  // Lockout counters and trusted addresses.
  LoginFailures& Failures() { return login_failures_; }
  Storage& StorageBackend() { return storage_; }
  // What the registration service is built from (DeleteAccount needs it).
  RegServices& Registration() { return reg_services_; }

 private:
  // with_metrics: also /__metrics__ (for the addresses metrics.allow lets see it).
  RouteTable<Endpoint> BuildRoutes(bool with_metrics = false);
  // Deletes an account's records (for the account's deletion).
  void EraseUserData(UserId user);

  // Destroyed in reverse order: dispatcher, parts, back ends, connection, config.
  const Config config_;
  const SystemClock system_clock_;
  const Clock& clock_;
  std::unique_ptr<SqlConnection> connection_;
  std::unique_ptr<SqlConnection> accounts_connection_;  // null: accounts in connection_
  // With cache.servers: the shared cache (logins and storage/caching_storage.h use it),
  // fetching what a request will read with its next read (dropped at each request's start).
  std::unique_ptr<ReadAheadCache> cache_;
  // With cache.servers and cache.login_secret: the verified logins in that cache, and with
  // shared_logins too, both layers (the one the account back end uses).
  std::unique_ptr<VerifiedLogins> cache_logins_;
  std::unique_ptr<VerifiedLogins> layered_logins_;
  AccountBackends accounts_;
  NodeDirectory nodes_;
  LoginFailures login_failures_;
  LoginGuard logins_;
  LoginRiders riders_;  // logins waiting for a storage read to carry their reads
  SqlStorage sql_storage_;
  // With cache.servers: the cache in front of sql_storage_.
  CacheMarks cache_marks_;
  std::unique_ptr<CachingStorage> caching_storage_;
  // With cache.tabs_only_in_cache: the tabs in the cache, the rest in caching_storage_.
  std::unique_ptr<CachedTabsStorage> tabs_storage_;
  Storage& storage_;  // the outermost of tabs_storage_, caching_storage_, sql_storage_
  const StorageLimits storage_limits_;
  AccountState account_state_;
  SmtpMailer mailer_;
  const std::shared_ptr<const PageTemplates> pages_;
  RegServices reg_services_;
  const Dispatcher dispatcher_;
  // With metrics.enabled: the same routes and /__metrics__, for allowed addresses only; the
  // others are answered by dispatcher_, to which the path does not exist (404, never 405).
  const MetricsAccess metrics_access_;
  const std::optional<Dispatcher> metrics_dispatcher_;
};

}  // namespace weave
