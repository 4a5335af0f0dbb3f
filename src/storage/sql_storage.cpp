// Weave storage semantics written once over SqlConnection, for every SQL driver.
#include "storage/sql_storage.h"

#include <algorithm>
#include <map>
#include <optional>
#include <variant>

#include "core/errors.h"
#include "db/conflict_retry.h"
#include "storage/cache_marks.h"
#include "storage/collection_ids.h"
#include "storage/collection_stats.h"

namespace weave {
namespace {

// The largest number of records one upsert statement writes: a POST's whole batch (the
// handlers take at most 100), so a write is one statement and at most this many statement
// texts are prepared per connection.
constexpr size_t kMaxUpsertBatch = 100;

using SqlArg = std::variant<std::monostate, int64_t, std::string_view>;

// SQL text with its arguments, for statements whose shape depends on the request.
struct BoundSql {
  std::string text;
  std::vector<SqlArg> args;

  void Add(std::string_view sql, SqlArg arg) {
    text += sql;
    args.push_back(arg);
  }
  void BindTo(SqlStatement& statement, int first = 0) const {
    for (size_t i = 0; i < args.size(); ++i) {
      const int index = first + static_cast<int>(i);
      if (const auto* number = std::get_if<int64_t>(&args[i])) {
        statement.BindInt(index, *number);
      } else if (const auto* text_arg = std::get_if<std::string_view>(&args[i])) {
        statement.BindText(index, *text_arg);
      } else {
        statement.BindNull(index);
      }
    }
  }
};

// Id lists are padded with NULLs (which match nothing) to a power of two, so the number
// of distinct statement texts, and so of cached prepared statements, stays small.
void AppendIdList(const std::vector<std::string>& ids, BoundSql& sql) {
  if (ids.empty()) {
    sql.text += " AND 0";
    return;
  }
  size_t slots = 1;
  while (slots < ids.size()) {
    slots *= 2;
  }
  sql.text += " AND id IN (";
  for (size_t i = 0; i < slots; ++i) {
    sql.text += i == 0 ? "?" : ",?";
    sql.args.emplace_back(i < ids.size() ? SqlArg(static_cast<std::string_view>(ids[i]))
                                         : SqlArg());
  }
  sql.text += ")";
}

void AppendFilter(const CollectionFilter& filter, BoundSql& sql) {
  if (filter.ids) {
    AppendIdList(*filter.ids, sql);
  }
  if (filter.newer_cs) {
    sql.Add(" AND modified > ?", *filter.newer_cs);
  }
  if (filter.older_cs) {
    sql.Add(" AND modified < ?", *filter.older_cs);
  }
  if (filter.index_above) {
    sql.Add(" AND sortindex > ?", *filter.index_above);
  }
  if (filter.index_below) {
    sql.Add(" AND sortindex < ?", *filter.index_below);
  }
  if (filter.parentid) {
    sql.Add(" AND parentid = ?", static_cast<std::string_view>(*filter.parentid));
  }
  if (filter.predecessorid) {
    sql.Add(" AND predecessorid = ?", static_cast<std::string_view>(*filter.predecessorid));
  }
}

// The id breaks ties so that paging with limit/offset is stable (and the indexes, which
// end in id, deliver rows in this order).
void AppendOrderAndLimit(const CollectionFilter& filter, BoundSql& sql) {
  switch (filter.sort) {
    case SortOrder::kOldest:
      sql.text += " ORDER BY modified ASC, id ASC";
      break;
    case SortOrder::kNewest:
      sql.text += " ORDER BY modified DESC, id DESC";
      break;
    case SortOrder::kIndex:
      sql.text += " ORDER BY sortindex DESC, id DESC";
      break;
    case SortOrder::kNone:
      break;
  }
  if (filter.limit > 0) {
    sql.Add(" LIMIT ?", filter.limit);
    if (filter.offset > 0) {
      sql.Add(" OFFSET ?", filter.offset);
    }
  }
}

// The index hint of a read of one collection's records (SqlDialect says why each).
std::string_view CollectionReadHint(const SqlDialect& dialect, const CollectionFilter& filter) {
  if (filter.ids) {
    return dialect.PrimaryKeyHint();
  }
  if ((filter.newer_cs || filter.older_cs) && filter.sort != SortOrder::kIndex) {
    return dialect.ModifiedIndexHint();
  }
  return dialect.CollectionReadIndexHint();
}

std::optional<std::string_view> OptionalText(SqlStatement& row, int column) {
  if (row.IsNull(column)) {
    return std::nullopt;
  }
  return row.ColumnText(column);
}

constexpr std::string_view kFullColumns =
    "id, modified, sortindex, payload, parentid, predecessorid";
constexpr int kFullColumnCount = 6;

// with_ttl: the row has one more column, the ttl (ItemView::expires_s).
void VisitRow(SqlStatement& row, bool full, const ItemVisitor& visit, bool with_ttl = false) {
  ItemView item;
  item.id = row.ColumnText(0);
  if (full) {
    item.modified_cs = row.ColumnInt(1);
    if (!row.IsNull(2)) {
      item.sortindex = row.ColumnInt(2);
    }
    item.payload = OptionalText(row, 3);
    item.parentid = OptionalText(row, 4);
    item.predecessorid = OptionalText(row, 5);
  }
  if (with_ttl && row.ColumnInt(kFullColumnCount) < kNoExpiry) {
    item.expires_s = row.ColumnInt(kFullColumnCount);
  }
  visit(item);
}

}  // namespace

std::optional<int> SqlStorage::FindCollectionId(UserId user, std::string_view name) {
  if (auto standard = StandardCollectionId(name)) {
    return standard;
  }
  StatementScope query(
      db_.Prepare("SELECT collectionid FROM collections WHERE userid = ? AND name = ?"));
  query->BindInt(0, user);
  query->BindText(1, name);
  if (!query->Step()) {
    return std::nullopt;
  }
  return static_cast<int>(query->ColumnInt(0));
}

// Runs outside the write transaction, so that a name another worker has just added is seen
// at once; an insert that lost a race for the next id (ignored where the dialect says so)
// is simply tried again.
int SqlStorage::FindOrCreateCollectionId(UserId user, std::string_view name) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (auto existing = FindCollectionId(user, name)) {
      return *existing;
    }
    StatementScope insert(db_.Prepare(dialect_.InsertCollectionSql()));
    insert->BindInt(0, user);
    insert->BindText(1, name);
    insert->Step();
  }
  if (auto existing = FindCollectionId(user, name)) {
    return *existing;
  }
  throw BackendError("could not add collection " + std::string(name));
}

