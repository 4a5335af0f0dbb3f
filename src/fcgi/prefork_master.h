// The master process: owns the listening socket, forks workers, replaces dead ones,
// reloads on SIGHUP and stops gracefully on SIGTERM; under systemd (Type=notify) it reports
// readiness, reloads and shutdown to the service manager.
#pragma once

#include <functional>
#include <string>

namespace weave {

class RetireGate;

// Returns the listening socket: a systemd-activated one (LISTEN_FDS), fd 0 for "stdin"
// or an empty spec when fd 0 is a socket (mod_fcgid, spawn-fcgi), or a new one bound to
// "unix:/path" or "host:port". Throws ConfigError if it cannot.
int OpenListenSocket(const std::string& spec, int socket_mode, bool* inherited);

struct MasterOptions {
  int workers = 4;
  int shutdown_timeout_seconds = 30;
};

// What the master gives a worker it forks (both empty when there is no master).
struct WorkerHooks {
  // The master's turn for retiring after max_requests (WorkerOptions::retire_gate).
  RetireGate* retire_gate = nullptr;
  // To be called once the worker accepts requests (WorkerOptions::on_ready).
  std::function<void()> ready = nullptr;
};

// Runs in a freshly forked worker; returns its exit code.
using WorkerMain = std::function<int(const WorkerHooks& hooks)>;
// Called on SIGHUP: re-reads the configuration and returns the options and worker body
// for the next generation; throws to keep the current one (the error is logged).
using Reloader = std::function<std::pair<MasterOptions, WorkerMain>()>;

// Runs until SIGTERM/SIGINT; returns the exit code. Workers that retire (max_requests) are
// replaced one at a time: the next may retire a second after the previous one was replaced.
// With NOTIFY_SOCKET set (systemd, Type=notify) it sends READY=1 once every worker of the
// configuration accepts requests, RELOADING=1 on SIGHUP and READY=1 again once the new
// workers accept (or at once if the reload failed), STOPPING=1 on SIGTERM, and STATUS=
// lines that say how many workers serve.
int RunMaster(MasterOptions options, WorkerMain worker_main, const Reloader& reload);

}  // namespace weave
