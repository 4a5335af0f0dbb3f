// The FastCGI accept loop of one worker process; the only user of libfcgi.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "http/request.h"
#include "http/response.h"

namespace weave {

class RetireGate;

struct WorkerOptions {
  std::string path_prefix;     // stripped from the request path
  int64_t max_body_bytes = 0;  // larger bodies are refused with 413 unread
  // Exit after about this many requests (0: never): each worker draws its own limit within
  // ±25 %, so that workers started together do not all retire together.
  int64_t max_requests = 0;
  // The master's (nullptr: none): a worker past its limit retires only when it gets the
  // turn, and serves on meanwhile.
  RetireGate* retire_gate = nullptr;
  // With an idle handler: also call it after this long without a request (0: only after
  // requests), so that background work (upkeep) runs on a server nobody uses.
  int64_t idle_wakeup_ms = 0;
  // Called once, just before the worker first waits for requests: it can serve from now on.
  std::function<void()> on_ready = nullptr;
  // Once stopping or retiring, the worker accepts no new connection but answers requests
  // on the connections it keeps open (FCGI_KEEP_CONN) for at most this long, and exits when
  // none is left. Retiring, it leaves closing them to the web server (which does so between
  // requests); stopping, it also closes each once idle for 100 ms.
  int64_t drain_ms = 5000;
};

// max_requests with ±25 % of random jitter (at least 1); 0 stays 0. Exposed for tests.
int64_t JitteredLimit(int64_t max_requests);

using RequestHandler = std::function<Response(const Request&)>;
using IdleHandler = std::function<void()>;

// Serves requests from listen_fd one at a time, on connections the web server may keep open
// for further requests, until SIGTERM or SIGINT (stop) or SIGHUP or its request limit
// (retire), after the request in flight and the kept connections' drain (see WorkerOptions).
// After each answer has been sent, and after idle_wakeup_ms without one, calls idle (if
// set). Makes listen_fd non-blocking (all workers poll it). Returns the process exit code.
int RunWorker(int listen_fd, const WorkerOptions& options, const RequestHandler& handler,
              const IdleHandler& idle = {});

// How long a request waited for a worker, in microseconds: now_us (the wall clock when a
// worker accepted it) minus the web server's WEAVE_QUEUE_START parameter, seconds since the
// epoch with a fraction (nginx: `fastcgi_param WEAVE_QUEUE_START $msec;`). nullopt when the
// parameter is absent or malformed, or more than an hour off (clocks apart); a start a
// little in the future (the web server's clock is read coarsely) is a wait of 0.
std::optional<int64_t> QueueWaitUs(std::string_view start, int64_t now_us);

// Builds a Request from CGI parameters (NAME=value strings, null-terminated array).
// Exposed for tests. The body is not read here.
Request RequestFromCgi(char** envp, const std::string& path_prefix);

}  // namespace weave
