// Failed-login counters in the login_failures table.
#include "auth/login_failures.h"

#include "db/sql_dialect.h"

namespace weave {

LoginFailures::LoginFailures(SqlConnection& connection, const Clock& clock)
    : db_(connection), clock_(clock) {}

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

}  // namespace weave