void SqlStorage::RunRead(const Read& read, const ReadBinder& bind, bool may_carry,
                         const std::function<void(SqlStatement&)>& visit_row) {
  const bool can_carry = may_carry && read.tail.empty() && !read.tables.empty();
  LoginRider* rider = can_carry && riders_ != nullptr ? riders_->Claim() : nullptr;
  std::string text;
  if (rider != nullptr) {
    text = rider->Statement(read.columns, read.tables, read.conditions, true);
  } else {
    text = "SELECT " + read.columns;
    if (!read.tables.empty()) {
      text += " FROM " + read.tables + " WHERE " + read.conditions;
    }
    text += read.tail;
  }
  StatementScope query(db_.Prepare(text));
  bind(*query, rider != nullptr ? rider->Bind(*query, 0) : 0);
  while (query->Step()) {
    if (rider == nullptr || rider->TakeRow(*query, read.column_count)) {
      visit_row(*query);
    }
  }
  if (rider != nullptr) {
    rider->Carried();
  }
}

// Runs a read whose rows are (collection id, value, custom name or NULL).
std::vector<std::pair<std::string, int64_t>> SqlStorage::NamedRows(const Read& read,
                                                                   const ReadBinder& bind) {
  db_.TrimStatementCache();
  std::vector<std::pair<std::string, int64_t>> rows;
  RunRead(read, bind, true, [&rows](SqlStatement& query) {
    const int id = static_cast<int>(query.ColumnInt(0));
    std::string name;
    if (auto standard = StandardCollectionName(id)) {
      name = *standard;
    } else if (!query.IsNull(2)) {
      name = query.ColumnText(2);
    } else {
      name = std::to_string(id);
    }
    rows.emplace_back(std::move(name), query.ColumnInt(1));
  });
  return rows;
}

