// Password hashing with crypt(3) and verification of the older schemes Sync servers stored.
#include "auth/password_hash.h"

#include <crypt.h>

#include <memory>
#include <stdexcept>

#include "core/crypto.h"

namespace weave {
namespace {

static_assert(kMaxPasswordBytes + 1 == CRYPT_MAX_PASSPHRASE_SIZE);

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// crypt_r's state is large (about 32 KiB): heap-allocate it rather than use the stack.
std::string CryptR(const std::string& password, const char* setting) {
  auto data = std::make_unique<crypt_data>();
  const char* result = crypt_r(password.c_str(), setting, data.get());
  if (result == nullptr || result[0] == '*') {
    return {};
  }
  return result;
}

// {SSHA} and {SSHA-256}: base64(digest(password + salt) + salt).
bool VerifySaltedDigest(std::string_view password, std::string_view encoded, size_t digest_size,
                        std::string (*digest)(std::string_view)) {
  const auto decoded = Base64Decode(encoded);
  if (!decoded || decoded->size() <= digest_size) {
    return false;
  }
  const std::string_view expected = static_cast<std::string_view>(*decoded).substr(0, digest_size);
  const std::string_view salt = static_cast<std::string_view>(*decoded).substr(digest_size);
  std::string salted(password);
  salted.append(salt);
  return ConstantTimeEquals(digest(salted), expected);
}

bool IsHexDigest(std::string_view text, size_t length) {
  if (text.size() != length) {
    return false;
  }
  for (const char c : text) {
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) {
      return false;
    }
  }
  return true;
}

// weave-minimal's fixed salt: the text of a Python raw string, backslashes included.
constexpr std::string_view kWeaveMinimalSalt =
    R"(\x14Q\xd4JbDk\x1bN\x84J\xd0\x05\x8a\x1b\x8b\xa6&V\x1b\xc5\x91\x97\xc4)";

// {SSCRYPT}: base64(scrypt(password, salt) + salt), the salt being 8 bytes in Mozilla's
// server; everything after the 64-byte digest is taken as the salt, as for {SSHA}.
bool VerifyScrypt(std::string_view password, std::string_view encoded) {
  constexpr size_t kDigestSize = 64;
  const auto decoded = Base64Decode(encoded);
  if (!decoded || decoded->size() <= kDigestSize) {
    return false;
  }
  const std::string_view expected = static_cast<std::string_view>(*decoded).substr(0, kDigestSize);
  const std::string_view salt = static_cast<std::string_view>(*decoded).substr(kDigestSize);
  return ConstantTimeEquals(Scrypt(password, salt, 16384, 8, 1, kDigestSize), expected);
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'F') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

}  // namespace

std::string HashPassword(std::string_view password, std::string_view scheme, int cost) {
  if (password.find('\0') != std::string_view::npos) {
    throw std::runtime_error("password contains a NUL byte");
  }
  if (password.size() > kMaxPasswordBytes) {
    throw std::runtime_error("password longer than crypt(3) takes");
  }
  const char* prefix = scheme == "bcrypt" ? "$2b$" : "$y$";
  if (cost == 0) {
    cost = scheme == "bcrypt" ? 10 : 4;
  }
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn(prefix, static_cast<unsigned long>(cost), nullptr, 0, setting,
                       sizeof setting) == nullptr) {
    throw std::runtime_error("crypt_gensalt failed");
  }
  std::string hash = CryptR(std::string(password), setting);
  if (hash.empty()) {
    throw std::runtime_error("crypt failed");
  }
  return hash;
}

bool VerifyPassword(std::string_view password, std::string_view stored) {
  if (password.find('\0') != std::string_view::npos) {
    return false;
  }
  if (StartsWith(stored, "{SSHA-256}")) {
    return VerifySaltedDigest(password, stored.substr(10), 32, &Sha256);
  }
  if (StartsWith(stored, "{SSHA}")) {
    return VerifySaltedDigest(password, stored.substr(6), 20, &Sha1);
  }
  if (StartsWith(stored, "{SSCRYPT}")) {
    return VerifyScrypt(password, stored.substr(9));
  }
  if (StartsWith(stored, kWeaveMinimalHashPrefix)) {
    const std::string_view expected = stored.substr(kWeaveMinimalHashPrefix.size());
    if (!IsHexDigest(expected, 16)) {
      return false;
    }
    std::string salted(kWeaveMinimalSalt);
    salted.append(password);
    return ConstantTimeEquals(HexEncode(Sha1(salted)).substr(0, 16), Lower(expected));
  }
  if (IsHexDigest(stored, 32)) {
    return ConstantTimeEquals(Md5Hex(password), Lower(stored));
  }
  if (StartsWith(stored, "$")) {
    const std::string computed = CryptR(std::string(password), std::string(stored).c_str());
    return !computed.empty() && ConstantTimeEquals(computed, stored);
  }
  return false;
}

bool IsLegacyHash(std::string_view stored) {
  return StartsWith(stored, "{SSHA") || StartsWith(stored, "{SSCRYPT}") ||
         StartsWith(stored, kWeaveMinimalHashPrefix) || IsHexDigest(stored, 32) ||
         StartsWith(stored, "$1$");
}

bool IsVerifiableHash(std::string_view stored) {
  const auto decodes_longer_than = [&](size_t prefix, size_t digest) {
    const auto decoded = Base64Decode(stored.substr(prefix));
    return decoded && decoded->size() > digest;
  };
  if (StartsWith(stored, "{SSHA-256}")) {
    return decodes_longer_than(10, 32);
  }
  if (StartsWith(stored, "{SSHA}")) {
    return decodes_longer_than(6, 20);
  }
  if (StartsWith(stored, "{SSCRYPT}")) {
    return decodes_longer_than(9, 64);
  }
  if (StartsWith(stored, kWeaveMinimalHashPrefix)) {
    return IsHexDigest(stored.substr(kWeaveMinimalHashPrefix.size()), 16);
  }
  if (IsHexDigest(stored, 32)) {
    return true;
  }
  // A crypt(3) hash: libxcrypt says whether it knows the method (old ones count: they
  // verify, and are replaced at the next login).
  if (!StartsWith(stored, "$")) {
    return false;
  }
  const int known = crypt_checksalt(std::string(stored).c_str());
  return known == CRYPT_SALT_OK || known == CRYPT_SALT_METHOD_LEGACY;
}

}  // namespace weave
