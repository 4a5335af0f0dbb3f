// The login cache of every auth back end: a decorator that remembers verified logins for a
// while in a VerifiedLogins store (shared by all workers of a server), so the slow password
// hash or directory bind is not re-run per request, nor per worker.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/account_store.h"
#include "auth/verified_logins.h"
#include "core/clock.h"

namespace weave {

// Authenticate answers from a store of verified logins (VerifiedLogins) when the same user
// logged in with the same password less than ttl_seconds ago, in this worker or (with a
// shared store) in any other, and nothing the back end reports has changed since:
//   * CredentialStamp, the account generation, read on every login (cheap) and part of the
//     store's key: a change made through this server in any worker or by weave-admin (SQL:
//     the id, generation, stored hash and status; LDAP: the generation counter) makes the
//     remembered login unreachable at once, in every worker;
//   * RecheckStamp, read before the password is checked and then again whenever
//     recheck_seconds have passed since the last reading began (a directory search, by the
//     worker that finds it due; by each of them if several do before the first one has its
//     answer): a change made in the directory itself ends the remembered login within
//     recheck_seconds, in every worker. If that reading fails (the directory is down) the login
//     stays until its lifetime ends, and is rechecked recheck_seconds later.
// Both stamps are read before the password check, so a change racing with it leaves an
// entry that is not trusted next time. The store keeps only a MAC of (user, password,
// generation), never the password. A wrong password goes to the back end but leaves a
// remembered login alone: wrong guesses must not evict a real login (nor make it depend on
// the back end being up). Every other call passes through. Errors are the back end's
// (BackendError). Borrows backend, clock and the store, which must outlive this object. One
// per worker; not thread-safe.
class CachingAccountBackend final : public AccountBackend {
 public:
  // ttl_seconds 0: no caching, every call passes through. recheck_seconds 0: RecheckStamp
  // on every cached login; at or above ttl_seconds: only when the password is checked.
  CachingAccountBackend(AccountBackend& backend, int ttl_seconds, int recheck_seconds,
                        const Clock& clock, VerifiedLogins& logins);
  // The same with a store of this object's own (kOwnEntries logins), shared with nobody.
  CachingAccountBackend(AccountBackend& backend, int ttl_seconds, int recheck_seconds,
                        const Clock& clock);

  static constexpr size_t kOwnEntries = 1024;

  std::optional<UserId> Authenticate(std::string_view username, std::string_view password) override;
  std::optional<std::string> CredentialStamp(std::string_view username) override;
  // Hands the store the key Authenticate will look up (VerifiedLogins::Anticipate).
  void Anticipate(std::string_view username, std::string_view password) override;
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

  // Logins checked for real by the back end through this object (each is logged at debug
  // level as "login cache: checking the password of NAME").
  int64_t RealChecks() const { return real_checks_; }

 private:
  // A remembered login: true if it still counts, after reading RecheckStamp when that is
  // due (and noting in the store when it is due next).
  bool PassesRecheck(std::string_view username, std::string_view key, VerifiedLogin& login);

  AccountBackend& backend_;
  const int ttl_seconds_;
  const int recheck_seconds_;
  const Clock& clock_;
  std::unique_ptr<VerifiedLogins> own_logins_;  // only without a store from outside
  VerifiedLogins& logins_;
  int64_t real_checks_ = 0;
};

}  // namespace weave
