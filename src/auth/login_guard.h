// The one place a password is checked for a login: lockout first, then the authenticator,
// then failure counting and the security log. Basic auth, the account pages and password
// changes all go through it, so none of them can be used to guess without limit.
#pragma once

#include <string_view>

#include "auth/authenticator.h"
#include "auth/login_failures.h"
#include "core/config.h"
#include "core/security_log.h"
#include "core/user_name.h"

namespace weave {

enum class LoginStatus {
  kAccepted,
  kRejected,  // wrong password, unknown user or disabled account (counted as a failure)
  kLocked     // the user name or the client address is locked out; the password was not tried
};

struct LoginResult {
  LoginStatus status = LoginStatus::kRejected;
  UserId user_id = 0;  // set when kAccepted
};

// Borrows everything; one per worker. Throws BackendError when the authenticator or the
// failure counters cannot answer.
class LoginGuard {
 public:
  LoginGuard(Authenticator& authenticator, LoginFailures& failures, const AccountsConfig& policy);

  LoginResult Check(std::string_view username, std::string_view password,
                    const EventSource& source);

  // Forgets the failures counted against a user name (after a reset by mail proves control
  // of the account).
  void ClearUserFailures(std::string_view username);

 private:
  bool LockoutEnabled() const;

  Authenticator& authenticator_;
  LoginFailures& failures_;
  const LockoutPolicy per_user_;
  const LockoutPolicy per_address_;
};

}  // namespace weave
