// Unit tests of percent-decoding and query-string splitting.
#include "http/query_string.h"

#include <boost/test/unit_test.hpp>

namespace weave {

BOOST_AUTO_TEST_SUITE(query_string)

BOOST_AUTO_TEST_CASE(percent_decode_leaves_plain_text_unchanged) {
  BOOST_TEST(PercentDecode("abc-._~", false).value() == "abc-._~");
  BOOST_TEST(PercentDecode("", false).value() == "");
}

BOOST_AUTO_TEST_CASE(percent_decode_decodes_upper_and_lower_case_hex) {
  BOOST_TEST(PercentDecode("%41%4a%4A%7e", false).value() == "AJJ~");
  BOOST_TEST(PercentDecode("a%2Cb", false).value() == "a,b");
}

BOOST_AUTO_TEST_CASE(percent_decode_handles_escape_at_end_of_text) {
  BOOST_TEST(PercentDecode("x%3F", false).value() == "x?");
  BOOST_TEST(PercentDecode("%3F", false).value() == "?");
}

BOOST_AUTO_TEST_CASE(percent_decode_yields_nul_and_high_bytes) {
  const auto decoded = PercentDecode("a%00b%FF", false);
  BOOST_REQUIRE(decoded.has_value());
  BOOST_TEST(*decoded == std::string("a\0b\xff", 4));
}

BOOST_AUTO_TEST_CASE(percent_decode_treats_plus_as_space_only_when_asked) {
  BOOST_TEST(PercentDecode("a+b", true).value() == "a b");
  BOOST_TEST(PercentDecode("a+b", false).value() == "a+b");
  BOOST_TEST(PercentDecode("a%2Bb", true).value() == "a+b");
}

BOOST_AUTO_TEST_CASE(percent_decode_rejects_malformed_escapes) {
  BOOST_TEST(!PercentDecode("%", false).has_value());
  BOOST_TEST(!PercentDecode("%4", false).has_value());
  BOOST_TEST(!PercentDecode("abc%4", false).has_value());
  BOOST_TEST(!PercentDecode("%zz", false).has_value());
  BOOST_TEST(!PercentDecode("%4g", false).has_value());
  BOOST_TEST(!PercentDecode("%g4", false).has_value());
  BOOST_TEST(!PercentDecode("%%41", false).has_value());
}

BOOST_AUTO_TEST_CASE(percent_decode_does_not_decode_twice) {
  BOOST_TEST(PercentDecode("%2541", false).value() == "%41");
}

BOOST_AUTO_TEST_CASE(parses_empty_query_to_no_params) {
  BOOST_TEST(ParseQueryString("").empty());
  BOOST_TEST(ParseQueryString("&&&").empty());
}

BOOST_AUTO_TEST_CASE(splits_on_ampersand_and_first_equals) {
  const QueryParams params =
      ParseQueryString("full=1&newer=1300000000.25&sort=index&limit=5000&x=a=b");
  BOOST_REQUIRE_EQUAL(params.size(), 5U);
  BOOST_TEST(params[0].first == "full");
  BOOST_TEST(params[0].second == "1");
  BOOST_TEST(params[1].first == "newer");
  BOOST_TEST(params[1].second == "1300000000.25");
  BOOST_TEST(params[2].second == "index");
  BOOST_TEST(params[3].second == "5000");
  BOOST_TEST(params[4].first == "x");
  BOOST_TEST(params[4].second == "a=b");
}

BOOST_AUTO_TEST_CASE(parameter_without_equals_has_empty_value) {
  const QueryParams params = ParseQueryString("full&b=");
  BOOST_REQUIRE_EQUAL(params.size(), 2U);
  BOOST_TEST(params[0].first == "full");
  BOOST_TEST(params[0].second == "");
  BOOST_TEST(params[1].first == "b");
  BOOST_TEST(params[1].second == "");
}

BOOST_AUTO_TEST_CASE(skips_empty_parts_between_ampersands) {
  const QueryParams params = ParseQueryString("&a=1&&b=2&");
  BOOST_REQUIRE_EQUAL(params.size(), 2U);
  BOOST_TEST(params[0].first == "a");
  BOOST_TEST(params[1].first == "b");
}

BOOST_AUTO_TEST_CASE(decodes_names_and_values_with_plus_as_space) {
  const QueryParams params = ParseQueryString("i%64s=a%2Cb+c&p+q=%3D");
  BOOST_REQUIRE_EQUAL(params.size(), 2U);
  BOOST_TEST(params[0].first == "ids");
  BOOST_TEST(params[0].second == "a,b c");
  BOOST_TEST(params[1].first == "p q");
  BOOST_TEST(params[1].second == "=");
}

BOOST_AUTO_TEST_CASE(keeps_repeated_parameters_in_order) {
  const QueryParams params = ParseQueryString("a=1&a=2");
  BOOST_REQUIRE_EQUAL(params.size(), 2U);
  BOOST_TEST(params[0].second == "1");
  BOOST_TEST(params[1].second == "2");
}

// As Python's parser, which Mozilla's servers used: a malformed escape is plain text.
BOOST_AUTO_TEST_CASE(keeps_malformed_escapes_in_names_and_values_as_written) {
  const QueryParams params = ParseQueryString("a=%zz&%4=1&ok=1&bad=%&c=%4g%41%2");
  BOOST_REQUIRE_EQUAL(params.size(), 5U);
  BOOST_TEST(params[0].second == "%zz");
  BOOST_TEST(params[1].first == "%4");
  BOOST_TEST(params[3].second == "%");
  BOOST_TEST(params[4].second == "%4gA%2");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace weave
