// When the next background upkeep run is due, shared by the master's workers, so that one
// worker at a time does it and the others keep serving.
#pragma once

#include <atomic>
#include <cstdint>

namespace weave {

// Made before the workers are forked (they inherit the shared mapping); a process without a
// master (mod_fcgid) makes its own and so runs upkeep on its own schedule. A worker between
// requests asks TryTake; the one that gets it does a run and calls Done. Because the time
// is moved forward by the taker in one compare-and-swap, two workers never run at once
// unless a run outlasts the interval.
class UpkeepTurn {
 public:
  // Throws std::runtime_error if the shared page cannot be mapped.
  UpkeepTurn();
  ~UpkeepTurn();
  UpkeepTurn(const UpkeepTurn&) = delete;
  UpkeepTurn& operator=(const UpkeepTurn&) = delete;

  // True if a run is due at now_ms and this caller got it; the next is then due
  // interval_ms later.
  bool TryTake(int64_t now_ms, int64_t interval_ms);
  // After a run: more_left (the run stopped at its batch limit) makes the next run due at
  // once, so the next idle worker carries on.
  void Done(int64_t now_ms, bool more_left);
  // When the next run is due (ms; 0: at once).
  int64_t NextDueMs() const;

 private:
  std::atomic<int64_t>* next_due_ms_;  // in a MAP_SHARED page
};

}  // namespace weave
