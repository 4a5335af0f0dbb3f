// The cache_dirty table: one row per user whose cache entries may be stale.
#include "storage/cache_marks.h"

#include <cstring>

#include "core/crypto.h"
#include "db/sql_dialect.h"

namespace weave {

int64_t CacheMarks::Mark(UserId user) {
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
  StatementScope query(db_.Prepare("SELECT token FROM cache_dirty WHERE userid = ?"));
  query->BindInt(0, user);
  if (!query->Step()) {
    return std::nullopt;
  }
  return query->ColumnInt(0);
}

bool CacheMarks::Clear(UserId user, int64_t token) {
  StatementScope remove(db_.Prepare("DELETE FROM cache_dirty WHERE userid = ? AND token = ?"));
  remove->BindInt(0, user);
  remove->BindInt(1, token);
  remove->Step();
  return remove->AffectedRows() > 0;
}

}  // namespace weave
