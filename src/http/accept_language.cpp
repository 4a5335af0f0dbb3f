// Accept-Language parsing and the lookup of the best available language (RFC 9110, 4647).
#include "http/accept_language.h"

#include <algorithm>
#include <optional>

namespace weave {
namespace {

constexpr size_t kMaxElements = 64;

std::string_view TrimOws(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// The range in lower case, or nothing when it is not 1*8ALPHA *("-" 1*8alphanum) or "*".
std::optional<std::string> ParseRange(std::string_view text) {
  if (text == "*") {
    return std::string(text);
  }
  std::string range;
  size_t subtag = 0;  // characters in the current subtag
  bool first = true;  // in the primary subtag (letters only)
  for (const char c : text) {
    if (c == '-') {
      if (subtag == 0) {
        return std::nullopt;
      }
      subtag = 0;
      first = false;
    } else if (IsAlpha(c) || (!first && IsDigit(c))) {
      if (++subtag > 8) {
        return std::nullopt;
      }
    } else {
      return std::nullopt;
    }
    range.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  if (subtag == 0) {
    return std::nullopt;
  }
  return range;
}

// q of "q=0.5" (RFC 9110 qvalue: "0" ["." 0*3DIGIT] or "1" ["." 0*3("0")]), else nothing.
std::optional<double> ParseWeight(std::string_view text) {
  if (text.size() < 3 || (text[0] != 'q' && text[0] != 'Q') || text[1] != '=') {
    return std::nullopt;
  }
  const std::string_view value = text.substr(2);
  if (value[0] != '0' && value[0] != '1') {
    return std::nullopt;
  }
  if (value.size() > 1 && (value[1] != '.' || value.size() > 5)) {
    return std::nullopt;
  }
  double quality = value[0] == '1' ? 1 : 0;
  double scale = 0.1;
  for (size_t i = 2; i < value.size(); ++i) {
    if (!IsDigit(value[i]) || (value[0] == '1' && value[i] != '0')) {
      return std::nullopt;
    }
    quality += (value[i] - '0') * scale;
    scale /= 10;
  }
  return quality;
}

std::optional<LanguageRange> ParseElement(std::string_view element) {
  const size_t semicolon = element.find(';');
  auto range = ParseRange(TrimOws(element.substr(0, semicolon)));
  if (!range) {
    return std::nullopt;
  }
  LanguageRange result{std::move(*range), 1};
  if (semicolon != std::string_view::npos) {
    const auto weight = ParseWeight(TrimOws(element.substr(semicolon + 1)));
    if (!weight) {
      return std::nullopt;
    }
    result.quality = *weight;
  }
  return result;
}

// Basic filtering (RFC 4647 section 3.3.1): range equals tag or is a prefix of it ending
// where a subtag ends.
bool Matches(std::string_view range, std::string_view tag) {
  return range == "*" || tag == range ||
         (tag.size() > range.size() && tag.compare(0, range.size(), range) == 0 &&
          tag[range.size()] == '-');
}

bool IsListed(const std::vector<std::string>& tags, std::string_view tag) {
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

}  // namespace

std::vector<LanguageRange> ParseAcceptLanguage(std::string_view header) {
  std::vector<LanguageRange> ranges;
  size_t elements = 0;
  while (!header.empty() && elements++ < kMaxElements) {
    const size_t comma = header.find(',');
    const std::string_view element = TrimOws(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    if (element.empty()) {
      continue;  // "a,,b" is allowed by the list syntax
    }
    if (auto range = ParseElement(element)) {
      ranges.push_back(std::move(*range));
    }
  }
  return ranges;
}

std::string ChooseLanguage(std::string_view header, const std::vector<std::string>& available,
                           const std::string& fallback) {
  std::vector<LanguageRange> ranges = ParseAcceptLanguage(header);
  std::vector<std::string> allowed;
  for (const std::string& tag : available) {
    const bool refused = std::any_of(ranges.begin(), ranges.end(), [&](const LanguageRange& r) {
      return r.quality == 0 && r.range != "*" && Matches(r.range, tag);
    });
    if (!refused) {
      allowed.push_back(tag);
    }
  }
  std::stable_sort(
      ranges.begin(), ranges.end(),
      [](const LanguageRange& a, const LanguageRange& b) { return a.quality > b.quality; });
  for (const LanguageRange& range : ranges) {
    if (range.quality == 0) {
      break;
    }
    if (range.range == "*") {
      if (IsListed(allowed, fallback) || allowed.empty()) {
        return fallback;
      }
      return allowed.front();
    }
    // Lookup: the range, then shorter and shorter (a single-letter subtag goes with the
    // one after it).
    std::string_view candidate = range.range;
    while (!candidate.empty()) {
      if (IsListed(allowed, candidate)) {
        return std::string(candidate);
      }
      size_t dash = candidate.rfind('-');
      if (dash != std::string_view::npos && dash >= 2 && candidate[dash - 2] == '-') {
        dash -= 2;
      }
      candidate = dash == std::string_view::npos ? std::string_view() : candidate.substr(0, dash);
    }
    for (const std::string& tag : allowed) {
      if (Matches(range.range, tag)) {
        return tag;
      }
    }
  }
  return fallback;
}

}  // namespace weave
