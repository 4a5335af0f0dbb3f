// One worker at a time may retire after max_requests: a turn in memory shared by the master
// and its workers.
#pragma once

#include <atomic>

#include <sys/types.h>

namespace weave {

// The master makes it before forking; its workers inherit the mapping. A worker that has
// served its limit takes the turn (TryRetire) and exits; one that finds the turn taken keeps
// serving and asks again after its next request. The master gives the turn back (Release)
// once the retired worker's replacement has had time to start, so replacements never pile
// up and capacity never drops by more than one worker.
class RetireGate {
 public:
  // Throws std::runtime_error if the shared page cannot be mapped.
  RetireGate();
  ~RetireGate();
  RetireGate(const RetireGate&) = delete;
  RetireGate& operator=(const RetireGate&) = delete;

  // True if worker now holds the turn (it was free).
  bool TryRetire(pid_t worker);
  // The worker holding the turn, or 0.
  pid_t Holder() const;
  void Release();

 private:
  std::atomic<pid_t>* turn_;  // in a MAP_SHARED page
};

}  // namespace weave
