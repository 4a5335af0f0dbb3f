// The pre-fork master: listening socket, worker processes, signals and reloads.
#include "fcgi/prefork_master.h"

#include <fcgiapp.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <string_view>

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "core/errors.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/service_notify.h"
#include "fcgi/retire_gate.h"
#include "fcgi/worker_readiness.h"

namespace weave {
namespace {

constexpr int kBacklog = 1024;

// After a worker retired and its replacement was forked, the next may retire this much
// later: one worker at a time is starting (and filling its login cache), never several.
constexpr int64_t kRetireSpacingMs = 1000;

bool IsListeningSocket(int fd) {
  int listening = 0;
  socklen_t size = sizeof listening;
  return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) == 0 && listening != 0;
}

int64_t MonotonicMs() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1000LL + now.tv_nsec / 1000000;
}

// In a new worker: when the master dies, even by SIGKILL, the kernel sends the worker
// SIGTERM, which it takes as a request to stop (after the request in flight, if any).
// Otherwise orphaned workers would go on serving the old configuration on the socket, and
// keep the database open, next to a restarted server's new ones.
void FollowMaster(pid_t master_pid) {
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != master_pid) {
    _exit(0);  // the master died before the request above took effect
  }
}

// One worker process and the generation (configuration) it belongs to.
struct WorkerProcess {
  int generation = 0;
  int64_t started_ms = 0;
  bool stopping = false;
  int stop_signal = SIGTERM;  // SIGHUP: retiring on a reload (see fcgi_worker.h)
  int64_t stop_sent_ms = 0;
  bool ready = false;  // it announced that it accepts requests
};

// What the service manager last heard: READY=1 is sent once per start or reload, when
// the configuration's workers all accept requests.
enum class Phase { kStarting, kServing, kReloading };

class Master {
 public:
  Master(MasterOptions options, WorkerMain worker_main)
      : options_(options), worker_main_(std::move(worker_main)) {}

