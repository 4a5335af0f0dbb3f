// Workers tell the master when they accept requests, so that the master can tell the
// service manager (core/service_notify.h) the truth about readiness.
#pragma once

#include <vector>

#include <sys/types.h>

namespace weave {

// The master makes it before forking; its workers inherit both ends of a datagram socket
// pair. A worker announces itself once, just before it first waits for requests; the master
// collects the announcements in its loop. A datagram is never split or merged, and
// sending never raises SIGPIPE, even when the master is gone.
class WorkerReadiness {
 public:
  // Throws std::runtime_error if the socket pair cannot be made.
  WorkerReadiness();
  ~WorkerReadiness();
  WorkerReadiness(const WorkerReadiness&) = delete;
  WorkerReadiness& operator=(const WorkerReadiness&) = delete;

  // In a worker: "this process accepts requests now".
  void Announce() const;
  // In the master: the processes that announced since the last call (never blocks).
  std::vector<pid_t> Collect() const;

 private:
  int master_end_ = -1;
  int worker_end_ = -1;
};

}  // namespace weave
