// One request end to end: route, authenticate, run the part's endpoint, map every error to
// an answer, stamp the Weave headers and write the access log.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "auth/login_guard.h"
#include "core/clock.h"
#include "core/config.h"
#include "http/request.h"
#include "http/request_context.h"
#include "http/response.h"
#include "http/router.h"

namespace weave {

// Immutable after construction; keeps no per-request state. Borrows config, logins and
// clock, which must outlive it.
class Dispatcher {
 public:
  Dispatcher(const Config& config, RouteTable<Endpoint> routes, LoginGuard& logins,
             const Clock& clock);

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

  // Set at construction
  const Config& config_;
  const RouteTable<Endpoint> routes_;
  LoginGuard& logins_;
  const Clock& clock_;
  // Metrics slots: one per row of routes_, in order, then one for unmatched paths.
  const std::vector<int> route_slots_;
};

}  // namespace weave
