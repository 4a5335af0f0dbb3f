// The one place a password is checked for a login: lockout first, then the authenticator,
// then failure counting and the security log. Basic auth, enrolment in a directory, the
// account pages and password changes all go through it, so none of them can be used to
// guess without limit.
//
// Lockout is designed so that a guesser cannot deny service to an account's owner. Wrong
// passwords are counted per user name, per client address (IPv6 by its /64) and per pair.
// A locked user name is refused only from addresses it has not logged in from successfully
// lately; a locked address is refused only for names it has not logged in as lately; a
// locked pair (a guesser at the owner's own address) is refused always.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/authenticator.h"
#include "auth/login_failures.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/security_log.h"
#include "core/user_name.h"

namespace weave {

enum class LoginStatus {
  kAccepted,
  kRejected,  // wrong password, unknown user or disabled account (counted as a failure)
  kLocked     // locked out (see above); the password was not tried
};

struct LoginResult {
  LoginStatus status = LoginStatus::kRejected;
  UserId user_id = 0;  // set when kAccepted
};

// Borrows everything; one per worker, not thread-safe. Throws BackendError when the
// authenticator or the failure counters cannot answer.
class LoginGuard {
 public:
  // With read_ahead (the SQL user store, when it is the authenticator's back end), Check
  // reads the account's row in the statement of the lockout check and hands it over, so a
  // login costs one statement.
  LoginGuard(Authenticator& authenticator, LoginFailures& failures, const AccountsConfig& policy,
             const Clock& clock, AccountReadAhead* read_ahead = nullptr);

  // Checks username/password from source under the lockout rules.
  LoginResult Check(std::string_view username, std::string_view password,
                    const EventSource& source);

  // What Check reads first (the locked keys among LockoutKeys, and the account's row), when
  // a statement of someone else's read it (a LoginRider, auth/login_rider.h).
  struct LoginReads {
    std::vector<std::string> locked;
    std::optional<AccountRow> account;
  };
  // True when Check's reads can be done elsewhere: the SQL user store reads ahead and the
  // lockout is on (its query is the one that carries the account's row).
  bool ReadsCanRide() const { return read_ahead_ != nullptr && LockoutEnabled(); }
  // The lockout keys Check reads for an attempt, in the order it binds them.
  static std::vector<std::string> LockoutKeys(std::string_view username, const EventSource& source);
  // Check with its reads already done (only when ReadsCanRide()).
  LoginResult CheckRead(std::string_view username, std::string_view password,
                        const EventSource& source, LoginReads reads);
  // Tells the authenticator that CheckRead follows with this account row (so that a cache
  // of verified logins can fetch the login along with the request's next cache read;
  // Authenticator::Anticipate). Never throws.
  void Anticipate(std::string_view username, std::string_view password,
                  const std::optional<AccountRow>& account);

  // For password checks made elsewhere (a directory bind while enrolling): true if the
  // attempt may go ahead; false (and a security event) when locked out.
  bool MayTry(std::string_view username, const EventSource& source);
  // Counts and logs a wrong password found elsewhere.
  void RecordRejected(std::string_view username, const EventSource& source);
  // Records a right password found elsewhere (its address becomes trusted for username).
  void RecordAccepted(std::string_view username, const EventSource& source);

  // Forgets the failures counted against a user name (after a reset by mail proves control
  // of the account).
  void ClearUserFailures(std::string_view username);
  // Forgets what logins of username earned (its trusted addresses, and this worker's note of
  // having written them), when its account is deleted. Its failure counters stay: they
  // count guesses at the name, whoever holds it.
  void ForgetAccount(std::string_view username);

 private:
  // The counter keys of one attempt, built once per check.
  struct AttemptKeys {
    std::string address;       // AddressKey of the client
    std::string user;          // "user:<name>"
    std::string from_address;  // "addr:<address>"
    std::string pair;          // "pair:<address> <name>"
  };
  static AttemptKeys KeysOf(std::string_view username, const EventSource& source);
  bool MayTry(std::string_view username, const EventSource& source, const AttemptKeys& keys,
              AccountReadAhead* read_ahead, std::optional<LoginReads> reads = std::nullopt);
  LoginResult CheckWith(std::string_view username, std::string_view password,
                        const EventSource& source, std::optional<LoginReads> reads);
  void RecordRejected(std::string_view username, const EventSource& source,
                      const AttemptKeys& keys);
  void RecordAccepted(std::string_view username, const AttemptKeys& keys);
  bool LockoutEnabled() const;

  Authenticator& authenticator_;
  LoginFailures& failures_;
  const Clock& clock_;
  AccountReadAhead* const read_ahead_;
  const LockoutPolicy per_user_;
  const LockoutPolicy per_address_;
  const int64_t trust_seconds_;
  // When this worker last wrote each "address user" pair as trusted: a trusted address is
  // written at most once an hour per worker, not on every request.
  std::unordered_map<std::string, int64_t> remembered_s_;
};

}  // namespace weave