std::vector<std::pair<std::string, int64_t>> SqlStorage::GetCollectionTimestamps(UserId user) {
  return NamedRows({"s.collection, s.modified, c.name", 3,
                    "collection_stats s LEFT JOIN collections c ON c.userid = s.userid"
                    " AND c.collectionid = s.collection",
                    "s.userid = ? AND s.item_count > 0", ""},
                   [user](SqlStatement& query, int first) {
                     query.BindInt(first, user);
                     return first + 1;
                   });
}

// The stats rows count every stored record; the user's expired ones not purged yet are
// found through the (username, ttl) index without reading the live ones. So the cost
// follows the collections and the expired records, not the records stored: counting a
// user's 6,000 rows on MariaDB, once they no longer fit its buffer pool, took seconds.
std::vector<std::pair<std::string, int64_t>> SqlStorage::PerCollection(UserId user,
                                                                       const char* stat,
                                                                       const char* expired,
                                                                       int64_t now_s) {
  const std::string live_count = "s.item_count - coalesce(e.records, 0)";
  return NamedRows(
      {std::string("s.collection, s.") + stat + " - coalesce(e.amount, 0) AS live, c.name", 3,
       "collection_stats s LEFT JOIN (SELECT collection, count(*) AS records, " +
           std::string(expired) + " AS amount FROM " + dialect_.WboTable(user) +
           std::string(dialect_.UserExpiryIndexHint()) +
           " WHERE username = ? AND ttl <= ? GROUP BY collection) e"
           " ON e.collection = s.collection"
           " LEFT JOIN collections c ON c.userid = s.userid AND c.collectionid = s.collection",
       "s.userid = ? AND " + live_count + " > 0", ""},
      [user, now_s](SqlStatement& query, int first) {
        query.BindInt(first, user);
        query.BindInt(first + 1, now_s);
        query.BindInt(first + 2, user);
        return first + 3;
      });
}

std::vector<std::pair<std::string, int64_t>> SqlStorage::GetCollectionCounts(UserId user,
                                                                             int64_t now_s) {
  return PerCollection(user, "item_count", "count(*)", now_s);
}

std::vector<std::pair<std::string, int64_t>> SqlStorage::GetCollectionUsage(UserId user,
                                                                            int64_t now_s) {
  return PerCollection(user, "payload_bytes", "sum(payload_size)", now_s);
}

// As PerCollection: the stored total less the expired records' bytes, summed here over
// every stats row (one row per collection, the first column never NULL, so the read can
// carry a login).
int64_t SqlStorage::GetTotalUsage(UserId user, int64_t now_s) {
  db_.TrimStatementCache();
  int64_t usage = 0;
  RunRead(
      {"s.collection, s.payload_bytes - coalesce(e.amount, 0) AS live_bytes", 2,
       "collection_stats s LEFT JOIN (SELECT collection, sum(payload_size) AS amount FROM " +
           dialect_.WboTable(user) + std::string(dialect_.UserExpiryIndexHint()) +
           " WHERE username = ? AND ttl <= ? GROUP BY collection) e"
           " ON e.collection = s.collection",
       "s.userid = ?", ""},
      [user, now_s](SqlStatement& query, int first) {
        query.BindInt(first, user);
        query.BindInt(first + 1, now_s);
        query.BindInt(first + 2, user);
        return first + 3;
      },
      true, [&usage](SqlStatement& query) { usage += query.ColumnInt(1); });
  return usage;
}

