// Bounded record deletes and usage totals, in SQL every driver accepts.
#include "storage/storage_upkeep.h"

#include <map>

#include "db/conflict_retry.h"
#include "db/sql_dialect.h"
#include "db/sqlite_dialect.h"
#include "storage/collection_ids.h"
#include "storage/collection_stats.h"

namespace weave {
namespace {

// DELETE of at most `rows` rows of `table` matching `where`: MySQL takes LIMIT on DELETE;
// SQLite selects the victims by rowid (six times faster than by key in a measurement: the
// planner looks keys up through an index of the user's collection); elsewhere by key (the
// derived table as in SqlStorage).
std::string BoundedDeleteSql(const SqlDialect& dialect, std::string_view table,
                             std::string_view where, int rows) {
  const std::string t(table);
  const std::string limit = " LIMIT " + std::to_string(rows);
  if (dialect.DeleteTakesLimit()) {
    return "DELETE FROM " + t + " WHERE " + std::string(where) + limit;
  }
  if (dynamic_cast<const SqliteDialect*>(&dialect) != nullptr) {
    return "DELETE FROM " + t + " WHERE rowid IN (SELECT rowid FROM " + t + " WHERE " +
           std::string(where) + limit + ")";
  }
  return "DELETE FROM " + t + " WHERE (username, collection, id) IN (SELECT username, " +
         "collection, id FROM (SELECT username, collection, id FROM " + t + " WHERE " +
         std::string(where) + limit + ") AS victims)";
}

// "ttl < kNoExpiry" lets SQLite use its partial index of records with a ttl.
std::string ExpiredCondition() {
  return "ttl <= ? AND ttl < " + std::to_string(kNoExpiry);
}

std::vector<CollectionUsage> UsageRows(SqlConnection& db, bool one_user, UserId user) {
  std::string sql =
      "SELECT s.collection, c.name, sum(s.item_count), sum(s.payload_bytes) FROM "
      "collection_stats s LEFT JOIN collections c ON c.userid = s.userid AND "
      "c.collectionid = s.collection";
  if (one_user) {
    sql += " WHERE s.userid = ?";
  }
  sql += " GROUP BY s.collection, c.name";
  std::map<std::string, CollectionUsage> by_name;
  StatementScope query(db.Prepare(sql));
  if (one_user) {
    query->BindInt(0, user);
  }
  while (query->Step()) {
    const int64_t id = query->ColumnInt(0);
    std::string name;
    if (const auto standard = StandardCollectionName(static_cast<int>(id))) {
      name = std::string(*standard);
    } else if (!query->IsNull(1)) {
      name = std::string(query->ColumnText(1));
    } else {
      name = "#" + std::to_string(id);
    }
    CollectionUsage& usage = by_name[name];
    usage.collection = name;
    usage.records += query->ColumnInt(2);
    usage.bytes += query->ColumnInt(3);
  }
  std::vector<CollectionUsage> rows;
  for (auto& [name, usage] : by_name) {
    if (usage.records != 0 || usage.bytes != 0) {
      rows.push_back(std::move(usage));
    }
  }
  return rows;
}

// Runs a bounded DELETE (its one parameter bound to `value`) and takes what it removed off
// the collections' stats, in one transaction. It locks records before their stats rows (a
// write locks them the other way round), so it may be a deadlock's victim: run again.
int64_t DeleteCounted(SqlConnection& db, const std::string& sql, int64_t value) {
  return RetryConflicts("deleting records", [&] {
    SqlTransaction transaction(db);
    StatsTally removed;
    int64_t deleted = 0;
    {
      StatementScope remove(db.Prepare(sql + std::string(kReturningDeleted)));
      remove->BindInt(0, value);
      deleted = removed.TakeDeleted(*remove);
    }
    removed.Apply(db);
    transaction.Commit();
    return deleted;
  });
}

}  // namespace

int64_t PurgeExpiredRecords(SqlConnection& db, std::string_view table, int64_t now_s,
                            int batch_rows) {
  return DeleteCounted(db, BoundedDeleteSql(db.Dialect(), table, ExpiredCondition(), batch_rows),
                       now_s);
}

int64_t CountExpiredRecords(SqlConnection& db, int64_t now_s) {
  int64_t count = 0;
  for (const std::string& table : db.Dialect().WboTables()) {
    StatementScope query(
        db.Prepare("SELECT count(*) FROM " + table + " WHERE " + ExpiredCondition()));
    query->BindInt(0, now_s);
    count += query->Step() ? query->ColumnInt(0) : 0;
  }
  return count;
}

int64_t DeleteRecordBatch(SqlConnection& db, UserId user, int batch_rows) {
  const SqlDialect& dialect = db.Dialect();
  return DeleteCounted(
      db, BoundedDeleteSql(dialect, dialect.WboTable(user), "username = ?", batch_rows), user);
}

std::vector<CollectionUsage> UserUsage(SqlConnection& db, UserId user) {
  return UsageRows(db, true, user);
}

std::vector<CollectionUsage> AllUsersUsage(SqlConnection& db) {
  return UsageRows(db, false, 0);
}

int64_t UsersWithData(SqlConnection& db) {
  StatementScope query(
      db.Prepare("SELECT count(DISTINCT userid) FROM collection_stats WHERE item_count > 0"));
  return query->Step() ? query->ColumnInt(0) : 0;
}

}  // namespace weave
