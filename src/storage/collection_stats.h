// collection_stats kept by the server: each write changes its collection's row once, with
// what its statements did, instead of a trigger changing it once per record. Every writer
// of the records tables in this server and its tools goes through here (the schemas' triggers
// skip this server's writes on MariaDB; SQLite has none).
#pragma once

#include <cstdint>
#include <map>
#include <string_view>
#include <utility>

#include "core/user_name.h"
#include "db/sql_connection.h"

namespace weave {

// Adds items and bytes (negative: takes them off) to the row of (user, collection), creating
// it if missing, and raises its modified time to modified_cs (0 leaves it). One statement.
void ChangeCollectionStats(SqlConnection& db, UserId user, int64_t collection, int64_t modified_cs,
                           int64_t items, int64_t bytes);

// The clause a DELETE ends with so that StatsTally::TakeDeleted can count what it removed.
// PHP-era rows may have a NULL payload_size.
constexpr std::string_view kReturningDeleted =
    " RETURNING username, collection, coalesce(payload_size, 0)";

// Changes to many collections' rows, gathered while a transaction writes records and written
// before it commits, one statement per collection (in key order, so two tallies lock rows
// in the same order).
class StatsTally {
 public:
  void Add(UserId user, int64_t collection, int64_t items, int64_t bytes);
  // Steps `deleted`, a DELETE ending in kReturningDeleted, to its end and tallies the rows
  // it removed. Returns how many.
  int64_t TakeDeleted(SqlStatement& deleted);
  // True if the tally changes (user, collection).
  bool Touches(UserId user, int64_t collection) const;
  // Writes the tally (modified left as it is) and empties it.
  void Apply(SqlConnection& db);

 private:
  // (user, collection) -> (items, bytes)
  std::map<std::pair<UserId, int64_t>, std::pair<int64_t, int64_t>> changes_;
};

// Sets item_count and payload_bytes of the user's rows from the records themselves (rows
// without records to 0; modified kept, a new row gets its newest record's time): for
// writers of many records whose earlier state they do not know (weave-admin import).
void RecountCollectionStats(SqlConnection& db, UserId user);

}  // namespace weave
