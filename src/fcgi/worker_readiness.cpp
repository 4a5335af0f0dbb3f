// Readiness announcements from workers to the master over a datagram socket pair.
#include "fcgi/worker_readiness.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include <sys/socket.h>

namespace weave {

WorkerReadiness::WorkerReadiness() {
  int ends[2];
  // Close-on-exec: nothing the server might run inherits them; non-blocking: neither side
  // ever waits on the other.
  if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, ends) != 0) {
    throw std::runtime_error(std::string("readiness socket pair: ") + std::strerror(errno));
  }
  master_end_ = ends[0];
  worker_end_ = ends[1];
}

WorkerReadiness::~WorkerReadiness() {
  close(master_end_);
  close(worker_end_);
}

void WorkerReadiness::Announce() const {
  const pid_t self = getpid();
  // Lost only if the master's queue is full, that is when the master no longer reads it.
  [[maybe_unused]] const ssize_t ignored = send(worker_end_, &self, sizeof self, MSG_NOSIGNAL);
}

std::vector<pid_t> WorkerReadiness::Collect() const {
  std::vector<pid_t> announced;
  pid_t pid = 0;
  while (recv(master_end_, &pid, sizeof pid, 0) == static_cast<ssize_t>(sizeof pid)) {
    announced.push_back(pid);
  }
  return announced;
}

}  // namespace weave
