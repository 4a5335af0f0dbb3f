// The master process: owns the listening socket, forks workers, replaces dead ones,
// reloads on SIGHUP and stops gracefully on SIGTERM.
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

// Runs in a freshly forked worker; returns its exit code. The gate is the master's turn for
// retiring after max_requests (WorkerOptions::retire_gate).
using WorkerMain = std::function<int(RetireGate* gate)>;
// Called on SIGHUP: re-reads the configuration and returns the options and worker body
// for the next generation; throws to keep the current one (the error is logged).
using Reloader = std::function<std::pair<MasterOptions, WorkerMain>()>;

// Runs until SIGTERM/SIGINT; returns the exit code. Workers that retire (max_requests) are
// replaced one at a time: the next may retire a second after the previous one was replaced.
int RunMaster(MasterOptions options, WorkerMain worker_main, const Reloader& reload);

}  // namespace weave
