// Accept-header negotiation of the multi-record output formats.
#include "storage/output_format.h"

#include <strings.h>

#include <array>
#include <string>

namespace weave {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// q of "q=0.5"; 1 when absent; -1 when malformed (the range is then ignored).
double ParseQuality(std::string_view params) {
  double quality = 1.0;
  while (!params.empty()) {
    const size_t semicolon = params.find(';');
    const std::string_view param = Trim(params.substr(0, semicolon));
    params = semicolon == std::string_view::npos ? "" : params.substr(semicolon + 1);
    if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
      const std::string value(param.substr(2));
      char* end = nullptr;
      quality = strtod(value.c_str(), &end);
      // Written so that NaN ("q=nan", which strtod accepts) fails too.
      if (end == value.c_str() || *end != '\0' || !(quality >= 0 && quality <= 1)) {
        return -1;
      }
    }
  }
  return quality;
}

}  // namespace

OutputFormat NegotiateFormat(std::string_view accept_header) {
  constexpr std::array<std::string_view, 3> kOffered = {"application/json", "application/newlines",
                                                        "application/whoisi"};
  // Per offered type: quality and specificity (0 */*, 1 type/*, 2 exact) of the best range.
  std::array<double, 3> quality = {-1, -1, -1};
  std::array<int, 3> specificity = {-1, -1, -1};
  std::string_view rest = accept_header;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view range = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
    const size_t semicolon = range.find(';');
    const std::string_view media = Trim(range.substr(0, semicolon));
    const double q =
        ParseQuality(semicolon == std::string_view::npos ? "" : range.substr(semicolon + 1));
    if (q < 0) {
      continue;
    }
    for (size_t i = 0; i < kOffered.size(); ++i) {
      int level = -1;
      if (EqualsNoCase(media, kOffered[i])) {
        level = 2;
      } else if (EqualsNoCase(media, "application/*")) {
        level = 1;
      } else if (media == "*/*") {
        level = 0;
      }
      if (level > specificity[i]) {
        specificity[i] = level;
        quality[i] = q;
      }
    }
  }
  size_t best = 0;
  for (size_t i = 1; i < kOffered.size(); ++i) {
    if (quality[i] > quality[best]) {
      best = i;
    }
  }
  return quality[best] > 0 ? static_cast<OutputFormat>(best) : OutputFormat::kJson;
}

const char* ContentTypeOf(OutputFormat format) {
  switch (format) {
    case OutputFormat::kNewlines:
      return "application/newlines";
    case OutputFormat::kWhoisi:
      return "application/whoisi";
    case OutputFormat::kJson:
      break;
  }
  return "application/json";
}

}  // namespace weave
