#include "server/sync_service.h"

#include <chrono>

#include "core/errors.h"
#include "http/basic_auth.h"
#include "http/forwarded.h"
#include "core/log.h"
#include "core/weave_timestamp.h"
#include "core/crypto.h"

namespace weave {
namespace {

bool IsValidUsername(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return false;
  }
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

bool IsValidCollectionName(std::string_view name) {
  return name.size() <= 32 && IsValidUsername(name);
}

Response CodeResponse(int status, WeaveError code) {
  Response response;
  response.status = status;
  response.body = std::to_string(static_cast<int>(code));
  return response;
}

Response TextResponse(int status, std::string_view text) {
  Response response;
  response.status = status;
  response.content_type = "text/plain; charset=utf-8";
  response.body = text;
  return response;
}

}  // namespace

SyncService::SyncService(const Config& config, Storage& storage, Authenticator& authenticator,
                         const Clock& clock)
    : config_(config),
      storage_(storage),
      authenticator_(authenticator),
      clock_(clock),
      wbo_limits_{config.limits.max_payload_bytes, 31536000} {}

void SyncService::AttachAccounts(AccountStore& accounts, AccountState& state, Mailer& mailer) {
  accounts_ = &accounts;
  account_state_ = &state;
  mailer_ = &mailer;
}

Response SyncService::Handle(const Request& request) {
  const auto started = std::chrono::steady_clock::now();
  request_time_cs_ = MsToCentiseconds(clock_.NowMs());
  user_id_ = 0;
  client_address_ = ClientAddress(request, config_.server.trusted_proxies);
  Response response;
  try {
    response = Dispatch(request);
  } catch (const BadRequest& error) {
    Log(LogLevel::kDebug) << "400 " << static_cast<int>(error.Code()) << ": " << error.what();
    response = CodeResponse(400, error.Code());
  } catch (const HttpError& error) {
    response = TextResponse(error.Status(), error.what());
    if (error.Status() == 401) {
      response.SetHeader("WWW-Authenticate", "Basic realm=\"Sync\"");
    }
  } catch (const BackendError& error) {
    // The client learns only an incident id; the log has the detail under the same id.
    const std::string incident = HexEncode(RandomBytes(4));
    Log(LogLevel::kError) << "incident " << incident << ": " << error.what();
    response = Unavailable("\"server issue: database unavailable, incident " + incident + "\"");
  } catch (const std::exception& error) {
    const std::string incident = HexEncode(RandomBytes(4));
    Log(LogLevel::kError) << "incident " << incident << ": unexpected: " << error.what();
    response = TextResponse(500, "\"server error, incident " + incident + "\"");
  }
  if (!config_.maintenance.alert.empty()) {
    response.SetHeader("X-Weave-Alert", config_.maintenance.alert);
  }
  if (response.Header("X-Weave-Timestamp") == nullptr) {
    response.SetHeader("X-Weave-Timestamp", FormatTimestamp(request_time_cs_));
  }
  if (config_.log.access_log && LogEnabled(LogLevel::kInfo)) {
    const auto elapsed_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::steady_clock::now() - started)
                                .count();
    Log(LogLevel::kInfo) << client_address_ << ' ' << request.method << ' ' << request.path
                         << " -> " << response.status << " user=" << user_id_
                         << " us=" << elapsed_us;
  }
  return response;
}

Response SyncService::Dispatch(const Request& request) {
  if (request.body_state == BodyState::kTooLarge) {
    return CodeResponse(413, WeaveError::kSizeLimitExceeded);
  }
  if (request.body_state == BodyState::kTruncated) {
    throw BadRequest(WeaveError::kJsonParseFailure, "request body ended early");
  }
  const RouteMatch match = MatchRoute(request.method, request.path);
  if (match.kind == RouteMatch::Kind::kNotFound) {
    return TextResponse(404, "Not Found");
  }
  if (match.kind == RouteMatch::Kind::kMethodNotAllowed) {
    Response response = TextResponse(405, "Method Not Allowed");
    response.SetHeader("Allow", match.allowed_methods);
    return response;
  }
  const PathParams& params = match.params;
  const bool names_user = match.route->pattern.find("{user}") != std::string_view::npos;
  if (names_user && !IsValidUsername(params.user)) {
    throw BadRequest(WeaveError::kInvalidUsername, "invalid user name in path");
  }
  if (config_.maintenance.read_only && request.method != "GET") {
    return Unavailable("\"server issue: read-only maintenance\"");
  }
  if (match.route->needs_auth) {
    Authenticate(request, params);
  }
  if (!params.collection.empty() && !IsValidCollectionName(params.collection)) {
    throw BadRequest(WeaveError::kInvalidCollection, "invalid collection name");
  }
  if (!params.id.empty() && !IsValidItemId(params.id)) {
    throw BadRequest(WeaveError::kInvalidWbo, "invalid id in path");
  }
  return (this->*(match.route->handler))(request, params);
}

