// The tabs collection held only in the shared cache, never in the database, as Mozilla's
// Python server could (cache.tabs_only_in_cache): clients rewrite their open tabs at every
// sync, and losing them costs nothing lasting, so the cache spares the database those writes.
//
// Each user's whole tabs collection is one cache value (storage/tabs_value.h); every other
// collection goes to the storage behind. The trade-offs:
// - A cache that restarts, evicts the value or loses it in a flush loses the user's tabs:
//   the collection is then empty (clients upload their tabs again at their next sync).
//   An idle user's value goes after kEntryTtlSeconds without a write.
// - A cache that is down or slower than its timeout makes every tabs request fail with
//   TabsUnavailable (503 with Retry-After): there is no other copy to answer from. The
//   other collections answer from the database as before; info/collections, counts, usage
//   and quota then leave tabs out rather than fail.
// - Writes never lose each other's records: a write reads the value, changes it, and
//   stores it only if nobody stored another in between (compare and swap), else starts
//   again, kMaxAttempts times at most, then fails with TabsUnavailable.
// - Reads and writes have the database's semantics (filters, order, limits, ttl,
//   X-If-Unmodified-Since, timestamps that never go backwards, quota). A value that would
//   pass kMaxValueBytes (memcached keeps at most 1 MiB per key) is refused with 400 and
//   Weave code 17 (size limit exceeded).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "cache/cache.h"
#include "core/errors.h"
#include "storage/storage.h"
#include "storage/tabs_value.h"

namespace weave {

// The cache failed while a request needed the tabs it holds: a 503 like any back-end
// failure, while the other collections keep working.
class TabsUnavailable : public BackendError {
 public:
  using BackendError::BackendError;
};

class CachedTabsStorage final : public Storage {
 public:
  static constexpr std::string_view kCollection = "tabs";
  // memcached's longest relative lifetime; renewed by every write.
  static constexpr int kEntryTtlSeconds = 30 * 86400;
  static constexpr size_t kMaxValueBytes = 1000000;
  static constexpr int kMaxAttempts = 8;

  // Borrows inner and cache, which must outlive this object; `prefix` starts the key.
  // `collection` is the one kept in the cache: tabs, except in tests that run the storage
  // contract over the cache path with the collections those tests use.
  CachedTabsStorage(Storage& inner, Cache& cache, std::string prefix,
                    std::string collection = std::string(kCollection))
      : inner_(inner),
        cache_(cache),
        prefix_(std::move(prefix)),
        collection_(std::move(collection)) {}

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
  // Deletes the user's records in the database, then the tabs; throws TabsUnavailable
  // (after the database part) when the cache cannot remove them.
  void DeleteStorage(UserId user) override;
  void CheckHealth() override;

  // The cache key of the user's tabs.
  std::string Key(UserId user) const;

 private:
  // The user's tabs as stored, and the text they were read from (nullopt: no value).
  struct Stored {
    TabsValue value;
    std::optional<std::string> text;
  };
  // A change to the tabs: returns the write's result; sets *changed when the value must be
  // stored. Run again from scratch when another write got in first.
  using Change = std::function<WriteResult(TabsValue& value, bool* changed)>;

  // Throws TabsUnavailable when the cache fails.
  Stored Load(UserId user);
  // nullopt (logged and counted) when the cache fails: for the answers that cover every
  // collection, which then leave tabs out.
  std::optional<TabsValue> TryLoad(UserId user);
  WriteResult Modify(UserId user, const Change& change);
  // The usage of every collection but tabs (tabs rows the database may still hold from
  // before cache.tabs_only_in_cache are not the collection any more).
  int64_t OtherUsage(UserId user, int64_t now_s);
  // For a write to another collection: the quota left once the tabs are counted.
  WriteContext WithoutTabsUsage(UserId user, const WriteContext& context, int64_t* tabs_bytes);

  Storage& inner_;
  Cache& cache_;
  const std::string prefix_;
  const std::string collection_;
};

}  // namespace weave
