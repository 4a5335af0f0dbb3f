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
  // users row of username, or nullopt in *account when there is none (then LockedKeys
  // follows as a second statement: only a login that fails pays it). Only for the SQL
  // authentication back end, whose users table this reads.
  std::vector<std::string> LockedKeysAndAccount(const std::vector<std::string>& keys,
                                                std::string_view username,
                                                std::optional<AccountRow>* account);
  // LockedKeysAndAccount's reads as the start of a larger statement's FROM (a LoginRider's):
  // LoginJoinSql(n) is "(the account's row of the user name) AS u LEFT JOIN login_failures
  // l0 ON <keys[0] locked> LEFT JOIN ... l<n-1>", one row when the account exists and none
  // otherwise, whose columns are LoginColumnsSql(n): the account's id, password_hash,
  // status and generation, then each key if it is locked, else NULL. The columns it
  // exposes are named login_* and `key` (the statement's other tables may use any other
  // name unqualified). NoneLockedSql(n) is a condition on those columns, true while no key
  // is locked: the gate of a LEFT JOIN that reads nothing while the login is locked out.
  // A join rather than branches of a UNION ALL: MariaDB optimises each branch of a union
  // at every execution and collects them in a temporary table, which cost a riding read
  // more than its own data did.
  static std::string LoginJoinSql(size_t keys);
  static std::string LoginColumnsSql(size_t keys);
  static std::string NoneLockedSql(size_t keys);
  // Binds LoginJoinSql's parameters (the user name, then each key with the time now_s)
  // from index first on; returns the index after them.
  int BindLoginJoin(SqlStatement& statement, int first, const std::vector<std::string>& keys,
                    std::string_view username, int64_t now_s) const;
  // Takes a row's LoginColumnsSql columns, from column `first` on, into *locked (the keys
  // locked) and *account.
  static void TakeLoginColumns(SqlStatement& row, int first, size_t keys,
                               std::vector<std::string>* locked,
                               std::optional<AccountRow>* account);
  // The time, in seconds, that the Bind functions are to be given.
  int64_t NowSeconds() const { return clock_.NowMs() / 1000; }
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
