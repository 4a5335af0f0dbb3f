// Levelled one-line log messages to stderr or a file.
#include "core/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <string>

namespace weave {
namespace {

LogLevel g_min_level = LogLevel::kInfo;
int g_fd = STDERR_FILENO;

constexpr const char* kLevelNames[] = {"debug", "info", "warning", "error"};

}  // namespace

void InitLog(std::string_view level, const std::string& file) {
  for (int i = 0; i < 4; ++i) {
    if (level == kLevelNames[i]) {
      g_min_level = static_cast<LogLevel>(i);
    }
  }
  if (!file.empty()) {
    const int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd >= 0) {
      if (g_fd != STDERR_FILENO) {
        close(g_fd);
      }
      g_fd = fd;
    }
  }
}

bool LogEnabled(LogLevel level) {
  return level >= g_min_level;
}

void LogLine(LogLevel level, std::string_view message) {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  tm utc{};
  gmtime_r(&now.tv_sec, &utc);
  char prefix[96];
  const int length = snprintf(
      prefix, sizeof prefix, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ [%d] %s: ", utc.tm_year + 1900,
      utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, now.tv_nsec / 1000000,
      getpid(), kLevelNames[static_cast<int>(level)]);
  std::string line(prefix, static_cast<size_t>(length));
  for (char c : message) {
    // One event, one line: control characters from requests never split or forge lines.
    line.push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  }
  line.push_back('\n');
  // A single write() keeps lines from different workers whole (O_APPEND / pipe semantics).
  [[maybe_unused]] const ssize_t ignored = write(g_fd, line.data(), line.size());
}

}  // namespace weave
