// Small hashing, encoding and randomness helpers; the only users of OpenSSL.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct evp_mac_ctx_st;  // OpenSSL's EVP_MAC_CTX

namespace weave {

std::string Sha1(std::string_view data);    // raw 20 bytes
std::string Sha256(std::string_view data);  // raw 32 bytes
// scrypt (RFC 7914) of password under salt with cost n, block size r, parallelism p: raw
// length bytes. Throws std::runtime_error if OpenSSL refuses the parameters.
std::string Scrypt(std::string_view password, std::string_view salt, uint64_t n, uint64_t r,
                   uint64_t p, size_t length);
// HMAC-SHA256 of data under key (RFC 2104): raw 32 bytes.
std::string HmacSha256(std::string_view key, std::string_view data);

// An HMAC-SHA256 key made ready once, for a MAC per request: HmacSha256 looks the algorithm
// up in OpenSSL and keys it again at every call, several times the cost of the MAC itself.
// Mac may be called from several threads at once (each call works on a copy).
class HmacSha256Key {
 public:
  // Throws std::runtime_error if OpenSSL cannot make the key ready.
  explicit HmacSha256Key(std::string_view key);
  ~HmacSha256Key();
  HmacSha256Key(const HmacSha256Key&) = delete;
  HmacSha256Key& operator=(const HmacSha256Key&) = delete;
  // HmacSha256(key, data): raw 32 bytes. Throws std::runtime_error if OpenSSL fails.
  std::string Mac(std::string_view data) const;

 private:
  evp_mac_ctx_st* keyed_ = nullptr;  // after EVP_MAC_init with the key; only ever copied
};
std::string Md5Hex(std::string_view data);
std::string HexEncode(std::string_view raw);
std::string Base64Encode(std::string_view raw);
// Strict RFC 4648 base64 with padding; nullopt on any invalid character or length.
std::optional<std::string> Base64Decode(std::string_view text);
// Lower-case RFC 4648 base32 without padding (Firefox's username hashing).
std::string Base32Lower(std::string_view raw);
// Cryptographically secure random bytes.
std::string RandomBytes(size_t count);
// Compares in time independent of where the inputs differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace weave
