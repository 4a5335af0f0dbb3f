// GET and DELETE collection parameters parsed into a CollectionFilter.
#include "storage/collection_query.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/errors.h"
#include "core/python_number.h"
#include "core/weave_timestamp.h"

namespace weave {
namespace {

[[noreturn]] void Reject(std::string_view name) {
  throw BadRequest(WeaveError::kIllegalMethod, "invalid value for \"" + std::string(name) + "\"");
}

// limit and offset: Python's int(); as in Python, a value that is not above 0 is ignored (0).
int64_t ParseCount(std::string_view name, std::string_view text) {
  const auto value = ParsePythonInt(text);
  if (!value) {
    Reject(name);
  }
  return std::max<int64_t>(0, *value);
}

// Sort indexes are integers compared with Python's float() of the bound: sortindex > 4.5 is
// sortindex > 4, sortindex < 4.5 is sortindex < 5. Stored sort indexes lie within +-10^9, so
// bounds past +-10^12 (infinities included) select the same records as that bound.
int64_t ParseIndexBound(std::string_view name, std::string_view text, bool lower_bound) {
  const auto value = ParsePythonFloat(text);
  if (!value || std::isnan(*value)) {
    Reject(name);
  }
  constexpr double kFarBound = 1e12;
  const double whole = lower_bound ? std::floor(*value) : std::ceil(*value);
  return static_cast<int64_t>(std::clamp(whole, -kFarBound, kFarBound));
}

std::vector<std::string> SplitIds(std::string_view text) {
  std::vector<std::string> ids;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view id = text.substr(0, comma);
    if (!id.empty()) {
      ids.emplace_back(id);
    }
    if (ids.size() > kMaxIdsPerRequest) {
      Reject("ids");
    }
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  return ids;
}

}  // namespace

CollectionQuery ParseCollectionQuery(const QueryParams& params) {
  CollectionQuery query;
  CollectionFilter& filter = query.filter;
  for (const auto& [name, value] : params) {
    if (name == "ids") {
      filter.ids = SplitIds(value);
    } else if (name == "newer" || name == "older") {
      const auto centis = ParseTimestamp(value);
      if (!centis) {
        Reject(name);
      }
      (name == "newer" ? filter.newer_cs : filter.older_cs) = *centis;
    } else if (name == "index_above") {
      filter.index_above = ParseIndexBound(name, value, true);
    } else if (name == "index_below") {
      filter.index_below = ParseIndexBound(name, value, false);
    } else if (name == "limit") {
      filter.limit = ParseCount(name, value);
    } else if (name == "offset") {
      filter.offset = ParseCount(name, value);
    } else if (name == "sort") {
      filter.sort = value == "oldest"   ? SortOrder::kOldest
                    : value == "newest" ? SortOrder::kNewest
                    : value == "index"  ? SortOrder::kIndex
                                        : SortOrder::kNone;
    } else if (name == "full") {
      query.full = !value.empty();
    } else if (name == "parentid") {
      filter.parentid = value;
    } else if (name == "predecessorid") {
      filter.predecessorid = value;
    }
  }
  return query;
}

}  // namespace weave
