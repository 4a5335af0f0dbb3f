// Failed-login counters in the login_failures table.
#include "auth/login_failures.h"

#include <cstring>

#include <arpa/inet.h>

#include "db/conflict_retry.h"
#include "db/sql_dialect.h"

namespace weave {

LoginFailures::LoginFailures(SqlConnection& connection, const Clock& clock)
    : db_(connection), clock_(clock) {}

namespace {

// "SELECT `key` FROM login_failures WHERE" the key is locked at ?1 and one of the next
// `keys` parameters.
std::string LockedKeysSql(size_t keys) {
  std::string sql = "SELECT `key` FROM login_failures WHERE locked_until > ? AND `key` IN (";
  for (size_t i = 0; i < keys; ++i) {
    sql += i == 0 ? "?" : ", ?";
  }
  return sql + ")";
}

}  // namespace

std::vector<std::string> LoginFailures::LockedKeys(const std::vector<std::string>& keys) {
  StatementScope query(db_.Prepare(LockedKeysSql(keys.size())));
  query->BindInt(0, NowSeconds());
  for (size_t i = 0; i < keys.size(); ++i) {
    query->BindText(static_cast<int>(i + 1), keys[i]);
  }
  std::vector<std::string> locked;
  while (query->Step()) {
    locked.emplace_back(query->ColumnText(0));
  }
  return locked;
}

std::string LoginFailures::LoginJoinSql(size_t keys) {
  std::string sql =
      "(SELECT id AS login_id, password_hash AS login_hash, status AS login_status,"
      " generation AS login_generation FROM users WHERE username = ?) AS u";
  for (size_t i = 0; i < keys; ++i) {
    const std::string table = "l" + std::to_string(i);
    sql += " LEFT JOIN login_failures ";
    sql += table;
    sql += " ON ";
    sql += table;
    sql += ".`key` = ? AND ";
    sql += table;
    sql += ".locked_until > ?";
  }
  return sql;
}

std::string LoginFailures::LoginColumnsSql(size_t keys) {
  std::string sql = "u.login_id, u.login_hash, u.login_status, u.login_generation";
  for (size_t i = 0; i < keys; ++i) {
    sql += ", l" + std::to_string(i) + ".`key`";
  }
  return sql;
}

std::string LoginFailures::NoneLockedSql(size_t keys) {
  std::string sql;
  for (size_t i = 0; i < keys; ++i) {
    sql += (i == 0 ? "l" : " AND l") + std::to_string(i) + ".`key` IS NULL";
  }
  return sql.empty() ? "1 = 1" : sql;
}

int LoginFailures::BindLoginJoin(SqlStatement& statement, int first,
                                 const std::vector<std::string>& keys, std::string_view username,
                                 int64_t now_s) const {
  int index = first;
  statement.BindText(index++, username);
  for (const std::string& key : keys) {
    statement.BindText(index++, key);
    statement.BindInt(index++, now_s);
  }
  return index;
}

void LoginFailures::TakeLoginColumns(SqlStatement& row, int first, size_t keys,
                                     std::vector<std::string>* locked,
                                     std::optional<AccountRow>* account) {
  *account = AccountRow{row.ColumnInt(first), std::string(row.ColumnText(first + 1)),
                        row.ColumnInt(first + 2), row.ColumnInt(first + 3)};
  for (size_t i = 0; i < keys; ++i) {
    const int column = first + 4 + static_cast<int>(i);
    if (!row.IsNull(column)) {
      locked->emplace_back(row.ColumnText(column));
    }
  }
}

std::vector<std::string> LoginFailures::LockedKeysAndAccount(const std::vector<std::string>& keys,
                                                             std::string_view username,
                                                             std::optional<AccountRow>* account) {
  account->reset();
  std::vector<std::string> locked;
  {
    StatementScope query(db_.Prepare("SELECT " + LoginColumnsSql(keys.size()) + " FROM " +
                                     LoginJoinSql(keys.size())));
    BindLoginJoin(*query, 0, keys, username, NowSeconds());
    if (query->Step()) {
      TakeLoginColumns(*query, 0, keys.size(), &locked, account);
      return locked;
    }
  }
  return LockedKeys(keys);
}

bool LoginFailures::IsLocked(std::string_view key_a, std::string_view key_b) {
  StatementScope query(db_.Prepare(
      "SELECT 1 FROM login_failures WHERE `key` IN (?, ?) AND locked_until > ? LIMIT 1"));
  query->BindText(0, key_a);
  query->BindText(1, key_b);
  query->BindInt(2, NowSeconds());
  return query->Step();
}

void LoginFailures::RecordFailure(std::string_view key, const LockoutPolicy& policy) {
  if (policy.max_failures <= 0) {
    return;
  }
  RetryConflicts("counting a failed login", [&] { RecordFailureOnce(key, policy); });
}

void LoginFailures::RecordFailureOnce(std::string_view key, const LockoutPolicy& policy) {
  const int64_t now = NowSeconds();
  SqlTransaction transaction(db_);
  int64_t failures = 1;
  int64_t window_start = now;
  int64_t locked_until = 0;
  {
    StatementScope query(db_.Prepare(
        "SELECT failures, window_start, locked_until FROM login_failures WHERE `key` = ?"));
    query->BindText(0, key);
    // A failure outside the window starts a new count.
    if (query->Step() && query->ColumnInt(1) + policy.window_seconds > now) {
      failures = query->ColumnInt(0) + 1;
      window_start = query->ColumnInt(1);
      locked_until = query->ColumnInt(2);
    }
  }
  if (failures >= policy.max_failures) {
    locked_until = now + policy.lockout_seconds;
  }
  StatementScope upsert(db_.Prepare(db_.Dialect().InsertOrReplaceSql(
      "login_failures", "`key`, failures, window_start, locked_until", "?, ?, ?, ?", "`key`",
      "failures, window_start, locked_until")));
  upsert->BindText(0, key);
  upsert->BindInt(1, failures);
  upsert->BindInt(2, window_start);
  upsert->BindInt(3, locked_until);
  upsert->Step();
  transaction.Commit();
}

void LoginFailures::ClearFailures(std::string_view key) {
  StatementScope remove(db_.Prepare("DELETE FROM login_failures WHERE `key` = ?"));
  remove->BindText(0, key);
  remove->Step();
}

bool LoginFailures::IsTrustedAddress(std::string_view username, std::string_view address,
                                     int64_t max_age_seconds) {
  StatementScope query(db_.Prepare(
      "SELECT 1 FROM trusted_addresses WHERE username = ? AND address = ? AND last_login > ?"));
  query->BindText(0, username);
  query->BindText(1, address);
  query->BindInt(2, NowSeconds() - max_age_seconds);
  return query->Step();
}

void LoginFailures::RememberTrustedAddress(std::string_view username, std::string_view address) {
  RetryConflicts("remembering a login's address",
                 [&] { RememberTrustedAddressOnce(username, address); });
}

void LoginFailures::RememberTrustedAddressOnce(std::string_view username,
                                               std::string_view address) {
  SqlTransaction transaction(db_);
  {
    StatementScope upsert(db_.Prepare(
        db_.Dialect().InsertOrReplaceSql("trusted_addresses", "username, address, last_login",
                                         "?, ?, ?", "username, address", "last_login")));
    upsert->BindText(0, username);
    upsert->BindText(1, address);
    upsert->BindInt(2, NowSeconds());
    upsert->Step();
  }
  // Keep the newest few: a user roams between a handful of networks, not hundreds.
  StatementScope trim(db_.Prepare(
      "DELETE FROM trusted_addresses WHERE username = ? AND last_login < ("
      "SELECT last_login FROM (SELECT last_login FROM trusted_addresses WHERE username = ? "
      "ORDER BY last_login DESC LIMIT 1 OFFSET ?) AS newest)"));
  trim->BindText(0, username);
  trim->BindText(1, username);
  trim->BindInt(2, kMaxTrustedAddresses - 1);
  trim->Step();
  transaction.Commit();
}

void LoginFailures::ForgetTrustedAddresses(std::string_view username) {
  StatementScope remove(db_.Prepare("DELETE FROM trusted_addresses WHERE username = ?"));
  remove->BindText(0, username);
  remove->Step();
}

int64_t LoginFailures::ExpireOldRows(int64_t max_window_seconds, int64_t max_trust_seconds,
                                     int batch_rows) {
  const int64_t now = NowSeconds();
  int64_t deleted = 0;
  {
    StatementScope expire(db_.Prepare(
        "DELETE FROM login_failures WHERE `key` IN (SELECT `key` FROM (SELECT `key` FROM "
        "login_failures WHERE locked_until < ? AND window_start < ? LIMIT ?) AS old)"));
    expire->BindInt(0, now);
    expire->BindInt(1, now - max_window_seconds);
    expire->BindInt(2, batch_rows);
    expire->Step();
    deleted += expire->AffectedRows();
  }
  StatementScope forget(db_.Prepare(
      "DELETE FROM trusted_addresses WHERE (username, address) IN (SELECT username, address "
      "FROM (SELECT username, address FROM trusted_addresses WHERE last_login < ? LIMIT ?) "
      "AS old)"));
  forget->BindInt(0, now - max_trust_seconds);
  forget->BindInt(1, batch_rows);
  forget->Step();
  return deleted + forget->AffectedRows();
}

std::string AddressKey(std::string_view address) {
  if (address.find(':') == std::string_view::npos || address.size() >= INET6_ADDRSTRLEN) {
    return std::string(address);
  }
  std::string text(address);
  in6_addr parsed{};
  if (inet_pton(AF_INET6, text.c_str(), &parsed) != 1) {
    return text;
  }
  std::memset(parsed.s6_addr + 8, 0, 8);  // keep the /64 network
  char network[INET6_ADDRSTRLEN] = {};
  inet_ntop(AF_INET6, &parsed, network, sizeof network);
  return std::string(network) + "/64";
}

}  // namespace weave
