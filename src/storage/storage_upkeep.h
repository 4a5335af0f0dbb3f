// Records work over many rows for upkeep and the operator: bounded deletes (the expiry purge,
// a wipe in steps) and usage totals per collection.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/user_name.h"
#include "db/sql_connection.h"

namespace weave {

// Deletes at most batch_rows expired records (ttl at or before now_s) from the records table
// `table`, in one statement and the change of each collection's stats it touched: one short
// transaction, so a concurrent writer waits for one batch at most. Returns the rows deleted
// (fewer than batch_rows: the table has no more).
int64_t PurgeExpiredRecords(SqlConnection& db, std::string_view table, int64_t now_s,
                            int batch_rows);

// Records whose ttl has passed (all tables), for progress.
int64_t CountExpiredRecords(SqlConnection& db, int64_t now_s);

// Deletes at most batch_rows of the user's records in one statement, whatever their
// collection, and takes them off its collections' stats; the caller finishes with
// Storage::DeleteStorage. Returns the rows deleted.
int64_t DeleteRecordBatch(SqlConnection& db, UserId user, int batch_rows);

struct CollectionUsage {
  std::string collection;  // its name ("#<id>" for a custom id without a name)
  int64_t records = 0;
  int64_t bytes = 0;  // payload bytes
};

// What is stored per collection, as the quota counts it (expired records not yet purged
// included), sorted by name: for one user, or summed over every user (custom collections
// by name).
std::vector<CollectionUsage> UserUsage(SqlConnection& db, UserId user);
std::vector<CollectionUsage> AllUsersUsage(SqlConnection& db);
// Users that have stored anything.
int64_t UsersWithData(SqlConnection& db);

}  // namespace weave
