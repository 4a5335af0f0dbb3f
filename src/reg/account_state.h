// The registration service's own state in SQL, whatever the authentication back end:
// password reset codes and registration invites.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "db/sql_connection.h"

namespace weave {

struct InviteInfo {
  std::string code_hash_prefix;  // first hex digits of the code's hash, to tell them apart
  int64_t created_s = 0;
  int64_t expires_s = 0;
  std::string used_by;  // empty while unused
};

// Borrows the connection and clock. Every method throws BackendError on database failure.
class AccountState {
 public:
  AccountState(SqlConnection& connection, const Clock& clock);

  // A new code "XXXX-XXXX-XXXX-XXXX" (A-Z, 0-9). Pending codes stay valid: a user keeps the
  // newest kMaxPendingResetCodes.
  std::string CreateResetCode(std::string_view username, int64_t lifetime_seconds);
  static constexpr int kMaxPendingResetCodes = 5;
  // True if code is one of the user's pending, unexpired codes (case-insensitively).
  bool IsValidResetCode(std::string_view username, std::string_view code);
  // Like IsValidResetCode, and the code is used up when it matches.
  bool ConsumeResetCode(std::string_view username, std::string_view code);
  // Voids every pending code of the user.
  void ClearResetCode(std::string_view username);
  // Deletes up to batch_rows expired reset codes and up to batch_rows invites that expired
  // more than keep_invites_seconds ago. Returns the rows deleted.
  int64_t ExpireOldRows(int64_t keep_invites_seconds, int batch_rows);

  std::string CreateInvite(int64_t lifetime_seconds);
  // True once per valid code: marks it used by username.
  bool ConsumeInvite(std::string_view code, std::string_view username);
  std::vector<InviteInfo> ListInvites();

 private:
  int64_t NowSeconds() const { return clock_.NowMs() / 1000; }
  // One run of CreateResetCode's transaction (which retries lock conflicts).
  void StoreResetCode(std::string_view username, const std::string& code_hash,
                      int64_t lifetime_seconds);

  SqlConnection& db_;
  const Clock& clock_;
};

// Upper-cases and removes spaces, so codes typed by hand compare equal.
std::string NormalizeCode(std::string_view code);

}  // namespace weave
