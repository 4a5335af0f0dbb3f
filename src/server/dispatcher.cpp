// The per-request catch site of the server: everything a handler throws ends here.
#include "server/dispatcher.h"

#include <chrono>
#include <exception>

#include "auth/basic_login.h"
#include "core/crypto.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/weave_timestamp.h"
#include "http/forwarded.h"

namespace weave {
namespace {

// The answer for the exception being handled (call only inside a catch block).
Response CurrentErrorResponse(int retry_after_seconds) {
  try {
    throw;
  } catch (const BadRequest& error) {
    Log(LogLevel::kDebug) << "400 " << static_cast<int>(error.Code()) << ": " << error.what();
    return WeaveCodeResponse(400, error.Code());
  } catch (const HttpError& error) {
    Response response = TextResponse(error.Status(), error.what());
    if (error.Status() == 401) {
      response.SetHeader("WWW-Authenticate", "Basic realm=\"Sync\"");
    }
    return response;
  } catch (const BackendError& error) {
    // The client learns only an incident id; the log has the detail under the same id.
    const std::string incident = HexEncode(RandomBytes(4));
    Log(LogLevel::kError).Field("event", "incident").Field("incident", incident)
        << "incident " << incident << ": " << error.what();
    return UnavailableResponse("\"server issue: database unavailable, incident " + incident + "\"",
                               retry_after_seconds);
  } catch (const std::exception& error) {
    const std::string incident = HexEncode(RandomBytes(4));
    Log(LogLevel::kError).Field("event", "incident").Field("incident", incident)
        << "incident " << incident << ": unexpected: " << error.what();
    return TextResponse(500, "\"server error, incident " + incident + "\"");
  }
}

// Registers every row's metric name (at start-up, not per request), then "unmatched".
std::vector<int> RegisterRouteSlots(const RouteTable<Endpoint>& routes) {
  std::vector<int> slots;
  for (const RouteRow<Endpoint>& row : routes.Rows()) {
    slots.push_back(RegisterRouteMetric(row.method, RouteMetricName(row.pattern)));
  }
  slots.push_back(RegisterRouteMetric("any", "unmatched"));
  return slots;
}

}  // namespace

Dispatcher::Dispatcher(const Config& config, RouteTable<Endpoint> routes, LoginGuard& logins,
                       const Clock& clock, LoginRiders* riders, LoginFailures* failures)
    : config_(config),
      routes_(std::move(routes)),
      logins_(logins),
      clock_(clock),
      route_slots_(RegisterRouteSlots(routes_)),
      riders_(riders != nullptr && failures != nullptr && logins.ReadsCanRide() ? riders : nullptr),
      failures_(failures) {}

Response Dispatcher::Handle(const Request& request) const {
  const auto started = std::chrono::steady_clock::now();
  const int64_t request_time_cs = MsToCentiseconds(clock_.NowMs());
  const std::string client_address = ClientAddress(request, config_.server.trusted_proxies);
  UserId user_id = 0;
  std::string path_user;
  int route_slot = route_slots_.back();
  Response response;
  try {
    response = Dispatch(request, request_time_cs, client_address, user_id, path_user, route_slot);
  } catch (const std::exception&) {
    response = CurrentErrorResponse(config_.server.retry_after_seconds);
  }
  if (!config_.maintenance.alert.empty()) {
    response.SetHeader("X-Weave-Alert", config_.maintenance.alert);
  }
  if (response.Header("X-Weave-Timestamp") == nullptr) {
    response.SetHeader("X-Weave-Timestamp", FormatTimestamp(request_time_cs));
  }
  const auto elapsed_us = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count();
  ObserveRequestMetric(route_slot, response.status, elapsed_us);
  if (config_.log.access_log && LogEnabled(LogLevel::kInfo)) {
    LogAccess(request, client_address, user_id, path_user, response.status, elapsed_us);
  }
  return response;
}

// Built without a stream: one line per request.
void Dispatcher::LogAccess(const Request& request, const std::string& client_address,
                           UserId user_id, const std::string& path_user, int status,
                           int64_t elapsed_us) const {
  LogFields fields{{"event", "request"},
                   {"client", client_address},
                   {"method", request.method},
                   {"path", request.path},
                   {"status", std::to_string(status)},
                   {"user_id", std::to_string(user_id)},
                   {"duration_us", std::to_string(elapsed_us)}};
  std::string message;
  message.reserve(64 + client_address.size() + request.path.size());
  message.append(client_address)
      .append(" ")
      .append(request.method)
      .append(" ")
      .append(request.path)
      .append(" -> ")
      .append(fields[4].second)
      .append(" user=")
      .append(fields[5].second)
      .append(" us=")
      .append(fields[6].second);
  if (!path_user.empty()) {
    fields.emplace_back("user", path_user);
  }
  LogLine(LogLevel::kInfo, message, fields);
}

Response Dispatcher::Dispatch(const Request& request, int64_t request_time_cs,
                              const std::string& client_address, UserId& user_id,
                              std::string& path_user, int& route_slot) const {
  if (request.body_state == BodyState::kTooLarge) {
    return WeaveCodeResponse(413, WeaveError::kSizeLimitExceeded);
  }
  if (request.body_state == BodyState::kTruncated) {
    throw BadRequest(WeaveError::kJsonParseFailure, "request body ended early");
  }
  const RouteMatch<Endpoint> match = routes_.Match(request.method, request.path);
  if (match.kind == MatchKind::kNotFound) {
    return TextResponse(404, "Not Found");
  }
  if (match.kind == MatchKind::kMethodNotAllowed) {
    Response response = TextResponse(405, "Method Not Allowed");
    response.SetHeader("Allow", match.allowed_methods);
    return response;
  }
  route_slot = route_slots_[static_cast<size_t>(match.route - routes_.Rows().data())];
  const PathParams& params = match.params;
  const bool names_user = match.route->pattern.find("{user}") != std::string_view::npos;
  if (names_user && !IsValidUsername(params.user)) {
    throw BadRequest(WeaveError::kInvalidUsername, "invalid user name in path");
  }
  if (names_user) {
    path_user = params.user;
  }
  if (config_.maintenance.read_only && request.method != "GET") {
    return UnavailableResponse("\"server issue: read-only maintenance\"",
                               config_.server.retry_after_seconds);
  }
  if (match.route->needs_auth && match.route->reads_only && riders_ != nullptr) {
    if (const auto known = riders_->KnownId(params.user)) {
      const RequestContext context{request, params, request_time_cs, client_address, *known};
      return DispatchRiding(context, *match.route, user_id);
    }
  }
  if (match.route->needs_auth) {
    user_id = RequireBasicLogin(request, params.user, client_address, logins_);
    if (riders_ != nullptr) {
      riders_->Remember(params.user, user_id);
    }
  }
  const RequestContext context{request, params, request_time_cs, client_address, user_id};
  return match.route->handler(context);
}

Response Dispatcher::DispatchRiding(const RequestContext& context, const RouteRow<Endpoint>& route,
                                    UserId& user_id) const {
  const std::string_view username = context.params.user;
  const std::string password = RequirePathPassword(context.request, username);
  const EventSource source = EventSourceOf(context.request, context.client_address);
  LoginRider rider(logins_, *failures_, username, password, source);  // borrows source
  Response response;
  std::exception_ptr failure;
  {
    const LoginRiders::Scope scope(*riders_, rider);
    try {
      response = route.handler(context);
    } catch (...) {
      // Held: a request whose login fails gets the login's 401, whatever its handler found.
      failure = std::current_exception();
    }
  }
  user_id = RequireAccepted(rider.Finish());
  riders_->Remember(username, user_id);
  if (user_id != context.user_id || rider.CarrierWithheld()) {
    // The account was made again under a new id (what the handler read was another's), or
    // the lockout gate kept the handler's first read back.
    const RequestContext own{context.request, context.params, context.request_time_cs,
                             context.client_address, user_id};
    return route.handler(own);
  }
  if (failure) {
    std::rethrow_exception(failure);
  }
  return response;
}

}  // namespace weave
