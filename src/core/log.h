// Levelled one-line log messages to stderr, a file or the journal, as text or JSON lines,
// with structured fields. Never pass passwords or Authorization here.
#pragma once

#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weave {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// A line's structured fields: names are short lowercase words from the code ("event",
// "user", "client"; never "time", "level", "pid" or "message"), values may come from
// requests. Text lines do not show them (the message says the same); JSON lines carry
// them as members, the journal as WEAVE_<NAME> fields (core/journal.h).
using LogFields = std::vector<std::pair<std::string_view, std::string>>;

// Set once at start-up (and again in each worker after fork); not thread-safe. format is
// "text" or "json". Lines go to file if set; otherwise to stderr, or, when stderr is the
// journal's stream (JOURNAL_STREAM) and the format is text, to the journal with fields.
void InitLog(std::string_view level, const std::string& file, std::string_view format = "text");
bool LogEnabled(LogLevel level);
void LogLine(LogLevel level, std::string_view message, const LogFields& fields = {});

// Builds one line from stream insertions and writes it when destroyed:
//   Log(LogLevel::kInfo) << "worker " << pid << " started";
class Log {
 public:
  explicit Log(LogLevel level) : level_(level), enabled_(LogEnabled(level)) {}
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;
  ~Log() {
    if (enabled_) {
      LogLine(level_, stream_.str(), fields_);
    }
  }
  // Adds a structured field (see LogFields); name must be a string literal.
  Log& Field(std::string_view name, std::string_view value) {
    if (enabled_) {
      fields_.emplace_back(name, std::string(value));
    }
    return *this;
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
  LogFields fields_;
};

}  // namespace weave
