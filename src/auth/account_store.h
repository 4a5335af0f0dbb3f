// Account management the User API and weave-admin need, implemented by every auth back end.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "auth/authenticator.h"
#include "core/user_name.h"

namespace weave {

struct AccountInfo {
  UserId id = 0;
  std::string username;
  std::string email;
  int status = 1;  // 1: enabled
};

// What CreateUser did. Ordinary refusals are values, not exceptions: the caller (the User
// API) chooses the HTTP answer.
enum class CreateOutcome {
  kCreated,
  kNameTaken,      // an account of that name exists
  kNotEmailHash,   // the back end requires Firefox's hashed name and this is not the e-mail's
  kNotInDirectory  // enrolment only: no directory entry matches, or its password is wrong
};

struct CreateResult {
  CreateOutcome outcome = CreateOutcome::kCreated;
  UserId id = 0;  // set when kCreated
};

// What a change of password or e-mail did.
enum class ChangeOutcome {
  kChanged,
  kNoSuchUser,
  kManagedElsewhere  // the directory owns passwords and addresses (see ExternalPasswordNotice)
};

// Every method throws BackendError when the back end cannot answer, and nothing else for
// ordinary outcomes. One instance per worker; not thread-safe.
class AccountStore {
 public:
  AccountStore() = default;
  AccountStore(const AccountStore&) = delete;
  AccountStore& operator=(const AccountStore&) = delete;
  virtual ~AccountStore() = default;

  // The account, or nullopt if there is none of that name.
  virtual std::optional<AccountInfo> FindUser(std::string_view username) = 0;
  // Creates (or, for a read-only directory, enrols) the account. The password has already
  // passed the User API's strength rules.
  virtual CreateResult CreateUser(std::string_view username, std::string_view password,
                                  std::string_view email) = 0;
  virtual ChangeOutcome SetPassword(std::string_view username, std::string_view password) = 0;
  virtual ChangeOutcome SetEmail(std::string_view username, std::string_view email) = 0;
  // Removes the account only; the caller deletes its storage. nullopt if there is none.
  virtual std::optional<UserId> DeleteUser(std::string_view username) = 0;
  // When passwords and e-mail addresses are managed elsewhere (a read-only directory), the
  // text that tells users where; the User API then refuses changes and resets with 403.
  virtual std::optional<std::string> ExternalPasswordNotice() const { return std::nullopt; }
  // Where the back end itself keeps each account's storage node (a Mozilla-layout directory:
  // primaryNode "weave:<host>"): the host named there, or nullopt when none is named or the
  // back end keeps none. The accounts database's user_nodes table is what the servers go by;
  // this is read for accounts that have no row there yet.
  virtual std::optional<std::string> StoredNodeHost(std::string_view /*username*/) {
    return std::nullopt;
  }
  // Writes the host of the account's node where the back end keeps it; else does nothing.
  virtual void StoreNodeHost(std::string_view /*username*/, std::string_view /*host*/) {}
};

// What every auth back end is: it checks logins and manages the accounts it holds.
class AccountBackend : public Authenticator, public AccountStore {};

}  // namespace weave
