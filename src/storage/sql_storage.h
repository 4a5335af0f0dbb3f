// Storage over any SqlConnection: the Weave storage semantics, written once. Each write is
// one transaction, run again when the database aborts it over a lock conflict (deadlock,
// lock wait timeout; see db/conflict_retry.h).
#pragma once

#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "auth/login_rider.h"
#include "db/sql_connection.h"
#include "db/sql_dialect.h"
#include "storage/storage.h"

namespace weave {

class SqlStorage final : public Storage {
 public:
  // Borrows the connection, which must outlive this object. users_can_move: writes check
  // for a move under way (one more statement each); a server that is not a storage node
  // (no server.node_url) has no user moved away from it and saves that statement.
  // riders: the worker's logins waiting for a statement to carry their reads (see
  // auth/login_rider.h); the first read of a request carries its login when it can.
  // cache_marks: a shared cache's entries are checked against the users' tokens in this
  // database (storage/caching_storage.h): a wipe removes the user's token with the data.
  explicit SqlStorage(SqlConnection& connection, bool users_can_move = true,
                      LoginRiders* riders = nullptr, bool cache_marks = false)
      : db_(connection),
        dialect_(connection.Dialect()),
        users_can_move_(users_can_move),
        riders_(riders),
        cache_marks_(cache_marks) {}

  std::vector<std::pair<std::string, int64_t>> GetCollectionTimestamps(UserId user) override;
  std::vector<std::pair<std::string, int64_t>> GetCollectionCounts(UserId user,
                                                                   int64_t now_s) override;
  std::vector<std::pair<std::string, int64_t>> GetCollectionUsage(UserId user,
                                                                  int64_t now_s) override;
  int64_t GetTotalUsage(UserId user, int64_t now_s) override;
  std::optional<int64_t> NextExpiry(UserId user, int64_t now_s) override;
  std::optional<int64_t> GetCollectionTimestamp(UserId user, std::string_view collection) override;
  bool GetItem(UserId user, std::string_view collection, std::string_view id, int64_t now_s,
               const ItemVisitor& visit) override;
  int64_t GetItems(UserId user, std::string_view collection, const CollectionFilter& filter,
                   bool full, int64_t now_s, const ItemVisitor& visit) override;
  WriteResult PutItems(UserId user, std::string_view collection, std::span<const ItemWrite> items,
                       const WriteContext& context) override;
  WriteResult DeleteItems(UserId user, std::string_view collection, const CollectionFilter& filter,
                          const WriteContext& context) override;
  void DeleteStorage(UserId user) override;
  void CheckHealth() override;

 private:
  std::optional<int> FindCollectionId(UserId user, std::string_view name);
  int FindOrCreateCollectionId(UserId user, std::string_view name);
  // "SELECT <columns> FROM <tables> WHERE <conditions><tail>" (column_count columns; just
  // "SELECT <columns>" without tables), its parameters bound by bind from the index it is
  // given (it returns the next free one) and each row visited. With may_carry, a waiting
  // login's reads ride in the same statement (LoginRider::Statement: the first column must
  // never be NULL in a row, and no column may hold a parameter); a read with a tail (order,
  // limit) or without tables does not carry.
  struct Read {
    std::string columns;
    int column_count = 0;
    std::string tables;
    std::string conditions;
    std::string tail;
  };
  using ReadBinder = std::function<int(SqlStatement&, int first)>;
  void RunRead(const Read& read, const ReadBinder& bind, bool may_carry,
               const std::function<void(SqlStatement&)>& visit_row);
  std::vector<std::pair<std::string, int64_t>> NamedRows(const Read& read, const ReadBinder& bind);
  // Per collection with unexpired records: its stats row's `stat` (item_count or
  // payload_bytes, which count every stored record) less `expired` (count(*) or
  // sum(payload_size)) over its records expired by now_s and not purged yet.
  std::vector<std::pair<std::string, int64_t>> PerCollection(UserId user, const char* stat,
                                                             const char* expired, int64_t now_s);
  // The ids a write names, for its one change of the collection's stats row.
  struct WrittenIds {
    std::vector<std::string_view> all;           // each id once
    std::vector<std::string_view> with_payload;  // those the write gives a payload
    int64_t payload_bytes = 0;  // what those end with (the last payload each is given)
  };
  static WrittenIds TallyIds(std::span<const ItemWrite> items);
  // What a write reads before it changes anything.
  struct CollectionState {
    int64_t last_change_cs = 0;  // collection_stats.modified (0: no row yet)
    bool has_items = false;
    int64_t usage_bytes = 0;      // the user's stored usage, when asked for
    int64_t stored_ids = 0;       // how many of the written ids are stored (expired too)
    int64_t stored_id_bytes = 0;  // the payload bytes stored under written.with_payload
  };
  // Reads the collection's stats row, locked until the commit where the dialect locks rows,
  // with want_usage the user's stored usage, and with written what is stored under those
  // ids: one statement. Where the dialect locks rows and the row is missing, throws
  // CollectionRowMissing (the caller's transaction then rolls back, which ends the gap lock
  // the read took; see WithCollectionRow).
  CollectionState LockCollection(UserId user, int collection_id, bool want_usage,
                                 const WrittenIds* written = nullptr);
  // Runs write (a whole write transaction) and, when it found its collection's stats row
  // missing, creates the row outside any transaction and runs write again.
  template <typename Write>
  auto WithCollectionRow(Write&& write) -> decltype(write());
  void CreateCollectionRow(UserId user, int collection_id);
  // Decides 412 and the write's timestamp.
  static std::optional<WriteResult> CheckPrecondition(const CollectionState& state,
                                                      const WriteContext& context,
                                                      int64_t* timestamp_cs);
  // Throws UserFrozen while the user is being moved away (inside a write transaction, so a
  // move that freezes the user waits for writes under way, and sees them).
  void RefuseIfFrozen(UserId user);
  int64_t StoredUsageBytes(UserId user);
  // Sets *purged_collection when purging expired records changed collection_id's records.
  bool IsOverQuota(UserId user, int collection_id, const WriteContext& context,
                   int64_t stored_usage_bytes, bool* purged_collection);
  // The usage to report after a write: upper_bound when that stays below
  // context.exact_usage_from_bytes, else read.
  int64_t UsageAfter(UserId user, const WriteContext& context, int64_t upper_bound);
  // Writes items with timestamp_cs in one upsert statement.
  void UpsertItems(UserId user, int collection_id, std::span<const ItemWrite> items,
                   int64_t timestamp_cs, int64_t now_s);
  // One run of each write transaction.
  WriteResult PutItemsOnce(UserId user, std::string_view collection,
                           std::span<const ItemWrite> items, const WriteContext& context);
  WriteResult DeleteItemsOnce(UserId user, std::string_view collection,
                              const CollectionFilter& filter, const WriteContext& context);
  void DeleteStorageOnce(UserId user);

  SqlConnection& db_;
  const SqlDialect& dialect_;
  bool users_can_move_;
  LoginRiders* riders_;
  bool cache_marks_;
};

}  // namespace weave
