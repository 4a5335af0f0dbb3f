// The worker's connection loop, spoken to over a real unix socket as a web server would:
// connections kept open between requests (FCGI_KEEP_CONN), several at once on one worker,
// closed after the answer when not kept, and let go when the worker stops or retires.
#include "fcgi/fcgi_worker.h"

#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

namespace weave {
namespace {

constexpr uint8_t kBeginRequest = 1;
constexpr uint8_t kEndRequest = 3;
constexpr uint8_t kParams = 4;
constexpr uint8_t kStdin = 5;
constexpr uint8_t kStdout = 6;
constexpr uint8_t kKeepConn = 1;

void AppendRecord(std::string& out, uint8_t type, uint16_t request_id, const std::string& content) {
  const size_t length = content.size();
  out += static_cast<char>(1);  // version
  out += static_cast<char>(type);
  out += static_cast<char>(request_id >> 8);
  out += static_cast<char>(request_id & 0xff);
  out += static_cast<char>(length >> 8);
  out += static_cast<char>(length & 0xff);
  out += '\0';  // padding
  out += '\0';  // reserved
  out += content;
}

void AppendPair(std::string& out, const std::string& name, const std::string& value) {
  out += static_cast<char>(name.size());  // short names and values: one length byte each
  out += static_cast<char>(value.size());
  out += name;
  out += value;
}

// One GET request as nginx sends it: begin, parameters, an empty body.
std::string GetRequest(const std::string& path, bool keep) {
  std::string params;
  AppendPair(params, "REQUEST_METHOD", "GET");
  AppendPair(params, "REQUEST_URI", path);
  std::string begin(8, '\0');
  begin[1] = 1;  // responder
  begin[2] = static_cast<char>(keep ? kKeepConn : 0);
  std::string out;
  AppendRecord(out, kBeginRequest, 1, begin);
  AppendRecord(out, kParams, 1, params);
  AppendRecord(out, kParams, 1, "");
  AppendRecord(out, kStdin, 1, "");
  return out;
}

// Waits up to timeout_ms for fd to be readable (or closed).
bool Readable(int fd, int timeout_ms) {
  pollfd watch{fd, POLLIN, 0};
  return poll(&watch, 1, timeout_ms) == 1;
}

// The answer's standard output up to the end record; "" when the connection ended first or
// nothing came within two seconds.
std::string ReadAnswer(int fd) {
  std::string stdout_text;
  for (;;) {
    unsigned char header[8];
    size_t got = 0;
    while (got < sizeof header) {
      if (!Readable(fd, 2000)) {
        return "";
      }
      const ssize_t n = read(fd, header + got, sizeof header - got);
      if (n <= 0) {
        return "";
      }
      got += static_cast<size_t>(n);
    }
    const size_t length = (size_t{header[4]} << 8) | header[5];
    std::string content(length + header[6], '\0');
    got = 0;
    while (got < content.size()) {
      if (!Readable(fd, 2000)) {
        return "";
      }
      const ssize_t n = read(fd, content.data() + got, content.size() - got);
      if (n <= 0) {
        return "";
      }
      got += static_cast<size_t>(n);
    }
    if (header[1] == kStdout) {
      stdout_text += content.substr(0, length);
    } else if (header[1] == kEndRequest) {
      return stdout_text;
    }
  }
}

// True when the peer has closed the connection (a read finds its end) within timeout_ms.
bool ClosedWithin(int fd, int timeout_ms) {
  char byte = 0;
  return Readable(fd, timeout_ms) && read(fd, &byte, 1) == 0;
}

// A worker process on a fresh unix socket, answering "served N: PATH" (N counts its
// requests); killed at the end of the test if still running.
class WorkerProcess {
 public:
  explicit WorkerProcess(int64_t max_requests = 0, int64_t drain_ms = 5000) {
    path_ = "/tmp/weave-fcgi-worker-test-" + std::to_string(getpid()) + ".sock";
    unlink(path_.c_str());
    const int listener = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof address.sun_path - 1);
    BOOST_REQUIRE(bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
    BOOST_REQUIRE(listen(listener, 16) == 0);
    pid_ = fork();
    if (pid_ == 0) {
      WorkerOptions options;
      options.max_requests = max_requests;
      options.drain_ms = drain_ms;
      int served = 0;
      const int code = RunWorker(listener, options, [&served](const Request& request) {
        Response response;
        response.content_type = "text/plain";
        response.body = "served " + std::to_string(++served) + ": " + request.path;
        return response;
      });
      _exit(code);
    }
    close(listener);
    BOOST_REQUIRE(pid_ > 0);
  }
  ~WorkerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    unlink(path_.c_str());
  }
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  int Connect() const {
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof address.sun_path - 1);
    BOOST_REQUIRE(connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
    return fd;
  }

  // The worker's exit code once it exits within timeout_ms; -1 if it does not.
  int ExitCodeWithin(int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
      }
      usleep(10000);
    }
    return -1;
  }

  void Signal(int sig) const { kill(pid_, sig); }

 private:
  std::string path_;
  pid_t pid_ = 0;
};

