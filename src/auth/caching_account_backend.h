// The login cache of every auth back end: a decorator that remembers verified logins for a
// while, so a worker does not re-run a slow password hash or a directory bind per request.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/account_store.h"
#include "core/clock.h"

namespace weave {

// Authenticate answers from the cache when the same user logged in with the same password
// less than ttl_seconds ago and nothing the back end reports has changed since:
//   * CredentialStamp, read on every cached login (cheap): a change made through this server
//     in any worker (SQL: the stored hash and status; LDAP: the generation counter) ends
//     the cached login at once;
//   * RecheckStamp, read before the password is checked and then again whenever
//     recheck_seconds have passed since the last reading (a directory search): a change made
//     in the directory itself ends the cached login within recheck_seconds. If that reading
//     fails (the directory is down) the cached login stays until its lifetime ends, and is
//     rechecked recheck_seconds later.
// Both stamps are read before the password check, so a change racing with it leaves an
// entry that is not trusted next time. Only a salted digest of the password is kept, never
// the password. A wrong password goes to the back end but leaves a cached login alone:
// wrong guesses must not evict a real login (nor make it depend on the back end being up).
// Every other call passes through; the account changes (CreateUser, SetPassword, SetEmail,
// DeleteUser) forget that user's cached login here, while the other workers learn of them
// by CredentialStamp. Errors are the back end's (BackendError). Borrows backend and clock,
// which must outlive this object. One per worker; not thread-safe.
class CachingAccountBackend final : public AccountBackend {
 public:
  // ttl_seconds 0: no caching, every call passes through. recheck_seconds 0: RecheckStamp
  // on every cached login; at or above ttl_seconds: only when the password is checked.
  CachingAccountBackend(AccountBackend& backend, int ttl_seconds, int recheck_seconds,
                        const Clock& clock);

  std::optional<UserId> Authenticate(std::string_view username, std::string_view password) override;
  std::optional<std::string> CredentialStamp(std::string_view username) override;
  void CheckHealth() override;

  std::optional<AccountInfo> FindUser(std::string_view username) override;
  CreateResult CreateUser(std::string_view username, std::string_view password,
                          std::string_view email) override;
  ChangeOutcome SetPassword(std::string_view username, std::string_view password) override;
  ChangeOutcome SetEmail(std::string_view username, std::string_view email) override;
  std::optional<UserId> DeleteUser(std::string_view username) override;
  std::optional<std::string> ExternalPasswordNotice() const override;
  std::optional<std::string> StoredNodeHost(std::string_view username) override;
  void StoreNodeHost(std::string_view username, std::string_view host) override;

  // Forgets username's cached login, for changes made behind this object's back (such as
  // weave-admin disabling an account in this process).
  void Forget(std::string_view username);

 private:
  struct CachedLogin {
    std::string password_digest;
    std::optional<std::string> stamp;          // CredentialStamp
    std::optional<std::string> recheck_stamp;  // RecheckStamp; nullopt: never rechecked
    UserId id = 0;
    int64_t expires_ms = 0;
    int64_t recheck_ms = 0;  // when RecheckStamp is due again
  };
  std::string DigestPassword(std::string_view password) const;
  // A cached login whose password matched: true if it still counts, after reading
  // RecheckStamp when that is due.
  bool PassesRecheck(std::string_view username, CachedLogin& entry);

  AccountBackend& backend_;
  const int ttl_seconds_;
  const int recheck_seconds_;
  const Clock& clock_;
  const std::string salt_;
  std::unordered_map<std::string, CachedLogin> logins_;
};

}  // namespace weave
