// Per-request-type latency and error counts, resource readings, JSON and table output.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <sys/types.h>

#include "http.h"

namespace bench {

struct TypeStats {
  std::vector<uint32_t> latencies_us;
  int64_t errors = 0;  // transport failures and unexpected HTTP statuses
  int64_t wrong = 0;   // answered 200 but with wrong content
  int64_t bytes = 0;
};

struct Percentiles {
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0, mean_ms = 0;
};
Percentiles ComputePercentiles(std::vector<uint32_t> latencies_us);

class PhaseStats {
 public:
  explicit PhaseStats(std::string name) : name_(std::move(name)) {}
  void Begin() { start_ = Clock::now(); }
  void End() { end_ = Clock::now(); }
  void Record(const std::string& type, const HttpResponse& response, bool http_ok);
  void Wrong(const std::string& type) { types_[type].wrong++; }

  const std::string& Name() const { return name_; }
  double Seconds() const;
  int64_t Requests() const;
  int64_t Errors() const;
  int64_t WrongAnswers() const;
  void PrintTable() const;
  std::string Json() const;

 private:
  std::string name_;
  Clock::time_point start_{}, end_{};
  std::map<std::string, TypeStats> types_;
};

// CPU seconds of processes, read from /proc.
struct ProcessSample {
  pid_t pid = 0;
  double cpu_seconds = 0;
  int64_t vm_hwm_kb = 0;
  int64_t vm_rss_kb = 0;
  int64_t rss_anon_kb = 0;
  int64_t rss_file_kb = 0;
  int64_t rss_shmem_kb = 0;
};
std::vector<pid_t> ChildrenOf(pid_t parent);
ProcessSample SampleProcess(pid_t pid);
double SelfCpuSeconds();
// CPU seconds all processors spent busy (not idle, not waiting for I/O) since boot.
double MachineBusySeconds();

std::string JsonQuoted(const std::string& text);
std::string JsonNumber(double value, int decimals = 3);

}  // namespace bench
