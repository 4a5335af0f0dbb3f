// The retry policy for transactions the database aborted over a lock conflict.
#include "db/conflict_retry.h"

#include <chrono>
#include <random>
#include <thread>

#include "core/log.h"

namespace weave {
namespace {

constexpr int kDeadlockRetries = 3;
constexpr int kLockWaitRetries = 1;
constexpr int kConnectionRetries = 1;
constexpr int kFirstPauseMs = 5;

}  // namespace

bool PauseBeforeRetry(std::string_view what, const TransactionConflict& conflict, int retries) {
  const auto kind = conflict.GetKind();
  const bool deadlock = kind == TransactionConflict::Kind::kDeadlock;
  // A lost connection: once, on a new connection (to the next server, with several).
  const int allowed = deadlock                                             ? kDeadlockRetries
                      : kind == TransactionConflict::Kind::kConnectionLost ? kConnectionRetries
                                                                           : kLockWaitRetries;
  if (retries >= allowed) {
    return false;
  }
  // 5-15 ms, then 10-30, 20-60: short next to a request, long enough for the other side of
  // the conflict to finish.
  static thread_local std::minstd_rand random(std::random_device{}());
  const int base_ms = kFirstPauseMs << retries;
  const int pause_ms = std::uniform_int_distribution<int>(base_ms, 3 * base_ms)(random);
  const char* cause = deadlock                                             ? "deadlock"
                      : kind == TransactionConflict::Kind::kConnectionLost ? "connection lost"
                                                                           : "lock wait timeout";
  Log(LogLevel::kWarning) << what << ": " << cause << ", running the transaction again in "
                          << pause_ms << " ms (retry " << retries + 1 << "): " << conflict.what();
  std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
  return true;
}

}  // namespace weave
