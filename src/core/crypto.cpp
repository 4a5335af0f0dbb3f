// Hashing, HMAC, randomness and encodings through OpenSSL.
#include "core/crypto.h"

#include <memory>
#include <stdexcept>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/md5.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace weave {
namespace {

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

std::string Sha1(std::string_view data) {
  std::string out(SHA_DIGEST_LENGTH, '\0');
  SHA1(Bytes(data), data.size(), reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string Sha256(std::string_view data) {
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  SHA256(Bytes(data), data.size(), reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string Scrypt(std::string_view password, std::string_view salt, uint64_t n, uint64_t r,
                   uint64_t p, size_t length) {
  // 128 * r * n bytes of working memory, plus slack: N=2^14, r=8 (Mozilla's) takes 16 MiB.
  constexpr uint64_t kMaxMemory = 256ull * 1024 * 1024;
  std::string out(length, '\0');
  if (EVP_PBE_scrypt(password.data(), password.size(), Bytes(salt), salt.size(), n, r, p,
                     kMaxMemory, reinterpret_cast<unsigned char*>(out.data()), length) != 1) {
    throw std::runtime_error("scrypt refused its parameters");
  }
  return out;
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), Bytes(data), data.size(),
           reinterpret_cast<unsigned char*>(out.data()), &length) == nullptr ||
      length != out.size()) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return out;
}

HmacSha256Key::HmacSha256Key(std::string_view key) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac != nullptr) {
    keyed_ = EVP_MAC_CTX_new(mac);  // holds its own reference to mac
    EVP_MAC_free(mac);
  }
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  // A key pointer that is never null, also for an empty key.
  static constexpr unsigned char kNoKey = 0;
  const unsigned char* key_bytes = key.empty() ? &kNoKey : Bytes(key);
  if (keyed_ == nullptr || EVP_MAC_init(keyed_, key_bytes, key.size(), params) != 1) {
    EVP_MAC_CTX_free(keyed_);
    throw std::runtime_error("HMAC-SHA256: cannot make the key ready");
  }
}

HmacSha256Key::~HmacSha256Key() {
  EVP_MAC_CTX_free(keyed_);
}

std::string HmacSha256Key::Mac(std::string_view data) const {
  const std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> mac(EVP_MAC_CTX_dup(keyed_),
                                                                      &EVP_MAC_CTX_free);
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  size_t length = 0;
  if (mac == nullptr || EVP_MAC_update(mac.get(), Bytes(data), data.size()) != 1 ||
      EVP_MAC_final(mac.get(), reinterpret_cast<unsigned char*>(out.data()), &length, out.size()) !=
          1 ||
      length != out.size()) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return out;
}

std::string Md5Hex(std::string_view data) {
  std::string out(16, '\0');
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &length,
             EVP_md5(), nullptr);
  return HexEncode(out);
}

std::string HexEncode(std::string_view raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string Base64Encode(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3), '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), Bytes(raw),
                                      static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(written));
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return std::nullopt;
  }
  // EVP_DecodeBlock skips leading/trailing whitespace; refuse it so the format stays strict.
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    const bool pad =
        c == '=' && i + 2 >= text.size() && (i + 1 == text.size() || text[i + 1] == '=');
    if (!alnum && c != '+' && c != '/' && !pad) {
      return std::nullopt;
    }
  }
  std::string out(text.size() / 4 * 3, '\0');
  const int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), Bytes(text),
                                      static_cast<int>(text.size()));
  if (written < 0) {
    return std::nullopt;
  }
  auto length = static_cast<size_t>(written);
  // EVP_DecodeBlock counts the padding as zero bytes.
  if (!text.empty() && text.back() == '=') {
    --length;
  }
  if (text.size() >= 2 && text[text.size() - 2] == '=') {
    --length;
  }
  out.resize(length);
  return out;
}

std::string Base32Lower(std::string_view raw) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string out;
  unsigned int buffer = 0;
  int bits = 0;
  for (unsigned char c : raw) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) {
    out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  }
  return out;
}

std::string RandomBytes(size_t count) {
  std::string out(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace weave
