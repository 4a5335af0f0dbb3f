// The live move of one user between storage nodes' databases (see user_move.h).
#include "storage/user_move.h"

#include <ctime>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "core/errors.h"
#include "core/progress.h"
#include "db/sql_dialect.h"
#include "storage/collection_stats.h"

namespace weave {
namespace {

constexpr int kBatchRows = 500;
// Catch-up rounds stop once a round copies at most this many changes; the frozen round then
// has little left to do.
constexpr int64_t kSmallRound = 50;
constexpr int kMaxRounds = 5;
constexpr const char* kRecordColumns =
    "collection, id, parentid, predecessorid, sortindex, modified, payload, payload_size, ttl";

// One stored record, every column as stored (NULLs included: PHP-era rows have some).
struct RecordRow {
  int64_t collection = 0;
  std::string id;
  std::optional<std::string> parentid;
  std::optional<std::string> predecessorid;
  std::optional<int64_t> sortindex;
  std::optional<int64_t> modified;
  std::optional<std::string> payload;
  std::optional<int64_t> payload_size;
  int64_t ttl = kNoExpiry;
};

using RecordKey = std::pair<int64_t, std::string>;  // collection, id
// Every stored field but the payload, which never changes without modified changing.
using Snapshot = std::map<RecordKey, std::string>;

std::optional<std::string> OptionalText(SqlStatement& row, int column) {
  return row.IsNull(column) ? std::nullopt : std::optional<std::string>(row.ColumnText(column));
}

std::optional<int64_t> OptionalInt(SqlStatement& row, int column) {
  return row.IsNull(column) ? std::nullopt : std::optional<int64_t>(row.ColumnInt(column));
}

RecordRow ReadRecord(SqlStatement& row) {
  RecordRow record;
  record.collection = row.ColumnInt(0);
  record.id = row.ColumnText(1);
  record.parentid = OptionalText(row, 2);
  record.predecessorid = OptionalText(row, 3);
  record.sortindex = OptionalInt(row, 4);
  record.modified = OptionalInt(row, 5);
  record.payload = OptionalText(row, 6);
  record.payload_size = OptionalInt(row, 7);
  record.ttl = row.ColumnInt(8);
  return record;
}

// The next batch of the user's records after (collection, id), in key order.
std::vector<RecordRow> ReadBatch(SqlConnection& db, UserId user, const RecordKey& after) {
  StatementScope query(
      db.Prepare("SELECT " + std::string(kRecordColumns) + " FROM " + db.Dialect().WboTable(user) +
                 " WHERE username = ? AND (collection > ? OR (collection = ? AND id > ?))"
                 " ORDER BY collection, id LIMIT " +
                 std::to_string(kBatchRows)));
  query->BindInt(0, user);
  query->BindInt(1, after.first);
  query->BindInt(2, after.first);
  query->BindText(3, after.second);
  std::vector<RecordRow> rows;
  while (query->Step()) {
    rows.push_back(ReadRecord(*query));
  }
  return rows;
}

std::optional<RecordRow> ReadOne(SqlConnection& db, UserId user, const RecordKey& key) {
  StatementScope query(db.Prepare("SELECT " + std::string(kRecordColumns) + " FROM " +
                                  db.Dialect().WboTable(user) +
                                  " WHERE username = ? AND collection = ? AND id = ?"));
  query->BindInt(0, user);
  query->BindInt(1, key.first);
  query->BindText(2, key.second);
  if (!query->Step()) {
    return std::nullopt;
  }
  return ReadRecord(*query);
}

// Deletes the record if stored, tallying it for the target's collection_stats.
void DeleteRecord(SqlConnection& db, UserId user, const RecordKey& key, StatsTally& tally) {
  StatementScope remove(db.Prepare("DELETE FROM " + db.Dialect().WboTable(user) +
                                   " WHERE username = ? AND collection = ? AND id = ?" +
                                   std::string(kReturningDeleted)));
  remove->BindInt(0, user);
  remove->BindInt(1, key.first);
  remove->BindText(2, key.second);
  tally.TakeDeleted(*remove);
}

// Replaces the record, tallying the change for the target's collection_stats (the counts
// are right at every commit, also when the move stops half way).
void WriteRecord(SqlConnection& db, UserId user, const RecordRow& record, StatsTally& tally) {
  DeleteRecord(db, user, {record.collection, record.id}, tally);
  StatementScope insert(db.Prepare("INSERT INTO " + db.Dialect().WboTable(user) + " (username, " +
                                   kRecordColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  insert->BindInt(0, user);
  insert->BindInt(1, record.collection);
  insert->BindText(2, record.id);
  BindOptional(*insert, 3,
               record.parentid ? std::optional<std::string_view>(*record.parentid) : std::nullopt);
  BindOptional(
      *insert, 4,
      record.predecessorid ? std::optional<std::string_view>(*record.predecessorid) : std::nullopt);
  BindOptional(*insert, 5, record.sortindex);
  BindOptional(*insert, 6, record.modified);
  BindOptional(*insert, 7,
               record.payload ? std::optional<std::string_view>(*record.payload) : std::nullopt);
  BindOptional(*insert, 8, record.payload_size);
  insert->BindInt(9, record.ttl);
  insert->Step();
  tally.Add(user, record.collection, 1, record.payload_size.value_or(0));
}

Snapshot ReadSnapshot(SqlConnection& db, UserId user) {
  StatementScope query(db.Prepare(
      "SELECT collection, id, parentid, predecessorid, sortindex, modified, payload_size, ttl"
      " FROM " +
      db.Dialect().WboTable(user) + " WHERE username = ?"));
  query->BindInt(0, user);
  Snapshot snapshot;
  while (query->Step()) {
    std::string fields;
    for (int column = 2; column < 8; ++column) {
      // A NUL cannot occur in the stored text: it separates the fields, and marks NULLs.
      fields +=
          query->IsNull(column) ? std::string(1, '\1') : std::string(query->ColumnText(column));
      fields.push_back('\0');
    }
    snapshot.emplace(RecordKey{query->ColumnInt(0), std::string(query->ColumnText(1))},
                     std::move(fields));
  }
  return snapshot;
}

// Makes the target's records equal the source's; returns how many it copied or deleted.
int64_t CopyDifferences(SqlConnection& from, SqlConnection& to, UserId user) {
  const Snapshot source = ReadSnapshot(from, user);
  const Snapshot target = ReadSnapshot(to, user);
  std::vector<RecordKey> changed;
  for (const auto& [key, fields] : source) {
    const auto found = target.find(key);
    if (found == target.end() || found->second != fields) {
      changed.push_back(key);
    }
  }
  std::vector<RecordKey> gone;
  for (const auto& [key, fields] : target) {
    if (!source.contains(key)) {
      gone.push_back(key);
    }
  }
  SqlTransaction transaction(to);
  StatsTally tally;
  for (const RecordKey& key : changed) {
    if (auto record = ReadOne(from, user, key)) {
      WriteRecord(to, user, *record, tally);
    } else {
      DeleteRecord(to, user, key, tally);  // deleted since the snapshot: the next round agrees
    }
  }
  for (const RecordKey& key : gone) {
    DeleteRecord(to, user, key, tally);
  }
  tally.Apply(to);
  transaction.Commit();
  return static_cast<int64_t>(changed.size() + gone.size());
}

int64_t CountRecords(SqlConnection& db, UserId user) {
  StatementScope query(
      db.Prepare("SELECT COUNT(*) FROM " + db.Dialect().WboTable(user) + " WHERE username = ?"));
  query->BindInt(0, user);
  query->Step();
  return query->ColumnInt(0);
}

void RunForUser(SqlConnection& db, const std::string& sql, UserId user) {
  StatementScope statement(db.Prepare(sql));
  statement->BindInt(0, user);
  statement->Step();
}

// Deletes the user's records, collection names and times, and the user's cache token
// (storage/cache_marks.h: a token left from an earlier stay on this node would make the
// shared cache's entries of that time current again if the user came back); with frozen,
// the freeze row too.
void ClearUser(SqlConnection& db, UserId user, bool frozen) {
  SqlTransaction transaction(db);
  RunForUser(db, "DELETE FROM " + db.Dialect().WboTable(user) + " WHERE username = ?", user);
  RunForUser(db, "DELETE FROM collection_stats WHERE userid = ?", user);
  RunForUser(db, "DELETE FROM collections WHERE userid = ?", user);
  RunForUser(db, "DELETE FROM cache_dirty WHERE userid = ?", user);
  if (frozen) {
    RunForUser(db, "DELETE FROM frozen_users WHERE userid = ?", user);
  }
  transaction.Commit();
}

// Copies every record in batches; returns the count.
int64_t CopyAll(SqlConnection& from, SqlConnection& to, UserId user, const MoveOutput& out) {
  // The count is read before the copy: writes meanwhile may take it past 100 %.
  const int64_t total = CountRecords(from, user);
  Progress progress("  copying records", total, out.progress, out.terminal);
  int64_t copied = 0;
  RecordKey after{-1, ""};
  for (;;) {
    const std::vector<RecordRow> rows = ReadBatch(from, user, after);
    if (rows.empty()) {
      break;
    }
    SqlTransaction transaction(to);
    StatsTally tally;
    for (const RecordRow& row : rows) {
      WriteRecord(to, user, row, tally);
    }
    tally.Apply(to);
    transaction.Commit();
    copied += static_cast<int64_t>(rows.size());
    after = {rows.back().collection, rows.back().id};
    progress.Update(copied);
  }
  progress.Finish(copied);
  return copied;
}

// The collection names and collection_stats rows, as on the source (the records are equal,
// so its counts are right for the target too).
void CopyCollections(SqlConnection& from, SqlConnection& to, UserId user) {
  std::vector<std::pair<int64_t, std::string>> names;
  {
    StatementScope query(
        from.Prepare("SELECT collectionid, name FROM collections WHERE userid = ?"));
    query->BindInt(0, user);
    while (query->Step()) {
      names.emplace_back(query->ColumnInt(0), query->ColumnText(1));
    }
  }
  std::vector<std::vector<int64_t>> stats;
  {
    StatementScope query(
        from.Prepare("SELECT collection, modified, item_count, payload_bytes FROM collection_stats"
                     " WHERE userid = ?"));
    query->BindInt(0, user);
    while (query->Step()) {
      stats.push_back(
          {query->ColumnInt(0), query->ColumnInt(1), query->ColumnInt(2), query->ColumnInt(3)});
    }
  }
  SqlTransaction transaction(to);
  RunForUser(to, "DELETE FROM collections WHERE userid = ?", user);
  RunForUser(to, "DELETE FROM collection_stats WHERE userid = ?", user);
  for (const auto& [id, name] : names) {
    StatementScope insert(
        to.Prepare("INSERT INTO collections (userid, collectionid, name) VALUES (?, ?, ?)"));
    insert->BindInt(0, user);
    insert->BindInt(1, id);
    insert->BindText(2, name);
    insert->Step();
  }
  for (const auto& row : stats) {
    StatementScope insert(to.Prepare(
        "INSERT INTO collection_stats (userid, collection, modified, item_count, payload_bytes)"
        " VALUES (?, ?, ?, ?, ?)"));
    insert->BindInt(0, user);
    for (int column = 0; column < 4; ++column) {
      insert->BindInt(column + 1, row[column]);
    }
    insert->Step();
  }
  transaction.Commit();
}

void Freeze(SqlConnection& db, UserId user) {
  // Waits for the write lock (SQLite) or for writers' locking reads (MySQL): writes under way
  // finish first, later ones see the row.
  SqlTransaction transaction(db);
  StatementScope insert(
      db.Prepare(db.Dialect().InsertIgnoreSql("INTO frozen_users (userid, since) VALUES (?, ?)")));
  insert->BindInt(0, user);
  insert->BindInt(1, static_cast<int64_t>(std::time(nullptr)));
  insert->Step();
  transaction.Commit();
}

// Copies, catches up and freezes; returns the result so far. The user is frozen on return.
MoveResult CopyAndFreeze(const MoveRequest& move, const MoveOutput& out) {
  SqlConnection& from = *move.from;
  SqlConnection& to = *move.to;
  MoveResult result;
  ClearUser(to, move.user, true);
  CopyAll(from, to, move.user, out);
  for (int round = 0; round < kMaxRounds; ++round) {
    const int64_t changes = CopyDifferences(from, to, move.user);
    result.caught_up += changes;
    out.steps << "  caught up " << changes << " changes made during the copy\n" << std::flush;
    if (changes <= kSmallRound) {
      break;
    }
  }
  Freeze(from, move.user);
  out.steps << "  writes paused on " << move.from_url << '\n' << std::flush;
  return result;
}

}  // namespace

MoveResult MoveUser(const MoveRequest& move, NodeDirectory& nodes, const MoveOutput& out) {
  out.steps << "moving " << move.username << " (id " << move.user << ") from " << move.from_url
            << " to " << move.to_url << '\n'
            << std::flush;
  MoveResult result;
  try {
    result = CopyAndFreeze(move, out);
    const int64_t changes = CopyDifferences(*move.from, *move.to, move.user);
    result.caught_up += changes;
    CopyCollections(*move.from, *move.to, move.user);
    if (CopyDifferences(*move.from, *move.to, move.user) != 0) {
      throw BackendError("the copy differs from the frozen original");
    }
    result.records = CountRecords(*move.to, move.user);
    out.steps << "  copied the last " << changes << " changes; " << result.records
              << " records verified\n"
              << std::flush;
    nodes.Reassign(move.username, move.to_url);
  } catch (...) {
    RunForUser(*move.from, "DELETE FROM frozen_users WHERE userid = ?", move.user);
    throw;
  }
  out.steps << "  switched " << move.username << " to " << move.to_url << '\n' << std::flush;
  ClearUser(*move.from, move.user, false);
  out.steps << "  removed the old copy from " << move.from_url << '\n' << std::flush;
  return result;
}

}  // namespace weave
