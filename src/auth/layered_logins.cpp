// Verified logins: the machine's table in front of the shared cache's store.
#include "auth/layered_logins.h"

namespace weave {

std::optional<VerifiedLogin> LayeredLogins::Check(std::string_view key, int64_t now_ms) {
  if (auto found = near_.Check(key, now_ms)) {
    return found;
  }
  auto found = far_.Check(key, now_ms);
  if (found) {
    near_.Remember(key, *found, now_ms);
  }
  return found;
}

void LayeredLogins::Remember(std::string_view key, const VerifiedLogin& login, int64_t now_ms) {
  near_.Remember(key, login, now_ms);
  far_.Remember(key, login, now_ms);
}

void LayeredLogins::Forget(std::string_view key) {
  near_.Forget(key);
  far_.Forget(key);
}

void LayeredLogins::Anticipate(std::string_view key) {
  if (!near_.Check(key, clock_.NowMs())) {
    far_.Anticipate(key);
  }
}

}  // namespace weave
