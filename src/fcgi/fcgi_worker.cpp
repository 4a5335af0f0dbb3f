// A worker's accept loop: FastCGI records in, Request values out, Responses back.
#include "fcgi/fcgi_worker.h"

#include <fcgiapp.h>
#include <fcgio.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include <sys/socket.h>

#include "core/log.h"
#include "core/metrics.h"
#include "fcgi/retire_gate.h"

namespace weave {
namespace {

volatile sig_atomic_t g_stop_requested = 0;
volatile sig_atomic_t g_retire_requested = 0;

// SIGTERM and SIGINT stop the worker (the service stops); SIGHUP retires it (the master
// reloads and new workers already serve beside it). See DecideDrain.
void OnStopSignal(int signal) {
  if (signal == SIGHUP) {
    g_retire_requested = 1;
  } else {
    g_stop_requested = 1;
  }
}

// The signals that stop or retire a worker (OnStopSignal).
constexpr std::array kStopSignals = {SIGTERM, SIGHUP, SIGINT};

sigset_t StopSignalSet() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kStopSignals) {
    sigaddset(&set, sig);
  }
  return set;
}

// No SA_RESTART: a signal interrupts the worker's wait for a request (ppoll), so an idle
// worker stops at once.
void InstallWorkerSignals() {
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  for (int sig : kStopSignals) {
    sigaction(sig, &action, nullptr);
  }
  signal(SIGPIPE, SIG_IGN);  // the web server may close early; a write error is enough
  sigset_t unblock = StopSignalSet();
  sigaddset(&unblock, SIGCHLD);
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

// One connection from the web server. When the web server asks to keep it (FastCGI's
// FCGI_KEEP_CONN: nginx's fastcgi_keep_conn with a keepalive upstream, Apache's
// mod_proxy_fcgi with enablereuse) it carries request after request, which saves a connect,
// an accept and a close per request on both sides; otherwise libfcgi closes it after the
// answer. libfcgi reads and writes it; this class decides when, and owns the descriptor.
class WebServerConnection {
 public:
  explicit WebServerConnection(int fd) {
    // Listening socket -1: libfcgi, which accepts when it finds no open connection (after
    // a broken or closed one), then fails at once instead of blocking in accept().
    FCGX_InitRequest(&request_, -1, 0);
    request_.ipcFd = fd;
    // FCGX_Accept_r first finishes the previous request, closing the connection unless it
    // is kept: there is none yet, so the new connection must count as kept.
    request_.keepConnection = 1;
  }
  ~WebServerConnection() {
    FCGX_Detach(&request_);  // nothing is left unread between requests: a plain close
    FCGX_Free(&request_, 1);
  }
  WebServerConnection(const WebServerConnection&) = delete;
  WebServerConnection& operator=(const WebServerConnection&) = delete;

  int Fd() const { return request_.ipcFd; }
  bool IsOpen() const { return request_.ipcFd >= 0; }
  FCGX_Request& Request() { return request_; }

 private:
  FCGX_Request request_{};
};

// Answers the accepted request. Its statsd lines leave together, once it is answered.
void ServeRequest(FCGX_Request& fcgi, const WorkerOptions& options, const RequestHandler& handler) {
  const MetricsBatch metrics_batch;
  ObserveQueueWait(fcgi.envp);
  Request request = RequestFromCgi(fcgi.envp, options.path_prefix);
  const bool input_consumed = ReadRequestBody(fcgi, options.max_body_bytes, request);
  WriteResponse(fcgi.out, handler(request));
  if (input_consumed) {
    // All input has been read, so the connection can be kept or simply closed. Otherwise
    // the rest of the body is still on the way: the connection cannot carry another
    // request, and libfcgi's lingering close (shutdown, then wait for the web server to
    // close its end) keeps that unread input from resetting it before the answer is read.
    FCGX_Detach(&fcgi);
  } else {
    FCGX_Attach(&fcgi);
    fcgi.keepConnection = 0;
  }
  FCGX_Finish_r(&fcgi);
}

// Reads the connection's next request and answers it; false when there was none: the web
// server closed the connection, or it broke. Either way libfcgi has closed it unless it is
// kept for the next request (IsOpen).
bool ServeNext(WebServerConnection& connection, const WorkerOptions& options,
               const RequestHandler& handler) {
  if (FCGX_Accept_r(&connection.Request()) < 0) {
    return false;
  }
  ServeRequest(connection.Request(), options, handler);
  return true;
}

// accept() failures that concern one connection or another worker's win, not the socket.
bool IsPassingAcceptError(int error) {
  return error == EAGAIN || error == EWOULDBLOCK || error == EINTR || error == ECONNABORTED ||
         error == EPROTO;
}

// A stopping worker closes a kept connection that has had no request for this long: the web
// server reuses its most recently used connections first, so one idle this long is the least
// likely to get a request in the moment it closes (a request sent just then fails).
constexpr int64_t kDrainIdleMs = 100;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// True when the web server has sent something (or closed) on fd that is not read yet.
bool HasPendingInput(int fd) {
  pollfd watch{fd, POLLIN, 0};
  return poll(&watch, 1, 0) > 0;
}

// The worker's loop: it polls its listening socket and the connections it keeps, and
// answers one request per ready connection per round, so that no kept connection starves
// another. Stop signals are held back except while it waits in ppoll(): a request in
// flight always completes (libfcgi does not retry a read or write that a signal interrupts),
// and a signal that comes while a request is served ends the next wait at once.
class WorkerLoop {
 public:
  WorkerLoop(int listen_fd, const WorkerOptions& options, const RequestHandler& handler,
             const IdleHandler& idle)
      : listen_fd_(listen_fd),
        options_(options),
        handler_(handler),
        idle_(idle),
        limit_(JitteredLimit(options.max_requests)) {}

  int Run() {
    // Held back from here on; waiting_mask_ (the mask before, with them let in) is ppoll's.
    const sigset_t stop_signals = StopSignalSet();
    sigprocmask(SIG_BLOCK, &stop_signals, &waiting_mask_);
    for (int sig : kStopSignals) {
      sigdelset(&waiting_mask_, sig);
    }
    // Every worker polls the same listening socket and all wake for a new connection: the
    // ones that lose the race must get EAGAIN, not block while their kept connections wait.
    const int listen_flags = fcntl(listen_fd_, F_GETFL);
    if (listen_flags < 0 || fcntl(listen_fd_, F_SETFL, listen_flags | O_NONBLOCK) != 0) {
      Log(LogLevel::kError) << "cannot make the listening socket non-blocking: "
                            << std::strerror(errno);
      return 1;
    }
    if (options_.on_ready) {
      options_.on_ready();
    }
    for (;;) {
      DecideDrain();
      if (Draining() && (connections_.empty() || NowMs() >= drain_until_ms_)) {
        return 0;
      }
      const int ready = Wait();
      if (ready < 0) {
        if (errno == EINTR) {
          continue;
        }
        Log(LogLevel::kError) << "poll failed: " << std::strerror(errno);
        return 1;
      }
      if (ready == 0 && !Draining() && idle_) {
        idle_();
      }
      const bool listener_ready =
          !Draining() && ready > 0 && (watches_.back().revents & POLLIN) != 0;
      if (ready > 0) {
        ServeReadyConnections();
      }
      if (closes_idle_) {
        LetIdleConnectionsGo();
      }
      if (listener_ready && !AcceptOne()) {
        return 1;
      }
    }
  }

 private:
  struct Kept {
    std::unique_ptr<WebServerConnection> connection;
    int64_t last_request_ms = 0;
  };

  bool Draining() const { return drain_until_ms_ >= 0; }

  // A stop or retirement ends accepting; the worker then answers on its kept connections
  // until none is left or the drain time (WorkerOptions::drain_ms) is over, when it closes
  // those still open. Retiring (SIGHUP from the master's reload, or the request limit with
  // the retirement turn) leaves the closing to the web server, which does it between
  // requests (nginx: keepalive_timeout, keepalive_requests), so no request meets a closing
  // connection. Stopping (SIGTERM, SIGINT) also closes each connection once idle for
  // kDrainIdleMs, so that the service stops promptly.
  void DecideDrain() {
    if (g_stop_requested != 0) {
      closes_idle_ = true;
    }
    if (Draining()) {
      return;
    }
    if (g_stop_requested != 0 || g_retire_requested != 0) {
      drain_until_ms_ = NowMs() + options_.drain_ms;
    } else if (limit_ > 0 && served_ >= limit_ && MayRetire(options_.retire_gate)) {
      Log(LogLevel::kInfo) << "worker retiring after " << served_ << " requests (limit " << limit_
                           << ")";
      drain_until_ms_ = NowMs() + options_.drain_ms;
    }
  }

  int Wait() {
    watches_.clear();
    for (const Kept& kept : connections_) {
      watches_.push_back({kept.connection->Fd(), POLLIN, 0});
    }
    int64_t timeout_ms = -1;
    if (Draining()) {
      timeout_ms = std::max<int64_t>(drain_until_ms_ - NowMs(), 0);
      if (closes_idle_) {
        timeout_ms = std::min(timeout_ms, kDrainIdleMs);
      }
    } else {
      watches_.push_back({listen_fd_, POLLIN, 0});
      if (idle_ && options_.idle_wakeup_ms > 0) {
        timeout_ms = options_.idle_wakeup_ms;
      }
    }
    timespec timeout{};
    timeout.tv_sec = static_cast<time_t>(timeout_ms / 1000);
    timeout.tv_nsec = static_cast<long>(timeout_ms % 1000) * 1000000;
    return ppoll(watches_.data(), watches_.size(), timeout_ms < 0 ? nullptr : &timeout,
                 &waiting_mask_);
  }

  // Answers one request on each kept connection ppoll found ready; drops the ended ones.
  void ServeReadyConnections() {
    for (size_t i = 0; i < connections_.size(); ++i) {
      if (watches_[i].revents != 0) {
        Serve(connections_[i]);
      }
    }
    std::erase_if(connections_, [](const Kept& kept) { return !kept.connection->IsOpen(); });
  }

  // Accepts a new connection and answers its first request; false on an error that
  // concerns the listening socket itself (the worker exits, and the master starts another).
  bool AcceptOne() {
    // A blocking descriptor (accept4 does not pass O_NONBLOCK on): libfcgi reads and
    // writes it as such.
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (IsPassingAcceptError(errno)) {
        return true;
      }
      Log(LogLevel::kError) << "accept failed: " << std::strerror(errno);
      return false;
    }
    Kept kept{std::make_unique<WebServerConnection>(fd), 0};
    Serve(kept);
    if (kept.connection->IsOpen()) {
      connections_.push_back(std::move(kept));
    }
    return true;
  }

  void Serve(Kept& kept) {
    if (ServeNext(*kept.connection, options_, handler_)) {
      kept.last_request_ms = NowMs();
      ++served_;
      if (idle_) {
        idle_();
      }
    }
  }

  void LetIdleConnectionsGo() {
    const int64_t now = NowMs();
    std::erase_if(connections_, [now](const Kept& kept) {
      return now - kept.last_request_ms >= kDrainIdleMs && !HasPendingInput(kept.connection->Fd());
    });
  }

  const int listen_fd_;
  const WorkerOptions& options_;
  const RequestHandler& handler_;
  const IdleHandler& idle_;
  const int64_t limit_;
  sigset_t waiting_mask_{};
  std::vector<Kept> connections_;
  std::vector<pollfd> watches_;
  int64_t served_ = 0;
  int64_t drain_until_ms_ = -1;  // set once the worker stops accepting
  bool closes_idle_ = false;     // stopping: idle kept connections are closed
};

}  // namespace

int RunWorker(int listen_fd, const WorkerOptions& options, const RequestHandler& handler,
              const IdleHandler& idle) {
  if (FCGX_Init() != 0) {
    Log(LogLevel::kError) << "FCGX_Init failed";
    return 1;
  }
  InstallWorkerSignals();
  return WorkerLoop(listen_fd, options, handler, idle).Run();
}

}  // namespace weave