std::optional<int64_t> SqlStorage::NextExpiry(UserId user, int64_t now_s) {
  db_.TrimStatementCache();
  StatementScope query(db_.Prepare("SELECT min(ttl) FROM " + dialect_.WboTable(user) +
                                   std::string(dialect_.UserExpiryIndexHint()) +
                                   " WHERE username = ? AND ttl > ? AND ttl < ?"));
  query->BindInt(0, user);
  query->BindInt(1, now_s);
  query->BindInt(2, kNoExpiry);
  if (!query->Step() || query->IsNull(0)) {
    return std::nullopt;
  }
  return query->ColumnInt(0);
}

std::optional<int64_t> SqlStorage::GetCollectionTimestamp(UserId user,
                                                          std::string_view collection) {
  db_.TrimStatementCache();
  const auto id = FindCollectionId(user, collection);
  if (!id) {
    return std::nullopt;
  }
  StatementScope query(
      db_.Prepare("SELECT modified FROM collection_stats WHERE userid = ? AND collection = ?"
                  " AND item_count > 0"));
  query->BindInt(0, user);
  query->BindInt(1, *id);
  if (!query->Step()) {
    return std::nullopt;
  }
  return query->ColumnInt(0);
}

bool SqlStorage::GetItem(UserId user, std::string_view collection, std::string_view id,
                         int64_t now_s, const ItemVisitor& visit) {
  db_.TrimStatementCache();
  const auto collection_id = FindCollectionId(user, collection);
  if (!collection_id) {
    return false;
  }
  bool found = false;
  RunRead(
      {std::string(kFullColumns) + ", ttl", kFullColumnCount + 1, dialect_.WboTable(user),
       "username = ? AND collection = ? AND id = ? AND ttl > ?", ""},
      [&](SqlStatement& query, int first) {
        query.BindInt(first, user);
        query.BindInt(first + 1, *collection_id);
        query.BindText(first + 2, id);
        query.BindInt(first + 3, now_s);
        return first + 4;
      },
      true,
      [&](SqlStatement& query) {
        // The primary key: at most one row.
        VisitRow(query, true, visit, true);
        found = true;
      });
  return found;
}

int64_t SqlStorage::GetItems(UserId user, std::string_view collection,
                             const CollectionFilter& filter, bool full, int64_t now_s,
                             const ItemVisitor& visit) {
  db_.TrimStatementCache();
  const auto collection_id = FindCollectionId(user, collection);
  if (!collection_id) {
    return 0;
  }
  BoundSql sql;
  sql.Add("username = ?", user);
  sql.Add(" AND collection = ?", int64_t{*collection_id});
  sql.Add(" AND ttl > ?", now_s);
  AppendFilter(filter, sql);
  const size_t conditions_end = sql.text.size();
  AppendOrderAndLimit(filter, sql);
  const bool unordered = filter.sort == SortOrder::kNone && filter.limit <= 0;
  int64_t count = 0;
  RunRead(
      {std::string(full ? kFullColumns : "id"), full ? kFullColumnCount : 1,
       dialect_.WboTable(user) + std::string(CollectionReadHint(dialect_, filter)),
       sql.text.substr(0, conditions_end), sql.text.substr(conditions_end)},
      [&sql](SqlStatement& query, int first) {
        sql.BindTo(query, first);
        return first + static_cast<int>(sql.args.size());
      },
      unordered,
      [&](SqlStatement& query) {
        VisitRow(query, full, visit);
        ++count;
      });
  return count;
}

namespace {

// A write transaction found its collection's stats row missing (where rows are locked).
struct CollectionRowMissing {
  UserId user;
  int collection_id;
};

}  // namespace

SqlStorage::WrittenIds SqlStorage::TallyIds(std::span<const ItemWrite> items) {
  // Per id, the size of the last payload written to it: a record named twice is written in
  // order, and a later write without payload keeps the earlier one's.
  std::map<std::string_view, std::optional<int64_t>> last_payload;
  for (const ItemWrite& item : items) {
    std::optional<int64_t>& size = last_payload[item.id];
    if (item.payload) {
      size = static_cast<int64_t>(item.payload->size());
    }
  }
  WrittenIds written;
  for (const auto& [id, size] : last_payload) {
    written.all.push_back(id);
    if (size) {
      written.with_payload.push_back(id);
      written.payload_bytes += *size;
    }
  }
  return written;
}

