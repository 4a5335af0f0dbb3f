// The login cache: remembered logins keyed by (user, password, account generation) in a
// store of verified logins, with a lifetime and the back end's recheck stamp, in front of
// any AccountBackend.
#include "auth/caching_account_backend.h"

#include "auth/shared_login_table.h"
#include "core/errors.h"
#include "core/log.h"

namespace weave {

CachingAccountBackend::CachingAccountBackend(AccountBackend& backend, int ttl_seconds,
                                             int recheck_seconds, const Clock& clock,
                                             VerifiedLogins& logins)
    : backend_(backend),
      ttl_seconds_(ttl_seconds),
      recheck_seconds_(recheck_seconds),
      clock_(clock),
      logins_(logins) {}

CachingAccountBackend::CachingAccountBackend(AccountBackend& backend, int ttl_seconds,
                                             int recheck_seconds, const Clock& clock)
    : backend_(backend),
      ttl_seconds_(ttl_seconds),
      recheck_seconds_(recheck_seconds),
      clock_(clock),
      own_logins_(std::make_unique<SharedLoginTable>(kOwnEntries)),
      logins_(*own_logins_) {}

std::optional<UserId> CachingAccountBackend::Authenticate(std::string_view username,
                                                          std::string_view password) {
  if (ttl_seconds_ <= 0) {
    ++real_checks_;
    return backend_.Authenticate(username, password);
  }
  // Read before the check: if the account changes in between, the login is remembered
  // under the old generation and is not found next time.
  const std::optional<std::string> stamp = backend_.CredentialStamp(username);
  const std::string key = logins_.LoginKey(username, password, stamp);
  if (auto found = logins_.Check(key, clock_.NowMs())) {
    if (PassesRecheck(username, key, *found)) {
      return found->id;
    }
    logins_.Forget(key);
  }
  const std::optional<std::string> recheck_stamp = backend_.RecheckStamp(username);
  const int64_t now = clock_.NowMs();
  ++real_checks_;
  Log(LogLevel::kDebug) << "login cache: checking the password of " << username;
  const auto id = backend_.Authenticate(username, password);
  if (id) {
    logins_.Remember(key,
                     VerifiedLogin{*id, now + ttl_seconds_ * 1000LL, RecheckDigest(recheck_stamp),
                                   now + recheck_seconds_ * 1000LL},
                     now);
  }
  return id;
}

bool CachingAccountBackend::PassesRecheck(std::string_view username, std::string_view key,
                                          VerifiedLogin& login) {
  const int64_t now = clock_.NowMs();
  if (login.recheck_digest.empty() || now < login.recheck_due_ms) {
    return true;
  }
  // The next reading is due recheck_seconds after this one started, for every worker, but
  // only once this one has answered: until then other workers that find it due search too,
  // rather than trust a login the search in flight may be about to drop. A directory that is
  // down costs one failed search per interval, not one per request.
  std::optional<std::string> current;
  try {
    current = backend_.RecheckStamp(username);
  } catch (const BackendError& error) {
    Log(LogLevel::kWarning) << "login cache: cannot recheck " << username
                            << ", keeping the cached login: " << error.what();
    login.recheck_due_ms = now + recheck_seconds_ * 1000LL;
    logins_.Remember(key, login, now);
    return true;
  }
  if (RecheckDigest(current) != login.recheck_digest) {
    return false;
  }
  login.recheck_due_ms = now + recheck_seconds_ * 1000LL;
  logins_.Remember(key, login, now);
  return true;
}

std::optional<std::string> CachingAccountBackend::CredentialStamp(std::string_view username) {
  return backend_.CredentialStamp(username);
}

void CachingAccountBackend::Anticipate(std::string_view username, std::string_view password) {
  if (ttl_seconds_ <= 0) {
    return;
  }
  try {
    logins_.Anticipate(logins_.LoginKey(username, password, backend_.CredentialStamp(username)));
  } catch (const BackendError&) {  // only a hint: Authenticate reads the stamp again
  }
}

void CachingAccountBackend::CheckHealth() {
  backend_.CheckHealth();
}

std::optional<AccountInfo> CachingAccountBackend::FindUser(std::string_view username) {
  return backend_.FindUser(username);
}

// The account changes below move the account generation (CredentialStamp), which is part of
// every remembered login's key: nothing needs forgetting here, nor in the other workers.
CreateResult CachingAccountBackend::CreateUser(std::string_view username, std::string_view password,
                                               std::string_view email) {
  return backend_.CreateUser(username, password, email);
}

ChangeOutcome CachingAccountBackend::SetPassword(std::string_view username,
                                                 std::string_view password) {
  return backend_.SetPassword(username, password);
}

ChangeOutcome CachingAccountBackend::SetEmail(std::string_view username, std::string_view email) {
  return backend_.SetEmail(username, email);
}

std::optional<UserId> CachingAccountBackend::DeleteUser(std::string_view username) {
  return backend_.DeleteUser(username);
}

std::optional<std::string> CachingAccountBackend::ExternalPasswordNotice() const {
  return backend_.ExternalPasswordNotice();
}

std::optional<std::string> CachingAccountBackend::StoredNodeHost(std::string_view username) {
  return backend_.StoredNodeHost(username);
}

void CachingAccountBackend::StoreNodeHost(std::string_view username, std::string_view host) {
  backend_.StoreNodeHost(username, host);
}

}  // namespace weave
