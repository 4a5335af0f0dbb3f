// GET and DELETE collection parameters parsed into a CollectionFilter.
#include "storage/collection_query.h"

#include <string>

#include "core/errors.h"
#include "core/weave_timestamp.h"

namespace weave {
namespace {

[[noreturn]] void Reject(std::string_view name) {
  throw BadRequest(WeaveError::kIllegalMethod, "invalid value for \"" + std::string(name) + "\"");
}

// limit and offset: integers; as in Python, a value that is not above 0 is ignored (0).
int64_t ParseCount(std::string_view name, std::string_view text) {
  const bool negative = !text.empty() && text[0] == '-';
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    text.remove_prefix(1);
  }
  if (text.empty() || text.size() > 15) {
    Reject(name);
  }
  int64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') {
      Reject(name);
    }
    value = value * 10 + (c - '0');
  }
  return negative ? 0 : value;
}

// Sort indexes are integers; a fractional bound is rounded outwards, exactly (not after
// rounding to hundredths), so the strict comparison keeps its meaning: sortindex > 4.999
// is sortindex > 4, sortindex < 5.001 is sortindex < 6.
int64_t ParseIndexBound(std::string_view name, std::string_view text, bool lower_bound) {
  size_t i = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    ++i;
  }
  int64_t whole = 0;
  size_t digits = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) {
    if (digits >= 12) {
      Reject(name);
    }
    whole = whole * 10 + (text[i] - '0');
  }
  bool has_fraction = false;
  size_t fraction_digits = 0;
  if (i < text.size() && text[i] == '.') {
    for (++i; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++fraction_digits) {
      has_fraction = has_fraction || text[i] != '0';
    }
  }
  if (i != text.size() || digits + fraction_digits == 0) {
    Reject(name);
  }
  const int64_t truncated = negative ? -whole : whole;
  if (!has_fraction) {
    return truncated;
  }
  if (lower_bound) {
    return negative ? truncated - 1 : truncated;  // floor
  }
  return negative ? truncated : truncated + 1;  // ceiling
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
