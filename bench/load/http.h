// HTTP/1.1 keep-alive client connections on one epoll loop (no third-party HTTP code).
#pragma once

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <netinet/in.h>

namespace bench {

using Clock = std::chrono::steady_clock;

struct HttpRequest {
  std::string method = "GET";
  std::string target;  // path and query, as sent
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct HttpResponse {
  bool transport_ok = false;
  std::string transport_error;
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  int64_t latency_us = 0;
  size_t wire_bytes = 0;

  const std::string* Header(std::string_view lower_name) const;
};

class Loop;

// One TCP connection that carries one request at a time. Reconnects when the server
// closed it; a request that finds a kept-alive connection already closed is retried once.
class Connection {
 public:
  Connection(Loop& loop, const sockaddr_in& address, std::string host_header);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  struct Awaiter {
    Connection& connection;
    HttpRequest request;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> waiter) {
      connection.Begin(std::move(request), waiter);
    }
    HttpResponse await_resume() { return std::move(connection.response_); }
  };
  // co_await connection.Send(request) yields the complete response (or a transport error).
  Awaiter Send(HttpRequest request) { return Awaiter{*this, std::move(request)}; }

  void OnEvent(uint32_t events);
  void CheckTimeout(Clock::time_point now);
  int Fd() const { return fd_; }
  std::coroutine_handle<> TakeWaiter() { return std::exchange(waiter_, {}); }

 private:
  void Begin(HttpRequest request, std::coroutine_handle<> waiter);
  bool Open();
  void Close();
  void Transmit();
  void Receive();
  bool ParseHead();
  bool TryComplete(bool at_eof);
  void Fail(const std::string& why);
  void Complete();
  void Retry();

  Loop& loop_;
  sockaddr_in address_;
  std::string host_header_;
  int fd_ = -1;
  bool connected_ = false;
  int64_t served_on_fd_ = 0;
  bool retried_ = false;

  std::coroutine_handle<> waiter_;
  bool busy_ = false;  // a request is on the wire and not yet answered
  std::string out_;
  size_t out_sent_ = 0;
  std::string in_;
  Clock::time_point started_;
  Clock::time_point deadline_;

  // Parse state of the response being read.
  bool head_done_ = false;
  size_t body_start_ = 0;
  int64_t content_length_ = -1;
  bool chunked_ = false;
  bool close_after_ = false;
  HttpResponse response_;
};

class Loop {
 public:
  explicit Loop(std::chrono::milliseconds request_timeout);
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;
  ~Loop();

  // Runs until every given predicate says done; resumes waiting coroutines as their
  // responses complete.
  template <typename Done>
  void Run(Done done) {
    while (!done()) {
      Poll();
    }
  }
  void Poll();

  int EpollFd() const { return epoll_fd_; }
  std::chrono::milliseconds RequestTimeout() const { return request_timeout_; }
  void Register(Connection* connection) { connections_.push_back(connection); }
  void Unregister(Connection* connection);
  void Completed(Connection* connection) { completed_.push_back(connection); }

 private:
  int epoll_fd_ = -1;
  std::chrono::milliseconds request_timeout_;
  std::vector<Connection*> connections_;
  std::deque<Connection*> completed_;
};

// "http://127.0.0.1:PORT[/prefix]": only loopback targets are accepted.
struct Target {
  sockaddr_in address{};
  std::string host_header;
  std::string prefix;  // without a trailing slash
};
bool ParseTarget(std::string_view url, Target& target, std::string& error);

}  // namespace bench