namespace {

// "?first, ?first+1, ..." for `slots` parameters.
std::string NumberedList(size_t first, size_t slots) {
  std::string list;
  for (size_t slot = 0; slot < slots; ++slot) {
    list += (slot == 0 ? "?" : ", ?") + std::to_string(first + slot);
  }
  return list;
}

// Binds ids from parameter index `first` on, NULLs (which match nothing) in the rest of the
// slots.
void BindIdSlots(SqlStatement& query, int first, size_t slots,
                 const std::vector<std::string_view>& ids) {
  for (size_t slot = 0; slot < slots; ++slot) {
    const int index = first + static_cast<int>(slot);
    if (slot < ids.size()) {
      query.BindText(index, ids[slot]);
    } else {
      query.BindNull(index);
    }
  }
}

}  // namespace

// The written ids' stored state rides in the locking read as plain reads, which MariaDB
// and MySQL do not lock (see below) and which see every commit made before the stats row's
// lock was granted: InnoDB takes a transaction's snapshot at its first plain read, and these
// subqueries name the outer (locked) row, so they run only once it is locked. From then on no
// other writer's change to the collection's records commits before ours: this server's
// writers lock the row first, and another writer's change (a PHP server's) needs the row for
// its trigger (a deadlock, which one of the two runs again). Id lists are padded to a power
// of two (few statement texts).
SqlStorage::CollectionState SqlStorage::LockCollection(UserId user, int collection_id,
                                                       bool want_usage, const WrittenIds* written) {
  // The usage is a plain (consistent, not locking) read also under FOR UPDATE: MariaDB and
  // MySQL lock only the rows of the outer query.
  std::string sql = std::string("SELECT s.modified, s.item_count") +
                    (want_usage ? ", (SELECT coalesce(sum(payload_bytes), 0) FROM collection_stats"
                                  " WHERE userid = ?1)"
                                : "");
  size_t slots = 0;
  if (written != nullptr && !written->all.empty()) {
    slots = 1;
    while (slots < written->all.size()) {
      slots *= 2;
    }
    const std::string stored = " FROM " + dialect_.WboTable(user) + " w" +
                               std::string(dialect_.PrimaryKeyHint()) +
                               " WHERE w.username = s.userid AND w.collection = s.collection"
                               " AND w.id IN (";
    sql += ", (SELECT count(*)" + stored + NumberedList(3, slots) + "))";
    sql += ", (SELECT coalesce(sum(w.payload_size), 0)" + stored + NumberedList(3 + slots, slots) +
           "))";
  }
  sql += " FROM collection_stats s WHERE s.userid = ?1 AND s.collection = ?2" +
         std::string(dialect_.LockingReadSuffix());
  {
    StatementScope query(db_.Prepare(sql));
    query->BindInt(0, user);
    query->BindInt(1, collection_id);
    if (slots > 0) {
      BindIdSlots(*query, 2, slots, written->all);
      BindIdSlots(*query, 2 + static_cast<int>(slots), slots, written->with_payload);
    }
    if (query->Step()) {
      const int stored_column = want_usage ? 3 : 2;
      return CollectionState{query->ColumnInt(0), query->ColumnInt(1) > 0,
                             want_usage ? query->ColumnInt(2) : 0,
                             slots > 0 ? query->ColumnInt(stored_column) : 0,
                             slots > 0 ? query->ColumnInt(stored_column + 1) : 0};
    }
  }
  if (!dialect_.LockCollectionSql().empty()) {
    // The read of a missing row took a gap lock, shared with every other writer whose row
    // is missing from the same gap (other users' first writes too). Inserting the row now
    // would wait for their gap locks while holding ours: two such writers deadlocked. So
    // the transaction is rolled back (the gap lock goes) and the row made on its own.
    throw CollectionRowMissing{user, collection_id};
  }
  // No row (where writers exclude each other, as in SQLite): nothing written yet, so none
  // of the ids is stored (every writer of records keeps the row).
  return CollectionState{0, false, want_usage ? StoredUsageBytes(user) : 0, 0, 0};
}

