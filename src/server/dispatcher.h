// One request end to end: route, authenticate, run the part's endpoint, map every error to
// an answer, stamp the Weave headers and write the access log.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "auth/login_failures.h"
#include "auth/login_guard.h"
#include "auth/login_rider.h"
#include "core/clock.h"
#include "core/config.h"
#include "http/request.h"
#include "http/request_context.h"
#include "http/response.h"
#include "http/router.h"

namespace weave {

// Keeps no per-request state. Borrows config, logins, clock and riders, which must outlive
// it.
class Dispatcher {
 public:
  // riders (with failures): a reads_only route of a user that logged in lately runs its
  // handler while the login is checked, the login's reads riding on the handler's first
  // statement (auth/login_rider.h); the answer waits for the login. Null: every login is
  // checked before its handler runs.
  Dispatcher(const Config& config, RouteTable<Endpoint> routes, LoginGuard& logins,
             const Clock& clock, LoginRiders* riders = nullptr, LoginFailures* failures = nullptr);

  // Answers one request. Every answer carries X-Weave-Timestamp (and X-Weave-Alert when
  // configured). Never throws: BadRequest becomes 400 with its Weave code, HttpError its
  // status, BackendError 503 with Retry-After and an incident id, anything else 500.
  Response Handle(const Request& request) const;

 private:
  // Routes and authenticates, then runs the endpoint; may throw the errors.h family.
  // path_user: the valid user name the path names, for the access log; route_slot: the
  // metrics slot of the matched row (core/metrics.h), set once matched.
  Response Dispatch(const Request& request, int64_t request_time_cs,
                    const std::string& client_address, UserId& user_id, std::string& path_user,
                    int& route_slot) const;
  void LogAccess(const Request& request, const std::string& client_address, UserId user_id,
                 const std::string& path_user, int status, int64_t elapsed_us) const;
  // A reads_only route run as the user id the path's user name had at its last login, with
  // the login's reads carried by the handler's first statement, then the login checked.
  // When the login is accepted as another id (the account was made again), the handler runs
  // again as that id. Sets user_id once the login is accepted.
  Response DispatchRiding(const RequestContext& context, const RouteRow<Endpoint>& route,
                          UserId& user_id) const;

  // Set at construction
  const Config& config_;
  const RouteTable<Endpoint> routes_;
  LoginGuard& logins_;
  const Clock& clock_;
  // Metrics slots: one per row of routes_, in order, then one for unmatched paths.
  const std::vector<int> route_slots_;
  LoginRiders* const riders_;
  LoginFailures* const failures_;
};

}  // namespace weave
