// The durable "cache may be stale" marks of users (table cache_dirty), kept in the storage
// database next to the users' data: a user's data lives on one storage node, so the marks
// of that node's database are all that matter for it. See storage/caching_storage.h.
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

  // Marks the user, with a new random token that Clear must name. Inside a write
  // transaction it commits (or rolls back) with the write. Returns the token.
  int64_t Mark(UserId user);
  // The token of the user's mark, or nullopt when the user is not marked. A waiting login's
  // reads ride in the same statement (the mark is one more branch of their UNION ALL), so a
  // cached read costs one statement in all; throws LoginHeldBack when they found the login
  // locked out.
  std::optional<int64_t> Find(UserId user);
  // Removes the mark if it still has this token: a mark renewed since (by a write that
  // committed in between) stays. Returns whether a mark was removed.
  bool Clear(UserId user, int64_t token);

 private:
  std::optional<int64_t> FindCarrying(UserId user, LoginRider& rider);

  SqlConnection& db_;
  LoginRiders* riders_;
};

}  // namespace weave
