// Fuzz target: a collection query string through ParseQueryString and ParseCollectionQuery.
// Invariants: splitting never throws; parsing throws only BadRequest; accepted values are
// within their documented ranges.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/errors.h"
#include "core/weave_timestamp.h"
#include "http/query_string.h"
#include "storage/collection_query.h"

namespace {

void Check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const weave::QueryParams params = weave::ParseQueryString(text);
  for (const auto& [name, value] : params) {
    Check(!name.empty() || !value.empty() || text.find('=') != std::string_view::npos);
  }
  try {
    const weave::CollectionQuery query = weave::ParseCollectionQuery(params);
    const weave::CollectionFilter& filter = query.filter;
    Check(filter.limit >= 0);
    Check(filter.offset >= 0);
    if (filter.ids) {
      Check(filter.ids->size() <= weave::kMaxIdsPerRequest);
      for (const auto& id : *filter.ids) {
        Check(!id.empty() && id.find(',') == std::string::npos);
      }
    }
    // Index bounds are cut to +-10^12, times to +-kMaxParsedTimestampCs.
    constexpr int64_t kMaxBound = 1000000000000;
    for (const auto& bound : {filter.index_above, filter.index_below}) {
      Check(!bound || (*bound <= kMaxBound && *bound >= -kMaxBound));
    }
    for (const auto& time : {filter.newer_cs, filter.older_cs}) {
      Check(!time ||
            (*time <= weave::kMaxParsedTimestampCs && *time >= -weave::kMaxParsedTimestampCs));
    }
  } catch (const weave::BadRequest& error) {
    Check(error.Code() == weave::WeaveError::kIllegalMethod);
  }
  return 0;
}
