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

// The largest magnitude ParseTimestamp returns: 10^15 seconds, far past any stored time.
constexpr int64_t kMaxParsedTimestampCs = 100'000'000'000'000'000;

// Parses a number of seconds as Mozilla's Python server did (Decimal, then quantized to two
// places): white space around it, a sign, digits with an optional point and exponent
// ("1300000000.25", "-1", " 1.3e9 "). Returns centiseconds, a tie rounded to the even
// hundredth; a magnitude past kMaxParsedTimestampCs comes back as that bound, which
// compares with stored times the same way. nullopt for anything else, for infinities and
// NaN, and from 10^26 seconds on (which Python refused too).
std::optional<int64_t> ParseTimestamp(std::string_view text);

}  // namespace weave
