// Levelled one-line log messages to stderr, a file or the journal, as text or JSON lines.
#include "core/log.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include "core/journal.h"
#include "core/log_json.h"

namespace weave {
namespace {

enum class Output { kText, kJson, kJournal };

LogLevel g_min_level = LogLevel::kInfo;
int g_fd = STDERR_FILENO;
Output g_output = Output::kText;

constexpr const char* kLevelNames[] = {"debug", "info", "warning", "error"};
// syslog(3) priorities: LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR.
constexpr int kPriorities[] = {7, 6, 4, 3};

// getpid() is a system call every time (glibc keeps no copy): read once per process, and
// again in a child after fork().
pid_t g_pid = 0;
[[maybe_unused]] const int kPidResetOnFork = pthread_atfork(nullptr, nullptr, [] { g_pid = 0; });

pid_t Pid() {
  if (g_pid == 0) {
    g_pid = getpid();
  }
  return g_pid;
}

// "2026-01-02T03:04:05.678Z", appended to out.
void AppendTimeNow(std::string& out) {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  tm utc{};
  gmtime_r(&now.tv_sec, &utc);
  char text[40];
  const int length = snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
                              utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                              utc.tm_min, utc.tm_sec, now.tv_nsec / 1000000);
  out.append(text, static_cast<size_t>(std::max(length, 0)));
}

std::string TimeNow() {
  std::string time;
  AppendTimeNow(time);
  return time;
}

std::string TextLine(LogLevel level, std::string_view message) {
  std::string line;
  line.reserve(48 + message.size());
  AppendTimeNow(line);
  line.append(" [").append(std::to_string(Pid())).append("] ");
  line.append(kLevelNames[static_cast<int>(level)]).append(": ");
  for (char c : message) {
    // One event, one line: control characters from requests never split or forge lines.
    line.push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  }
  line.push_back('\n');
  return line;
}

}  // namespace

void InitLog(std::string_view level, const std::string& file, std::string_view format) {
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
  if (format == "json") {
    g_output = Output::kJson;
  } else if (g_fd == STDERR_FILENO && IsJournalStream(std::getenv("JOURNAL_STREAM"), g_fd)) {
    g_output = Output::kJournal;
  } else {
    g_output = Output::kText;
  }
}

bool LogEnabled(LogLevel level) {
  return level >= g_min_level;
}

void LogLine(LogLevel level, std::string_view message, const LogFields& fields) {
  const int index = static_cast<int>(level);
  if (g_output == Output::kJournal &&
      SendToJournal(JournalFields(kPriorities[index], ProgramName(), message, fields))) {
    return;
  }
  const std::string line =
      g_output == Output::kJson
          ? FormatJsonLogLine(TimeNow(), kLevelNames[index], Pid(), message, fields)
          : TextLine(level, message);
  // A single write() keeps lines from different workers whole (O_APPEND / pipe semantics).
  [[maybe_unused]] const ssize_t ignored = write(g_fd, line.data(), line.size());
}

}  // namespace weave
