// Unit tests of Weave timestamp formatting (two decimals) and parsing (to centiseconds).
#include "core/weave_timestamp.h"

#include <limits>

#include <boost/test/unit_test.hpp>

namespace weave {

BOOST_AUTO_TEST_SUITE(weave_timestamp)

BOOST_AUTO_TEST_CASE(formats_with_exactly_two_decimals) {
  BOOST_TEST(FormatTimestamp(130000000025) == "1300000000.25");
  BOOST_TEST(FormatTimestamp(130000000020) == "1300000000.20");
  BOOST_TEST(FormatTimestamp(130000000000) == "1300000000.00");
  BOOST_TEST(FormatTimestamp(0) == "0.00");
  BOOST_TEST(FormatTimestamp(5) == "0.05");
  BOOST_TEST(FormatTimestamp(99) == "0.99");
}

BOOST_AUTO_TEST_CASE(formats_negative_values_with_sign_on_whole_number) {
  BOOST_TEST(FormatTimestamp(-5) == "-0.05");
  BOOST_TEST(FormatTimestamp(-150) == "-1.50");
  BOOST_TEST(FormatTimestamp(std::numeric_limits<int64_t>::min()) == "-92233720368547758.08");
  BOOST_TEST(FormatTimestamp(std::numeric_limits<int64_t>::max()) == "92233720368547758.07");
}

BOOST_AUTO_TEST_CASE(append_timestamp_appends_to_existing_text) {
  std::string out = "t=";
  AppendTimestamp(123, out);
  BOOST_TEST(out == "t=1.23");
}

BOOST_AUTO_TEST_CASE(parses_whole_and_two_decimal_seconds) {
  BOOST_TEST(ParseTimestamp("1300000000").value() == 130000000000);
  BOOST_TEST(ParseTimestamp("1300000000.25").value() == 130000000025);
  BOOST_TEST(ParseTimestamp("1300000000.2").value() == 130000000020);
  BOOST_TEST(ParseTimestamp("0").value() == 0);
  BOOST_TEST(ParseTimestamp("5.").value() == 500);
  BOOST_TEST(ParseTimestamp(".5").value() == 50);
  BOOST_TEST(ParseTimestamp("+2").value() == 200);
  BOOST_TEST(ParseTimestamp("007").value() == 700);
}

// Decimal's quantize, as Mozilla's Python server rounded: ties go to the even hundredth.
BOOST_AUTO_TEST_CASE(rounds_extra_decimals_half_to_even) {
  BOOST_TEST(ParseTimestamp("1300000000.253").value() == 130000000025);
  BOOST_TEST(ParseTimestamp("1300000000.255").value() == 130000000026);
  BOOST_TEST(ParseTimestamp("1300000000.245").value() == 130000000024);
  BOOST_TEST(ParseTimestamp("1300000000.2450001").value() == 130000000025);
  BOOST_TEST(ParseTimestamp("1300000000.2549999").value() == 130000000025);
  BOOST_TEST(ParseTimestamp("1300000000.995").value() == 130000000100);
  BOOST_TEST(ParseTimestamp("1.005").value() == 100);
  BOOST_TEST(ParseTimestamp("1.015").value() == 102);
  BOOST_TEST(ParseTimestamp("1.004999999999999999999").value() == 100);
  BOOST_TEST(ParseTimestamp("-1.255").value() == -126);
  BOOST_TEST(ParseTimestamp("-1.245").value() == -124);
  BOOST_TEST(ParseTimestamp("-1.254").value() == -125);
  BOOST_TEST(ParseTimestamp("0.005").value() == 0);
  BOOST_TEST(ParseTimestamp("0.0051").value() == 1);
  BOOST_TEST(ParseTimestamp("0.0009").value() == 0);
}

BOOST_AUTO_TEST_CASE(reads_exponents_and_surrounding_white_space_as_python_decimal) {
  BOOST_TEST(ParseTimestamp("1.3e9").value() == 130000000000);
  BOOST_TEST(ParseTimestamp("13E+8").value() == 130000000000);
  BOOST_TEST(ParseTimestamp("130000000025e-2").value() == 130000000025);
  BOOST_TEST(ParseTimestamp("5e-3").value() == 0);
  BOOST_TEST(ParseTimestamp("15e-3").value() == 2);
  BOOST_TEST(ParseTimestamp(" \t1300000000.25\n\v\f\r").value() == 130000000025);
  BOOST_TEST(ParseTimestamp("0e999999999999").value() == 0);
  BOOST_TEST(ParseTimestamp("1e-999999999999").value() == 0);
  BOOST_TEST(ParseTimestamp("-0.00").value() == 0);
}

BOOST_AUTO_TEST_CASE(parses_negative_values) {
  BOOST_TEST(ParseTimestamp("-1").value() == -100);
  BOOST_TEST(ParseTimestamp("-0.05").value() == -5);
  BOOST_TEST(ParseTimestamp("-0").value() == 0);
}

BOOST_AUTO_TEST_CASE(refuses_garbage) {
  for (const char* text : {"",    ".",   "-",    "+",    "-.",       "abc",  "1e",  "e3",
                           "1e+", "1 5", "1,5",  "0x10", "1.2.3",    "--1",  "+-1", "1.5s",
                           "inf", "nan", "1..2", "١",    "Infinity", "sNaN", "1_0", "1e3.5"}) {
    BOOST_TEST_INFO("input: \"" << text << "\"");
    BOOST_TEST(!ParseTimestamp(text).has_value());
  }
  BOOST_TEST(!ParseTimestamp(std::string("1\0", 2)).has_value());
}

// Python's Decimal took up to 28 digits once quantized; values past any stored time compare
// the same way as the bound they are cut to.
BOOST_AUTO_TEST_CASE(saturates_far_values_and_refuses_from_ten_to_the_26) {
  BOOST_TEST(ParseTimestamp("999999999999.99").value() == 99999999999999);
  BOOST_TEST(ParseTimestamp("1000000000000").value() == 100000000000000);
  BOOST_TEST(ParseTimestamp("999999999999999.994").value() == 99999999999999999);
  BOOST_TEST(ParseTimestamp("1e15").value() == kMaxParsedTimestampCs);
  BOOST_TEST(ParseTimestamp("99999999999999999999999999").value() == kMaxParsedTimestampCs);
  BOOST_TEST(ParseTimestamp("-99999999999999999999999999.99").value() == -kMaxParsedTimestampCs);
  BOOST_TEST(!ParseTimestamp("1e26").has_value());
  BOOST_TEST(!ParseTimestamp("-100000000000000000000000000").has_value());
  BOOST_TEST(!ParseTimestamp("1e999999999999").has_value());
}

BOOST_AUTO_TEST_CASE(parse_inverts_format) {
  for (const int64_t centis : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{130000000025},
                               int64_t{-130000000099}, int64_t{99999999999999}}) {
    BOOST_TEST(ParseTimestamp(FormatTimestamp(centis)).value() == centis);
  }
}

BOOST_AUTO_TEST_CASE(milliseconds_round_to_nearest_centisecond) {
  BOOST_TEST(MsToCentiseconds(1300000000254) == 130000000025);
  BOOST_TEST(MsToCentiseconds(1300000000255) == 130000000026);
  BOOST_TEST(MsToCentiseconds(1300000000250) == 130000000025);
  BOOST_TEST(MsToCentiseconds(0) == 0);
  BOOST_TEST(MsToCentiseconds(4) == 0);
  BOOST_TEST(MsToCentiseconds(5) == 1);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace weave
