// The statements SQLite writes its own way.
#include "db/sqlite_dialect.h"

namespace weave {

std::string SqliteDialect::UpsertItemsSql(std::string_view table, size_t rows) const {
  const std::string t(table);
  const std::string no_expiry = std::to_string(kNoExpiry);
  // clang-format off
  return "INSERT INTO " + t +
         " (username, collection, id, parentid, predecessorid, sortindex, modified,"
         " payload, payload_size, ttl) VALUES " + UpsertValues(rows) +
         " ON CONFLICT (username, collection, id) DO UPDATE SET"
         " parentid = coalesce(excluded.parentid, " + t + ".parentid),"
         " predecessorid = coalesce(excluded.predecessorid, " + t + ".predecessorid),"
         " sortindex = coalesce(excluded.sortindex, " + t + ".sortindex),"
         " modified = CASE WHEN excluded.payload IS NOT NULL OR excluded.parentid IS NOT NULL"
         "   THEN excluded.modified ELSE " + t + ".modified END,"
         " payload = coalesce(excluded.payload, " + t + ".payload),"
         " payload_size = CASE WHEN excluded.payload IS NOT NULL"
         "   THEN excluded.payload_size ELSE " + t + ".payload_size END,"
         " ttl = CASE WHEN excluded.ttl <> " + no_expiry + " THEN excluded.ttl"
         "   WHEN excluded.payload IS NOT NULL THEN " + no_expiry + " ELSE " + t + ".ttl END";
  // clang-format on
}

std::string SqliteDialect::InsertCollectionSql() const {
  // OR IGNORE: losing a race for the id or the name is retried by the caller.
  return "INSERT OR IGNORE INTO collections (userid, collectionid, name) VALUES (?1,"
         " (SELECT max(101, coalesce(max(collectionid) + 1, 101)) FROM collections"
         "  WHERE userid = ?1), ?2)";
}

std::string SqliteDialect::StampCollectionSql() const {
  return "INSERT INTO collection_stats (userid, collection, modified) VALUES (?1, ?2, ?3)"
         " ON CONFLICT (userid, collection) DO UPDATE SET modified = excluded.modified";
}

std::string SqliteDialect::ChangeCollectionStatsSql() const {
  return "INSERT INTO collection_stats (userid, collection, modified, item_count, payload_bytes)"
         " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (userid, collection) DO UPDATE SET"
         " modified = max(modified, excluded.modified),"
         " item_count = item_count + excluded.item_count,"
         " payload_bytes = payload_bytes + excluded.payload_bytes";
}

std::string SqliteDialect::InsertIgnoreSql(std::string_view rest) const {
  return "INSERT OR IGNORE " + std::string(rest);
}

std::string SqliteDialect::InsertOrReplaceSql(std::string_view table, std::string_view columns,
                                              std::string_view placeholders,
                                              std::string_view key_columns,
                                              std::string_view update_columns) const {
  std::string sql = "INSERT INTO " + std::string(table) + " (" + std::string(columns) +
                    ") VALUES (" + std::string(placeholders) + ") ON CONFLICT (" +
                    std::string(key_columns) + ") DO UPDATE SET ";
  std::string_view rest = update_columns;
  bool first = true;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view column = rest.substr(0, comma);
    while (!column.empty() && column.front() == ' ') {
      column.remove_prefix(1);
    }
    sql += (first ? "" : ", ") + std::string(column) + " = excluded." + std::string(column);
    first = false;
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return sql;
}

}  // namespace weave
