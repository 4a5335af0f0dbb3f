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
// less than ttl_seconds ago and the back end's CredentialStamp is unchanged since (so a
// password change or a disabled account takes effect at once where the back end has a stamp,
// and after at most ttl_seconds where it has none). Only a salted digest of the password is
// kept, never the password. A wrong password goes to the back end but leaves a cached login
// alone: wrong guesses must not evict a real login (nor make it depend on the back end being
// up). Every other call passes through; the account changes (CreateUser, SetPassword,
// SetEmail, DeleteUser) forget that user's cached login. Errors are the back end's
// (BackendError). Borrows backend and clock, which must outlive this object. One per worker;
// not thread-safe.
class CachingAccountBackend final : public AccountBackend {
 public:
  // ttl_seconds 0: no caching, every call passes through.
  CachingAccountBackend(AccountBackend& backend, int ttl_seconds, const Clock& clock);

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

  // Forgets username's cached login, for changes made behind this object's back (such as
  // weave-admin disabling an account in this process).
  void Forget(std::string_view username);

 private:
  struct CachedLogin {
    std::string password_digest;
    std::optional<std::string> stamp;
    UserId id = 0;
    int64_t expires_ms = 0;
  };
  std::string DigestPassword(std::string_view password) const;

  AccountBackend& backend_;
  const int ttl_seconds_;
  const Clock& clock_;
  const std::string salt_;
  std::unordered_map<std::string, CachedLogin> logins_;
};

}  // namespace weave
