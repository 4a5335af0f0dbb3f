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

// Unknown parameters are ignored (Firefox adds ?v=...). Throws BadRequest for a value
// that is present but malformed (newer=abc, limit=-1, too many ids).
CollectionQuery ParseCollectionQuery(const QueryParams& params);

}  // namespace weave
