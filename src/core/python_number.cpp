// Python's int() and float() grammars, so that requests mean what they meant to the reference.
#include "core/python_number.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <string>

#include "core/text.h"

namespace weave {
namespace {

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// Removes a leading sign; true if it was '-'.
bool TakeSign(std::string_view& text) {
  const bool negative = !text.empty() && text.front() == '-';
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    text.remove_prefix(1);
  }
  return negative;
}

// True for digits with an optional point and an optional exponent, with at least one digit
// before the exponent: the decimal literals both float() and Decimal() read.
bool IsDecimalLiteral(std::string_view text) {
  size_t i = 0;
  size_t digits = 0;
  for (; i < text.size() && IsDigit(text[i]); ++i) {
    ++digits;
  }
  if (i < text.size() && text[i] == '.') {
    for (++i; i < text.size() && IsDigit(text[i]); ++i) {
      ++digits;
    }
  }
  if (digits == 0) {
    return false;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
      ++i;
    }
    const size_t exponent_start = i;
    while (i < text.size() && IsDigit(text[i])) {
      ++i;
    }
    if (i == exponent_start) {
      return false;
    }
  }
  return i == text.size();
}

}  // namespace

std::string_view TrimPythonSpace(std::string_view text) {
  const auto space = [](char c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
  };
  while (!text.empty() && space(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && space(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

std::optional<int64_t> ParsePythonInt(std::string_view text) {
  text = TrimPythonSpace(text);
  const bool negative = TakeSign(text);
  if (text.empty()) {
    return std::nullopt;
  }
  constexpr int64_t kLimit = 1'000'000'000'000'000'000;
  int64_t value = 0;
  for (const char c : text) {
    if (!IsDigit(c)) {
      return std::nullopt;
    }
    value = value >= kLimit / 10 ? kLimit : std::min(kLimit, value * 10 + (c - '0'));
  }
  return negative ? -value : value;
}

std::optional<double> ParsePythonFloat(std::string_view text) {
  text = TrimPythonSpace(text);
  std::string_view unsigned_text = text;
  const bool negative = TakeSign(unsigned_text);
  const std::string word = LowerAscii(unsigned_text);
  if (word == "inf" || word == "infinity") {
    const double infinity = std::numeric_limits<double>::infinity();
    return negative ? -infinity : infinity;
  }
  if (word == "nan") {
    return std::numeric_limits<double>::quiet_NaN();
  }
  if (!IsDecimalLiteral(unsigned_text)) {
    return std::nullopt;
  }
  // The grammar is checked above; strtod (in the C locale the server runs in) gives the
  // correctly rounded value, an infinity on overflow and zero on underflow, as Python does.
  const std::string copy(text);
  return std::strtod(copy.c_str(), nullptr);
}

}  // namespace weave
