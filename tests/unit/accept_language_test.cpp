// Unit tests of the Accept-Language parser and the choice of a page's language.
#include "http/accept_language.h"

#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

namespace weave {
namespace {

const std::vector<std::string> kShipped = {"en", "de"};

std::string Choose(std::string_view header, const std::vector<std::string>& available = kShipped) {
  return ChooseLanguage(header, available, "en");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(accept_language)

BOOST_AUTO_TEST_CASE(parses_ranges_and_weights) {
  const auto ranges = ParseAcceptLanguage(" de-CH ,de;q=0.9, en ; q=0.5,*;q=0.1,,fr;Q=0");
  BOOST_TEST_REQUIRE(ranges.size() == 5U);
  BOOST_TEST(ranges[0].range == "de-ch");
  BOOST_TEST(ranges[0].quality == 1.0);
  BOOST_TEST(ranges[1].range == "de");
  BOOST_TEST(ranges[1].quality == 0.9);
  BOOST_TEST(ranges[2].range == "en");
  BOOST_TEST(ranges[2].quality == 0.5);
  BOOST_TEST(ranges[3].range == "*");
  BOOST_TEST(ranges[4].quality == 0.0);
}

BOOST_AUTO_TEST_CASE(malformed_elements_are_skipped) {
  for (const char* header :
       {"de;q=2", "de;q=0.1234", "de;q=1.001", "de;q=", "de;q=.5", "de;level=1", "de-", "-de",
        "d e", "deutschland", "de--ch", "12", "de_CH", "de;q=nan", "de;q=0x1", "\xc3\xa4"}) {
    BOOST_TEST(ParseAcceptLanguage(header).empty(), header);
    BOOST_TEST(Choose(header) == "en", header);
  }
  // The well-formed ones around a malformed one still count.
  BOOST_TEST(Choose("x_y, de") == "de");
  BOOST_TEST(ParseAcceptLanguage("zh-Hant-TW;q=1.000,sgn-BE-fr;q=0.000").size() == 2U);
}

BOOST_AUTO_TEST_CASE(reads_at_most_64_elements) {
  std::string header;
  for (int i = 0; i < 100; ++i) {
    header += "it,";
  }
  BOOST_TEST(ParseAcceptLanguage(header + "de").size() == 64U);
  BOOST_TEST(Choose(header + "de") == "en");
}

BOOST_AUTO_TEST_CASE(highest_weight_wins_and_order_breaks_ties) {
  BOOST_TEST(Choose("en;q=0.1, de;q=0.9") == "de");
  BOOST_TEST(Choose("de, en") == "de");
  BOOST_TEST(Choose("en, de") == "en");
  BOOST_TEST(Choose("it, de;q=0.5, en;q=0.4") == "de");
  BOOST_TEST(Choose("en-US,en;q=0.9,de;q=0.8") == "en");
}

BOOST_AUTO_TEST_CASE(region_falls_back_to_the_language) {
  BOOST_TEST(Choose("de-CH") == "de");
  BOOST_TEST(Choose("DE-AT-1996, en;q=0.9") == "de");
  BOOST_TEST(Choose("de-x-private") == "de");
  // The exact tag first, when the operator has one.
  BOOST_TEST(Choose("de-CH", {"en", "de", "de-ch"}) == "de-ch");
  // A bare language takes a regional variant when that is all there is.
  BOOST_TEST(Choose("pt", {"en", "pt-br"}) == "pt-br");
  // A prefix must end where a subtag ends.
  BOOST_TEST(Choose("d", {"en", "de"}) == "en");
}

BOOST_AUTO_TEST_CASE(wildcard_and_refusals) {
  BOOST_TEST(Choose("*") == "en");
  BOOST_TEST(Choose("it, *;q=0.5") == "en");
  BOOST_TEST(Choose("en;q=0, *") == "de");
  BOOST_TEST(Choose("de;q=0, *") == "en");
  BOOST_TEST(Choose("de;q=0") == "en");
  // Refusing every language leaves the fallback: a page must be served in something.
  BOOST_TEST(Choose("en;q=0, de;q=0, *") == "en");
  BOOST_TEST(Choose("*;q=0") == "en");
  // A refusal of de also refuses its regional variants.
  BOOST_TEST(Choose("de-at, de;q=0", {"en", "de-at"}) == "en");
}

BOOST_AUTO_TEST_CASE(nothing_asked_or_nothing_matching_gives_the_fallback) {
  BOOST_TEST(Choose("") == "en");
  BOOST_TEST(Choose("   ,  ") == "en");
  BOOST_TEST(Choose("fr, it") == "en");
  BOOST_TEST(ChooseLanguage("fr", {}, "en") == "en");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace weave
