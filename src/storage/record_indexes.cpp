// Finds and drops the unused indexes of the records tables, in MySQL's SQL.
#include "storage/record_indexes.h"

#include <set>

#include "db/sql_dialect.h"

namespace weave {

std::vector<TableIndexes> FindUnusedRecordIndexes(SqlConnection& db) {
  const SqlDialect& dialect = db.Dialect();
  const std::vector<std::string> unused = dialect.UnusedRecordIndexes();
  std::vector<TableIndexes> found;
  if (unused.empty()) {
    return found;
  }
  for (const std::string& table : dialect.WboTables()) {
    std::set<std::string, std::less<>> present;
    {
      StatementScope query(
          db.Prepare("SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS"
                     " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?"));
      query->BindText(0, table);
      while (query->Step()) {
        present.emplace(query->ColumnText(0));
      }
    }
    TableIndexes entry{table, {}};
    for (const std::string& index : unused) {
      if (present.contains(index)) {
        entry.indexes.push_back(index);
      }
    }
    if (!entry.indexes.empty()) {
      found.push_back(std::move(entry));
    }
  }
  return found;
}

// WAIT bounds the metadata lock's wait (MariaDB's lock_wait_timeout is a year by default),
// and ALGORITHM=NOCOPY makes the statement fail rather than copy the table.
void DropRecordIndexes(SqlConnection& db, const TableIndexes& found, int wait_seconds) {
  if (found.indexes.empty()) {
    return;
  }
  std::string sql = "ALTER TABLE " + found.table + " WAIT " + std::to_string(wait_seconds);
  for (const std::string& index : found.indexes) {
    sql += " DROP INDEX IF EXISTS " + index + ",";
  }
  sql += " ALGORITHM=NOCOPY, LOCK=NONE";
  StatementScope statement(db.Prepare(sql));
  statement->Step();
}

}  // namespace weave
