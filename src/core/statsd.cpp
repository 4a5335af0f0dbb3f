// The statsd UDP client: target parsing, one-time resolution, non-blocking sends, batches.
#include "core/statsd.h"

#include <netdb.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include <sys/socket.h>

#include "core/errors.h"

namespace weave {

bool SplitStatsdTarget(std::string_view target, std::string* host, std::string* port) {
  const size_t colon = target.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return false;
  }
  std::string_view host_part = target.substr(0, colon);
  const std::string_view port_part = target.substr(colon + 1);
  if (host_part.front() == '[') {
    if (host_part.size() < 3 || host_part.back() != ']') {
      return false;
    }
    host_part = host_part.substr(1, host_part.size() - 2);
  } else if (host_part.find(':') != std::string_view::npos) {
    return false;  // an IPv6 literal needs brackets
  }
  int number = 0;
  const auto [end, error] =
      std::from_chars(port_part.data(), port_part.data() + port_part.size(), number);
  if (port_part.empty() || error != std::errc() || end != port_part.data() + port_part.size() ||
      number < 1 || number > 65535) {
    return false;
  }
  *host = std::string(host_part);
  *port = std::string(port_part);
  return true;
}

StatsdClient::StatsdClient(const std::string& target, std::string prefix)
    : prefix_(std::move(prefix)) {
  std::string host;
  std::string port;
  if (!SplitStatsdTarget(target, &host, &port)) {
    throw ConfigError("metrics.statsd", "\"" + target + "\" is not host:port");
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) {
    throw ConfigError("metrics.statsd", "cannot resolve " + host + ": " + gai_strerror(rc));
  }
  std::string failure = "no address";
  for (const addrinfo* address = found; address != nullptr && fd_ < 0; address = address->ai_next) {
    const int fd =
        socket(address->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, address->ai_protocol);
    if (fd >= 0 && connect(fd, address->ai_addr, address->ai_addrlen) == 0) {
      fd_ = fd;
    } else {
      failure = std::strerror(errno);
      if (fd >= 0) {
        close(fd);
      }
    }
  }
  freeaddrinfo(found);
  if (fd_ < 0) {
    throw ConfigError("metrics.statsd", "cannot reach " + target + ": " + failure);
  }
}

StatsdClient::~StatsdClient() {
  close(fd_);
}

void StatsdClient::Send(std::string_view datagram) const {
  // Errors (EAGAIN when the buffer is full, ECONNREFUSED after an ICMP answer) are dropped:
  // metrics never slow or fail a request.
  [[maybe_unused]] const ssize_t sent =
      send(fd_, datagram.data(), datagram.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

void StatsdBatch::Add(std::string_view lines) {
  while (!lines.empty()) {
    const size_t end = lines.find('\n');
    AddLine(lines.substr(0, end));
    lines = end == std::string_view::npos ? std::string_view() : lines.substr(end + 1);
  }
}

void StatsdBatch::AddLine(std::string_view line) {
  if (line.empty()) {
    return;
  }
  const size_t separator = used_ > 0 ? 1 : 0;
  if (used_ + separator + line.size() > buffer_.size()) {
    Flush();
    if (line.size() > buffer_.size()) {
      client_.Send(line);
      return;
    }
  }
  if (used_ > 0) {
    buffer_[used_++] = '\n';
  }
  std::memcpy(buffer_.data() + used_, line.data(), line.size());
  used_ += line.size();
}

void StatsdBatch::Flush() {
  if (used_ > 0) {
    client_.Send(std::string_view(buffer_.data(), used_));
    used_ = 0;
  }
}

}  // namespace weave
