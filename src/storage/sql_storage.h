// Storage over any SqlConnection: the Weave storage semantics, written once. Each write is
// one transaction, run again when the database aborts it over a lock conflict (deadlock,
// lock wait timeout; see db/conflict_retry.h).
#pragma once

#include "db/sql_connection.h"
#include "db/sql_dialect.h"
#include "storage/storage.h"

namespace weave {

class SqlStorage final : public Storage {
 public:
  // Borrows the connection, which must outlive this object.
  explicit SqlStorage(SqlConnection& connection)
      : db_(connection), dialect_(connection.Dialect()) {}

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
  std::vector<std::pair<std::string, int64_t>> NamedRows(UserId user, const std::string& sql,
                                                         std::optional<int64_t> now_s);
  // Counts or sums per collection over the user's unexpired records.
  std::vector<std::pair<std::string, int64_t>> PerCollection(UserId user, const char* aggregate,
                                                             int64_t now_s);
  // Reads the collection's last change; decides 412 and the write's timestamp.
  std::optional<WriteResult> CheckPrecondition(UserId user, int collection_id,
                                               const WriteContext& context, int64_t* timestamp_cs);
  int64_t StoredUsageBytes(UserId user);
  bool IsOverQuota(UserId user, const WriteContext& context);
  void StampCollection(UserId user, int collection_id, int64_t timestamp_cs);
  // One run of each write transaction.
  WriteResult PutItemsOnce(UserId user, std::string_view collection,
                           std::span<const ItemWrite> items, const WriteContext& context);
  WriteResult DeleteItemsOnce(UserId user, std::string_view collection,
                              const CollectionFilter& filter, const WriteContext& context);
  void DeleteStorageOnce(UserId user);

  SqlConnection& db_;
  const SqlDialect& dialect_;
};

}  // namespace weave
