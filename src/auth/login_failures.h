// Failed-login counting and lockout, kept in SQL so that every worker and every server on
// the same database sees the same counts.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/clock.h"
#include "db/sql_connection.h"

namespace weave {

struct LockoutPolicy {
  int max_failures = 10;  // 0: no lockout
  int window_seconds = 600;
  int lockout_seconds = 900;
};

// Counts per key ("user:alice", "addr:192.0.2.1", "reset:alice"). Borrows the connection and
// clock. Every method throws BackendError on database failure.
class LoginFailures {
 public:
  LoginFailures(SqlConnection& connection, const Clock& clock);

  // True if either key is locked now.
  bool IsLocked(std::string_view key_a, std::string_view key_b);
  // Counts one failure for key; locks it for policy.lockout_seconds once it has
  // policy.max_failures within policy.window_seconds. No-op when max_failures is 0.
  void RecordFailure(std::string_view key, const LockoutPolicy& policy);
  void ClearFailures(std::string_view key);

 private:
  int64_t NowSeconds() const { return clock_.NowMs() / 1000; }

  SqlConnection& db_;
  const Clock& clock_;
};

}  // namespace weave
