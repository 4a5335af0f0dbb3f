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
// formats of imported PHP/Python databases: {SSHA}, {SSHA-256} and 32-hex-digit MD5.
bool VerifyPassword(std::string_view password, std::string_view stored);

// True if stored is a legacy format that should be replaced by a scheme hash after the
// next successful login.
bool IsLegacyHash(std::string_view stored);

}  // namespace weave
