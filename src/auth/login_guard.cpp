// Login checks under the lockout rules, with every failure in the security log.
#include "auth/login_guard.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "core/errors.h"
#include "core/log.h"
#include "core/metrics.h"

namespace weave {
namespace {

constexpr int64_t kRememberEverySeconds = 3600;
constexpr size_t kMaxRemembered = 10000;

std::string UserKey(std::string_view username) {
  return "user:" + std::string(username);
}

bool Contains(const std::vector<std::string>& keys, const std::string& key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// Forgets the account row read ahead when a login check ends, however it ends: a later
// request must read the account afresh.
class ReadAheadScope {
 public:
  explicit ReadAheadScope(AccountReadAhead* read_ahead) : read_ahead_(read_ahead) {}
  ReadAheadScope(const ReadAheadScope&) = delete;
  ReadAheadScope& operator=(const ReadAheadScope&) = delete;
  ~ReadAheadScope() {
    if (read_ahead_ != nullptr) {
      read_ahead_->ForgetReadAhead();
    }
  }

 private:
  AccountReadAhead* read_ahead_;
};

}  // namespace

LoginGuard::LoginGuard(Authenticator& authenticator, LoginFailures& failures,
                       const AccountsConfig& policy, const Clock& clock,
                       AccountReadAhead* read_ahead)
    : authenticator_(authenticator),
      failures_(failures),
      clock_(clock),
      read_ahead_(read_ahead),
      per_user_{policy.lockout_max_failures, policy.lockout_window_seconds, policy.lockout_seconds},
      per_address_{policy.lockout_max_failures_per_address, policy.lockout_window_seconds,
                   policy.lockout_seconds},
      trust_seconds_(int64_t{policy.trusted_address_days} * 86400) {}

LoginGuard::AttemptKeys LoginGuard::KeysOf(std::string_view username, const EventSource& source) {
  AttemptKeys keys;
  keys.address = AddressKey(source.address);
  keys.user = UserKey(username);
  keys.from_address = "addr:" + keys.address;
  keys.pair = "pair:" + keys.address + " " + std::string(username);
  return keys;
}

bool LoginGuard::LockoutEnabled() const {
  return per_user_.max_failures > 0 || per_address_.max_failures > 0;
}

bool LoginGuard::MayTry(std::string_view username, const EventSource& source) {
  return !LockoutEnabled() || MayTry(username, source, KeysOf(username, source), nullptr);
}

std::vector<std::string> LoginGuard::LockoutKeys(std::string_view username,
                                                 const EventSource& source) {
  const AttemptKeys keys = KeysOf(username, source);
  return {keys.pair, keys.user, keys.from_address};
}

bool LoginGuard::MayTry(std::string_view username, const EventSource& source,
                        const AttemptKeys& keys, AccountReadAhead* read_ahead,
                        std::optional<LoginReads> reads) {
  // One query in the common case (the account's row with it), or none when another
  // statement read both; the trusted-address lookup only under a lockout.
  std::vector<std::string> locked;
  if (reads && read_ahead != nullptr) {
    locked = std::move(reads->locked);
    read_ahead->UseReadAhead(username, std::move(reads->account));
  } else if (read_ahead != nullptr) {
    std::optional<AccountRow> account;
    locked = failures_.LockedKeysAndAccount({keys.pair, keys.user, keys.from_address}, username,
                                            &account);
    read_ahead->UseReadAhead(username, std::move(account));
  } else {
    locked = failures_.LockedKeys({keys.pair, keys.user, keys.from_address});
  }
  bool refused = Contains(locked, keys.pair);
  if (!refused && (Contains(locked, keys.user) || Contains(locked, keys.from_address))) {
    refused =
        trust_seconds_ <= 0 || !failures_.IsTrustedAddress(username, keys.address, trust_seconds_);
  }
  if (refused) {
    CountMetric(MetricEvent::kLockout);
    LogSecurityEvent(SecurityEvent::kAccountLocked, username, source);
  }
  return !refused;
}

void LoginGuard::RecordRejected(std::string_view username, const EventSource& source) {
  RecordRejected(username, source, KeysOf(username, source));
}

void LoginGuard::RecordRejected(std::string_view username, const EventSource& source,
                                const AttemptKeys& keys) {
  Log(LogLevel::kWarning)
          .Field("event", "login_failed")
          .Field("user", username)
          .Field("client", source.address)
      << "failed login for user " << username << " from " << source.address;
  LogSecurityEvent(SecurityEvent::kLoginFailed, username, source);
  if (!LockoutEnabled()) {
    return;
  }
  failures_.RecordFailure(keys.pair, per_user_);
  failures_.RecordFailure(keys.user, per_user_);
  failures_.RecordFailure(keys.from_address, per_address_);
}

void LoginGuard::RecordAccepted(std::string_view username, const EventSource& source) {
  RecordAccepted(username, KeysOf(username, source));
}

void LoginGuard::RecordAccepted(std::string_view username, const AttemptKeys& keys) {
  if (!LockoutEnabled() || trust_seconds_ <= 0) {
    return;
  }
  const std::string memo = keys.address + " " + std::string(username);
  const int64_t now_s = clock_.NowMs() / 1000;
  const auto found = remembered_s_.find(memo);
  if (found != remembered_s_.end() && now_s - found->second < kRememberEverySeconds) {
    return;
  }
  if (remembered_s_.size() >= kMaxRemembered) {
    remembered_s_.clear();
  }
  try {
    failures_.RememberTrustedAddress(username, keys.address);
  } catch (const BackendError& error) {
    // The password was right: a database that cannot take writes (a full disk, a
    // read-only file system) must not turn this read into a 503. The address is remembered
    // at a later login.
    Log(LogLevel::kWarning) << "login of " << username
                            << " accepted, its address not remembered: " << error.what();
    return;
  }
  remembered_s_[memo] = now_s;
}

LoginResult LoginGuard::Check(std::string_view username, std::string_view password,
                              const EventSource& source) {
  return CheckWith(username, password, source, std::nullopt);
}

LoginResult LoginGuard::CheckRead(std::string_view username, std::string_view password,
                                  const EventSource& source, LoginReads reads) {
  if (!ReadsCanRide()) {
    throw std::logic_error("LoginGuard::CheckRead without a read-ahead and lockout");
  }
  return CheckWith(username, password, source, std::move(reads));
}

void LoginGuard::Anticipate(std::string_view username, std::string_view password,
                            const std::optional<AccountRow>& account) {
  if (read_ahead_ == nullptr) {
    return;
  }
  const ReadAheadScope read_ahead(read_ahead_);
  read_ahead_->UseReadAhead(username, account);
  authenticator_.Anticipate(username, password);
}

LoginResult LoginGuard::CheckWith(std::string_view username, std::string_view password,
                                  const EventSource& source, std::optional<LoginReads> reads) {
  const AttemptKeys keys = KeysOf(username, source);
  const ReadAheadScope read_ahead(read_ahead_);
  if (LockoutEnabled() && !MayTry(username, source, keys, read_ahead_, std::move(reads))) {
    return {LoginStatus::kLocked, 0};
  }
  const auto user = authenticator_.Authenticate(username, password);
  if (!user) {
    RecordRejected(username, source, keys);
    return {LoginStatus::kRejected, 0};
  }
  RecordAccepted(username, keys);
  return {LoginStatus::kAccepted, *user};
}

void LoginGuard::ClearUserFailures(std::string_view username) {
  failures_.ClearFailures(UserKey(username));
}

void LoginGuard::ForgetAccount(std::string_view username) {
  failures_.ForgetTrustedAddresses(username);
  const std::string suffix = " " + std::string(username);
  std::erase_if(remembered_s_,
                [&suffix](const auto& entry) { return entry.first.ends_with(suffix); });
}

}  // namespace weave
