// Account management the User API needs, implemented by each auth back end that allows it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "storage/storage.h"

namespace weave {

struct AccountInfo {
  UserId id = 0;
  std::string username;
  std::string email;
  int status = 1;  // 1: enabled
};

// Every method throws BackendError when the back end cannot answer.
class AccountStore {
 public:
  AccountStore() = default;
  AccountStore(const AccountStore&) = delete;
  AccountStore& operator=(const AccountStore&) = delete;
  virtual ~AccountStore() = default;

  virtual std::optional<AccountInfo> FindUser(std::string_view username) = 0;
  // nullopt if the name is taken.
  virtual std::optional<UserId> CreateUser(std::string_view username, std::string_view password,
                                           std::string_view email) = 0;
  // False if there is no such user.
  virtual bool SetPassword(std::string_view username, std::string_view password) = 0;
  virtual bool SetEmail(std::string_view username, std::string_view email) = 0;
  // Removes the account only; the caller deletes its storage. nullopt if there is none.
  virtual std::optional<UserId> DeleteUser(std::string_view username) = 0;
  // When passwords and e-mail addresses are managed elsewhere (a read-only directory), the
  // text that tells users where; the User API then refuses changes and resets with 403.
  virtual std::optional<std::string> ExternalPasswordNotice() const { return std::nullopt; }
};

}  // namespace weave
