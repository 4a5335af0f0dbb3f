// SqlDialect for SQLite (3.35 or later: upserts with ON CONFLICT ... DO UPDATE, and
// DELETE ... RETURNING).
#pragma once

#include "db/sql_dialect.h"

namespace weave {

class SqliteDialect final : public SqlDialect {
 public:
  std::string WboTable(int64_t /*user*/) const override { return "wbo"; }
  std::string UpsertItemsSql(std::string_view table, size_t rows) const override;
  std::string InsertCollectionSql() const override;
  std::string StampCollectionSql() const override;
  std::string ChangeCollectionStatsSql() const override;
  std::string InsertIgnoreSql(std::string_view rest) const override;
  std::string InsertOrReplaceSql(std::string_view table, std::string_view columns,
                                 std::string_view placeholders, std::string_view key_columns,
                                 std::string_view update_columns) const override;
  bool DeleteTakesLimit() const override { return false; }
};

}  // namespace weave
