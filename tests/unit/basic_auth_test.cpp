// Unit tests of Basic-auth header parsing and the UTF-8 validator it uses.
#include "http/basic_auth.h"

#include <boost/test/unit_test.hpp>

#include "core/crypto.h"

namespace weave {
namespace {

std::string Header(std::string_view credentials) {
  return "Basic " + Base64Encode(credentials);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(basic_auth)

BOOST_AUTO_TEST_CASE(parses_user_and_password) {
  const auto credentials = ParseBasicAuth(Header("alice:secret"));
  BOOST_REQUIRE(credentials.has_value());
  BOOST_TEST(credentials->username == "alice");
  BOOST_TEST(credentials->password == "secret");
}

BOOST_AUTO_TEST_CASE(parses_known_rfc7617_example) {
  const auto credentials = ParseBasicAuth("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  BOOST_REQUIRE(credentials.has_value());
  BOOST_TEST(credentials->username == "Aladdin");
  BOOST_TEST(credentials->password == "open sesame");
}

BOOST_AUTO_TEST_CASE(splits_at_first_colon_so_password_may_contain_colons) {
  const auto credentials = ParseBasicAuth(Header("bob:pa:ss:"));
  BOOST_REQUIRE(credentials.has_value());
  BOOST_TEST(credentials->username == "bob");
  BOOST_TEST(credentials->password == "pa:ss:");
}

BOOST_AUTO_TEST_CASE(accepts_empty_password) {
  const auto credentials = ParseBasicAuth(Header("bob:"));
  BOOST_REQUIRE(credentials.has_value());
  BOOST_TEST(credentials->password == "");
}

BOOST_AUTO_TEST_CASE(accepts_non_ascii_utf8_password_bytes_unchanged) {
  const std::string password = "p\xc3\xa4ss\xe2\x82\xac\xf0\x9f\x94\x91";  // "päss€🔑"
  const auto credentials = ParseBasicAuth(Header("carol:" + password));
  BOOST_REQUIRE(credentials.has_value());
  BOOST_TEST(credentials->password == password);
}

BOOST_AUTO_TEST_CASE(rejects_latin1_password_that_is_not_utf8) {
  BOOST_TEST(!ParseBasicAuth(Header("carol:p\xe4ss")).has_value());
}

BOOST_AUTO_TEST_CASE(scheme_is_case_insensitive_and_surrounding_spaces_are_ignored) {
  const std::string encoded = Base64Encode("dave:pw");
  BOOST_TEST(ParseBasicAuth("basic " + encoded).has_value());
  BOOST_TEST(ParseBasicAuth("BASIC " + encoded).has_value());
  BOOST_TEST(ParseBasicAuth("  Basic   " + encoded + "  ").has_value());
}

BOOST_AUTO_TEST_CASE(rejects_other_schemes_and_missing_separator) {
  const std::string encoded = Base64Encode("dave:pw");
  BOOST_TEST(!ParseBasicAuth("Bearer " + encoded).has_value());
  BOOST_TEST(!ParseBasicAuth("Basic" + encoded).has_value());
  BOOST_TEST(!ParseBasicAuth("Basic").has_value());
  BOOST_TEST(!ParseBasicAuth("Basic ").has_value());
  BOOST_TEST(!ParseBasicAuth("").has_value());
  BOOST_TEST(!ParseBasicAuth("Basi").has_value());
  BOOST_TEST(!ParseBasicAuth("Digest username=\"dave\"").has_value());
}

BOOST_AUTO_TEST_CASE(rejects_bad_base64) {
  BOOST_TEST(!ParseBasicAuth("Basic ZGF2ZTpwdw=").has_value());     // wrong length
  BOOST_TEST(!ParseBasicAuth("Basic ZGF2ZTpwd*==").has_value());    // bad character
  BOOST_TEST(!ParseBasicAuth("Basic ZGF2 ZTpw").has_value());       // inner space
  BOOST_TEST(!ParseBasicAuth("Basic ZGF2ZTpw\tdw==").has_value());  // tab
  BOOST_TEST(!ParseBasicAuth("Basic ZG=2ZTpw").has_value());        // padding inside
  BOOST_TEST(!ParseBasicAuth("Basic ZGF2ZTpw-_==").has_value());    // base64url alphabet
}

BOOST_AUTO_TEST_CASE(rejects_decoded_text_without_colon) {
  BOOST_TEST(!ParseBasicAuth(Header("davepw")).has_value());
}

BOOST_AUTO_TEST_CASE(rejects_empty_username) {
  BOOST_TEST(!ParseBasicAuth(Header(":pw")).has_value());
}

BOOST_AUTO_TEST_CASE(rejects_control_characters_in_username) {
  BOOST_TEST(!ParseBasicAuth(Header("da\nve:pw")).has_value());
  BOOST_TEST(!ParseBasicAuth(Header("da\tve:pw")).has_value());
  BOOST_TEST(!ParseBasicAuth(Header(std::string("da\0ve:pw", 8))).has_value());
  BOOST_TEST(!ParseBasicAuth(Header("da\x7fve:pw")).has_value());
}

BOOST_AUTO_TEST_CASE(valid_utf8_accepts_ascii_and_every_sequence_length) {
  BOOST_TEST(IsValidUtf8(""));
  BOOST_TEST(IsValidUtf8("plain ascii"));
  BOOST_TEST(IsValidUtf8(std::string("\0", 1)));
  BOOST_TEST(IsValidUtf8("\xc2\x80"));          // U+0080, smallest two-byte
  BOOST_TEST(IsValidUtf8("\xdf\xbf"));          // U+07FF
  BOOST_TEST(IsValidUtf8("\xe0\xa0\x80"));      // U+0800, smallest three-byte
  BOOST_TEST(IsValidUtf8("\xed\x9f\xbf"));      // U+D7FF, just below the surrogates
  BOOST_TEST(IsValidUtf8("\xee\x80\x80"));      // U+E000, just above them
  BOOST_TEST(IsValidUtf8("\xef\xbf\xbf"));      // U+FFFF
  BOOST_TEST(IsValidUtf8("\xf0\x90\x80\x80"));  // U+10000, smallest four-byte
  BOOST_TEST(IsValidUtf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF, the largest
}

BOOST_AUTO_TEST_CASE(valid_utf8_rejects_overlong_encodings) {
  BOOST_TEST(!IsValidUtf8("\xc0\xaf"));  // '/' in two bytes
  BOOST_TEST(!IsValidUtf8("\xc1\xbf"));
  BOOST_TEST(!IsValidUtf8("\xc0\x80"));          // NUL in two bytes
  BOOST_TEST(!IsValidUtf8("\xe0\x80\xaf"));      // '/' in three bytes
  BOOST_TEST(!IsValidUtf8("\xe0\x9f\xbf"));      // U+07FF in three bytes
  BOOST_TEST(!IsValidUtf8("\xf0\x80\x80\xaf"));  // '/' in four bytes
  BOOST_TEST(!IsValidUtf8("\xf0\x8f\xbf\xbf"));  // U+FFFF in four bytes
}

BOOST_AUTO_TEST_CASE(valid_utf8_rejects_surrogates) {
  BOOST_TEST(!IsValidUtf8("\xed\xa0\x80"));              // U+D800
  BOOST_TEST(!IsValidUtf8("\xed\xbf\xbf"));              // U+DFFF
  BOOST_TEST(!IsValidUtf8("\xed\xa0\xbd\xed\xb8\x80"));  // CESU-8 pair
}

BOOST_AUTO_TEST_CASE(valid_utf8_rejects_code_points_above_10ffff) {
  BOOST_TEST(!IsValidUtf8("\xf4\x90\x80\x80"));  // U+110000
  BOOST_TEST(!IsValidUtf8("\xf5\x80\x80\x80"));
  BOOST_TEST(!IsValidUtf8("\xf7\xbf\xbf\xbf"));
  BOOST_TEST(!IsValidUtf8("\xf8\x88\x80\x80\x80"));  // old five-byte form
  BOOST_TEST(!IsValidUtf8("\xfc\x84\x80\x80\x80\x80"));
  BOOST_TEST(!IsValidUtf8("\xfe"));
  BOOST_TEST(!IsValidUtf8("\xff"));
}

BOOST_AUTO_TEST_CASE(valid_utf8_rejects_truncated_sequences) {
  BOOST_TEST(!IsValidUtf8("\xc3"));
  BOOST_TEST(!IsValidUtf8("a\xc3"));
  BOOST_TEST(!IsValidUtf8("\xe2\x82"));
  BOOST_TEST(!IsValidUtf8("\xf0\x9f\x94"));
  BOOST_TEST(!IsValidUtf8("\xe2\x82z"));  // continuation replaced by ASCII
  BOOST_TEST(!IsValidUtf8("\xf0\x9f\x94\xc3\xa4"));
}

BOOST_AUTO_TEST_CASE(valid_utf8_rejects_lone_continuation_bytes) {
  BOOST_TEST(!IsValidUtf8("\x80"));
  BOOST_TEST(!IsValidUtf8("a\xbf"));
  BOOST_TEST(!IsValidUtf8("\xc3\xa4\xa4"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace weave