// Autocommit: the insert holds its locks only for itself, so writers whose rows share a gap
// queue up behind each other's inserts instead of deadlocking.
void SqlStorage::CreateCollectionRow(UserId user, int collection_id) {
  StatementScope statement(db_.Prepare(dialect_.LockCollectionSql()));
  statement->BindInt(0, user);
  statement->BindInt(1, collection_id);
  statement->Step();
}

template <typename Write>
auto SqlStorage::WithCollectionRow(Write&& write) -> decltype(write()) {
  // A wipe may remove the new row before the write runs again: a few rounds, then a 503.
  for (int round = 0; round < 3; ++round) {
    try {
      return write();
    } catch (const CollectionRowMissing& missing) {
      CreateCollectionRow(missing.user, missing.collection_id);
    }
  }
  throw BackendError("the collection's stats row went missing again and again");
}

std::optional<WriteResult> SqlStorage::CheckPrecondition(const CollectionState& state,
                                                         const WriteContext& context,
                                                         int64_t* timestamp_cs) {
  if (state.has_items && context.if_unmodified_since_cs &&
      state.last_change_cs > *context.if_unmodified_since_cs) {
    return WriteResult{WriteStatus::kModifiedSince, context.request_time_cs, 0};
  }
  // Two writes in the same centisecond must not share a timestamp, or a client that synced
  // up to the first would never see the second with newer=.
  *timestamp_cs = std::max(context.request_time_cs, state.last_change_cs + 1);
  return std::nullopt;
}

void SqlStorage::RefuseIfFrozen(UserId user) {
  if (!users_can_move_) {
    return;
  }
  // A locking read: on MySQL it holds the key's gap until the commit, so the mover's insert
  // of the row waits for this transaction; SQLite's writers take turns anyway.
  StatementScope query(db_.Prepare("SELECT since FROM frozen_users WHERE userid = ?" +
                                   std::string(dialect_.LockingReadSuffix())));
  query->BindInt(0, user);
  if (query->Step()) {
    throw UserFrozen("user " + std::to_string(user) + " is being moved to another node");
  }
}

int64_t SqlStorage::StoredUsageBytes(UserId user) {
  StatementScope query(
      db_.Prepare("SELECT coalesce(sum(payload_bytes), 0) FROM collection_stats WHERE userid = ?"));
  query->BindInt(0, user);
  return query->Step() ? query->ColumnInt(0) : 0;
}

// The stored totals include expired records not yet purged, so they can only overstate
// usage. Only when they reach the quota are the user's expired records purged and the
// totals read again: exact answers, and no scan on the common path.
bool SqlStorage::IsOverQuota(UserId user, int collection_id, const WriteContext& context,
                             int64_t stored_usage_bytes, bool* purged_collection) {
  *purged_collection = false;
  if (context.quota_bytes <= 0 || stored_usage_bytes < context.quota_bytes) {
    return false;
  }
  StatsTally purged;
  {
    StatementScope purge(db_.Prepare("DELETE FROM " + dialect_.WboTable(user) +
                                     " WHERE username = ? AND ttl <= ?" +
                                     std::string(kReturningDeleted)));
    purge->BindInt(0, user);
    purge->BindInt(1, context.request_time_cs / 100);
    purged.TakeDeleted(*purge);
  }
  *purged_collection = purged.Touches(user, collection_id);
  purged.Apply(db_);
  return StoredUsageBytes(user) >= context.quota_bytes;
}

