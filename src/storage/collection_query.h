// Turns the query string of a collection GET or DELETE into a CollectionFilter.
#pragma once

#include <string_view>

#include "http/query_string.h"
#include "storage/storage.h"

namespace weave {

// Most ids one request may name; Firefox sends at most 100.
constexpr size_t kMaxIdsPerRequest = 1000;

struct CollectionQuery {
  CollectionFilter filter;
  bool full = false;
};

// Unknown parameters are ignored (Firefox adds ?v=...). Numbers are read as Mozilla's Python
// server read them: limit and offset with int() (not above 0: not applied), index bounds
// with float(), newer and older as ParseTimestamp does. Throws BadRequest for a value that
// is present but malformed (newer=abc, limit=1.5, index_above=nan, too many ids).
CollectionQuery ParseCollectionQuery(const QueryParams& params);

}  // namespace weave
