// Verified logins in two layers: the machine's shared-memory table in front of the cluster's
// store in the shared cache, so a login this machine has seen costs no network round trip,
// and one seen on another node still costs no password hash.
#pragma once

#include <optional>
#include <string_view>

#include "auth/verified_logins.h"
#include "core/clock.h"

namespace weave {

// near: this machine's table (every worker of it shares it); far: the cluster's store.
// Check asks near first, then far, and copies what far knows into near; Remember puts the
// login in both; Forget removes it from both. Keys are made under far's secret (LoginKey of
// this object), so a near entry is reachable only under the same (user, password, account
// generation) as the far one: a password change, reset, disable or delete moves the
// generation and misses both layers at once, on every node.
//
// What a near copy does not learn: a Forget on another node (a recheck there found the
// directory changed). It carries the login's own expiry and recheck time, so it is not
// trusted past them either: at its recheck time this node asks the directory itself.
//
// Borrows near, far and clock, which must outlive this object. One per worker (far is not
// thread-safe); never throws after construction, as neither layer does.
class LayeredLogins final : public VerifiedLogins {
 public:
  // secret: far's secret (cache.login_secret), so the keys match those of far's other users.
  LayeredLogins(VerifiedLogins& near, VerifiedLogins& far, std::string_view secret,
                const Clock& clock)
      : VerifiedLogins(secret), near_(near), far_(far), clock_(clock) {}

  std::optional<VerifiedLogin> Check(std::string_view key, int64_t now_ms) override;
  void Remember(std::string_view key, const VerifiedLogin& login, int64_t now_ms) override;
  void Forget(std::string_view key) override;
  // Passed to far only when near does not hold the login: then its fetch rides along the
  // request's next cache read.
  void Anticipate(std::string_view key) override;

 private:
  VerifiedLogins& near_;
  VerifiedLogins& far_;
  const Clock& clock_;
};

}  // namespace weave
