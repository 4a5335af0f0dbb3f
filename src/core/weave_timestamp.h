// Weave timestamps: decimal seconds with two places on the wire, centiseconds inside.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace weave {

// Rounds milliseconds to the nearest centisecond.
inline int64_t MsToCentiseconds(int64_t ms) {
  return (ms + 5) / 10;
}

// "1300000000.25": always two decimals.
std::string FormatTimestamp(int64_t centiseconds);
void AppendTimestamp(int64_t centiseconds, std::string& out);

// Parses a decimal number of seconds ("1300000000", "1300000000.253", "-1", "1e3" is refused)
// into centiseconds, rounded half away from zero. nullopt if it is not a plain decimal or
// is out of range.
std::optional<int64_t> ParseTimestamp(std::string_view text);

}  // namespace weave