std::string Ask(int fd, const std::string& path, bool keep = true) {
  const std::string request = GetRequest(path, keep);
  BOOST_REQUIRE(write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
  return ReadAnswer(fd);
}

bool EndsWith(const std::string& text, const std::string& tail) {
  return text.size() >= tail.size() &&
         text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

BOOST_AUTO_TEST_SUITE(fcgi_worker)

BOOST_AUTO_TEST_CASE(a_kept_connection_carries_one_request_after_another) {
  WorkerProcess worker;
  const int fd = worker.Connect();
  BOOST_TEST(EndsWith(Ask(fd, "/a"), "served 1: /a"));
  BOOST_TEST(EndsWith(Ask(fd, "/b"), "served 2: /b"));
  BOOST_TEST(EndsWith(Ask(fd, "/c"), "served 3: /c"));
  BOOST_TEST(!ClosedWithin(fd, 100));  // still open for the next one
  close(fd);
}

BOOST_AUTO_TEST_CASE(an_idle_kept_connection_does_not_hold_up_another) {
  // A blocking libfcgi loop would wait on the first connection for its next request and
  // leave the second unanswered: the web server's requests on new connections would hang.
  WorkerProcess worker;
  const int first = worker.Connect();
  BOOST_TEST(EndsWith(Ask(first, "/one"), "served 1: /one"));
  const int second = worker.Connect();
  BOOST_TEST(EndsWith(Ask(second, "/two"), "served 2: /two"));
  BOOST_TEST(EndsWith(Ask(first, "/three"), "served 3: /three"));
  BOOST_TEST(EndsWith(Ask(second, "/four"), "served 4: /four"));
  close(first);
  BOOST_TEST(EndsWith(Ask(second, "/five"), "served 5: /five"));  // a closed one is let go
  close(second);
}

BOOST_AUTO_TEST_CASE(requests_waiting_on_several_connections_are_all_answered) {
  WorkerProcess worker;
  std::vector<int> connections;
  for (int i = 0; i < 5; ++i) {
    connections.push_back(worker.Connect());
    BOOST_TEST(!Ask(connections.back(), "/open").empty());
  }
  // All five send before any answer is read: the worker finds them ready together.
  for (int fd : connections) {
    const std::string request = GetRequest("/again", true);
    BOOST_REQUIRE(write(fd, request.data(), request.size()) ==
                  static_cast<ssize_t>(request.size()));
  }
  for (int fd : connections) {
    BOOST_TEST(EndsWith(ReadAnswer(fd), ": /again"));
    close(fd);
  }
}

BOOST_AUTO_TEST_CASE(a_connection_not_kept_is_closed_after_its_answer) {
  WorkerProcess worker;
  const int fd = worker.Connect();
  BOOST_TEST(EndsWith(Ask(fd, "/once", false), "served 1: /once"));
  BOOST_TEST(ClosedWithin(fd, 2000));
  close(fd);
  const int next = worker.Connect();  // and the worker goes on accepting
  BOOST_TEST(EndsWith(Ask(next, "/next", false), "served 2: /next"));
  close(next);
}

BOOST_AUTO_TEST_CASE(garbage_on_a_connection_ends_it_and_the_worker_serves_on) {
  WorkerProcess worker;
  const int bad = worker.Connect();
  const std::string garbage = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  BOOST_REQUIRE(write(bad, garbage.data(), garbage.size()) == static_cast<ssize_t>(garbage.size()));
  BOOST_TEST(ClosedWithin(bad, 2000));
  close(bad);
  const int good = worker.Connect();
  BOOST_TEST(EndsWith(Ask(good, "/fine"), "served 1: /fine"));
  close(good);
}

BOOST_AUTO_TEST_CASE(a_stopped_worker_lets_its_idle_kept_connections_go_and_exits) {
  WorkerProcess worker;
  const int fd = worker.Connect();
  BOOST_TEST(!Ask(fd, "/x").empty());
  worker.Signal(SIGTERM);
  BOOST_TEST(worker.ExitCodeWithin(3000) == 0);  // not after the 5 s drain limit
  BOOST_TEST(ClosedWithin(fd, 1000));
  close(fd);
}

BOOST_AUTO_TEST_CASE(a_retiring_worker_answers_on_its_kept_connections_until_they_close) {
  WorkerProcess worker(1);  // retires after one request (no retirement turn to wait for)
  const int fd = worker.Connect();
  BOOST_TEST(EndsWith(Ask(fd, "/first"), "served 1: /first"));
  // Past its limit it takes no new connection, but requests the web server sends on the
  // kept one (which it may do at any moment) are still answered rather than cut off, and
  // it does not close the connection under the web server's feet, idle or not.
  for (int i = 2; i <= 4; ++i) {
    BOOST_TEST(!ClosedWithin(fd, 200));
    BOOST_TEST(EndsWith(Ask(fd, "/more"), "served " + std::to_string(i) + ": /more"));
  }
  BOOST_TEST(worker.ExitCodeWithin(100) == -1);
  close(fd);  // the web server lets the connection go: the worker leaves
  BOOST_TEST(worker.ExitCodeWithin(2000) == 0);
}

BOOST_AUTO_TEST_CASE(a_worker_retired_by_sighup_drains_the_same_way) {
  WorkerProcess worker;
  const int fd = worker.Connect();
  BOOST_TEST(!Ask(fd, "/x").empty());
  worker.Signal(SIGHUP);
  BOOST_TEST(!ClosedWithin(fd, 300));
  BOOST_TEST(EndsWith(Ask(fd, "/y"), "served 2: /y"));
  close(fd);
  BOOST_TEST(worker.ExitCodeWithin(2000) == 0);
}

BOOST_AUTO_TEST_CASE(a_drain_ends_after_its_time_even_if_the_web_server_holds_on) {
  WorkerProcess worker(1, 500);
  const int fd = worker.Connect();
  BOOST_TEST(!Ask(fd, "/x").empty());
  BOOST_TEST(ClosedWithin(fd, 3000));
  BOOST_TEST(worker.ExitCodeWithin(1000) == 0);
  close(fd);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace weave
