// Failed-login counting, lockout and each user's recently trusted addresses, kept in SQL so
// that every worker and every server on the same database sees the same state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "db/sql_connection.h"

namespace weave {

struct LockoutPolicy {
  int max_failures = 10;  // 0: no lockout
  int window_seconds = 600;
  int lockout_seconds = 900;
};

// The SQL users row of a login (see LoginFailures::LockedKeysAndAccount).
struct AccountRow {
  int64_t id = 0;
  std::string password_hash;
  int64_t status = 0;
  int64_t generation = 0;  // bumped by every password change, enable and disable
};

// Takes the users row that LockedKeysAndAccount read along with a login's lockout check, for
// the rest of that login check (implemented by the SQL user store).
class AccountReadAhead {
 public:
  AccountReadAhead() = default;
  AccountReadAhead(const AccountReadAhead&) = delete;
  AccountReadAhead& operator=(const AccountReadAhead&) = delete;
  virtual ~AccountReadAhead() = default;
  virtual void UseReadAhead(std::string_view username, std::optional<AccountRow> row) = 0;
  virtual void ForgetReadAhead() = 0;
};

// Counts per key ("user:alice", "addr:192.0.2.1", "pair:192.0.2.1 alice", "reset:alice").
// Borrows the connection and clock. Every method throws BackendError on database failure.
class LoginFailures {
 public:
  LoginFailures(SqlConnection& connection, const Clock& clock);

  // The keys among `keys` that are locked now, in one query.
  std::vector<std::string> LockedKeys(const std::vector<std::string>& keys);
  // LockedKeys, and in the same statement (one round trip for a login's two reads) the
  // users row of username, or nullopt in *account when there is none. Only for the SQL
  // authentication back end, whose users table this reads.
  std::vector<std::string> LockedKeysAndAccount(const std::vector<std::string>& keys,
                                                std::string_view username,
                                                std::optional<AccountRow>* account);
  // LockedKeysAndAccount's reads as the branches of a larger UNION ALL (a LoginRider's):
  // "SELECT ... UNION ALL SELECT ..." with `width` columns (at least kLoginReadWidth), the
  // last one the row's kind (kLockedKeyRow, kAccountRow). Parameters, from `first` on: the
  // time, the keys, the user name (BindLoginRead).
  static std::string LoginReadSql(size_t keys, int width);
  // Binds LoginReadSql's parameters from index first on, for the time now_s; returns the
  // index after them. A statement with a NoneLockedSql gate too must bind both with the
  // same now_s: read a second apart, a lock ending between them would keep the data back
  // at the gate yet not be reported by the branch, and an empty answer would pass as real.
  int BindLoginRead(SqlStatement& statement, int first, const std::vector<std::string>& keys,
                    std::string_view username, int64_t now_s) const;
  // Takes a row of LoginReadSql's branches into *locked or *account; false (and nothing
  // taken) when its kind column says it is another branch's.
  static bool TakeLoginRow(SqlStatement& row, int width, std::vector<std::string>* locked,
                           std::optional<AccountRow>* account);
  // A condition true while none of `keys` keys is locked; parameters: the time, the keys
  // (BindLockedKeys, which returns the index after them).
  static std::string NoneLockedSql(size_t keys);
  int BindLockedKeys(SqlStatement& statement, int first, const std::vector<std::string>& keys,
                     int64_t now_s) const;
  // The time, in seconds, that the Bind functions are to be given.
  int64_t NowSeconds() const { return clock_.NowMs() / 1000; }
  static constexpr int kLoginReadWidth = 6;
  static constexpr int64_t kLockedKeyRow = 1;
  static constexpr int64_t kAccountRow = 2;
  // True if either key is locked now.
  bool IsLocked(std::string_view key_a, std::string_view key_b);
  // Counts one failure for key; locks it for policy.lockout_seconds once it has
  // policy.max_failures within policy.window_seconds. No-op when max_failures is 0.
  void RecordFailure(std::string_view key, const LockoutPolicy& policy);
  void ClearFailures(std::string_view key);

  // True if username logged in successfully from address (an address key, see
  // AddressKey) within the last max_age_seconds.
  bool IsTrustedAddress(std::string_view username, std::string_view address,
                        int64_t max_age_seconds);
  // Records a successful login of username from address now. A user keeps at most
  // kMaxTrustedAddresses addresses; the least recent one goes first.
  void RememberTrustedAddress(std::string_view username, std::string_view address);
  static constexpr int kMaxTrustedAddresses = 16;
  // Forgets every trusted address of username (its account is deleted: a later account of
  // that name earns its own).
  void ForgetTrustedAddresses(std::string_view username);

  // Deletes up to batch_rows counters whose window and lock are over (older than
  // max_window_seconds), and up to batch_rows trusted addresses older than
  // max_trust_seconds. Returns the rows deleted.
  int64_t ExpireOldRows(int64_t max_window_seconds, int64_t max_trust_seconds, int batch_rows);

 private:
  // One run of each write transaction (the public ones retry lock conflicts).
  void RecordFailureOnce(std::string_view key, const LockoutPolicy& policy);
  void RememberTrustedAddressOnce(std::string_view username, std::string_view address);

  SqlConnection& db_;
  const Clock& clock_;
};

// The key a client address is counted under: an IPv4 address as it is, an IPv6 address by
// its /64 network ("2001:db8:1:2::/64"), since one subscriber usually holds a whole /64.
// Anything that is not an IP address is taken as it is.
std::string AddressKey(std::string_view address);

}  // namespace weave
