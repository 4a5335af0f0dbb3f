// Levelled one-line log messages to stderr or a file. Never pass passwords or Authorization here.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace weave {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Set once at start-up (and again in each worker after fork); not thread-safe.
void InitLog(std::string_view level, const std::string& file);
bool LogEnabled(LogLevel level);
void LogLine(LogLevel level, std::string_view message);

// Builds one line from stream insertions and writes it when destroyed:
//   Log(LogLevel::kInfo) << "worker " << pid << " started";
class Log {
 public:
  explicit Log(LogLevel level) : level_(level), enabled_(LogEnabled(level)) {}
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;
  ~Log() {
    if (enabled_) {
      LogLine(level_, stream_.str());
    }
  }
  template <typename T>
  Log& operator<<(const T& value) {
    if (enabled_) {
      stream_ << value;
    }
    return *this;
  }

 private:
  LogLevel level_;
  bool enabled_;
  std::ostringstream stream_;
};

}  // namespace weave
