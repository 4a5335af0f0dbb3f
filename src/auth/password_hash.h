// Password hashing (crypt(3): yescrypt, bcrypt) and verification of legacy formats.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace weave {

// The longest password crypt(3) hashes (libxcrypt refuses longer ones). Every place that
// takes a new password refuses longer ones first.
constexpr size_t kMaxPasswordBytes = 511;

// A new hash of password with a fresh salt; scheme is "yescrypt" or "bcrypt", cost 0 picks
// the default (see AuthConfig). Throws std::runtime_error if crypt(3) refuses (a NUL byte
// in the password, or more than kMaxPasswordBytes).
std::string HashPassword(std::string_view password, std::string_view scheme, int cost = 0);

// True if password matches stored. Understands every crypt(3) hash libxcrypt knows
// ($y$ yescrypt, $2b$/$2a$/$2y$ bcrypt, $6$ / $5$ SHA-crypt, $1$ MD5-crypt), and the
// formats of imported PHP/Python databases: {SSHA}, {SSHA-256}, {SSCRYPT} (Mozilla's Python
// server: base64 of scrypt N=2^14 r=8 p=1, 64 bytes, then the salt) and 32-hex-digit MD5;
// and {WEAVE-MINIMAL} followed by the 16 hex digits weave-minimal put into a user's file
// name (the start of SHA-1 of its fixed salt and the password).
bool VerifyPassword(std::string_view password, std::string_view stored);

// The prefix of a weave-minimal hash (see VerifyPassword).
inline constexpr std::string_view kWeaveMinimalHashPrefix = "{WEAVE-MINIMAL}";

// True if stored is in a format VerifyPassword checks (whether or not any password matches
// it): what an importer may carry over from another server's database.
bool IsVerifiableHash(std::string_view stored);

// True if stored is a legacy format that should be replaced by a scheme hash after the
// next successful login.
bool IsLegacyHash(std::string_view stored);

}  // namespace weave
