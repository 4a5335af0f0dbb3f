// The users' cache versions (table cache_dirty, a name from when a row marked a user whose
// cache entries might be stale): one random token per user, replaced in the transaction of
// every write of the user's data, kept in the storage database next to that data (a user's
// data lives on one storage node, so that node's database is all that matters for it).
// Cache entries carry the token they were computed under: see storage/caching_storage.h.
#pragma once

#include <cstdint>
#include <optional>

#include "auth/login_rider.h"
#include "core/user_name.h"
#include "db/sql_connection.h"

namespace weave {

class CacheMarks {
 public:
  // Borrows the connection, which must outlive this object, and riders: the worker's logins
  // waiting for a statement to carry their reads (auth/login_rider.h), or null.
  explicit CacheMarks(SqlConnection& connection, LoginRiders* riders = nullptr)
      : db_(connection), riders_(riders) {}

  // Gives the user a new random token (63 bits: never one an older entry carries).
  // Inside a write transaction it commits (or rolls back) with the write. Returns it.
  int64_t Renew(UserId user);
  // The user's token, or nullopt when the user has none (no write since the cache came in,
  // or since a wipe). A waiting login's reads ride in the same statement (the token joined
  // onto the login's row), so a cached read costs one statement in all; throws
  // LoginHeldBack when they found the login locked out.
  std::optional<int64_t> Find(UserId user);
  // Removes the user's token, in the caller's transaction (a wipe): until the next write
  // the user has none, and no entry is current.
  void Remove(UserId user);

 private:
  std::optional<int64_t> FindCarrying(UserId user, LoginRider& rider);

  SqlConnection& db_;
  LoginRiders* riders_;
};

}  // namespace weave
