// One log line as one JSON object (log.format: json).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weave {

// {"time":"2026-01-02T03:04:05.678Z","level":"info","pid":123,"message":"...", then each
// field as a string member} and a line feed. Text that is not UTF-8 gets U+FFFD, quotes
// and control characters are escaped by the JSON writer, so no value can end the line or
// the object early; a field named time, level, pid or message is left out (it would
// shadow the line's own). Exposed for tests.
std::string FormatJsonLogLine(std::string_view time, std::string_view level, long long pid,
                              std::string_view message,
                              const std::vector<std::pair<std::string_view, std::string>>& fields);

}  // namespace weave
