// The upkeep schedule in memory shared by the master and its workers.
#include "fcgi/upkeep_turn.h"

#include <cerrno>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

#include <sys/mman.h>

namespace weave {

// A lock-free atomic works across processes on shared memory.
static_assert(std::atomic<int64_t>::is_always_lock_free);

UpkeepTurn::UpkeepTurn() {
  void* page = mmap(nullptr, sizeof(std::atomic<int64_t>), PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) {
    throw std::runtime_error(std::string("upkeep turn: mmap: ") + std::strerror(errno));
  }
  next_due_ms_ = new (page) std::atomic<int64_t>(0);
}

UpkeepTurn::~UpkeepTurn() {
  munmap(next_due_ms_, sizeof(std::atomic<int64_t>));
}

bool UpkeepTurn::TryTake(int64_t now_ms, int64_t interval_ms) {
  int64_t due = next_due_ms_->load();
  if (now_ms < due) {
    return false;
  }
  return next_due_ms_->compare_exchange_strong(due, now_ms + interval_ms);
}

void UpkeepTurn::Done(int64_t now_ms, bool more_left) {
  if (more_left) {
    next_due_ms_->store(now_ms);
  }
}

int64_t UpkeepTurn::NextDueMs() const {
  return next_due_ms_->load();
}

}  // namespace weave
