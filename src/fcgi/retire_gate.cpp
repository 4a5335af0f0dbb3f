// The retirement turn shared by the master and its workers.
#include "fcgi/retire_gate.h"

#include <cerrno>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

#include <sys/mman.h>

namespace weave {

// A lock-free atomic works across processes on shared memory.
static_assert(std::atomic<pid_t>::is_always_lock_free);

RetireGate::RetireGate() {
  void* page = mmap(nullptr, sizeof(std::atomic<pid_t>), PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) {
    throw std::runtime_error(std::string("retire gate: mmap: ") + std::strerror(errno));
  }
  turn_ = new (page) std::atomic<pid_t>(0);
}

RetireGate::~RetireGate() {
  munmap(turn_, sizeof(std::atomic<pid_t>));
}

bool RetireGate::TryRetire(pid_t worker) {
  pid_t expected = 0;
  return turn_->compare_exchange_strong(expected, worker);
}

pid_t RetireGate::Holder() const {
  return turn_->load();
}

void RetireGate::Release() {
  turn_->store(0);
}

}  // namespace weave
