// Who is this user, and is the password right: the interface every auth back end implements.
#pragma once

#include <optional>
#include <string_view>

#include "storage/storage.h"

namespace weave {

class Authenticator {
 public:
  Authenticator() = default;
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;
  virtual ~Authenticator() = default;

  // The account's storage key if username/password are right and the account is enabled;
  // nullopt otherwise. Throws BackendError when the back end cannot answer (a 503, never
  // a 401: a 401 makes clients ask the user for a new password).
  virtual std::optional<UserId> Authenticate(std::string_view username,
                                             std::string_view password) = 0;
  // Returns if the back end can answer; throws BackendError otherwise.
  virtual void CheckHealth() = 0;
};

}  // namespace weave
