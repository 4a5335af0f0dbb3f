// The login cache: salted password digests with a lifetime, the back end's credential stamp
// and its recheck stamp, in front of any AccountBackend.
#include "auth/caching_account_backend.h"

#include "core/crypto.h"
#include "core/errors.h"
#include "core/log.h"

namespace weave {
namespace {

// Bounds the cache; past this many users a worker starts over (cheap, and rare).
constexpr size_t kMaxCachedLogins = 10000;

}  // namespace

CachingAccountBackend::CachingAccountBackend(AccountBackend& backend, int ttl_seconds,
                                             int recheck_seconds, const Clock& clock)
    : backend_(backend),
      ttl_seconds_(ttl_seconds),
      recheck_seconds_(recheck_seconds),
      clock_(clock),
      salt_(RandomBytes(16)) {}

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
  // Read before the check: if the account changes in between, the entry carries the old
  // stamp and is not trusted next time.
  const std::optional<std::string> stamp = backend_.CredentialStamp(username);
  if (const auto found = logins_.find(key); found != logins_.end()) {
    CachedLogin& entry = found->second;
    if (clock_.NowMs() >= entry.expires_ms || entry.stamp != stamp) {
      logins_.erase(found);
    } else if (ConstantTimeEquals(entry.password_digest, digest)) {
      if (PassesRecheck(username, entry)) {
        return entry.id;
      }
      logins_.erase(found);
    }
  }
  const std::optional<std::string> recheck_stamp = backend_.RecheckStamp(username);
  const auto id = backend_.Authenticate(username, password);
  if (id) {
    if (logins_.size() >= kMaxCachedLogins) {
      logins_.clear();
    }
    const int64_t now = clock_.NowMs();
    logins_[key] = CachedLogin{digest,
                               stamp,
                               recheck_stamp,
                               *id,
                               now + ttl_seconds_ * 1000LL,
                               now + recheck_seconds_ * 1000LL};
  }
  return id;
}

bool CachingAccountBackend::PassesRecheck(std::string_view username, CachedLogin& entry) {
  const int64_t now = clock_.NowMs();
  if (!entry.recheck_stamp || now < entry.recheck_ms) {
    return true;
  }
  // Whatever the answer, the next reading is due recheck_seconds from now: a directory that
  // is down costs one failed search per interval, not one per request.
  entry.recheck_ms = now + recheck_seconds_ * 1000LL;
  std::optional<std::string> current;
  try {
    current = backend_.RecheckStamp(username);
  } catch (const BackendError& error) {
    Log(LogLevel::kWarning) << "login cache: cannot recheck " << username
                            << ", keeping the cached login: " << error.what();
    return true;
  }
  return current == entry.recheck_stamp;
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

std::optional<std::string> CachingAccountBackend::StoredNodeHost(std::string_view username) {
  return backend_.StoredNodeHost(username);
}

void CachingAccountBackend::StoreNodeHost(std::string_view username, std::string_view host) {
  backend_.StoreNodeHost(username, host);
}

void CachingAccountBackend::Forget(std::string_view username) {
  logins_.erase(std::string(username));
}

}  // namespace weave
