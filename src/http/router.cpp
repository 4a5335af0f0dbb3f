// Splitting and matching of request paths against route patterns.
#include "http/router.h"

#include "core/errors.h"
#include "http/query_string.h"

namespace weave {
namespace {

bool IsVersion(std::string_view text) {
  return text == "1.1" || text == "1.0" || text == "1";
}

}  // namespace

std::vector<std::string_view> SplitPattern(std::string_view pattern) {
  std::vector<std::string_view> segments;
  if (!pattern.empty() && pattern.front() == '/') {
    pattern.remove_prefix(1);
  }
  while (true) {
    const size_t slash = pattern.find('/');
    segments.push_back(pattern.substr(0, slash));
    if (slash == std::string_view::npos) {
      break;
    }
    pattern.remove_prefix(slash + 1);
  }
  return segments;
}

std::vector<std::string> SplitRequestPath(std::string_view raw_path) {
  // Clients differ on a trailing slash (UXP deletes ".../storage" without one).
  if (raw_path.size() > 1 && raw_path.back() == '/') {
    raw_path.remove_suffix(1);
  }
  std::vector<std::string> segments;
  for (const std::string_view raw : SplitPattern(raw_path)) {
    auto decoded = PercentDecode(raw, false);
    if (!decoded) {
      throw BadRequest(WeaveError::kIllegalMethod, "malformed percent-escape in path");
    }
    segments.push_back(std::move(*decoded));
  }
  return segments;
}

bool MatchPattern(const std::vector<std::string_view>& parts,
                  const std::vector<std::string>& segments, PathParams& params) {
  if (parts.size() != segments.size()) {
    return false;
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string_view part = parts[i];
    const std::string& segment = segments[i];
    if (segment.empty()) {
      return false;
    }
    if (part == "{version}") {
      if (!IsVersion(segment)) {
        return false;
      }
      params.version = segment;
    } else if (part == "{user}") {
      params.user = segment;
    } else if (part == "{collection}") {
      params.collection = segment;
    } else if (part == "{id}") {
      params.id = segment;
    } else if (part != segment) {
      return false;
    }
  }
  return true;
}

}  // namespace weave
