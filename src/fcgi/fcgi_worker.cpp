// A worker's accept loop: FastCGI records in, Request values out, Responses back.
#include "fcgi/fcgi_worker.h"

#include <fcgiapp.h>
#include <fcgio.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <random>
#include <string>

#include "core/log.h"
#include "core/metrics.h"
#include "fcgi/retire_gate.h"

namespace weave {
namespace {

volatile sig_atomic_t g_stop_requested = 0;

void OnStopSignal(int /*signal*/) {
  g_stop_requested = 1;
}

// No SA_RESTART: a signal interrupts accept(), and libfcgi (FCGI_FAIL_ACCEPT_ON_INTR)
// returns instead of retrying, so an idle worker stops at once.
void InstallWorkerSignals() {
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGHUP, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);  // the web server may close early; a write error is enough
  sigset_t unblock;
  sigemptyset(&unblock);
  for (int sig : {SIGTERM, SIGHUP, SIGINT, SIGCHLD}) {
    sigaddset(&unblock, sig);
  }
  sigprocmask(SIG_UNBLOCK, &unblock, nullptr);
}

std::string_view Param(char** envp, std::string_view name) {
  for (char** entry = envp; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    if (text.size() > name.size() && text[name.size()] == '=' &&
        text.substr(0, name.size()) == name) {
      return text.substr(name.size() + 1);
    }
  }
  return {};
}

// Web servers hand the Authorization header over under several names (see the
// deployment notes); they all mean the same.
bool IsAuthorizationParam(std::string_view name) {
  return name == "HTTP_AUTHORIZATION" || name == "Authorization" || name == "AUTHORIZATION" ||
         name == "REDIRECT_HTTP_AUTHORIZATION";
}

std::string RequestPath(char** envp, const std::string& path_prefix) {
  std::string_view path = Param(envp, "REQUEST_URI");
  std::string joined;
  if (path.empty()) {
    joined = std::string(Param(envp, "SCRIPT_NAME")) + std::string(Param(envp, "PATH_INFO"));
    path = joined;
  }
  path = path.substr(0, path.find('?'));
  // Only the configured prefix is removed: web servers disagree on SCRIPT_NAME (Apache
  // calls the first path segment missing on disk the "script").
  if (!path_prefix.empty() && path.substr(0, path_prefix.size()) == path_prefix &&
      (path.size() == path_prefix.size() || path[path_prefix.size()] == '/')) {
    path.remove_prefix(path_prefix.size());
  }
  return std::string(path);
}

bool ReadBody(FCGX_Stream* in, size_t length, std::string& body) {
  body.resize(length);
  size_t done = 0;
  while (done < length) {
    const int got = FCGX_GetStr(body.data() + done, static_cast<int>(length - done), in);
    if (got <= 0) {
      body.resize(done);
      return false;
    }
    done += static_cast<size_t>(got);
  }
  return true;
}

// Reads what is left of stdin (its end-of-stream record, after a complete body); false
// if the stream failed.
bool DrainInput(FCGX_Stream* in) {
  char discard[256];
  while (FCGX_GetStr(discard, sizeof discard, in) > 0) {
  }
  return FCGX_GetError(in) == 0;
}

// Reads the body into request.body, or marks it too large (left unread: FCGX_Finish_r
// discards it) or cut short. Returns true when stdin has been read to its end, so that
// nothing unread is left on the connection.
bool ReadRequestBody(FCGX_Request& fcgi, int64_t max_body_bytes, Request& request) {
  const std::string_view length_text = Param(fcgi.envp, "CONTENT_LENGTH");
  if (length_text.empty()) {
    // No CONTENT_LENGTH (mod_proxy_fcgi forwards a chunked body so): read to the end of
    // the FastCGI stdin stream, up to the limit.
    char chunk[65536];
    int got = 0;
    while ((got = FCGX_GetStr(chunk, sizeof chunk, fcgi.in)) > 0) {
      request.body.append(chunk, static_cast<size_t>(got));
      if (static_cast<int64_t>(request.body.size()) > max_body_bytes) {
        request.body.clear();
        request.body_state = BodyState::kTooLarge;
        return false;
      }
    }
    return FCGX_GetError(fcgi.in) == 0;
  }
  const int64_t length = std::atoll(std::string(length_text).c_str());
  if (length < 0 || length > max_body_bytes) {
    request.body_state = BodyState::kTooLarge;
    return false;
  }
  if (!ReadBody(fcgi.in, static_cast<size_t>(length), request.body)) {
    request.body_state = BodyState::kTruncated;
    return false;
  }
  return DrainInput(fcgi.in);
}

void AppendNumber(std::string& out, int64_t value) {
  char digits[24];
  char* const end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

// The CGI header block is built in one string (an ostream would pass numbers on character by
// character), then head and body go through libfcgi's C++ stream buffer in two pieces.
// Nothing flushes it: FCGX_Finish_r then sends an answer that fits libfcgi's buffer, with the
// end records, in one write() (a flush here made it two).
void WriteResponse(FCGX_Stream* out, const Response& response) {
  std::string head;
  head.reserve(256);
  head.append("Status: ");
  AppendNumber(head, response.status);
  head.append(" ").append(StatusReason(response.status)).append("\r\n");
  head.append("Content-Type: ").append(response.content_type).append("\r\n");
  head.append("Content-Length: ");
  AppendNumber(head, static_cast<int64_t>(response.body.size()));
  head.append("\r\n");
  for (const auto& [name, value] : response.headers) {
    head.append(name).append(": ").append(value).append("\r\n");
  }
  head.append("\r\n");
  fcgi_streambuf buffer(out);
  std::ostream stream(&buffer);
  stream.write(head.data(), static_cast<std::streamsize>(head.size()));
  stream.write(response.body.data(), static_cast<std::streamsize>(response.body.size()));
}

// True when a worker that has served its limit may exit now.
bool MayRetire(RetireGate* gate) {
  return gate == nullptr || gate->TryRetire(getpid());
}

enum class Wait { kAccept, kIdle, kInterrupted };

// kIdle when timeout_ms passed with no connection waiting: the worker may do its idle work.
// Idle workers all wake for a connection and all but one then wait in accept(); the one
// that served polls again next, so one worker at least always keeps the timer.
Wait WaitForConnection(int listen_fd, int64_t timeout_ms) {
  pollfd watch{listen_fd, POLLIN, 0};
  const int ready = poll(&watch, 1, static_cast<int>(std::min<int64_t>(timeout_ms, INT32_MAX)));
  if (ready == 0) {
    return Wait::kIdle;
  }
  return ready < 0 && errno == EINTR ? Wait::kInterrupted : Wait::kAccept;
}

// Waits up to timeout_ms for a connection; true when one is waiting (accept it). Otherwise
// runs idle (stop signals held back, as after a request) unless a signal ended the wait.
bool IdleUntilConnection(int listen_fd, int64_t timeout_ms, const sigset_t& stop_signals,
                         const IdleHandler& idle) {
  const Wait wait = WaitForConnection(listen_fd, timeout_ms);
  if (wait == Wait::kIdle) {
    sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
    idle();
    sigprocmask(SIG_UNBLOCK, &stop_signals, nullptr);
  }
  return wait == Wait::kAccept;
}

// Counts the request's wait for a worker, when the web server told when it was handed over.
void ObserveQueueWait(char** envp) {
  const std::string_view start = Param(envp, "WEAVE_QUEUE_START");
  if (start.empty()) {
    return;
  }
  const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  if (const auto waited = QueueWaitUs(start, now_us)) {
    ObserveQueueWaitMetric(*waited);
  }
}

}  // namespace

std::optional<int64_t> QueueWaitUs(std::string_view start, int64_t now_us) {
  constexpr int64_t kMaxWaitUs = int64_t{3600} * 1000000;
  const size_t dot = start.find('.');
  const std::string_view whole = start.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : start.substr(dot + 1);
  int64_t seconds = 0;
  const auto [end, error] = std::from_chars(whole.data(), whole.data() + whole.size(), seconds);
  if (whole.empty() || error != std::errc() || end != whole.data() + whole.size() || seconds < 0 ||
      seconds > INT64_MAX / 1000000 - 1 || fraction.size() > 9) {
    return std::nullopt;
  }
  int64_t micros = seconds * 1000000;
  int64_t scale = 100000;
  for (const char digit : fraction) {
    if (digit < '0' || digit > '9') {
      return std::nullopt;
    }
    micros += (digit - '0') * scale;
    scale /= 10;
  }
  const int64_t wait = now_us - micros;
  if (wait > kMaxWaitUs || wait < -kMaxWaitUs) {
    return std::nullopt;
  }
  return std::max<int64_t>(wait, 0);
}

int64_t JitteredLimit(int64_t max_requests) {
  if (max_requests <= 0) {
    return 0;
  }
  const int64_t spread = max_requests / 4;
  const int64_t highest = max_requests > INT64_MAX - spread ? INT64_MAX : max_requests + spread;
  std::mt19937_64 random(std::random_device{}());
  return std::max<int64_t>(
      1, std::uniform_int_distribution<int64_t>(max_requests - spread, highest)(random));
}

Request RequestFromCgi(char** envp, const std::string& path_prefix) {
  Request request;
  request.method = Param(envp, "REQUEST_METHOD");
  request.path = RequestPath(envp, path_prefix);
  request.query = Param(envp, "QUERY_STRING");
  request.remote_addr = Param(envp, "REMOTE_ADDR");
  request.server_port = Param(envp, "SERVER_PORT");
  const std::string_view https = Param(envp, "HTTPS");
  const std::string_view scheme = Param(envp, "REQUEST_SCHEME");
  request.scheme = (!https.empty() && https != "off") || scheme == "https" ? "https" : "http";
  for (char** entry = envp; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const size_t eq = text.find('=');
    if (eq == std::string_view::npos) {
      continue;
    }
    const std::string_view name = text.substr(0, eq);
    const std::string_view value = text.substr(eq + 1);
    if (IsAuthorizationParam(name)) {
      if (request.Header("AUTHORIZATION") == nullptr) {
        request.headers.emplace_back("AUTHORIZATION", value);
      }
    } else if (name.substr(0, 5) == "HTTP_" && name != "HTTP_PROXY") {
      request.headers.emplace_back(name.substr(5), value);
    }
  }
  return request;
}

namespace {

// Answers the accepted request. Its statsd lines leave together, once it is answered.
void ServeRequest(FCGX_Request& fcgi, const WorkerOptions& options, const RequestHandler& handler) {
  const MetricsBatch metrics_batch;
  ObserveQueueWait(fcgi.envp);
  Request request = RequestFromCgi(fcgi.envp, options.path_prefix);
  const bool input_consumed = ReadRequestBody(fcgi, options.max_body_bytes, request);
  WriteResponse(fcgi.out, handler(request));
  if (input_consumed) {
    // All input has been read, so the connection can simply be closed. Otherwise libfcgi's
    // lingering close (shutdown, then wait for the web server to close its end) keeps unread
    // input from resetting the connection before the answer is read; in the common case it
    // only kept the worker waiting.
    FCGX_Detach(&fcgi);
  }
  FCGX_Finish_r(&fcgi);
}

}  // namespace

int RunWorker(int listen_fd, const WorkerOptions& options, const RequestHandler& handler,
              const IdleHandler& idle) {
  if (FCGX_Init() != 0) {
    Log(LogLevel::kError) << "FCGX_Init failed";
    return 1;
  }
  InstallWorkerSignals();
  FCGX_Request fcgi{};
  FCGX_InitRequest(&fcgi, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  for (int sig : {SIGTERM, SIGHUP, SIGINT}) {
    sigaddset(&stop_signals, sig);
  }
  int64_t served = 0;
  const int64_t limit = JitteredLimit(options.max_requests);
  if (options.on_ready) {
    options.on_ready();
  }
  while (g_stop_requested == 0) {
    if (limit > 0 && served >= limit && MayRetire(options.retire_gate)) {
      Log(LogLevel::kInfo) << "worker retiring after " << served << " requests (limit " << limit
                           << ")";
      break;
    }
    if (idle && options.idle_wakeup_ms > 0 &&
        !IdleUntilConnection(listen_fd, options.idle_wakeup_ms, stop_signals, idle)) {
      continue;
    }
    if (FCGX_Accept_r(&fcgi) < 0) {
      if (g_stop_requested != 0 || errno == EINTR) {
        continue;
      }
      Log(LogLevel::kError) << "accept failed: " << std::strerror(errno);
      return 1;
    }
    // Stop signals wait until the request is answered: libfcgi does not retry a read or
    // write that a signal interrupts, so the request in flight would break.
    sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
    ++served;
    ServeRequest(fcgi, options, handler);
    if (idle) {
      idle();
    }
    sigprocmask(SIG_UNBLOCK, &stop_signals, nullptr);
  }
  FCGX_Free(&fcgi, 1);
  return 0;
}

}  // namespace weave
