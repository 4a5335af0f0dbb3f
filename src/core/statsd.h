// A statsd push target: metric lines ("name:value|c", "name:value|ms") sent as UDP datagrams,
// fire and forget, as Mozilla's Python servers did; a batch puts a request's lines together.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace weave {

// Owns one non-blocking UDP socket connected to the target. Send never blocks, never
// throws and never reports: a full socket buffer, an unreachable target or a refused port
// drop the datagram. The socket is made before the workers fork and shared by them (each
// datagram is sent whole).
class StatsdClient {
 public:
  // target is "host:port" ("[v6]:port" for a literal IPv6 address); the name is resolved
  // once, here. prefix starts every metric name ("weave" -> "weave.requests..."). Throws
  // ConfigError when the target cannot be parsed or resolved, or the socket made.
  StatsdClient(const std::string& target, std::string prefix);
  ~StatsdClient();
  StatsdClient(const StatsdClient&) = delete;
  StatsdClient& operator=(const StatsdClient&) = delete;

  const std::string& Prefix() const { return prefix_; }
  // One datagram (lines separated by '\n').
  void Send(std::string_view datagram) const;

 private:
  int fd_ = -1;
  std::string prefix_;
};

// The largest datagram a batch sends: with the IP and UDP headers it stays within an
// Ethernet frame (1500 bytes) on IPv4 and IPv6, so no datagram is fragmented, where a lost
// fragment would lose the whole datagram.
constexpr size_t kStatsdMaxDatagram = 1432;

// Gathers metric lines and sends them in as few datagrams as fit kStatsdMaxDatagram bytes,
// lines whole and separated by '\n' (how statsd servers read a datagram of several lines).
// The rest goes out when the batch ends. Holds no heap memory; lives in one process.
class StatsdBatch {
 public:
  explicit StatsdBatch(const StatsdClient& client) : client_(client) {}
  ~StatsdBatch() { Flush(); }
  StatsdBatch(const StatsdBatch&) = delete;
  StatsdBatch& operator=(const StatsdBatch&) = delete;

  // One or more lines, separated by '\n'. A line longer than the bound is sent alone.
  void Add(std::string_view lines);
  // Sends what was gathered (nothing when empty).
  void Flush();

 private:
  void AddLine(std::string_view line);

  const StatsdClient& client_;
  std::array<char, kStatsdMaxDatagram> buffer_{};
  size_t used_ = 0;
};

// Splits "host:port" / "[v6]:port"; false when it is not of that form or the port is not
// 1 to 65535. Exposed for the configuration check.
bool SplitStatsdTarget(std::string_view target, std::string* host, std::string* port);

}  // namespace weave
