// Latency and error counts and resource readings of a load run (see stats.h).
#include "stats.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <sys/resource.h>

#include "records.h"

namespace bench {

Percentiles ComputePercentiles(std::vector<uint32_t> latencies_us) {
  Percentiles result;
  if (latencies_us.empty()) {
    return result;
  }
  std::sort(latencies_us.begin(), latencies_us.end());
  const auto at = [&latencies_us](double fraction) {
    // Nearest rank.
    const size_t rank = static_cast<size_t>(fraction * static_cast<double>(latencies_us.size()));
    return latencies_us[std::min(rank, latencies_us.size() - 1)] / 1000.0;
  };
  result.p50_ms = at(0.50);
  result.p90_ms = at(0.90);
  result.p99_ms = at(0.99);
  result.max_ms = latencies_us.back() / 1000.0;
  double sum = 0;
  for (const uint32_t value : latencies_us) {
    sum += value;
  }
  result.mean_ms = sum / static_cast<double>(latencies_us.size()) / 1000.0;
  return result;
}

void PhaseStats::Record(const std::string& type, const HttpResponse& response, bool http_ok) {
  TypeStats& stats = types_[type];
  stats.latencies_us.push_back(
      static_cast<uint32_t>(std::min<int64_t>(response.latency_us, UINT32_MAX)));
  stats.bytes += static_cast<int64_t>(response.wire_bytes);
  if (!http_ok) {
    stats.errors++;
  }
}

double PhaseStats::Seconds() const {
  return std::chrono::duration<double>(end_ - start_).count();
}

int64_t PhaseStats::Requests() const {
  int64_t total = 0;
  for (const auto& [type, stats] : types_) {
    total += static_cast<int64_t>(stats.latencies_us.size());
  }
  return total;
}

int64_t PhaseStats::Errors() const {
  int64_t total = 0;
  for (const auto& [type, stats] : types_) {
    total += stats.errors;
  }
  return total;
}

int64_t PhaseStats::WrongAnswers() const {
  int64_t total = 0;
  for (const auto& [type, stats] : types_) {
    total += stats.wrong;
  }
  return total;
}

void PhaseStats::PrintTable() const {
  const double seconds = std::max(Seconds(), 1e-9);
  std::printf("\n%s: %lld requests in %.2f s = %.0f req/s\n", name_.c_str(),
              static_cast<long long>(Requests()), seconds, Requests() / seconds);
  std::printf("  %-18s %8s %9s %8s %8s %8s %8s %7s %6s\n", "type", "count", "req/s", "p50 ms",
              "p90 ms", "p99 ms", "max ms", "errors", "wrong");
  for (const auto& [type, stats] : types_) {
    const Percentiles p = ComputePercentiles(stats.latencies_us);
    std::printf("  %-18s %8zu %9.1f %8.2f %8.2f %8.2f %8.1f %7lld %6lld\n", type.c_str(),
                stats.latencies_us.size(), stats.latencies_us.size() / seconds, p.p50_ms, p.p90_ms,
                p.p99_ms, p.max_ms, static_cast<long long>(stats.errors),
                static_cast<long long>(stats.wrong));
  }
  std::vector<uint32_t> all;
  for (const auto& [type, stats] : types_) {
    all.insert(all.end(), stats.latencies_us.begin(), stats.latencies_us.end());
  }
  const Percentiles p = ComputePercentiles(std::move(all));
  std::printf("  %-18s %8lld %9.1f %8.2f %8.2f %8.2f %8.1f %7lld %6lld\n", "ALL",
              static_cast<long long>(Requests()), Requests() / seconds, p.p50_ms, p.p90_ms,
              p.p99_ms, p.max_ms, static_cast<long long>(Errors()),
              static_cast<long long>(WrongAnswers()));
  std::fflush(stdout);
}

std::string PhaseStats::Json() const {
  const double seconds = std::max(Seconds(), 1e-9);
  std::ostringstream out;
  std::vector<uint32_t> all;
  out << "{\"seconds\":" << JsonNumber(seconds) << ",\"requests\":" << Requests()
      << ",\"rps\":" << JsonNumber(Requests() / seconds, 1) << ",\"errors\":" << Errors()
      << ",\"wrong\":" << WrongAnswers() << ",\"types\":{";
  bool first = true;
  for (const auto& [type, stats] : types_) {
    all.insert(all.end(), stats.latencies_us.begin(), stats.latencies_us.end());
    const Percentiles p = ComputePercentiles(stats.latencies_us);
    out << (first ? "" : ",") << JsonQuoted(type) << ":{\"count\":" << stats.latencies_us.size()
        << ",\"rps\":" << JsonNumber(stats.latencies_us.size() / seconds, 1)
        << ",\"p50_ms\":" << JsonNumber(p.p50_ms) << ",\"p90_ms\":" << JsonNumber(p.p90_ms)
        << ",\"p99_ms\":" << JsonNumber(p.p99_ms) << ",\"max_ms\":" << JsonNumber(p.max_ms)
        << ",\"mean_ms\":" << JsonNumber(p.mean_ms) << ",\"errors\":" << stats.errors
        << ",\"wrong\":" << stats.wrong << ",\"bytes_in\":" << stats.bytes << "}";
    first = false;
  }
  const Percentiles p = ComputePercentiles(std::move(all));
  out << "},\"all\":{\"p50_ms\":" << JsonNumber(p.p50_ms) << ",\"p90_ms\":" << JsonNumber(p.p90_ms)
      << ",\"p99_ms\":" << JsonNumber(p.p99_ms) << ",\"max_ms\":" << JsonNumber(p.max_ms)
      << ",\"mean_ms\":" << JsonNumber(p.mean_ms) << "}}";
  return out.str();
}

std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> children;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) {
    return children;
  }
  while (const dirent* entry = readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 0) {
      continue;
    }
    std::ifstream stat("/proc/" + std::string(entry->d_name) + "/stat");
    std::string text;
    std::getline(stat, text);
    // Field 4 (ppid) follows the parenthesised command name, which may contain spaces.
    const size_t close = text.rfind(')');
    if (close == std::string::npos) {
      continue;
    }
    char state = 0;
    int ppid = 0;
    if (std::sscanf(text.c_str() + close + 1, " %c %d", &state, &ppid) == 2 && ppid == parent) {
      children.push_back(pid);
    }
  }
  closedir(proc);
  std::sort(children.begin(), children.end());
  return children;
}

