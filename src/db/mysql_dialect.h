// SqlDialect for MySQL and MariaDB: ON DUPLICATE KEY UPDATE upserts, INSERT IGNORE,
// DELETE ... ORDER BY ... LIMIT, and PHP's optional wbo<user % N> sharding.
#pragma once

#include "db/sql_dialect.h"

namespace weave {

class MysqlDialect final : public SqlDialect {
 public:
  // shards: 0 keeps every user's records in `wbo`; N spreads them over wbo0 ... wbo<N-1>
  // by user id modulo N, as the PHP server's WEAVE_USER_TABLE_MODULO did.
  explicit MysqlDialect(int shards) : shards_(shards) {}

  std::string WboTable(int64_t user) const override;
  std::vector<std::string> WboTables() const override;
  std::string UpsertItemsSql(std::string_view table, size_t rows) const override;
  std::string InsertCollectionSql() const override;
  std::string StampCollectionSql() const override;
  std::string ChangeCollectionStatsSql() const override;
  std::string InsertIgnoreSql(std::string_view rest) const override;
  std::string InsertOrReplaceSql(std::string_view table, std::string_view columns,
                                 std::string_view placeholders, std::string_view key_columns,
                                 std::string_view update_columns) const override;
  // DELETE takes ORDER BY and LIMIT but no OFFSET; SqlStorage selects the victims through a
  // derived table when an offset is given.
  bool DeleteTakesLimit() const override { return true; }
  std::string LockCollectionSql() const override;
  std::string_view LockingReadSuffix() const override { return " FOR UPDATE"; }
  // MariaDB's optimiser weighs every index its conditions match, and for a sum over the
  // expired records grouped by collection it was seen to read all of the user's records in
  // primary-key order (no sort) rather than the few expired ones: FORCE INDEX (ttl_index),
  // which the schema adds to every records table.
  std::string_view UserExpiryIndexHint() const override { return " FORCE INDEX (ttl_index)"; }
  // The optimiser also estimates, for every secondary index that starts with username and
  // collection, how many of the user's records its range holds (two B-tree descents each,
  // at every execution: it keeps no plans), though a read by primary key uses none of them.
  std::string_view PrimaryKeyHint() const override { return " FORCE INDEX (PRIMARY)"; }
  // For the same reason, a collection's read leaves out the two expiry indexes: ttl > now
  // matches nearly every record, and estimating that range walks the B-trees again.
  std::string_view CollectionReadIndexHint() const override {
    return " IGNORE INDEX (ttl_index, expiry_index)";
  }
  // A read by time (what a client's every sync after the first asks for) would otherwise
  // estimate the ranges of the primary key and the sortindex index too: with the index
  // named, the mix's collection reads cost mariadbd about a third less. A read whose
  // range holds most of the collection pays a lookup of each row's record through the
  // index instead of the primary key's scan: the same order of work, for the rarer read.
  std::string_view ModifiedIndexHint() const override { return " FORCE INDEX (modified)"; }
  // PHP's parentindex, predecessorindex and size_index (sql/mysql/schema.sql says why).
  std::vector<std::string> UnusedRecordIndexes() const override;

  // 0, or the number of wbo<N> tables.
  int Shards() const { return shards_; }

 private:
  // Set at construction
  const int shards_;
};

}  // namespace weave
