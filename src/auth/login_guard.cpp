// Login checks under the lockout rules, with every failure in the security log.
#include "auth/login_guard.h"

#include <string>

#include "core/log.h"

namespace weave {
namespace {

std::string UserKey(std::string_view username) {
  return "user:" + std::string(username);
}

}  // namespace

LoginGuard::LoginGuard(Authenticator& authenticator, LoginFailures& failures,
                       const AccountsConfig& policy)
    : authenticator_(authenticator),
      failures_(failures),
      per_user_{policy.lockout_max_failures, policy.lockout_window_seconds, policy.lockout_seconds},
      per_address_{policy.lockout_max_failures_per_address, policy.lockout_window_seconds,
                   policy.lockout_seconds} {}

bool LoginGuard::LockoutEnabled() const {
  return per_user_.max_failures > 0 || per_address_.max_failures > 0;
}

LoginResult LoginGuard::Check(std::string_view username, std::string_view password,
                              const EventSource& source) {
  const std::string user_key = UserKey(username);
  const std::string address_key = "addr:" + std::string(source.address);
  if (LockoutEnabled() && failures_.IsLocked(user_key, address_key)) {
    LogSecurityEvent(SecurityEvent::kAccountLocked, username, source);
    return {LoginStatus::kLocked, 0};
  }
  const auto user = authenticator_.Authenticate(username, password);
  if (user) {
    return {LoginStatus::kAccepted, *user};
  }
  Log(LogLevel::kWarning) << "failed login for user " << username << " from " << source.address;
  LogSecurityEvent(SecurityEvent::kLoginFailed, username, source);
  if (LockoutEnabled()) {
    failures_.RecordFailure(user_key, per_user_);
    failures_.RecordFailure(address_key, per_address_);
  }
  return {LoginStatus::kRejected, 0};
}

void LoginGuard::ClearUserFailures(std::string_view username) {
  failures_.ClearFailures(UserKey(username));
}

}  // namespace weave
