// Unit tests of password hashing and of the legacy formats imported databases carry.
#include "auth/password_hash.h"

#include <crypt.h>

#include <memory>
#include <stdexcept>
#include <string>

#include <boost/test/unit_test.hpp>
#include <openssl/evp.h>

namespace weave {
namespace {

// Built with OpenSSL directly, independent of util/crypto.
std::string Digest(const EVP_MD* md, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), out, &length, md, nullptr);
  return std::string(reinterpret_cast<const char*>(out), length);
}

std::string ToBase64(const std::string& raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(raw.data()),
                                      static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(written));
  return out;
}

std::string ToHex(const std::string& raw, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  for (const unsigned char c : raw) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

// {SSHA}/{SSHA-256} as Mozilla's PHP and Python servers stored them.
std::string SaltedHash(const char* tag, const EVP_MD* md, const std::string& password,
                       const std::string& salt) {
  return std::string(tag) + ToBase64(Digest(md, password + salt) + salt);
}

std::string ShaCrypt(const std::string& password) {
  auto data = std::make_unique<crypt_data>();
  const char* result = crypt_r(password.c_str(), "$6$saltsaltsalt$", data.get());
  BOOST_REQUIRE(result != nullptr);
  return result;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(password_hash)

BOOST_AUTO_TEST_CASE(yescrypt_hash_verifies_its_password_only) {
  const std::string hash = HashPassword("correct horse", "yescrypt");
  BOOST_TEST(hash.rfind("$y$", 0) == 0U);
  BOOST_TEST(VerifyPassword("correct horse", hash));
  BOOST_TEST(!VerifyPassword("correct horsE", hash));
  BOOST_TEST(!VerifyPassword("", hash));
  BOOST_TEST(!IsLegacyHash(hash));
}

BOOST_AUTO_TEST_CASE(bcrypt_hash_verifies_its_password_only) {
  const std::string hash = HashPassword("p\xc3\xa4ss:word", "bcrypt");
  BOOST_TEST(hash.rfind("$2b$10$", 0) == 0U);
  BOOST_TEST(VerifyPassword("p\xc3\xa4ss:word", hash));
  BOOST_TEST(!VerifyPassword("pass:word", hash));
  BOOST_TEST(!IsLegacyHash(hash));
}

BOOST_AUTO_TEST_CASE(each_hash_gets_a_fresh_salt) {
  BOOST_TEST(HashPassword("same", "yescrypt") != HashPassword("same", "yescrypt"));
}

BOOST_AUTO_TEST_CASE(hashing_refuses_nul_byte_and_verification_fails_for_it) {
  BOOST_CHECK_THROW(HashPassword(std::string("a\0b", 3), "yescrypt"), std::runtime_error);
  const std::string hash = HashPassword("a", "yescrypt");
  BOOST_TEST(!VerifyPassword(std::string("a\0b", 3), hash));
}

BOOST_AUTO_TEST_CASE(hashes_passwords_up_to_the_longest_crypt_takes) {
  const std::string longest(kMaxPasswordBytes, 'p');
  const std::string hash = HashPassword(longest, "yescrypt");
  BOOST_TEST(VerifyPassword(longest, hash));
  BOOST_CHECK_THROW(HashPassword(longest + "p", "yescrypt"), std::runtime_error);
  BOOST_TEST(!VerifyPassword(longest + "p", hash));
}

BOOST_AUTO_TEST_CASE(verifies_sha_crypt_hashes) {
  const std::string hash = ShaCrypt("secret");
  BOOST_TEST(VerifyPassword("secret", hash));
  BOOST_TEST(!VerifyPassword("Secret", hash));
  BOOST_TEST(!IsLegacyHash(hash));
}

BOOST_AUTO_TEST_CASE(verifies_ssha256_hashes) {
  const std::string hash = SaltedHash("{SSHA-256}", EVP_sha256(), "secret", "abcd1234");
  BOOST_TEST(VerifyPassword("secret", hash));
  BOOST_TEST(!VerifyPassword("secret2", hash));
  BOOST_TEST(!VerifyPassword("", hash));
  BOOST_TEST(IsLegacyHash(hash));
}

BOOST_AUTO_TEST_CASE(verifies_ssha_hashes_with_binary_salt) {
  const std::string hash =
      SaltedHash("{SSHA}", EVP_sha1(), "p\xc3\xa4ss", std::string("\x00\xff\x01\xfe", 4));
  BOOST_TEST(VerifyPassword("p\xc3\xa4ss", hash));
  BOOST_TEST(!VerifyPassword("pass", hash));
  BOOST_TEST(IsLegacyHash(hash));
}

BOOST_AUTO_TEST_CASE(does_not_confuse_ssha_and_ssha256) {
  const std::string sha1_as_256 = "{SSHA-256}" + ToBase64(Digest(EVP_sha1(),
                                                                 "pw"
                                                                 "salt") +
                                                          "salt");
  BOOST_TEST(!VerifyPassword("pw", sha1_as_256));
}

BOOST_AUTO_TEST_CASE(rejects_salted_hashes_without_salt_or_with_bad_base64) {
  BOOST_TEST(!VerifyPassword("pw", "{SSHA}" + ToBase64(Digest(EVP_sha1(), "pw"))));
  BOOST_TEST(!VerifyPassword("pw", "{SSHA-256}" + ToBase64(Digest(EVP_sha256(), "pw"))));
  BOOST_TEST(!VerifyPassword("pw", "{SSHA}not base64!"));
  BOOST_TEST(!VerifyPassword("pw", "{SSHA}"));
}

BOOST_AUTO_TEST_CASE(verifies_md5_hex_in_either_case) {
  const std::string md5 = Digest(EVP_md5(), "secret");
  BOOST_TEST(VerifyPassword("secret", ToHex(md5, false)));
  BOOST_TEST(VerifyPassword("secret", ToHex(md5, true)));
  BOOST_TEST(!VerifyPassword("secret!", ToHex(md5, false)));
  BOOST_TEST(IsLegacyHash(ToHex(md5, false)));
  BOOST_TEST(IsLegacyHash(ToHex(md5, true)));
}

BOOST_AUTO_TEST_CASE(md5_needs_exactly_32_hex_digits) {
  const std::string hex = ToHex(Digest(EVP_md5(), "secret"), false);
  BOOST_TEST(!VerifyPassword("secret", hex.substr(0, 31)));
  BOOST_TEST(!VerifyPassword("secret", hex + "0"));
  BOOST_TEST(!IsLegacyHash(hex.substr(0, 31)));
  BOOST_TEST(!IsLegacyHash("g" + hex.substr(1)));
}

BOOST_AUTO_TEST_CASE(md5_crypt_is_legacy) {
  BOOST_TEST(IsLegacyHash("$1$salt$abcdefghijklmnopqrstuv"));
}

BOOST_AUTO_TEST_CASE(unknown_or_empty_stored_values_never_verify) {
  BOOST_TEST(!VerifyPassword("", ""));
  BOOST_TEST(!VerifyPassword("secret", "secret"));
  BOOST_TEST(!VerifyPassword("secret", "*"));
  BOOST_TEST(!VerifyPassword("secret", "$"));
  BOOST_TEST(!VerifyPassword("secret", "$zz$garbage"));
  BOOST_TEST(!IsLegacyHash(""));
  BOOST_TEST(!IsLegacyHash("plain"));
}

// Vectors computed with Python 3's hashlib (hashlib.scrypt(pw, salt=b"Ab3dEf7h", n=16384,
// r=8, p=1, dklen=64), as Mozilla's server-core did with py-scrypt's defaults).
BOOST_AUTO_TEST_CASE(verifies_sscrypt_hashes_of_mozillas_python_server) {
  const std::string ascii =
      "{SSCRYPT}anflwjmk9nYorA5bZa6F0MHj4S9mjyjy84VUNOpIif+IOqXN3BTh2tDeVe94k+"
      "8MtuYeAkQG0M5aC3KKLDo2"
      "f0FiM2RFZjdo";
  const std::string utf8 =
      "{SSCRYPT}EfTTx0d3SruEx/"
      "j9HMah1VOCqcyLgdr70vSqxQeDX8sMBggYevflfv1HO4vLa0uCRBTIRflOMf2cQ1T1CU+K"
      "gEFiM2RFZjdo";
  BOOST_TEST(VerifyPassword("scrypt secret", ascii));
  BOOST_TEST(!VerifyPassword("scrypt secreT", ascii));
  BOOST_TEST(VerifyPassword("p\xc3\xa4ssw\xc3\xb6rd-1", utf8));
  const std::string unsalted = "{SSCRYPT}" + ToBase64(std::string(64, 'a'));  // digest only
  BOOST_TEST(!VerifyPassword("scrypt secret", unsalted));
  BOOST_TEST(!VerifyPassword("scrypt secret", "{SSCRYPT}!!!!"));
  BOOST_TEST(IsLegacyHash(ascii));
  BOOST_TEST(IsVerifiableHash(ascii));
  BOOST_TEST(!IsVerifiableHash(unsalted));
}

// Vectors from Python 3: hashlib.sha1((salt + password).encode("utf-8")).hexdigest()[:16]
// with weave-minimal's salt.
BOOST_AUTO_TEST_CASE(verifies_weave_minimal_file_name_hashes) {
  BOOST_TEST(VerifyPassword("correct horse", "{WEAVE-MINIMAL}7d121f0d95deeff8"));
  BOOST_TEST(VerifyPassword("correct horse", "{WEAVE-MINIMAL}7D121F0D95DEEFF8"));
  BOOST_TEST(!VerifyPassword("correct horsE", "{WEAVE-MINIMAL}7d121f0d95deeff8"));
  BOOST_TEST(VerifyPassword("p\xc3\xa4ssw\xc3\xb6rd-1", "{WEAVE-MINIMAL}dd7bc30f0cabdb27"));
  BOOST_TEST(!VerifyPassword("correct horse", "{WEAVE-MINIMAL}7d121f0d95deeff"));
  BOOST_TEST(!VerifyPassword("correct horse", "{WEAVE-MINIMAL}7d121f0d95deeff8a"));
  BOOST_TEST(IsLegacyHash("{WEAVE-MINIMAL}7d121f0d95deeff8"));
  BOOST_TEST(IsVerifiableHash("{WEAVE-MINIMAL}7d121f0d95deeff8"));
  BOOST_TEST(!IsVerifiableHash("{WEAVE-MINIMAL}7d121f0d95deeffx"));
}

BOOST_AUTO_TEST_CASE(tells_which_stored_values_can_be_carried_over) {
  BOOST_TEST(IsVerifiableHash(HashPassword("secret", "yescrypt")));
  BOOST_TEST(IsVerifiableHash(HashPassword("secret", "bcrypt")));
  BOOST_TEST(IsVerifiableHash(ShaCrypt("secret")));
  BOOST_TEST(IsVerifiableHash(ToHex(Digest(EVP_md5(), "secret"), false)));
  BOOST_TEST(IsVerifiableHash(SaltedHash("{SSHA-256}", EVP_sha256(), "secret", "saltsalt")));
  BOOST_TEST(IsVerifiableHash(SaltedHash("{SSHA}", EVP_sha1(), "secret", "saltsalt")));
  BOOST_TEST(!IsVerifiableHash(""));
  BOOST_TEST(!IsVerifiableHash("secret"));
  BOOST_TEST(!IsVerifiableHash(ToHex(Digest(EVP_sha256(), "secret"), false)));        // 64 hex
  BOOST_TEST(!IsVerifiableHash("{SSHA-256}" + ToBase64(Digest(EVP_sha256(), "x"))));  // no salt
  BOOST_TEST(!IsVerifiableHash("$zz$garbage"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace weave
