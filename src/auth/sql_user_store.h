// Accounts in the SQL users table: authentication (every call runs the password hash;
// CachingAccountBackend remembers logins), and the account operations the admin command needs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "auth/account_store.h"
#include "auth/authenticator.h"
#include "core/config.h"
#include "db/sql_connection.h"

namespace weave {

class SqlUserStore final : public AccountBackend {
 public:
  // Borrows connection, which must outlive this object.
  SqlUserStore(SqlConnection& connection, AuthConfig config);

  std::optional<UserId> Authenticate(std::string_view username, std::string_view password) override;
  // The account generation: its id, generation counter (bumped by every password change
  // and every enable or disable), status and stored hash ("users:none" for no such
  // account), all read by one indexed SELECT, so a cached login stops counting at once in
  // every worker when any of them changes.
  std::optional<std::string> CredentialStamp(std::string_view username) override;
  void CheckHealth() override;

  std::optional<AccountInfo> FindUser(std::string_view username) override;
  CreateResult CreateUser(std::string_view username, std::string_view password,
                          std::string_view email) override;
  ChangeOutcome SetPassword(std::string_view username, std::string_view password) override;
  ChangeOutcome SetEmail(std::string_view username, std::string_view email) override;
  std::optional<UserId> DeleteUser(std::string_view username) override;

  // Enables (1) or disables (0) the account; false if there is no such account.
  bool SetStatus(std::string_view username, int status);
  // Every account, ordered by name.
  std::vector<AccountInfo> ListUsers();

 private:
  SqlConnection& db_;
  const AuthConfig config_;
};

}  // namespace weave
