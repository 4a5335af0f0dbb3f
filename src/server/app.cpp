// Wiring of one worker: back ends from the configuration, and the route table of its role.
#include "server/app.h"

#include <algorithm>

#include "auth/make_account_backend.h"
#include "cache/make_cache.h"
#include "core/errors.h"
#include "core/log.h"
#include "db/make_connection.h"

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

App::App(Config config) : App(std::move(config), system_clock_) {}

App::App(Config config, const Clock& clock)
    : config_(std::move(config)),
      clock_(clock),
      connection_(MakeConnection(config_.database)),
      accounts_(MakeAccountBackend(config_.auth, *connection_, clock_)),
      login_failures_(*connection_, clock_),
      logins_(*accounts_.cached, login_failures_, config_.accounts, clock_),
      sql_storage_(*connection_),
      cache_(MakeCache(config_.cache, clock_)),
      cache_marks_(*connection_),
      caching_storage_(cache_ ? std::make_unique<CachingStorage>(
                                    sql_storage_, cache_marks_, *cache_, config_.cache.prefix,
                                    [this] {  // a new read snapshot within the request
                                      connection_->EndRequest();
                                      connection_->BeginRequest();
                                    })
                              : nullptr),
      storage_(caching_storage_ ? static_cast<Storage&>(*caching_storage_) : sql_storage_),
      storage_limits_(StorageLimitsFrom(config_.limits)),
      account_state_(*connection_, clock_),
      mailer_(config_.mail),
      // Deleting an account deletes its records in this server's database. A user-only
      // server on a database of its own has none there.
      reg_services_{config_,
                    *accounts_.cached,
                    account_state_,
                    logins_,
                    login_failures_,
                    mailer_,
                    [this](UserId user) {
                      storage_.DeleteStorage(user);
                    }},
      dispatcher_(config_, BuildRoutes(), logins_, clock_) {}

RouteTable<Endpoint> App::BuildRoutes() {
  const RoleParts parts = PartsOf(config_.server.role);
  std::vector<RouteRow<Endpoint>> routes;
  if (parts.storage) {
    for (auto& row : StorageEndpoints(storage_, storage_limits_)) {
      routes.push_back(std::move(row));
    }
  }
  if (parts.registration) {
    for (auto& row : RegEndpoints(reg_services_)) {
      routes.push_back(std::move(row));
    }
  }
  routes.push_back(HeartbeatRoute(storage_, *accounts_.cached));
  return RouteTable<Endpoint>(std::move(routes));
}

Response App::Serve(const Request& request) {
  const RequestScope scope(*connection_);
  return dispatcher_.Handle(request);
}

void App::Idle() {
  try {
    connection_->Idle();
    ExpireOldRows();
  } catch (const std::exception& error) {
    Log(LogLevel::kWarning) << "database housekeeping: " << error.what();
  }
}

void App::ExpireOldRows() {
  // Per-name tables would otherwise grow without bound from random names: every ten minutes
  // a worker deletes a bounded batch of rows nobody needs any more.
  constexpr int64_t kEveryMs = int64_t{600} * 1000;
  constexpr int kBatchRows = 500;
  const int64_t now_ms = clock_.NowMs();
  if (now_ms < next_expiry_ms_) {
    return;
  }
  next_expiry_ms_ = now_ms + kEveryMs;
  const AccountsConfig& accounts = config_.accounts;
  const int64_t window_seconds = std::max<int64_t>(accounts.lockout_window_seconds, 3600);
  int64_t deleted = login_failures_.ExpireOldRows(
      window_seconds, int64_t{accounts.trusted_address_days} * 86400, kBatchRows);
  deleted += account_state_.ExpireOldRows(config_.registration.invite_lifetime_seconds, kBatchRows);
  if (deleted > 0) {
    Log(LogLevel::kDebug) << "expired " << deleted << " old lockout, reset and invite rows";
  }
}

}  // namespace weave
