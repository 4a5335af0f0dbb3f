// Unit tests of the hashing and encoding helpers.
#include "core/crypto.h"

#include <boost/test/unit_test.hpp>

namespace weave {

BOOST_AUTO_TEST_SUITE(crypto)

BOOST_AUTO_TEST_CASE(digests_match_known_vectors) {
  BOOST_TEST(HexEncode(Sha1("abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  BOOST_TEST(HexEncode(Sha256("abc")) ==
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  BOOST_TEST(Md5Hex("abc") == "900150983cd24fb0d6963f7d28e17f72");
  BOOST_TEST(Sha1("").size() == 20U);
  BOOST_TEST(Sha256("").size() == 32U);
}

BOOST_AUTO_TEST_CASE(hmac_sha256_matches_rfc_4231) {
  // RFC 4231 test cases 1 and 2.
  BOOST_TEST(HexEncode(HmacSha256(std::string(20, '\x0b'), "Hi There")) ==
             "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  BOOST_TEST(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")) ==
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

BOOST_AUTO_TEST_CASE(hmac_sha256_key_gives_the_same_macs_again_and_again) {
  // RFC 4231 test cases 1, 2 and 6 (a key longer than SHA-256's block), each MAC twice from
  // one key: a copy of the keyed state is used up per MAC, never the state itself.
  const HmacSha256Key short_key(std::string(20, '\x0b'));
  const HmacSha256Key jefe("Jefe");
  const HmacSha256Key long_key(std::string(131, '\xaa'));
  for (int round = 0; round < 2; ++round) {
    BOOST_TEST(HexEncode(short_key.Mac("Hi There")) ==
               "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    BOOST_TEST(HexEncode(jefe.Mac("what do ya want for nothing?")) ==
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    BOOST_TEST(HexEncode(long_key.Mac("Test Using Larger Than Block-Size Key - Hash Key First")) ==
               "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  }
  BOOST_TEST(HmacSha256Key("").Mac("data") == HmacSha256("", "data"));
}

BOOST_AUTO_TEST_CASE(hex_encode_is_lower_case_two_digits_per_byte) {
  BOOST_TEST(HexEncode(std::string("\x00\x0f\xf0\xff", 4)) == "000ff0ff");
  BOOST_TEST(HexEncode("") == "");
}

BOOST_AUTO_TEST_CASE(base64_encode_pads_to_multiple_of_four) {
  BOOST_TEST(Base64Encode("") == "");
  BOOST_TEST(Base64Encode("f") == "Zg==");
  BOOST_TEST(Base64Encode("fo") == "Zm8=");
  BOOST_TEST(Base64Encode("foo") == "Zm9v");
  BOOST_TEST(Base64Encode("foobar") == "Zm9vYmFy");
  BOOST_TEST(Base64Encode(std::string("\xfb\xff\xbf", 3)) == "+/+/");
}

BOOST_AUTO_TEST_CASE(base64_decode_inverts_encode_including_binary) {
  for (const std::string& raw :
       {std::string(), std::string("f"), std::string("fo"), std::string("foo"),
        std::string("\0\x01\xff\xfe", 4), std::string(1000, '\x80')}) {
    const auto decoded = Base64Decode(Base64Encode(raw));
    BOOST_REQUIRE(decoded.has_value());
    BOOST_TEST(*decoded == raw);
  }
}

BOOST_AUTO_TEST_CASE(base64_decode_rejects_missing_padding) {
  BOOST_TEST(!Base64Decode("Zg").has_value());
  BOOST_TEST(!Base64Decode("Zm8").has_value());
  BOOST_TEST(!Base64Decode("Zg=").has_value());
}

BOOST_AUTO_TEST_CASE(base64_decode_rejects_whitespace_anywhere) {
  BOOST_TEST(!Base64Decode(" Zm9v").has_value());
  BOOST_TEST(!Base64Decode("Zm9v ").has_value());
  BOOST_TEST(!Base64Decode("Zm\n9v").has_value());
  BOOST_TEST(!Base64Decode("Zm9v\r\n").has_value());
}

BOOST_AUTO_TEST_CASE(base64_decode_rejects_characters_outside_the_alphabet) {
  BOOST_TEST(!Base64Decode("Zm9-").has_value());
  BOOST_TEST(!Base64Decode("Zm9_").has_value());
  BOOST_TEST(!Base64Decode("Zm9*").has_value());
  BOOST_TEST(!Base64Decode(std::string("Zm9\0", 4)).has_value());
  BOOST_TEST(!Base64Decode("Zm9\xc3").has_value());
}

BOOST_AUTO_TEST_CASE(base64_decode_rejects_padding_in_the_wrong_place) {
  BOOST_TEST(!Base64Decode("====").has_value());
  BOOST_TEST(!Base64Decode("Z===").has_value());
  BOOST_TEST(!Base64Decode("Zg=a").has_value());
  BOOST_TEST(!Base64Decode("Zg==Zm9v").has_value());
  BOOST_TEST(!Base64Decode("=Zm9").has_value());
}

BOOST_AUTO_TEST_CASE(base32_lower_matches_rfc4648_without_padding) {
  BOOST_TEST(Base32Lower("") == "");
  BOOST_TEST(Base32Lower("f") == "my");
  BOOST_TEST(Base32Lower("fo") == "mzxq");
  BOOST_TEST(Base32Lower("foo") == "mzxw6");
  BOOST_TEST(Base32Lower("foob") == "mzxw6yq");
  BOOST_TEST(Base32Lower("fooba") == "mzxw6ytb");
  BOOST_TEST(Base32Lower("foobar") == "mzxw6ytboi");
}

BOOST_AUTO_TEST_CASE(base32_of_sha1_of_email_is_firefox_username) {
  const std::string name = Base32Lower(Sha1("foo@example.com"));
  BOOST_TEST(name == "oz7hj2vxbaoedyfygyyfcejz2eycjftg");
  BOOST_TEST(name.size() == 32U);
  for (const char c : name) {
    BOOST_TEST(((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7')));
  }
  BOOST_TEST(Base32Lower(Sha1("john@example.com")) == "kismw365lo7emoxr3ohojgpild6lph4b");
}

BOOST_AUTO_TEST_CASE(random_bytes_have_requested_length_and_differ) {
  BOOST_TEST(RandomBytes(0).empty());
  BOOST_TEST(RandomBytes(16).size() == 16U);
  BOOST_TEST(RandomBytes(16) != RandomBytes(16));
}

BOOST_AUTO_TEST_CASE(constant_time_equals_compares_length_and_content) {
  BOOST_TEST(ConstantTimeEquals("", ""));
  BOOST_TEST(ConstantTimeEquals("abc", "abc"));
  BOOST_TEST(!ConstantTimeEquals("abc", "abd"));
  BOOST_TEST(!ConstantTimeEquals("abc", "abcd"));
  BOOST_TEST(!ConstantTimeEquals("abc", ""));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace weave
