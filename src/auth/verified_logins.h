// Verified logins: the interface of a store that remembers, for a while, that a password was
// checked for real, so the slow hash (or directory bind) is paid once per store rather than
// once per worker. Implemented by SharedLoginTable (shared memory of one machine's workers);
// a store in a network cache can implement it the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/crypto.h"
#include "core/user_name.h"

namespace weave {

// What a store keeps about one verified login.
struct VerifiedLogin {
  UserId id = 0;
  int64_t expires_ms = 0;
  // RecheckDigest of the back end's RecheckStamp read before the check; empty: the back end
  // has none, so nothing is ever rechecked.
  std::string recheck_digest;
  int64_t recheck_due_ms = 0;  // when RecheckStamp is due again
};

// Keys are LoginKey's: a MAC of (user name, password, account generation) under the store's
// secret. A store keeps that key and the VerifiedLogin, never a password or a plain hash of
// one; a key cannot be computed, nor a password tested against it, without the secret. A
// change of the account generation (password change, reset, disable, delete, re-create)
// makes every earlier key unreachable, everywhere at once. A store may lose any entry at
// any time (eviction, a crashed worker, a cache restart): that costs one real check.
class VerifiedLogins {
 public:
  // secret: the MAC key (at least 32 random bytes).
  explicit VerifiedLogins(std::string_view secret) : key_(secret) {}
  VerifiedLogins(const VerifiedLogins&) = delete;
  VerifiedLogins& operator=(const VerifiedLogins&) = delete;
  virtual ~VerifiedLogins() = default;

  // HMAC-SHA256 under the secret of the three values, each length-prefixed (so that no two
  // different triples share an encoding). generation nullopt (a back end without
  // CredentialStamp) differs from every string.
  std::string LoginKey(std::string_view username, std::string_view password,
                       const std::optional<std::string>& generation) const;

  // The login remembered under key, if it has not expired at now_ms. Never throws: a store
  // that cannot answer answers nullopt (the caller then checks the password for real).
  virtual std::optional<VerifiedLogin> Check(std::string_view key, int64_t now_ms) = 0;
  // Remembers (or replaces) the login under key. Never throws; may drop other entries.
  virtual void Remember(std::string_view key, const VerifiedLogin& login, int64_t now_ms) = 0;
  // Forgets the login under key, if any. Never throws.
  virtual void Forget(std::string_view key) = 0;
  // A hint that Check(key) follows within this request: a store in a network cache may
  // fetch it along with the request's next cache read. Never throws. Here: nothing.
  virtual void Anticipate(std::string_view /*key*/) {}

 private:
  const HmacSha256Key key_;  // keyed once: a key is made per request
};

// The digest VerifiedLogin::recheck_digest holds for a RecheckStamp: 16 bytes of its
// SHA-256, or empty for nullopt.
std::string RecheckDigest(const std::optional<std::string>& recheck_stamp);

}  // namespace weave
