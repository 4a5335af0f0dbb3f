// The verified-login store of a cluster: entries in the shared cache (memcached or Redis,
// cache.servers), so a login checked on any worker of any node is trusted by every other
// one sharing the cache and the secret (cache.login_secret).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/verified_logins.h"
#include "cache/cache.h"

namespace weave {

// One entry per login: its cache key is the prefix, "login:" and the hex of LoginKey (a MAC
// of user, password and account generation under the secret); its value the VerifiedLogin
// as text followed by a MAC, under the same secret, of the key and that text. So the cache
// holds neither a password nor a plain hash of one, and whoever can write to the cache but
// does not know the secret can only delete entries (a real check next time), never make a
// login pass nor move one login's entry under another key. Entries live in the cache until
// the login's expiry (rounded up to a whole second) and are checked against it on reading.
//
// Every cache failure (CacheUnavailable: down, slow, refused) reads as "not remembered": the
// caller checks the password for real. Never throws after construction. Borrows cache,
// which must outlive this object; one per worker, not thread-safe (as Cache).
class CacheLogins final : public VerifiedLogins {
 public:
  // secret: the cluster's shared secret, at least kMinSecretBytes (the configuration
  // checks it). prefix: cache.prefix.
  CacheLogins(Cache& cache, std::string prefix, const std::string& secret);

  static constexpr size_t kMinSecretBytes = 32;

  std::optional<VerifiedLogin> Check(std::string_view key, int64_t now_ms) override;
  void Remember(std::string_view key, const VerifiedLogin& login, int64_t now_ms) override;
  void Forget(std::string_view key) override;
  // Asks the cache to fetch the entry with its next read (Cache::Want).
  void Anticipate(std::string_view key) override;

  // Cache operations that failed (each is logged at debug level): tests and diagnostics.
  int64_t Failures() const { return failures_; }

 private:
  std::string CacheKey(std::string_view key) const;
  std::string Seal(std::string_view cache_key, std::string_view text) const;
  void Failed(const char* operation, const CacheUnavailable& error);

  Cache& cache_;
  const std::string prefix_;
  // A key of its own for the values' MACs, derived from the secret, so that no value MAC
  // can ever equal a LoginKey.
  const std::string value_key_;
  int64_t failures_ = 0;
};

}  // namespace weave
