// The few statements that differ between SQL databases, and where a user's records live.
// Everything else in SqlStorage and the account tables is plain SQL shared by all drivers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/sql_connection.h"

namespace weave {

// The expiry (seconds) of records written without a ttl: 2036, as Mozilla's servers. A ttl
// that would end there or later is stored one second earlier, so the value also says
// "no ttl given".
constexpr int64_t kNoExpiry = 2100000000;

// One record write, in storage terms (ttl already an absolute expiry, before kNoExpiry).
struct UpsertRow {
  int64_t user = 0;
  int64_t collection = 0;
  std::string_view id;
  std::optional<std::string_view> parentid;
  std::optional<std::string_view> predecessorid;
  std::optional<int64_t> sortindex;
  int64_t modified_cs = 0;
  std::optional<std::string_view> payload;
  std::optional<int64_t> ttl_expiry_s;
};

class SqlDialect {
 public:
  SqlDialect() = default;
  SqlDialect(const SqlDialect&) = delete;
  SqlDialect& operator=(const SqlDialect&) = delete;
  virtual ~SqlDialect() = default;

  // The records table of a user ("wbo", or "wbo<n>" when sharded by user id).
  virtual std::string WboTable(int64_t user) const = 0;
  // Every records table (for work over all users: the expiry purge, statistics).
  virtual std::vector<std::string> WboTables() const { return {WboTable(0)}; }

  // Inserts or updates `rows` records in one statement (one round trip) with Weave's
  // semantics: a payload (or a new parent) is a change and takes the new modified time;
  // absent fields keep their stored values; new content without a ttl never expires; a
  // metadata update keeps the expiry unless given. A record appearing twice is written in
  // order, as by two statements. Row r's parameters are numbered ?(10r+1) ... ?(10r+10) in
  // the order of UpsertRow (both drivers accept numbered parameters), so one binder serves
  // every dialect. The ttl column holds kNoExpiry exactly when no ttl was given.
  virtual std::string UpsertItemsSql(std::string_view table, size_t rows) const = 0;
  // Binds `row` as row number `position` (from 0) of an UpsertItemsSql statement.
  void BindUpsertItem(SqlStatement& statement, size_t position, const UpsertRow& row) const;
  static constexpr int kUpsertColumns = 10;

  // Adds (userid ?1, name ?2) to collections with the next custom id (from 101). Runs
  // outside a transaction; may silently do nothing when another writer took that id or
  // name first (the caller looks the name up again).
  virtual std::string InsertCollectionSql() const = 0;
  // Sets collection_stats.modified (?3) for (userid ?1, collection ?2), creating the row.
  virtual std::string StampCollectionSql() const = 0;
  // Adds ?4 to item_count and ?5 to payload_bytes of (userid ?1, collection ?2), creating the
  // row, and raises its modified to ?3 (0 keeps it): a write's one change of its row.
  virtual std::string ChangeCollectionStatsSql() const = 0;
  // INSERT that silently does nothing when the unique key exists; `rest` is everything after
  // "INSERT ": "INTO t (a, b) VALUES (?, ?)".
  virtual std::string InsertIgnoreSql(std::string_view rest) const = 0;
  // An upsert: INSERT INTO table (columns) VALUES (...) that on a clash with key_columns sets
  // update_columns to the new values.
  virtual std::string InsertOrReplaceSql(std::string_view table, std::string_view columns,
                                         std::string_view placeholders,
                                         std::string_view key_columns,
                                         std::string_view update_columns) const = 0;
  // True if DELETE accepts ORDER BY and LIMIT (MySQL); otherwise a subselect is used.
  virtual bool DeleteTakesLimit() const = 0;
  // Where writers do not already exclude each other (as they do in SQLite's BEGIN
  // IMMEDIATE), concurrent writers to one collection take turns on its collection_stats
  // row: LockingReadSuffix (" FOR UPDATE") makes a SELECT lock it until the commit and read
  // the latest committed row, and LockCollectionSql creates the row of (userid ?1,
  // collection ?2) if missing (run on its own, outside the write transaction). Empty:
  // nothing to do.
  virtual std::string LockCollectionSql() const { return ""; }
  virtual std::string_view LockingReadSuffix() const { return ""; }
  // Written after the records table in reads of one user's records by expiry (username =
  // ? AND ttl ...), so that they go through the (username, ttl) index and read only the
  // records the range selects. Empty: the planner's choice.
  virtual std::string_view UserExpiryIndexHint() const { return ""; }
  // Written after the records table in reads of records by their full primary key
  // (username, collection and a list of ids), which no other index serves better. Empty:
  // the planner's choice.
  virtual std::string_view PrimaryKeyHint() const { return ""; }
  // Written after the records table in reads of one collection's records (username =
  // ? AND collection = ? AND ttl > ? ...): the indexes that lead with ttl or with username
  // and ttl, which such a read never goes through (nearly every record is live). Empty:
  // the planner's choice.
  virtual std::string_view CollectionReadIndexHint() const { return ""; }
  // Written after the records table in reads of one collection's records by time (newer
  // or older than a time, in no order or by time): the (username, collection, modified)
  // index, whose range holds just the records asked for. Empty: the planner's choice.
  virtual std::string_view ModifiedIndexHint() const { return ""; }
  // Indexes that earlier schemas made on the records tables (Mozilla's PHP server's, and
  // this server's own until it stopped making them) and that no statement here uses. The
  // schema keeps them on the tables that have them; weave-admin drop-unused-indexes drops
  // them (storage/record_indexes.h). Empty where no schema ever made one (SQLite).
  virtual std::vector<std::string> UnusedRecordIndexes() const { return {}; }

 protected:
  // "(?1, ..., ?10), (?11, ..., ?20), ...": the VALUES of an UpsertItemsSql statement.
  static std::string UpsertValues(size_t rows);
};

// Binds an optional value or NULL.
void BindOptional(SqlStatement& statement, int index, std::optional<std::string_view> text);
void BindOptional(SqlStatement& statement, int index, std::optional<int64_t> value);

}  // namespace weave
