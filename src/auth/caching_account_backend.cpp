// The login cache: salted password digests with a lifetime and the back end's credential
// stamp, in front of any AccountBackend.
#include "auth/caching_account_backend.h"

#include "core/crypto.h"

namespace weave {
namespace {

// Bounds the cache; past this many users a worker starts over (cheap, and rare).
constexpr size_t kMaxCachedLogins = 10000;

}  // namespace

CachingAccountBackend::CachingAccountBackend(AccountBackend& backend, int ttl_seconds,
                                             const Clock& clock)
    : backend_(backend), ttl_seconds_(ttl_seconds), clock_(clock), salt_(RandomBytes(16)) {}

std::string CachingAccountBackend::DigestPassword(std::string_view password) const {
  std::string salted = salt_;
  salted.append(password);
  return Sha256(salted);
}

std::optional<UserId> CachingAccountBackend::Authenticate(std::string_view username,
                                                          std::string_view password) {
  if (ttl_seconds_ <= 0) {
    return backend_.Authenticate(username, password);
  }
  const std::string key(username);
  const std::string digest = DigestPassword(password);
  // Read before the check: if the password changes in between, the entry carries the old
  // stamp and is not trusted next time.
  const std::optional<std::string> stamp = backend_.CredentialStamp(username);
  if (const auto found = logins_.find(key); found != logins_.end()) {
    const CachedLogin& entry = found->second;
    if (clock_.NowMs() >= entry.expires_ms || entry.stamp != stamp) {
      logins_.erase(found);
    } else if (ConstantTimeEquals(entry.password_digest, digest)) {
      return entry.id;
    }
  }
  const auto id = backend_.Authenticate(username, password);
  if (id) {
    if (logins_.size() >= kMaxCachedLogins) {
      logins_.clear();
    }
    logins_[key] = CachedLogin{digest, stamp, *id, clock_.NowMs() + ttl_seconds_ * 1000LL};
  }
  return id;
}

std::optional<std::string> CachingAccountBackend::CredentialStamp(std::string_view username) {
  return backend_.CredentialStamp(username);
}

void CachingAccountBackend::CheckHealth() {
  backend_.CheckHealth();
}

std::optional<AccountInfo> CachingAccountBackend::FindUser(std::string_view username) {
  return backend_.FindUser(username);
}

CreateResult CachingAccountBackend::CreateUser(std::string_view username, std::string_view password,
                                               std::string_view email) {
  Forget(username);
  return backend_.CreateUser(username, password, email);
}

ChangeOutcome CachingAccountBackend::SetPassword(std::string_view username,
                                                 std::string_view password) {
  Forget(username);
  return backend_.SetPassword(username, password);
}

ChangeOutcome CachingAccountBackend::SetEmail(std::string_view username, std::string_view email) {
  Forget(username);
  return backend_.SetEmail(username, email);
}

std::optional<UserId> CachingAccountBackend::DeleteUser(std::string_view username) {
  Forget(username);
  return backend_.DeleteUser(username);
}

std::optional<std::string> CachingAccountBackend::ExternalPasswordNotice() const {
  return backend_.ExternalPasswordNotice();
}

void CachingAccountBackend::Forget(std::string_view username) {
  logins_.erase(std::string(username));
}

}  // namespace weave