void SyncService::Authenticate(const Request& request, const PathParams& params) {
  const std::string* header = request.Header("AUTHORIZATION");
  if (header == nullptr) {
    throw HttpError(401, "Unauthorized");
  }
  const auto credentials = ParseBasicAuth(*header);
  // The path must name the authenticated account, byte for byte.
  if (!credentials || credentials->username != params.user) {
    throw HttpError(401, "Unauthorized");
  }
  const auto user = CheckLogin(request, params.user, credentials->password);
  if (!user) {
    throw HttpError(401, "Unauthorized");
  }
  user_id_ = *user;
}

WriteContext SyncService::MakeWriteContext(const Request& request) const {
  WriteContext context;
  context.request_time_cs = request_time_cs_;
  context.quota_bytes = config_.limits.quota_kib * 1024;
  if (const std::string* since = request.Header("X_IF_UNMODIFIED_SINCE")) {
    const auto parsed = ParseTimestamp(*since);
    if (!parsed) {
      throw BadRequest(WeaveError::kIllegalMethod, "invalid X-If-Unmodified-Since");
    }
    context.if_unmodified_since_cs = *parsed;
  }
  return context;
}

std::optional<UserId> SyncService::CheckLogin(const Request& request, std::string_view username,
                                              std::string_view password) {
  const AccountsConfig& accounts = config_.accounts;
  const LockoutPolicy user_lockout{accounts.lockout_max_failures, accounts.lockout_window_seconds,
                                   accounts.lockout_seconds};
  const LockoutPolicy address_lockout{accounts.lockout_max_failures_per_address,
                                      accounts.lockout_window_seconds, accounts.lockout_seconds};
  const bool lockout_on = account_state_ != nullptr &&
                          (user_lockout.max_failures > 0 || address_lockout.max_failures > 0);
  const std::string user_key = "user:" + std::string(username);
  const std::string address_key = "addr:" + client_address_;
  if (lockout_on && account_state_->IsLocked(user_key, address_key)) {
    AuditEvent(SecurityEvent::kAccountLocked, username, request);
    throw HttpError(401, "Account locked");
  }
  const auto user = authenticator_.Authenticate(username, password);
  if (!user) {
    Log(LogLevel::kWarning) << "failed login for user " << username << " from " << client_address_;
    AuditEvent(SecurityEvent::kLoginFailed, username, request);
    if (lockout_on) {
      account_state_->RecordFailure(user_key, user_lockout);
      account_state_->RecordFailure(address_key, address_lockout);
    }
  }
  return user;
}

Response SyncService::WriteRefused(const WriteResult& result) const {
  if (result.status == WriteStatus::kModifiedSince) {
    return CodeResponse(412, WeaveError::kCannotOverwrite);
  }
  return CodeResponse(400, WeaveError::kOverQuota);
}

void SyncService::AddQuotaHeader(const WriteResult& result, Response& response) const {
  const int64_t quota_bytes = config_.limits.quota_kib * 1024;
  if (quota_bytes <= 0) {
    return;
  }
  const int64_t remaining_bytes = quota_bytes - result.usage_bytes;
  // Clients show a warning once less than a megabyte is left.
  if (remaining_bytes <= int64_t{1024} * 1024) {
    char text[32];
    snprintf(text, sizeof text, "%.2f", static_cast<double>(remaining_bytes) / 1024.0);
    response.SetHeader("X-Weave-Quota-Remaining", text);
  }
}

// 503 with the headers that make clients back off instead of retrying at once.
Response SyncService::Unavailable(std::string_view body) const {
  Response response = TextResponse(503, body);
  response.content_type = "application/json";
  const std::string retry_after = std::to_string(config_.server.retry_after_seconds);
  response.SetHeader("Retry-After", retry_after);
  response.SetHeader("X-Weave-Backoff", retry_after);
  return response;
}

Response SyncService::GetHeartbeat(const Request& /*request*/, const PathParams& /*params*/) {
  storage_.CheckHealth();
  authenticator_.CheckHealth();
  return TextResponse(200, "OK");
}

Response SyncService::TimestampResponse(int64_t timestamp_cs) const {
  Response response;
  AppendTimestamp(timestamp_cs, response.body);
  response.SetHeader("X-Weave-Timestamp", response.body);
  return response;
}

}  // namespace weave
