// collection_stats changed once per write, from what the write's statements did.
#include "storage/collection_stats.h"

#include <string>
#include <tuple>
#include <vector>

#include "db/sql_dialect.h"

namespace weave {

void ChangeCollectionStats(SqlConnection& db, UserId user, int64_t collection, int64_t modified_cs,
                           int64_t items, int64_t bytes) {
  StatementScope change(db.Prepare(db.Dialect().ChangeCollectionStatsSql()));
  change->BindInt(0, user);
  change->BindInt(1, collection);
  change->BindInt(2, modified_cs);
  change->BindInt(3, items);
  change->BindInt(4, bytes);
  change->Step();
}

void StatsTally::Add(UserId user, int64_t collection, int64_t items, int64_t bytes) {
  auto& [tally_items, tally_bytes] = changes_[{user, collection}];
  tally_items += items;
  tally_bytes += bytes;
}

int64_t StatsTally::TakeDeleted(SqlStatement& deleted) {
  int64_t rows = 0;
  while (deleted.Step()) {
    Add(deleted.ColumnInt(0), deleted.ColumnInt(1), -1, -deleted.ColumnInt(2));
    ++rows;
  }
  // The statement is done before the next one runs (MySQL: one open result at a time).
  deleted.Reset();
  return rows;
}

bool StatsTally::Touches(UserId user, int64_t collection) const {
  return changes_.contains({user, collection});
}

void StatsTally::Apply(SqlConnection& db) {
  for (const auto& [key, change] : changes_) {
    if (change.first != 0 || change.second != 0) {
      ChangeCollectionStats(db, key.first, key.second, 0, change.first, change.second);
    }
  }
  changes_.clear();
}

void RecountCollectionStats(SqlConnection& db, UserId user) {
  {
    StatementScope zero(db.Prepare(
        "UPDATE collection_stats SET item_count = 0, payload_bytes = 0 WHERE userid = ?"));
    zero->BindInt(0, user);
    zero->Step();
  }
  // collection, records, bytes, newest modified
  std::vector<std::tuple<int64_t, int64_t, int64_t, int64_t>> counted;
  {
    StatementScope count(
        db.Prepare("SELECT collection, count(*), coalesce(sum(payload_size), 0),"
                   " coalesce(max(modified), 0) FROM " +
                   db.Dialect().WboTable(user) + " WHERE username = ? GROUP BY collection"));
    count->BindInt(0, user);
    while (count->Step()) {
      counted.emplace_back(count->ColumnInt(0), count->ColumnInt(1), count->ColumnInt(2),
                           count->ColumnInt(3));
    }
  }
  for (const auto& [collection, records, bytes, newest] : counted) {
    ChangeCollectionStats(db, user, collection, newest, records, bytes);
  }
}

}  // namespace weave
