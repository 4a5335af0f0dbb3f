// The load tool's HTTP/1.1 keep-alive connections on one epoll loop (see http.h).
#include "http.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

namespace bench {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

const std::string* HttpResponse::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) {
      return &value;
    }
  }
  return nullptr;
}

Connection::Connection(Loop& loop, const sockaddr_in& address, std::string host_header)
    : loop_(loop), address_(address), host_header_(std::move(host_header)) {
  loop_.Register(this);
}

Connection::~Connection() {
  Close();
  loop_.Unregister(this);
}

void Connection::Begin(HttpRequest request, std::coroutine_handle<> waiter) {
  waiter_ = waiter;
  busy_ = true;
  response_ = HttpResponse{};
  out_.clear();
  out_sent_ = 0;
  in_.clear();
  head_done_ = false;
  content_length_ = -1;
  chunked_ = false;
  close_after_ = false;
  retried_ = false;
  out_ += request.method;
  out_ += ' ';
  out_ += request.target;
  out_ += " HTTP/1.1\r\nHost: ";
  out_ += host_header_;
  out_ += "\r\n";
  for (const auto& [name, value] : request.headers) {
    out_ += name;
    out_ += ": ";
    out_ += value;
    out_ += "\r\n";
  }
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
    out_ += "Content-Length: ";
    out_ += std::to_string(request.body.size());
    out_ += "\r\n";
  }
  out_ += "\r\n";
  out_ += request.body;
  started_ = Clock::now();
  deadline_ = started_ + loop_.RequestTimeout();
  if (fd_ < 0 && !Open()) {
    return;
  }
  Transmit();
}

bool Connection::Open() {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    Fail(std::string("socket: ") + std::strerror(errno));
    return false;
  }
  const int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  served_on_fd_ = 0;
  connected_ = false;
  if (connect(fd_, reinterpret_cast<const sockaddr*>(&address_), sizeof address_) != 0 &&
      errno != EINPROGRESS) {
    Fail(std::string("connect: ") + std::strerror(errno));
    return false;
  }
  epoll_event event{};
  event.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP;
  event.data.ptr = this;
  if (epoll_ctl(loop_.EpollFd(), EPOLL_CTL_ADD, fd_, &event) != 0) {
    Fail(std::string("epoll_ctl: ") + std::strerror(errno));
    return false;
  }
  return true;
}

void Connection::Close() {
  if (fd_ >= 0) {
    close(fd_);  // also leaves the epoll set
    fd_ = -1;
  }
  connected_ = false;
}

void Connection::Transmit() {
  while (out_sent_ < out_.size()) {
    const ssize_t sent = send(fd_, out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL);
    if (sent > 0) {
      connected_ = true;
      out_sent_ += static_cast<size_t>(sent);
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOTCONN || errno == EINTR) {
      return;  // EPOLLOUT resumes
    }
    if (served_on_fd_ > 0 && !retried_) {
      Retry();
    } else {
      Fail(std::string("send: ") + std::strerror(errno));
    }
    return;
  }
}

void Connection::Retry() {
  Close();
  retried_ = true;
  out_sent_ = 0;
  in_.clear();
  head_done_ = false;
  if (Open()) {
    Transmit();
  }
}

void Connection::OnEvent(uint32_t events) {
  if (!busy_) {
    // Idle: the only news can be that the server closed the kept-alive connection.
    char scratch[512];
    while (fd_ >= 0) {
      const ssize_t got = recv(fd_, scratch, sizeof scratch, 0);
      if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        Close();
      } else if (got < 0) {
        break;
      }
    }
    return;
  }
  if ((events & EPOLLERR) != 0 && fd_ >= 0) {
    int error = 0;
    socklen_t size = sizeof error;
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &size);
    if (error != 0) {
      if (served_on_fd_ > 0 && !retried_ && in_.empty()) {
        Retry();
      } else {
        Fail(std::string("socket error: ") + std::strerror(error));
      }
      return;
    }
  }
  if ((events & EPOLLOUT) != 0 && fd_ >= 0 && out_sent_ < out_.size()) {
    Transmit();
  }
  if (busy_ && fd_ >= 0 && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) != 0) {
    Receive();
  }
}

void Connection::Receive() {
  bool eof = false;
  char buffer[65536];
  while (true) {
    const ssize_t got = recv(fd_, buffer, sizeof buffer, 0);
    if (got > 0) {
      in_.append(buffer, static_cast<size_t>(got));
      continue;
    }
    if (got == 0) {
      eof = true;
      break;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      break;
    }
    if (errno == EINTR) {
      continue;
    }
    if (served_on_fd_ > 0 && !retried_ && in_.empty()) {
      Retry();
    } else {
      Fail(std::string("recv: ") + std::strerror(errno));
    }
    return;
  }
  if (TryComplete(eof)) {
    return;
  }
  if (eof) {
    if (in_.empty() && served_on_fd_ > 0 && !retried_) {
      Retry();  // the server had closed the idle connection
    } else {
      Fail("connection closed before the response ended");
    }
  }
}