int64_t SqlStorage::UsageAfter(UserId user, const WriteContext& context, int64_t upper_bound) {
  if (context.exact_usage_from_bytes > 0 && upper_bound < context.exact_usage_from_bytes) {
    return upper_bound;
  }
  return StoredUsageBytes(user);
}

WriteResult SqlStorage::PutItems(UserId user, std::string_view collection,
                                 std::span<const ItemWrite> items, const WriteContext& context) {
  return RetryConflicts("storing records", [&] {
    return WithCollectionRow([&] { return PutItemsOnce(user, collection, items, context); });
  });
}

WriteResult SqlStorage::DeleteItems(UserId user, std::string_view collection,
                                    const CollectionFilter& filter, const WriteContext& context) {
  return RetryConflicts("deleting records", [&] {
    return WithCollectionRow([&] { return DeleteItemsOnce(user, collection, filter, context); });
  });
}

void SqlStorage::DeleteStorage(UserId user) {
  RetryConflicts("deleting a user's records", [&] { DeleteStorageOnce(user); });
}

void SqlStorage::UpsertItems(UserId user, int collection_id, std::span<const ItemWrite> items,
                             int64_t timestamp_cs, int64_t now_s) {
  const std::string table = dialect_.WboTable(user);
  for (size_t done = 0; done < items.size();) {
    const size_t batch = std::min(kMaxUpsertBatch, items.size() - done);
    StatementScope upsert(db_.Prepare(dialect_.UpsertItemsSql(table, batch)));
    for (size_t position = 0; position < batch; ++position) {
      const ItemWrite& item = items[done + position];
      UpsertRow row;
      row.user = user;
      row.collection = collection_id;
      row.id = item.id;
      row.parentid = item.parentid;
      row.predecessorid = item.predecessorid;
      row.sortindex = item.sortindex;
      row.modified_cs = timestamp_cs;
      row.payload = item.payload;
      if (item.ttl_seconds) {
        row.ttl_expiry_s = now_s + *item.ttl_seconds;
      }
      dialect_.BindUpsertItem(*upsert, position, row);
    }
    upsert->Step();
    done += batch;
  }
}

WriteResult SqlStorage::PutItemsOnce(UserId user, std::string_view collection,
                                     std::span<const ItemWrite> items,
                                     const WriteContext& context) {
  db_.TrimStatementCache();
  const int collection_id = FindOrCreateCollectionId(user, collection);
  SqlTransaction transaction(db_);
  RefuseIfFrozen(user);
  const bool want_usage = context.quota_bytes > 0 || context.exact_usage_from_bytes > 0;
  const WrittenIds written = TallyIds(items);
  CollectionState state = LockCollection(user, collection_id, want_usage, &written);
  int64_t timestamp_cs = 0;
  if (auto refused = CheckPrecondition(state, context, &timestamp_cs)) {
    return *refused;
  }
  bool purged_collection = false;
  if (IsOverQuota(user, collection_id, context, state.usage_bytes, &purged_collection)) {
    return WriteResult{WriteStatus::kOverQuota, timestamp_cs, 0};
  }
  if (purged_collection) {
    // Expired records of this collection are gone: what the ids hold is read again.
    const CollectionState again = LockCollection(user, collection_id, false, &written);
    state.stored_ids = again.stored_ids;
    state.stored_id_bytes = again.stored_id_bytes;
  }
  UpsertItems(user, collection_id, items, timestamp_cs, context.request_time_cs / 100);
  if (!items.empty()) {
    // The write's one change of its row: new ids counted, the written ids' bytes replaced,
    // and the time stamped (also for records without payload or parentid, which keep
    // their own modified time).
    ChangeCollectionStats(db_, user, collection_id, timestamp_cs,
                          static_cast<int64_t>(written.all.size()) - state.stored_ids,
                          written.payload_bytes - state.stored_id_bytes);
  }
  // Replacing records can only lower the usage by what they held: the old usage plus the
  // new payloads bound it from above.
  int64_t written_bytes = 0;
  for (const ItemWrite& item : items) {
    written_bytes += item.payload ? static_cast<int64_t>(item.payload->size()) : 0;
  }
  WriteResult result{WriteStatus::kDone, timestamp_cs,
                     UsageAfter(user, context, state.usage_bytes + written_bytes)};
  if (context.renew_cache_token) {
    CacheMarks(db_).Renew(user);
  }
  transaction.Commit();
  return result;
}