  int Run(const Reloader& reload) {
    sigset_t handled;
    sigemptyset(&handled);
    for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT}) {
      sigaddset(&handled, sig);
    }
    // Signals are taken synchronously with sigtimedwait: no handler races in the master.
    sigprocmask(SIG_BLOCK, &handled, nullptr);
    Log(LogLevel::kInfo) << "master started, " << options_.workers << " workers";
    FillWorkers();
    while (true) {
      const timespec tick{0, int64_t{100} * 1000 * 1000};
      const int sig = sigtimedwait(&handled, nullptr, &tick);
      if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT) {
        return Shutdown();
      }
      if (sig == SIGHUP) {
        Reload(reload);
      }
      Reap();
      NudgeStoppingWorkers();
      FillWorkers();
      PaceRetirements();
      CollectReadiness();
      ReportState();
    }
  }

 private:
  void Spawn() {
    const pid_t master_pid = getpid();
    const pid_t pid = fork();
    if (pid < 0) {
      Log(LogLevel::kError) << "fork failed: " << std::strerror(errno);
      return;
    }
    if (pid == 0) {
      FollowMaster(master_pid);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      const WorkerReadiness& readiness = readiness_;
      const WorkerHooks hooks{&retire_gate_, [&readiness] {
                                Log(LogLevel::kDebug) << "worker accepts requests";
                                readiness.Announce();
                              }};
      _exit(worker_main_(hooks));
    }
    workers_[pid] = WorkerProcess{generation_, MonotonicMs(), false, 0};
  }

  int RunningCurrent() const {
    int count = 0;
    for (const auto& [pid, worker] : workers_) {
      count += worker.generation == generation_ && !worker.stopping ? 1 : 0;
    }
    return count;
  }

  void FillWorkers() {
    // A worker that dies at once (bad database path, ...) is not respawned in a tight loop.
    if (MonotonicMs() < respawn_not_before_ms_) {
      return;
    }
    for (int missing = options_.workers - RunningCurrent(); missing > 0; --missing) {
      Spawn();
    }
  }

  void Reap() {
    int status = 0;
    pid_t pid = 0;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      const auto found = workers_.find(pid);
      if (found == workers_.end()) {
        continue;
      }
      const WorkerProcess worker = found->second;
      workers_.erase(found);
      if (pid == retire_gate_.Holder()) {
        Log(LogLevel::kInfo) << "worker " << pid << " retired; replacing it";
        release_turn_at_ms_ = MonotonicMs() + kRetireSpacingMs;
      }
      if (worker.stopping) {
        continue;  // asked to stop (a reload or shutdown)
      }
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        CountMetric(MetricEvent::kWorkerRetired);  // recycled after max_requests
        continue;
      }
      CountMetric(MetricEvent::kWorkerDied);
      Log(LogLevel::kError).Field("event", "worker_died").Field("worker", std::to_string(pid))
          << "worker " << pid << " died (" << (WIFSIGNALED(status) ? "signal " : "exit ")
          << (WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status)) << "); replacing it";
      if (MonotonicMs() - worker.started_ms < 1000) {
        respawn_not_before_ms_ = MonotonicMs() + 1000;
      }
    }
  }

  int ReadyCurrent() const {
    int count = 0;
    for (const auto& [pid, worker] : workers_) {
      count += worker.generation == generation_ && !worker.stopping && worker.ready ? 1 : 0;
    }
    return count;
  }

  void CollectReadiness() {
    for (const pid_t pid : readiness_.Collect()) {
      const auto found = workers_.find(pid);
      if (found != workers_.end()) {
        found->second.ready = true;
      }
    }
  }

  // READY=1 once every worker of the current configuration accepts requests; otherwise a
  // STATUS= line whenever the count changes.
  void ReportState() {
    const int ready = ReadyCurrent();
    const std::string counts = std::to_string(ready) + " of " + std::to_string(options_.workers);
    if (phase_ != Phase::kServing && ready >= options_.workers) {
      phase_ = Phase::kServing;
      last_status_ = "serving, " + std::to_string(ready) + " workers";
      Log(LogLevel::kInfo) << "ready: " << ready << " workers accept requests";
      NotifyServiceManager("READY=1", last_status_);
      return;
    }
    std::string status;
    if (phase_ == Phase::kServing) {
      status = ready >= options_.workers ? "serving, " + std::to_string(ready) + " workers"
                                         : "serving, " + counts + " workers ready";
    } else {
      status =
          (phase_ == Phase::kStarting ? "starting: " : "reloading: ") + counts + " workers ready";
    }
    if (status != last_status_) {
      last_status_ = status;
      NotifyServiceManager("", status);
    }
  }

  // Hands the retirement turn on once the last retired worker's replacement has had its
  // time to start.
  void PaceRetirements() {
    if (release_turn_at_ms_ != 0 && MonotonicMs() >= release_turn_at_ms_) {
      release_turn_at_ms_ = 0;
      retire_gate_.Release();
    }
  }

  // signal: SIGTERM stops the worker; SIGHUP retires it, leaving the connections it keeps
  // open to the web server to close (see RunWorker).
  void StopWorker(pid_t pid, WorkerProcess& worker, int signal) {
    worker.stopping = true;
    worker.stop_signal = signal;
    worker.stop_sent_ms = MonotonicMs();
    kill(pid, signal);
  }

  // Stopping workers are signalled again every tick, in case one missed the first signal;
  // one past the timeout is killed.
  void NudgeStoppingWorkers() {
    const int64_t now = MonotonicMs();
    for (auto& [pid, worker] : workers_) {
      if (!worker.stopping) {
        continue;
      }
      const bool overdue = now - worker.stop_sent_ms > options_.shutdown_timeout_seconds * 1000LL;
      kill(pid, overdue ? SIGKILL : worker.stop_signal);
    }
  }

  void Reload(const Reloader& reload) {
    // Before READY=1 the service manager still waits for the start, not for a reload.
    const bool was_serving = phase_ == Phase::kServing;
    if (was_serving) {
      NotifyServiceManager(ReloadingState(), "reloading the configuration");
    }
    try {
      auto [options, worker_main] = reload();
      options_ = options;
      worker_main_ = std::move(worker_main);
    } catch (const std::exception& error) {
      Log(LogLevel::kError) << "reload failed, keeping the running configuration: " << error.what();
      // The running workers go on serving: the reload is over.
      last_status_ =
          "serving, " + std::to_string(ReadyCurrent()) + " workers; reload failed: " + error.what();
      NotifyServiceManager(was_serving ? "READY=1" : "", last_status_);
      return;
    }
    if (was_serving) {
      phase_ = Phase::kReloading;
    }
    // New workers start accepting before the old ones stop, so no request is refused.
    ++generation_;
    respawn_not_before_ms_ = 0;
    FillWorkers();
    for (auto& [pid, worker] : workers_) {
      if (worker.generation != generation_ && !worker.stopping) {
        StopWorker(pid, worker, SIGHUP);
      }
    }
    Log(LogLevel::kInfo) << "reloaded: generation " << generation_;
  }

  int Shutdown() {
    Log(LogLevel::kInfo) << "stopping: letting " << workers_.size() << " workers finish";
    NotifyServiceManager(
        "STOPPING=1", "stopping: letting " + std::to_string(workers_.size()) + " workers finish");
    for (auto& [pid, worker] : workers_) {
      StopWorker(pid, worker, SIGTERM);
    }
    while (!workers_.empty()) {
      const timespec pause{0, int64_t{50} * 1000 * 1000};
      nanosleep(&pause, nullptr);
      Reap();
      NudgeStoppingWorkers();
    }
    Log(LogLevel::kInfo) << "stopped";
    return 0;
  }

  MasterOptions options_;
  WorkerMain worker_main_;
  std::map<pid_t, WorkerProcess> workers_;
  int generation_ = 0;
  int64_t respawn_not_before_ms_ = 0;
  RetireGate retire_gate_;  // shared with the workers forked from here
  int64_t release_turn_at_ms_ = 0;
  WorkerReadiness readiness_;  // likewise
  Phase phase_ = Phase::kStarting;
  std::string last_status_;
};

}  // namespace

