// Weave timestamps: centiseconds in storage, decimal seconds on the wire.
#include "core/weave_timestamp.h"

#include <cstdio>

namespace weave {

void AppendTimestamp(int64_t centiseconds, std::string& out) {
  const bool negative = centiseconds < 0;
  const uint64_t magnitude = negative ? static_cast<uint64_t>(-(centiseconds + 1)) + 1
                                      : static_cast<uint64_t>(centiseconds);
  char buffer[32];
  const int length = snprintf(buffer, sizeof buffer, "%s%llu.%02llu", negative ? "-" : "",
                              static_cast<unsigned long long>(magnitude / 100),
                              static_cast<unsigned long long>(magnitude % 100));
  out.append(buffer, static_cast<size_t>(length));
}

std::string FormatTimestamp(int64_t centiseconds) {
  std::string out;
  AppendTimestamp(centiseconds, out);
  return out;
}

std::optional<int64_t> ParseTimestamp(std::string_view text) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) {
    negative = text[i] == '-';
    ++i;
  }
  // Twelve integer digits reach the year 33658; more is not a time, and would overflow.
  constexpr size_t kMaxIntegerDigits = 12;
  int64_t whole = 0;
  size_t integer_digits = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    if (++integer_digits > kMaxIntegerDigits) {
      return std::nullopt;
    }
    whole = whole * 10 + (text[i] - '0');
    ++i;
  }
  int64_t fraction = 0;  // in thousandths, for rounding to hundredths
  size_t fraction_digits = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (fraction_digits < 3) {
        fraction = fraction * 10 + (text[i] - '0');
      }
      ++fraction_digits;
      ++i;
    }
  }
  if (i != text.size() || (integer_digits == 0 && fraction_digits == 0)) {
    return std::nullopt;
  }
  for (size_t d = fraction_digits; d < 3; ++d) {
    fraction *= 10;
  }
  const int64_t magnitude = whole * 100 + (fraction + 5) / 10;
  return negative ? -magnitude : magnitude;
}

}  // namespace weave