WriteResult SqlStorage::DeleteItemsOnce(UserId user, std::string_view collection,
                                        const CollectionFilter& filter,
                                        const WriteContext& context) {
  db_.TrimStatementCache();
  SqlTransaction transaction(db_);
  RefuseIfFrozen(user);
  const auto collection_id = FindCollectionId(user, collection);
  if (!collection_id) {
    return WriteResult{WriteStatus::kDone, context.request_time_cs, 0};
  }
  const bool want_usage = context.exact_usage_from_bytes > 0;
  const CollectionState state = LockCollection(user, *collection_id, want_usage);
  int64_t timestamp_cs = 0;
  if (auto refused = CheckPrecondition(state, context, &timestamp_cs)) {
    return *refused;
  }
  const std::string table = dialect_.WboTable(user);
  BoundSql sql;
  sql.text = "DELETE FROM " + table;
  sql.Add(" WHERE username = ?", user);
  sql.Add(" AND collection = ?", int64_t{*collection_id});
  if (filter.limit > 0 && (!dialect_.DeleteTakesLimit() || filter.offset > 0)) {
    // DELETE ... LIMIT is not in every SQLite build, and MySQL's has no OFFSET: select the
    // victims instead. The derived table is for MySQL, which refuses LIMIT in an IN
    // subquery and a subquery reading the table being deleted from.
    sql.Add(" AND id IN (SELECT id FROM (SELECT id FROM " + table + " WHERE username = ?", user);
    sql.Add(" AND collection = ?", int64_t{*collection_id});
    AppendFilter(filter, sql);
    AppendOrderAndLimit(filter, sql);
    sql.text += ") AS victims)";
  } else {
    AppendFilter(filter, sql);
    if (filter.limit > 0) {
      AppendOrderAndLimit(filter, sql);
    }
  }
  // The rows come back with their sizes, so the stats row changes once, with the stamp.
  sql.text += " RETURNING coalesce(payload_size, 0)";
  int64_t deleted = 0;
  int64_t deleted_bytes = 0;
  {
    StatementScope statement(db_.Prepare(sql.text));
    sql.BindTo(*statement);
    while (statement->Step()) {
      deleted += 1;
      deleted_bytes += statement->ColumnInt(0);
    }
  }
  WriteResult result{WriteStatus::kDone, timestamp_cs, 0};
  if (deleted > 0) {
    ChangeCollectionStats(db_, user, *collection_id, timestamp_cs, -deleted, -deleted_bytes);
    if (context.renew_cache_token) {
      CacheMarks(db_).Renew(user);
    }
  }
  // A delete only lowers the usage.
  result.usage_bytes = UsageAfter(user, context, state.usage_bytes);
  transaction.Commit();
  return result;
}

void SqlStorage::DeleteStorageOnce(UserId user) {
  db_.TrimStatementCache();
  SqlTransaction transaction(db_);
  RefuseIfFrozen(user);
  for (const std::string& sql : {"DELETE FROM " + dialect_.WboTable(user) + " WHERE username = ?",
                                 std::string("DELETE FROM collection_stats WHERE userid = ?"),
                                 std::string("DELETE FROM collections WHERE userid = ?")}) {
    StatementScope statement(db_.Prepare(sql));
    statement->BindInt(0, user);
    statement->Step();
  }
  if (cache_marks_) {
    CacheMarks(db_).Remove(user);  // with the data: no cache entry of the user is current
  }
  transaction.Commit();
}

void SqlStorage::CheckHealth() {
  db_.TrimStatementCache();
  StatementScope query(db_.Prepare("SELECT count(*) FROM users WHERE id = 0"));
  query->Step();
}

}  // namespace weave
