// Accounts in the SQL users table: authentication with a per-worker cache of verified
// passwords, and the account operations the admin command needs.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "auth/account_store.h"
#include "auth/authenticator.h"
#include "core/config.h"
#include "db/sql_connection.h"
#include "core/clock.h"

namespace weave {

class SqlUserStore final : public AccountBackend {
 public:
  // Borrows connection and clock, which must outlive this object.
  SqlUserStore(SqlConnection& connection, AuthConfig config, const Clock& clock);

  std::optional<UserId> Authenticate(std::string_view username, std::string_view password) override;
  void CheckHealth() override;

  std::optional<AccountInfo> FindUser(std::string_view username) override;
  CreateResult CreateUser(std::string_view username, std::string_view password,
                          std::string_view email) override;
  ChangeOutcome SetPassword(std::string_view username, std::string_view password) override;
  ChangeOutcome SetEmail(std::string_view username, std::string_view email) override;
  std::optional<UserId> DeleteUser(std::string_view username) override;

  bool SetStatus(std::string_view username, int status);
  std::vector<AccountInfo> ListUsers();

 private:
  // A password this worker verified recently. Only a salted digest of the password is
  // kept, and the entry counts only while the stored hash is unchanged, so a password
  // change or a disabled account takes effect at once in every worker.
  struct VerifiedLogin {
    std::string stored_hash;
    std::string password_digest;
    int64_t expires_ms = 0;
  };
  std::string DigestPassword(std::string_view password) const;

  SqlConnection& db_;
  const AuthConfig config_;
  const Clock& clock_;
  const std::string cache_salt_;
  std::unordered_map<std::string, VerifiedLogin> verified_;
};

}  // namespace weave
