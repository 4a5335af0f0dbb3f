// Unit tests of the GET/DELETE collection query parameters.
#include "storage/collection_query.h"

#include <boost/test/unit_test.hpp>

#include "core/errors.h"

namespace weave {
namespace {

CollectionQuery Parse(std::string_view query) {
  return ParseCollectionQuery(ParseQueryString(query));
}

// True if parsing throws BadRequest(kIllegalMethod) naming the parameter.
bool Rejects(std::string_view query, std::string_view name) {
  try {
    Parse(query);
  } catch (const BadRequest& error) {
    return error.Code() == WeaveError::kIllegalMethod &&
           std::string_view(error.what()).find(name) != std::string_view::npos;
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(collection_query)

BOOST_AUTO_TEST_CASE(empty_query_selects_everything_ids_only) {
  const CollectionQuery query = Parse("");
  BOOST_TEST(!query.full);
  BOOST_TEST(query.filter.SelectsAll());
  BOOST_TEST(query.filter.limit == 0);
  BOOST_TEST(query.filter.offset == 0);
  BOOST_TEST((query.filter.sort == SortOrder::kNone));
}

BOOST_AUTO_TEST_CASE(parses_firefox_incremental_sync_query) {
  const CollectionQuery query = Parse("full=1&newer=1300000000.25&sort=index&limit=5000");
  BOOST_TEST(query.full);
  BOOST_TEST(query.filter.newer_cs.value() == 130000000025);
  BOOST_TEST((query.filter.sort == SortOrder::kIndex));
  BOOST_TEST(query.filter.limit == 5000);
  BOOST_TEST(!query.filter.SelectsAll());
}

BOOST_AUTO_TEST_CASE(ignores_unknown_parameters) {
  BOOST_TEST(Parse("v=1.5.0&depth=2&foo").filter.SelectsAll());
}

BOOST_AUTO_TEST_CASE(full_is_set_by_any_non_empty_value) {
  BOOST_TEST(Parse("full=1").full);
  BOOST_TEST(Parse("full=0").full);  // as Mozilla's Python server
  BOOST_TEST(Parse("full=yes").full);
  BOOST_TEST(!Parse("full=").full);
  BOOST_TEST(!Parse("full").full);
}

BOOST_AUTO_TEST_CASE(ids_are_split_on_commas_skipping_empty_entries) {
  const auto ids = Parse("ids=a,b,,c,").filter.ids;
  BOOST_REQUIRE(ids.has_value());
  BOOST_TEST((*ids == std::vector<std::string>{"a", "b", "c"}));
}

BOOST_AUTO_TEST_CASE(ids_are_percent_decoded) {
  const auto ids = Parse("ids=a%2Cb,c%3Fd").filter.ids;
  BOOST_REQUIRE(ids.has_value());
  // %2C decodes before splitting, so it separates ids like a literal comma.
  BOOST_TEST((*ids == std::vector<std::string>{"a", "b", "c?d"}));
}

BOOST_AUTO_TEST_CASE(empty_ids_parameter_selects_nothing) {
  const auto ids = Parse("ids=").filter.ids;
  BOOST_REQUIRE(ids.has_value());
  BOOST_TEST(ids->empty());
}

BOOST_AUTO_TEST_CASE(accepts_up_to_max_ids_and_rejects_more) {
  std::string list;
  for (size_t i = 0; i < kMaxIdsPerRequest; ++i) {
    list += (i == 0 ? "" : ",") + std::to_string(i);
  }
  BOOST_TEST(Parse("ids=" + list).filter.ids->size() == kMaxIdsPerRequest);
  BOOST_TEST(Rejects("ids=" + list + ",x", "ids"));
}

BOOST_AUTO_TEST_CASE(newer_and_older_are_rounded_to_centiseconds) {
  const CollectionQuery query = Parse("newer=1300000000.255&older=1300000001");
  BOOST_TEST(query.filter.newer_cs.value() == 130000000026);
  BOOST_TEST(query.filter.older_cs.value() == 130000000100);
}

BOOST_AUTO_TEST_CASE(both_time_bounds_are_kept) {
  const CollectionQuery query = Parse("older=20&newer=10");
  BOOST_TEST(query.filter.newer_cs.value() == 1000);
  BOOST_TEST(query.filter.older_cs.value() == 2000);
}

BOOST_AUTO_TEST_CASE(rejects_invalid_time_bounds) {
  BOOST_TEST(Rejects("newer=abc", "newer"));
  BOOST_TEST(Rejects("newer=", "newer"));
  BOOST_TEST(Rejects("older=1300000000.25.1", "older"));
  BOOST_TEST(Rejects("older=NaN", "older"));
  BOOST_TEST(Rejects("newer=Infinity", "newer"));
  BOOST_TEST(Rejects("newer=1e26", "newer"));
}

BOOST_AUTO_TEST_CASE(time_bounds_are_read_as_python_decimal) {
  BOOST_TEST(Parse("older=1e9").filter.older_cs.value() == 100000000000);
  BOOST_TEST(Parse("newer=+1.3e9+").filter.newer_cs.value() == 130000000000);
  BOOST_TEST(Parse("newer=10000000000000").filter.newer_cs.value() == 1000000000000000);
}

BOOST_AUTO_TEST_CASE(whole_index_bounds_are_kept) {
  const CollectionQuery query = Parse("index_above=5&index_below=-7");
  BOOST_TEST(query.filter.index_above.value() == 5);
  BOOST_TEST(query.filter.index_below.value() == -7);
}

BOOST_AUTO_TEST_CASE(fractional_index_bounds_round_outwards) {
  // sortindex > 5.5 is sortindex > 5; sortindex < 5.5 is sortindex < 6.
  BOOST_TEST(Parse("index_above=5.5").filter.index_above.value() == 5);
  BOOST_TEST(Parse("index_below=5.5").filter.index_below.value() == 6);
  BOOST_TEST(Parse("index_above=-5.5").filter.index_above.value() == -6);
  BOOST_TEST(Parse("index_below=-5.5").filter.index_below.value() == -5);
  BOOST_TEST(Parse("index_above=0.01").filter.index_above.value() == 0);
  BOOST_TEST(Parse("index_below=-0.01").filter.index_below.value() == 0);
  BOOST_TEST(Parse("index_above=5.00").filter.index_above.value() == 5);
}

// Python compared the sortindex with the float bound: 5 > 4.999 and 5 < 5.001 hold.
BOOST_AUTO_TEST_CASE(index_bounds_with_three_decimals_still_round_outwards) {
  BOOST_TEST(Parse("index_above=4.999").filter.index_above.value() == 4);
  BOOST_TEST(Parse("index_above=4.995").filter.index_above.value() == 4);
  BOOST_TEST(Parse("index_below=5.001").filter.index_below.value() == 6);
  BOOST_TEST(Parse("index_below=-4.999").filter.index_below.value() == -4);
}

BOOST_AUTO_TEST_CASE(rejects_invalid_index_bounds) {
  BOOST_TEST(Rejects("index_above=x", "index_above"));
  BOOST_TEST(Rejects("index_below=", "index_below"));
  BOOST_TEST(Rejects("index_below=nan", "index_below"));
  BOOST_TEST(Rejects("index_above=0x10", "index_above"));
  BOOST_TEST(Rejects("index_above=1e", "index_above"));
}

// Python's float(): exponents, white space, infinities; far bounds select like +-10^12.
BOOST_AUTO_TEST_CASE(index_bounds_are_read_as_python_float) {
  BOOST_TEST(Parse("index_below=1e2").filter.index_below.value() == 100);
  BOOST_TEST(Parse("index_above=+2.5E1+").filter.index_above.value() == 25);
  BOOST_TEST(Parse("index_above=-inf").filter.index_above.value() == -1000000000000);
  BOOST_TEST(Parse("index_below=Infinity").filter.index_below.value() == 1000000000000);
  BOOST_TEST(Parse("index_above=1e300").filter.index_above.value() == 1000000000000);
  BOOST_TEST(Parse("index_below=-99999999999999").filter.index_below.value() == -1000000000000);
}

BOOST_AUTO_TEST_CASE(parses_limit_and_offset) {
  const CollectionQuery query = Parse("limit=10&offset=20");
  BOOST_TEST(query.filter.limit == 10);
  BOOST_TEST(query.filter.offset == 20);
  BOOST_TEST(Parse("limit=0").filter.limit == 0);
  BOOST_TEST(Parse("limit=999999999999999").filter.limit == 999999999999999);
}

BOOST_AUTO_TEST_CASE(ignores_negative_counts_as_the_reference_does) {
  // Python's int() reads a sign, and a count that is not above 0 is not applied.
  BOOST_TEST(Parse("limit=-1").filter.limit == 0);
  BOOST_TEST(Parse("limit=5&offset=-3").filter.offset == 0);
  BOOST_TEST(Parse("limit=-0").filter.limit == 0);
}

BOOST_AUTO_TEST_CASE(rejects_fractional_empty_or_non_decimal_counts) {
  for (const char* name : {"limit", "offset"}) {
    const std::string prefix = std::string(name) + "=";
    BOOST_TEST(Rejects(prefix + "-", name));
    BOOST_TEST(Rejects(prefix + "--1", name));
    BOOST_TEST(Rejects(prefix + "1.5", name));
    BOOST_TEST(Rejects(prefix, name));
    BOOST_TEST(Rejects(prefix + "ten", name));
    BOOST_TEST(Rejects(prefix + "1e3", name));
    BOOST_TEST(Rejects(prefix + "0x10", name));
  }
}

// Python's int(): white space around, leading zeros, any size (a huge limit is no limit).
BOOST_AUTO_TEST_CASE(counts_are_read_as_python_int) {
  BOOST_TEST(Parse("limit=+%205%09").filter.limit == 5);
  BOOST_TEST(Parse("limit=00000000000000000000007").filter.limit == 7);
  BOOST_TEST(Parse("limit=99999999999999999999999").filter.limit == 1000000000000000000);
  BOOST_TEST(Parse("limit=1&offset=1000000000000000").filter.offset == 1000000000000000);
}

BOOST_AUTO_TEST_CASE(sort_accepts_the_three_orders_and_ignores_others) {
  BOOST_TEST((Parse("sort=oldest").filter.sort == SortOrder::kOldest));
  BOOST_TEST((Parse("sort=newest").filter.sort == SortOrder::kNewest));
  BOOST_TEST((Parse("sort=index").filter.sort == SortOrder::kIndex));
  BOOST_TEST((Parse("sort=Index").filter.sort == SortOrder::kNone));
  BOOST_TEST((Parse("sort=random").filter.sort == SortOrder::kNone));
  BOOST_TEST((Parse("sort=").filter.sort == SortOrder::kNone));
}

BOOST_AUTO_TEST_CASE(parentid_and_predecessorid_are_equality_filters) {
  const CollectionQuery query = Parse("parentid=menu%20x&predecessorid=abc");
  BOOST_TEST(query.filter.parentid.value() == "menu x");
  BOOST_TEST(query.filter.predecessorid.value() == "abc");
}

BOOST_AUTO_TEST_CASE(last_repeated_parameter_wins) {
  const CollectionQuery query = Parse("limit=1&limit=2&sort=oldest&sort=newest");
  BOOST_TEST(query.filter.limit == 2);
  BOOST_TEST((query.filter.sort == SortOrder::kNewest));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace weave
