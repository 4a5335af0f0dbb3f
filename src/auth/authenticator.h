// Who is this user, and is the password right: the interface every auth back end implements.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/user_name.h"

namespace weave {

// One instance per worker; not thread-safe.
class Authenticator {
 public:
  Authenticator() = default;
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;
  virtual ~Authenticator() = default;

  // The account's storage key if username/password are right and the account is enabled;
  // nullopt otherwise (an unknown user, a wrong password and a disabled account look the
  // same). Throws BackendError when the back end cannot answer: that becomes a 503, never a
  // 401, because a 401 makes clients ask the user for a new password.
  virtual std::optional<UserId> Authenticate(std::string_view username,
                                             std::string_view password) = 0;

  // A cheap value (one indexed SQL read) that changes whenever the account's password or
  // enabled state changes, and whenever the account is deleted and another one takes its
  // name (the SQL store: its id, stored hash and status; LDAP: a generation counter bumped
  // by every change made through this server). A cached login counts only while this is
  // unchanged, so no worker hands a new account the id of a deleted one. nullopt when the
  // back end has no cheap check; what the stamp does not follow, only the cache's rechecks
  // and lifetime bound. Throws BackendError like Authenticate.
  virtual std::optional<std::string> CredentialStamp(std::string_view /*username*/) {
    return std::nullopt;
  }

  // A costlier value (a directory search, far cheaper than a password check) that changes
  // when the account changes where CredentialStamp cannot see it: edited in the directory
  // itself (password, enabled flag, group membership, the entry deleted or replaced). The
  // login cache reads it before each real password check and then at most every recheck
  // interval per cached login. nullopt when the back end has no such check (the SQL store
  // needs none; a directory nobody may search): then only the cache's lifetime bounds how
  // long such a change goes unnoticed. Throws BackendError like Authenticate.
  virtual std::optional<std::string> RecheckStamp(std::string_view /*username*/) {
    return std::nullopt;
  }

  // A hint that Authenticate(username, password) follows within this request, with what
  // CredentialStamp reads already at hand (read ahead, auth/login_failures.h): a login
  // cache may start looking the login up. Never throws. Here: nothing.
  virtual void Anticipate(std::string_view /*username*/, std::string_view /*password*/) {}

  // Returns if the back end can answer; throws BackendError otherwise.
  virtual void CheckHealth() = 0;
};

}  // namespace weave
