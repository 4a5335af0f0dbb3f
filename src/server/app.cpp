// Wiring of one worker: back ends from the configuration, and the route table of its role.
#include "server/app.h"

#include <algorithm>
#include <optional>

#include "auth/cache_logins.h"
#include "auth/layered_logins.h"
#include "auth/make_account_backend.h"
#include "cache/make_cache.h"
#include "core/errors.h"
#include "core/log.h"
#include "db/make_connection.h"
#include "server/node_guard.h"

namespace weave {
namespace {

// For load balancers and monitoring: 200 when every back end answers, else 503.
RouteRow<Endpoint> HeartbeatRoute(Storage& storage, Authenticator& authenticator) {
  Endpoint check = [&storage, &authenticator](const RequestContext& /*context*/) {
    storage.CheckHealth();
    authenticator.CheckHealth();
    return TextResponse(200, "OK");
  };
  return {"GET", "/__heartbeat__", std::move(check), false};
}

// A login's reads can ride on a storage read when both are in one database (see
// auth/login_rider.h); with a cache, on the read of the user's cache mark.
LoginRiders* LoginRidersOf(const Config& config, LoginRiders& riders) {
  return config.accounts_database.has_value() ? nullptr : &riders;
}

std::unique_ptr<ReadAheadCache> WithReadAhead(std::unique_ptr<Cache> cache) {
  return cache ? std::make_unique<ReadAheadCache>(std::move(cache)) : nullptr;
}

}  // namespace

RoleParts PartsOf(std::string_view role) {
  if (role == "all") {
    return {true, true};
  }
  if (role == "user") {
    return {true, false};
  }
  if (role == "storage") {
    return {false, true};
  }
  throw ConfigError("server.role",
                    "unknown role \"" + std::string(role) + "\" (valid: all, user, storage)");
}

App::App(Config config, VerifiedLogins* shared_logins, std::shared_ptr<const PageTemplates> pages)
    : App(std::move(config), system_clock_, shared_logins, std::move(pages)) {}

App::App(Config config, const Clock& clock, VerifiedLogins* shared_logins,
         std::shared_ptr<const PageTemplates> pages)
    : config_(std::move(config)),
      clock_(clock),
      connection_(MakeConnection(config_.database)),
      accounts_connection_(config_.accounts_database ? MakeConnection(*config_.accounts_database)
                                                     : nullptr),
      cache_(WithReadAhead(MakeCache(config_.cache, clock_))),
      cache_logins_(cache_ && !config_.cache.login_secret.empty()
                        ? std::make_unique<CacheLogins>(*cache_, config_.cache.prefix,
                                                        config_.cache.login_secret)
                        : nullptr),
      layered_logins_(cache_logins_ && shared_logins != nullptr
                          ? std::make_unique<LayeredLogins>(*shared_logins, *cache_logins_,
                                                            config_.cache.login_secret, clock_)
                          : nullptr),
      accounts_(MakeAccountBackend(config_.auth, AccountsConnection(), clock_,
                                   layered_logins_ ? layered_logins_.get()
                                   : cache_logins_ ? cache_logins_.get()
                                                   : shared_logins)),
      nodes_(AccountsConnection()),
      login_failures_(AccountsConnection(), clock_),
      logins_(*accounts_.cached, login_failures_, config_.accounts, clock_,
              dynamic_cast<AccountReadAhead*>(accounts_.direct.get())),
      sql_storage_(*connection_, !config_.server.node_url.empty(), LoginRidersOf(config_, riders_),
                   cache_ != nullptr),
      cache_marks_(*connection_, LoginRidersOf(config_, riders_)),
      caching_storage_(cache_ ? std::make_unique<CachingStorage>(sql_storage_, cache_marks_,
                                                                 *cache_, config_.cache.prefix)
                              : nullptr),
      tabs_storage_(caching_storage_ && config_.cache.tabs_only_in_cache
                        ? std::make_unique<CachedTabsStorage>(*caching_storage_, *cache_,
                                                              config_.cache.prefix)
                        : nullptr),
      storage_(tabs_storage_      ? static_cast<Storage&>(*tabs_storage_)
               : caching_storage_ ? static_cast<Storage&>(*caching_storage_)
                                  : sql_storage_),
      storage_limits_(StorageLimitsFrom(config_.limits)),
      account_state_(AccountsConnection(), clock_),
      mailer_(config_.mail, config_.server.public_url),
      pages_(pages ? std::move(pages)
                   : std::make_shared<const PageTemplates>(config_.pages.templates_dir)),
      // Deleting an account deletes its records in this server's database. A user-only
      // server on a database of its own has none there.
      reg_services_{config_,
                    *accounts_.cached,
                    account_state_,
                    logins_,
                    login_failures_,
                    mailer_,
                    [this](UserId user) { EraseUserData(user); },
                    nodes_,
                    *pages_},
      dispatcher_(config_, BuildRoutes(), logins_, clock_, LoginRidersOf(config_, riders_),
                  &login_failures_),
      metrics_access_(config_.metrics),
      metrics_dispatcher_(
          metrics_access_.Enabled()
              ? std::optional<Dispatcher>(std::in_place, config_, BuildRoutes(true), logins_,
                                          clock_, LoginRidersOf(config_, riders_), &login_failures_)
              : std::nullopt) {}

// An account's id is never given again, so tabs that an unreachable cache still holds for a
// deleted account are never seen again (they expire): the deletion goes on without them.
void App::EraseUserData(UserId user) {
  try {
    storage_.DeleteStorage(user);
  } catch (const TabsUnavailable& error) {
    Log(LogLevel::kWarning) << "deleting an account: " << error.what() << "; left to expire";
  }
}

RouteTable<Endpoint> App::BuildRoutes(bool with_metrics) {
  const RoleParts parts = PartsOf(config_.server.role);
  std::vector<RouteRow<Endpoint>> routes;
  if (parts.storage) {
    auto rows = StorageEndpoints(storage_, storage_limits_);
    if (!config_.server.node_url.empty()) {
      rows = GuardNodeEndpoints(std::move(rows), nodes_, config_.server.node_url,
                                config_.server.retry_after_seconds);
    }
    for (auto& row : rows) {
      routes.push_back(std::move(row));
    }
  }
  if (parts.registration) {
    for (auto& row : RegEndpoints(reg_services_)) {
      routes.push_back(std::move(row));
    }
  }
  routes.push_back(HeartbeatRoute(storage_, *accounts_.cached));
  if (with_metrics) {
    routes.push_back(MetricsRoute());
  }
  return RouteTable<Endpoint>(std::move(routes));
}

Response App::Serve(const Request& request) {
  if (cache_) {
    cache_->Forget();  // nothing fetched for an earlier request is taken for this one
  }
  const RequestScope scope(*connection_);
  std::optional<RequestScope> accounts_scope;
  if (accounts_connection_) {
    accounts_scope.emplace(*accounts_connection_);
  }
  if (metrics_dispatcher_ && metrics_access_.Allows(request)) {
    return metrics_dispatcher_->Handle(request);
  }
  return dispatcher_.Handle(request);
}

void App::Idle() {
  try {
    connection_->Idle();
    if (accounts_connection_) {
      accounts_connection_->Idle();
    }
  } catch (const std::exception& error) {
    Log(LogLevel::kWarning) << "database housekeeping: " << error.what();
  }
}

}  // namespace weave
