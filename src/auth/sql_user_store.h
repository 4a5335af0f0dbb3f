// Accounts in the SQL users table: authentication (every call runs the password hash;
// CachingAccountBackend remembers logins), and the account operations the admin command needs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "auth/account_store.h"
#include "auth/authenticator.h"
#include "auth/login_failures.h"
#include "core/config.h"
#include "db/sql_connection.h"

namespace weave {

class SqlUserStore final : public AccountBackend, public AccountReadAhead {
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

  // The users row of username as the login's lockout check read it (in the same statement):
  // CredentialStamp and Authenticate of that name use it instead of a statement of their
  // own, until ForgetReadAhead at the end of the login check.
  void UseReadAhead(std::string_view username, std::optional<AccountRow> row) override;
  void ForgetReadAhead() override;

 private:
  // The users row of username: the read-ahead one, or a statement.
  std::optional<AccountRow> ReadAccount(std::string_view username);

  struct ReadAhead {
    std::string username;
    std::optional<AccountRow> row;
  };
  // One run of CreateUser's transaction, with the password already hashed.
  CreateResult CreateUserOnce(std::string_view username, const std::string& hash,
                              std::string_view email);
  SqlConnection& db_;
  const AuthConfig config_;
  std::optional<ReadAhead> read_ahead_;
};

}  // namespace weave
