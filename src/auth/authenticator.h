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

  // A cheap value that changes whenever the account's password or enabled state changes,
  // and whenever the account is deleted and another one takes its name (the SQL store: its
  // id, stored hash and status). A cached login counts only while this is unchanged, so no
  // worker hands a new account the id of a deleted one. A back end may follow only the
  // replacement (the read-only directory: its enrolment id); nullopt when it has no cheap
  // check at all. What the stamp does not follow, only the cache's lifetime bounds (how long
  // a revoked password keeps working). Throws BackendError like Authenticate.
  virtual std::optional<std::string> CredentialStamp(std::string_view /*username*/) {
    return std::nullopt;
  }

  // Returns if the back end can answer; throws BackendError otherwise.
  virtual void CheckHealth() = 0;
};

}  // namespace weave
