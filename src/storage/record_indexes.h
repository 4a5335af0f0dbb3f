// The records tables' indexes that no statement uses: found and dropped for weave-admin.
#pragma once

#include <string>
#include <vector>

#include "db/sql_connection.h"

namespace weave {

struct TableIndexes {
  std::string table;                 // a records table (wbo, or wbo<N> when sharded)
  std::vector<std::string> indexes;  // in the order of SqlDialect::UnusedRecordIndexes
};

// The records tables that have any of SqlDialect::UnusedRecordIndexes, each with those it
// has; empty where the dialect names none (SQLite). Only the MySQL dialect names any, so
// the query is MySQL's (information_schema, the connection's database).
std::vector<TableIndexes> FindUnusedRecordIndexes(SqlConnection& db);

// Drops found.indexes from found.table in one ALTER TABLE that copies nothing: InnoDB
// changes the table's metadata and frees the indexes' pages, and writes go on. It first
// waits, at most `wait_seconds`, for the transactions that use the table to end (and
// statements that come meanwhile wait behind it), then fails with a lock-wait
// TransactionConflict: the caller may run it again at a quieter moment. Dropping an
// index that is already gone is no error.
void DropRecordIndexes(SqlConnection& db, const TableIndexes& found, int wait_seconds);

}  // namespace weave
