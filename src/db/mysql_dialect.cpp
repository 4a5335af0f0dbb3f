// The statements MySQL writes its own way.
#include "db/mysql_dialect.h"

#include <algorithm>

namespace weave {

// Parameters are written ?N as in SQLite: the MySQL driver turns them into plain ? marks and
// binds a parameter used twice (?1 in InsertCollectionSql) at both places.

std::string MysqlDialect::WboTable(int64_t user) const {
  if (shards_ <= 0) {
    return "wbo";
  }
  return "wbo" + std::to_string(user % shards_);
}

std::vector<std::string> MysqlDialect::WboTables() const {
  std::vector<std::string> tables;
  for (int shard = 0; shard < std::max(shards_, 1); ++shard) {
    tables.push_back(WboTable(shard));
  }
  return tables;
}

// The parentid= and predecessorid= filters read the collection through the primary key,
// and usage comes from collection_stats, not from a sum over size_index.
std::vector<std::string> MysqlDialect::UnusedRecordIndexes() const {
  return {"parentindex", "predecessorindex", "size_index"};
}

// ON DUPLICATE KEY UPDATE assigns left to right and a later assignment sees the new value of
// an earlier column, so every decision reads VALUES() (the row we tried to insert), never a
// column that this statement has already changed.
std::string MysqlDialect::UpsertItemsSql(std::string_view table, size_t rows) const {
  const std::string no_expiry = std::to_string(kNoExpiry);
  // clang-format off
  return "INSERT INTO " + std::string(table) +
         " (username, collection, id, parentid, predecessorid, sortindex, modified,"
         " payload, payload_size, ttl) VALUES " + UpsertValues(rows) +
         " ON DUPLICATE KEY UPDATE"
         " ttl = CASE WHEN VALUES(ttl) <> " + no_expiry + " THEN VALUES(ttl)"
         "   WHEN VALUES(payload) IS NOT NULL THEN " + no_expiry + " ELSE ttl END,"
         " modified = CASE WHEN VALUES(payload) IS NOT NULL OR VALUES(parentid) IS NOT NULL"
         "   THEN VALUES(modified) ELSE modified END,"
         " payload_size = CASE WHEN VALUES(payload) IS NOT NULL"
         "   THEN VALUES(payload_size) ELSE payload_size END,"
         " payload = coalesce(VALUES(payload), payload),"
         " parentid = coalesce(VALUES(parentid), parentid),"
         " predecessorid = coalesce(VALUES(predecessorid), predecessorid),"
         " sortindex = coalesce(VALUES(sortindex), sortindex)";
  // clang-format on
}

// INSERT ... SELECT may read the table it inserts into (a VALUES subquery may not). Custom
// ids start at 101 as in PHP's store_collection_id. IGNORE: a concurrent insert of the same
// id or name wins, and SqlStorage looks again.
std::string MysqlDialect::InsertCollectionSql() const {
  return "INSERT IGNORE INTO collections (userid, collectionid, name)"
         " SELECT ?1, GREATEST(101, coalesce(max(collectionid) + 1, 101)), ?2"
         " FROM collections WHERE userid = ?1";
}

std::string MysqlDialect::StampCollectionSql() const {
  return "INSERT INTO collection_stats (userid, collection, modified) VALUES (?1, ?2, ?3)"
         " ON DUPLICATE KEY UPDATE modified = VALUES(modified)";
}

std::string MysqlDialect::ChangeCollectionStatsSql() const {
  return "INSERT INTO collection_stats (userid, collection, modified, item_count, payload_bytes)"
         " VALUES (?1, ?2, ?3, ?4, ?5) ON DUPLICATE KEY UPDATE"
         " modified = GREATEST(modified, VALUES(modified)),"
         " item_count = item_count + VALUES(item_count),"
         " payload_bytes = payload_bytes + VALUES(payload_bytes)";
}

// Creates the row if missing (the no-op update leaves an existing one alone). Run in
// autocommit by SqlStorage, never inside a transaction that read the missing row FOR UPDATE:
// that read's gap lock, held while inserting, deadlocked two first writers.
std::string MysqlDialect::LockCollectionSql() const {
  return "INSERT INTO collection_stats (userid, collection) VALUES (?1, ?2)"
         " ON DUPLICATE KEY UPDATE modified = modified";
}

std::string MysqlDialect::InsertIgnoreSql(std::string_view rest) const {
  return "INSERT IGNORE " + std::string(rest);
}

// MySQL picks the clashing key itself, so key_columns only document the caller's intent.
std::string MysqlDialect::InsertOrReplaceSql(std::string_view table, std::string_view columns,
                                             std::string_view placeholders,
                                             std::string_view /*key_columns*/,
                                             std::string_view update_columns) const {
  std::string sql = "INSERT INTO " + std::string(table) + " (" + std::string(columns) +
                    ") VALUES (" + std::string(placeholders) + ") ON DUPLICATE KEY UPDATE ";
  std::string_view rest = update_columns;
  bool first = true;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view column = rest.substr(0, comma);
    while (!column.empty() && column.front() == ' ') {
      column.remove_prefix(1);
    }
    while (!column.empty() && column.back() == ' ') {
      column.remove_suffix(1);
    }
    sql += (first ? "" : ", ") + std::string(column) + " = VALUES(" + std::string(column) + ")";
    first = false;
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return sql;
}

}  // namespace weave
