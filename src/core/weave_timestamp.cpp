// Weave timestamps: centiseconds in storage, decimal seconds on the wire.
#include "core/weave_timestamp.h"

#include <algorithm>
#include <cstdio>

#include "core/python_number.h"

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

namespace {

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// A decimal literal as its significant digits (no leading zeros) and the power of ten of
// the last one: "12.50" is {"1250", -2}, "0.05e1" is {"5", -1}.
struct DecimalDigits {
  std::string digits;
  int64_t exponent = 0;
};

std::optional<DecimalDigits> SplitDecimal(std::string_view text) {
  DecimalDigits out;
  size_t i = 0;
  size_t count = 0;
  const auto take = [&out](char c) {
    if (!out.digits.empty() || c != '0') {
      out.digits.push_back(c);
    }
  };
  for (; i < text.size() && IsDigit(text[i]); ++i, ++count) {
    take(text[i]);
  }
  if (i < text.size() && text[i] == '.') {
    for (++i; i < text.size() && IsDigit(text[i]); ++i, ++count) {
      take(text[i]);
      --out.exponent;
    }
  }
  if (count == 0) {
    return std::nullopt;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    const bool negative = i < text.size() && text[i] == '-';
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) {
      ++i;
    }
    const size_t start = i;
    int64_t exponent = 0;  // saturates: a billion places is zero or refused alike
    for (; i < text.size() && IsDigit(text[i]); ++i) {
      exponent = std::min<int64_t>(1'000'000'000, exponent * 10 + (text[i] - '0'));
    }
    if (i == start) {
      return std::nullopt;
    }
    out.exponent += negative ? -exponent : exponent;
  }
  if (i != text.size()) {
    return std::nullopt;
  }
  return out;
}

// The digits times 10^shift, rounded to a whole number with ties to even; at most 17
// digits are kept (the caller saturates larger values).
int64_t RoundHalfEven(const std::string& digits, int64_t shift) {
  const auto size = static_cast<int64_t>(digits.size());
  const int64_t keep = std::max<int64_t>(0, size + std::min<int64_t>(shift, 0));
  int64_t value = 0;
  for (int64_t i = 0; i < keep; ++i) {
    value = value * 10 + (digits[i] - '0');
  }
  for (int64_t i = 0; i < shift; ++i) {
    value *= 10;
  }
  // Below keep digits, what is dropped starts with digits[keep], or with a zero when even
  // the first digit lies beyond the second decimal.
  if (shift < 0 && keep == size + shift) {
    const char first = digits[keep];
    const bool more = digits.find_first_not_of('0', keep + 1) != std::string::npos;
    if (first > '5' || (first == '5' && (more || value % 2 == 1))) {
      ++value;
    }
  }
  return value;
}

}  // namespace

std::optional<int64_t> ParseTimestamp(std::string_view text) {
  text = TrimPythonSpace(text);
  const bool negative = !text.empty() && text.front() == '-';
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    text.remove_prefix(1);
  }
  const auto decimal = SplitDecimal(text);
  if (!decimal) {
    return std::nullopt;
  }
  if (decimal->digits.empty()) {
    return 0;
  }
  // In centiseconds: two more places. Python's default precision is 28 digits.
  const int64_t shift = decimal->exponent + 2;
  const int64_t integer_digits = static_cast<int64_t>(decimal->digits.size()) + shift;
  if (integer_digits > 28) {
    return std::nullopt;
  }
  const int64_t magnitude =
      integer_digits > 17 ? kMaxParsedTimestampCs
                          : std::min(kMaxParsedTimestampCs, RoundHalfEven(decimal->digits, shift));
  return negative ? -magnitude : magnitude;
}

}  // namespace weave