ProcessSample SampleProcess(pid_t pid) {
  ProcessSample sample;
  sample.pid = pid;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  const size_t close = text.rfind(')');
  if (close != std::string::npos) {
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    // Fields from 3 (state) on; utime and stime are fields 14 and 15.
    for (int index = 3; index <= 15 && (fields >> field); ++index) {
      if (index == 14) {
        utime = std::stoull(field);
      } else if (index == 15) {
        stime = std::stoull(field);
      }
    }
    sample.cpu_seconds =
        static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      sample.vm_hwm_kb = std::atoll(line.c_str() + 6);
    } else if (line.rfind("VmRSS:", 0) == 0) {
      sample.vm_rss_kb = std::atoll(line.c_str() + 6);
    } else if (line.rfind("RssAnon:", 0) == 0) {
      sample.rss_anon_kb = std::atoll(line.c_str() + 8);
    } else if (line.rfind("RssFile:", 0) == 0) {
      sample.rss_file_kb = std::atoll(line.c_str() + 8);
    } else if (line.rfind("RssShmem:", 0) == 0) {
      sample.rss_shmem_kb = std::atoll(line.c_str() + 9);
    }
  }
  return sample;
}

double SelfCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double MachineBusySeconds() {
  std::ifstream stat("/proc/stat");
  std::string label;
  unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
                     steal = 0;
  stat >> label >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  return static_cast<double>(user + nice + system + irq + softirq) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string JsonQuoted(const std::string& text) {
  std::string out;
  AppendJsonString(out, text);
  return out;
}

std::string JsonNumber(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

}  // namespace bench