bool Connection::ParseHead() {
  const size_t end = in_.find("\r\n\r\n");
  if (end == std::string::npos) {
    return false;
  }
  const std::string_view head(in_.data(), end);
  size_t line_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, line_end);
  // "HTTP/1.1 200 OK"
  if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/") {
    throw std::runtime_error("bad status line");
  }
  const size_t space = status_line.find(' ');
  const std::string_view code = status_line.substr(space + 1, 3);
  std::from_chars(code.data(), code.data() + code.size(), response_.status);
  close_after_ = status_line.substr(0, 8) == "HTTP/1.0";
  while (line_end != std::string_view::npos) {
    const size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string_view line = head.substr(
        start, line_end == std::string_view::npos ? std::string_view::npos : line_end - start);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      continue;
    }
    std::string name = Lower(Trim(line.substr(0, colon)));
    const std::string_view value = Trim(line.substr(colon + 1));
    if (name == "content-length") {
      int64_t length = -1;
      std::from_chars(value.data(), value.data() + value.size(), length);
      content_length_ = length;
    } else if (name == "transfer-encoding" && Lower(value).find("chunked") != std::string::npos) {
      chunked_ = true;
    } else if (name == "connection") {
      const std::string lowered = Lower(value);
      if (lowered.find("close") != std::string::npos) {
        close_after_ = true;
      } else if (lowered.find("keep-alive") != std::string::npos) {
        close_after_ = false;
      }
    }
    response_.headers.emplace_back(std::move(name), std::string(value));
  }
  body_start_ = end + 4;
  head_done_ = true;
  return true;
}

bool Connection::TryComplete(bool at_eof) {
  try {
    if (!head_done_ && !ParseHead()) {
      return false;
    }
  } catch (const std::exception& error) {
    Fail(error.what());
    return true;
  }
  if (response_.status == 204 || response_.status == 304 || response_.status / 100 == 1) {
    Complete();
    return true;
  }
  if (chunked_) {
    std::string body;
    size_t position = body_start_;
    while (true) {
      const size_t line_end = in_.find("\r\n", position);
      if (line_end == std::string::npos) {
        return false;
      }
      size_t size = 0;
      const auto parsed = std::from_chars(in_.data() + position, in_.data() + line_end, size, 16);
      if (parsed.ec != std::errc()) {
        Fail("bad chunk size");
        return true;
      }
      const size_t data = line_end + 2;
      if (in_.size() < data + size + 2) {
        return false;
      }
      if (size == 0) {
        response_.body = std::move(body);
        Complete();
        return true;
      }
      body.append(in_, data, size);
      position = data + size + 2;
    }
  }
  if (content_length_ >= 0) {
    if (in_.size() - body_start_ < static_cast<size_t>(content_length_)) {
      return false;
    }
    response_.body = in_.substr(body_start_, static_cast<size_t>(content_length_));
    Complete();
    return true;
  }
  if (at_eof) {
    close_after_ = true;
    response_.body = in_.substr(body_start_);
    Complete();
    return true;
  }
  return false;
}

void Connection::Complete() {
  busy_ = false;
  response_.transport_ok = true;
  response_.wire_bytes = in_.size();
  response_.latency_us =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started_).count();
  ++served_on_fd_;
  if (close_after_) {
    Close();
  }
  loop_.Completed(this);
}

void Connection::Fail(const std::string& why) {
  busy_ = false;
  response_.transport_ok = false;
  response_.transport_error = why;
  response_.latency_us =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started_).count();
  Close();
  loop_.Completed(this);
}

void Connection::CheckTimeout(Clock::time_point now) {
  if (busy_ && now > deadline_) {
    Fail("no complete response within " + std::to_string(loop_.RequestTimeout().count()) + " ms");
  }
}

Loop::Loop(std::chrono::milliseconds request_timeout)
    : epoll_fd_(epoll_create1(EPOLL_CLOEXEC)), request_timeout_(request_timeout) {
  if (epoll_fd_ < 0) {
    throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
  }
}

Loop::~Loop() {
  close(epoll_fd_);
}

void Loop::Unregister(Connection* connection) {
  connections_.erase(std::remove(connections_.begin(), connections_.end(), connection),
                     connections_.end());
  completed_.erase(std::remove(completed_.begin(), completed_.end(), connection), completed_.end());
}

void Loop::Poll() {
  epoll_event events[256];
  const int timeout_ms = completed_.empty() ? 10 : 0;
  const int count = epoll_wait(epoll_fd_, events, 256, timeout_ms);
  for (int i = 0; i < count; ++i) {
    static_cast<Connection*>(events[i].data.ptr)->OnEvent(events[i].events);
  }
  const auto now = Clock::now();
  for (Connection* connection : connections_) {
    connection->CheckTimeout(now);
  }
  while (!completed_.empty()) {
    Connection* connection = completed_.front();
    completed_.pop_front();
    if (const auto waiter = connection->TakeWaiter()) {
      waiter.resume();
    }
  }
}

bool ParseTarget(std::string_view url, Target& target, std::string& error) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    error = "URL must start with http://";
    return false;
  }
  url.remove_prefix(kScheme.size());
  const size_t slash = url.find('/');
  const std::string_view authority = url.substr(0, slash);
  std::string_view prefix = slash == std::string_view::npos ? "" : url.substr(slash);
  while (!prefix.empty() && prefix.back() == '/') {
    prefix.remove_suffix(1);
  }
  const size_t colon = authority.rfind(':');
  const std::string_view host = authority.substr(0, colon);
  int port = 80;
  if (colon != std::string_view::npos) {
    const std::string_view digits = authority.substr(colon + 1);
    const auto parsed = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (parsed.ec != std::errc() || port <= 0 || port > 65535) {
      error = "bad port in URL";
      return false;
    }
  }
  if (host != "127.0.0.1") {
    error = "the benchmark only sends traffic to 127.0.0.1";
    return false;
  }
  target.address.sin_family = AF_INET;
  target.address.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &target.address.sin_addr);
  target.host_header = std::string(authority);
  target.prefix = std::string(prefix);
  return true;
}

}  // namespace bench
