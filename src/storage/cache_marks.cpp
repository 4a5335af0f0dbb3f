// The cache_dirty table: one row per user, the token of the user's data in the cache.
#include "storage/cache_marks.h"

#include <cstring>
#include <string>

#include "core/crypto.h"
#include "db/sql_dialect.h"

namespace weave {

int64_t CacheMarks::Renew(UserId user) {
  uint64_t random = 0;
  const std::string bytes = RandomBytes(sizeof random);
  memcpy(&random, bytes.data(), sizeof random);
  const auto token = static_cast<int64_t>(random >> 1);  // positive in a signed column
  StatementScope upsert(db_.Prepare(
      db_.Dialect().InsertOrReplaceSql("cache_dirty", "userid, token", "?, ?", "userid", "token")));
  upsert->BindInt(0, user);
  upsert->BindInt(1, token);
  upsert->Step();
  return token;
}

std::optional<int64_t> CacheMarks::Find(UserId user) {
  if (LoginRider* rider = riders_ != nullptr ? riders_->Claim() : nullptr) {
    return FindCarrying(user, *rider);
  }
  StatementScope query(db_.Prepare("SELECT token FROM cache_dirty WHERE userid = ?"));
  query->BindInt(0, user);
  if (!query->Step()) {
    return std::nullopt;
  }
  return query->ColumnInt(0);
}

// The token is no data of the user: it rides ungated.
std::optional<int64_t> CacheMarks::FindCarrying(UserId user, LoginRider& rider) {
  std::optional<int64_t> token;
  {
    StatementScope query(db_.Prepare(rider.Statement("token", "cache_dirty", "userid = ?", false)));
    query->BindInt(rider.Bind(*query, 0), user);
    while (query->Step()) {
      if (rider.TakeRow(*query, 1)) {
        token = query->ColumnInt(0);
      }
    }
  }
  rider.Carried();
  if (rider.FoundLocked()) {
    throw LoginHeldBack();
  }
  return token;
}

void CacheMarks::Remove(UserId user) {
  StatementScope remove(db_.Prepare("DELETE FROM cache_dirty WHERE userid = ?"));
  remove->BindInt(0, user);
  remove->Step();
}

}  // namespace weave
