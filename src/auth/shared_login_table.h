// The verified-login store of one machine: a fixed-size table in anonymous shared memory,
// made by the master before it forks, so every worker (and every worker started later, by a
// reload or a recycle) sees the logins the others verified.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "auth/verified_logins.h"

namespace weave {

// A set-associative hash table with two choices: two pieces of a key pick two buckets of
// kWays slots, and the key lives in either; a new key takes a free (or expired) slot of the
// emptier one, and only when both are full replaces their slot closest to expiry. So the
// table holds nearly `entries` logins before dropping any. Memory is fixed at
// construction: about 80 bytes per slot. The MAC secret is made here (random) and lives
// only in this process's memory, which the workers inherit; it never reaches the mapping.
//
// Every operation takes one process-shared robust mutex for well under a microsecond.
//   * A holder killed inside (SIGKILL, a crash) cannot wedge the others: the next locker
//     recovers the mutex and empties the table, whose slots the dead holder may have left
//     half-written (a wiped table costs each user one real check).
//   * A holder that stops inside (stopped by a debugger, starved) makes the others wait at
//     most kLockTimeoutMs: then Check answers "not remembered" and Remember and Forget do
//     nothing, so logins are checked for real instead of waiting.
// Never throws after construction. Usable in one process as well (tests, weave-admin).
class SharedLoginTable final : public VerifiedLogins {
 public:
  static constexpr size_t kWays = 8;
  static constexpr int kLockTimeoutMs = 100;

  // Maps room for at least `entries` logins (rounded up to whole buckets; at least one).
  // Throws BackendError when the mapping or the mutex cannot be made.
  explicit SharedLoginTable(size_t entries);
  ~SharedLoginTable() override;

  std::optional<VerifiedLogin> Check(std::string_view key, int64_t now_ms) override;
  void Remember(std::string_view key, const VerifiedLogin& login, int64_t now_ms) override;
  void Forget(std::string_view key) override;

  size_t Capacity() const { return buckets_ * kWays; }
  // Logins remembered and not expired at now_ms (a full scan: tests and diagnostics).
  size_t CountLive(int64_t now_ms);

  // For tests: runs fn while holding the table's lock, as a worker killed or stopped in the
  // middle of an operation would. Returns false (without running fn) if the lock could not
  // be taken within kLockTimeoutMs.
  bool RunLocked(const std::function<void()>& fn);

 private:
  struct Header;
  struct Slot;
  class Guard;

  std::array<Slot*, 2> BucketsOf(std::string_view key) const;
  Slot* Find(std::string_view key) const;                     // the key's slot, or nullptr
  Slot* SlotFor(std::string_view key, int64_t now_ms) const;  // where Remember writes

  void* mapping_ = nullptr;
  size_t mapping_bytes_ = 0;
  size_t buckets_ = 0;
  Header* header_ = nullptr;
  Slot* slots_ = nullptr;
};

}  // namespace weave
