// Unit tests of Accept-header negotiation between JSON, newlines and whoisi.
#include <string>

#include <boost/test/unit_test.hpp>

#include "storage/output_format.h"

namespace weave {
namespace {

std::string Negotiate(std::string_view accept) {
  return ContentTypeOf(NegotiateFormat(accept));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(accept)

BOOST_AUTO_TEST_CASE(missing_or_empty_header_gives_json) {
  BOOST_TEST(Negotiate("") == "application/json");
  BOOST_TEST(Negotiate("   ") == "application/json");
  BOOST_TEST(Negotiate(",,,") == "application/json");
}

BOOST_AUTO_TEST_CASE(exact_types_are_chosen) {
  BOOST_TEST(Negotiate("application/json") == "application/json");
  BOOST_TEST(Negotiate("application/newlines") == "application/newlines");
  BOOST_TEST(Negotiate("application/whoisi") == "application/whoisi");
}

BOOST_AUTO_TEST_CASE(media_types_compare_case_insensitively_and_ignore_spaces) {
  BOOST_TEST(Negotiate("Application/Newlines") == "application/newlines");
  BOOST_TEST(Negotiate("  application/whoisi ; q=1 ") == "application/whoisi");
  BOOST_TEST(Negotiate("\tapplication/newlines\t") == "application/newlines");
}

BOOST_AUTO_TEST_CASE(browser_accept_header_gives_json) {
  BOOST_TEST(Negotiate("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8") ==
             "application/json");
  BOOST_TEST(Negotiate("*/*") == "application/json");
  BOOST_TEST(Negotiate("application/*") == "application/json");
}

BOOST_AUTO_TEST_CASE(unoffered_type_gives_json) {
  BOOST_TEST(Negotiate("application/xxx") == "application/json");
  BOOST_TEST(Negotiate("text/plain") == "application/json");
}

BOOST_AUTO_TEST_CASE(highest_quality_wins) {
  BOOST_TEST(Negotiate("application/json;q=0.5, application/newlines") == "application/newlines");
  BOOST_TEST(Negotiate("application/newlines;q=0.4, application/whoisi;q=0.6") ==
             "application/whoisi");
  BOOST_TEST(Negotiate("application/whoisi;q=0.1, application/json;q=0.2") == "application/json");
}

BOOST_AUTO_TEST_CASE(ties_go_to_json_then_newlines) {
  BOOST_TEST(Negotiate("application/newlines, application/json") == "application/json");
  BOOST_TEST(Negotiate("application/whoisi;q=0.5, application/json;q=0.5") == "application/json");
  BOOST_TEST(Negotiate("application/whoisi, application/newlines") == "application/newlines");
}

BOOST_AUTO_TEST_CASE(more_specific_range_overrides_wildcard) {
  // json is refused explicitly; */* still offers the others at q=1.
  BOOST_TEST(Negotiate("application/json;q=0, */*") == "application/newlines");
  BOOST_TEST(Negotiate("*/*;q=0.1, application/whoisi") == "application/whoisi");
  BOOST_TEST(Negotiate("application/*;q=0.2, */*;q=0.9, application/newlines;q=0.5") ==
             "application/newlines");
}

BOOST_AUTO_TEST_CASE(quality_zero_everywhere_falls_back_to_json) {
  BOOST_TEST(Negotiate("application/newlines;q=0") == "application/json");
  BOOST_TEST(Negotiate("*/*;q=0") == "application/json");
}

BOOST_AUTO_TEST_CASE(other_parameters_are_ignored) {
  BOOST_TEST(Negotiate("application/newlines;charset=utf-8") == "application/newlines");
  BOOST_TEST(Negotiate("application/newlines;level=1;q=0.7, application/json;q=0.6") ==
             "application/newlines");
}

BOOST_AUTO_TEST_CASE(malformed_ranges_are_ignored) {
  BOOST_TEST(Negotiate("application/newlines;q=abc") == "application/json");
  BOOST_TEST(Negotiate("application/newlines;q=2") == "application/json");
  BOOST_TEST(Negotiate("application/newlines;q=-0.5") == "application/json");
  BOOST_TEST(Negotiate("application/newlines;q=") == "application/json");
  BOOST_TEST(Negotiate("application/newlines;q=0.5x") == "application/json");
  BOOST_TEST(Negotiate("application/json;q=abc, application/whoisi;q=0.3") == "application/whoisi");
  BOOST_TEST(Negotiate(";;;q=0.5,,") == "application/json");
  BOOST_TEST(Negotiate("application/newlines;;") == "application/newlines");
}

BOOST_AUTO_TEST_CASE(not_a_number_quality_is_ignored_like_other_malformed_values) {
  BOOST_TEST(Negotiate("application/json;q=nan, application/newlines;q=0.5") ==
             "application/newlines");
}

BOOST_AUTO_TEST_CASE(content_type_names_each_format) {
  BOOST_TEST(std::string(ContentTypeOf(OutputFormat::kJson)) == "application/json");
  BOOST_TEST(std::string(ContentTypeOf(OutputFormat::kNewlines)) == "application/newlines");
  BOOST_TEST(std::string(ContentTypeOf(OutputFormat::kWhoisi)) == "application/whoisi");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace weave