int OpenListenSocket(const std::string& spec, int socket_mode, bool* inherited) {
  *inherited = true;
  const char* listen_pid = std::getenv("LISTEN_PID");
  const char* listen_fds = std::getenv("LISTEN_FDS");
  if (listen_pid != nullptr && listen_fds != nullptr && std::atoi(listen_pid) == getpid() &&
      std::atoi(listen_fds) >= 1) {
    return 3;  // systemd socket activation: the first passed socket
  }
  if (spec == "stdin" || (spec.empty() && IsListeningSocket(0))) {
    if (!IsListeningSocket(0)) {
      throw ConfigError("server.listen", "\"stdin\" given but fd 0 is not a listening socket");
    }
    return 0;
  }
  if (spec.empty()) {
    throw ConfigError("server.listen", "not set, and fd 0 is not a listening socket");
  }
  *inherited = false;
  const bool is_unix = spec.rfind("unix:", 0) == 0;
  const std::string address = is_unix ? spec.substr(5) : spec;
  if (is_unix) {
    unlink(address.c_str());  // a stale socket from an earlier run
  }
  const int fd = FCGX_OpenSocket(address.c_str(), kBacklog);
  if (fd < 0) {
    throw ConfigError("server.listen", "cannot listen on " + spec);
  }
  if (is_unix && chmod(address.c_str(), static_cast<mode_t>(socket_mode)) != 0) {
    throw ConfigError("server.socket_mode", "cannot chmod " + address);
  }
  return fd;
}

int RunMaster(MasterOptions options, WorkerMain worker_main, const Reloader& reload) {
  Master master(options, std::move(worker_main));
  return master.Run(reload);
}

}  // namespace weave
