// Storage with a shared cache (memcached or Redis) in front of the database, for what is
// dearest to compute: info/collection_counts, info/collection_usage and info/quota (the
// per-collection totals less the records that expired and are not purged yet). Everything
// else goes to the database as before, info/collections and meta/global too, though
// Mozilla's servers cached both: here the database keeps the collections' timestamps in
// collection_stats, so each is one primary-key read that carries the request's login, as
// the token's read that would guard an entry does; an entry would only add a round trip
// to the cache (measured in bench/RESULTS.md: 21 % more requests a second without them).
//
// How a cached entry is known to be current, on any worker of any node:
// - Each user has a version in the database (storage/cache_marks.h): a random token that
//   every write of the user's data replaces in its own transaction, so it is exactly as
//   durable as the data and changes atomically with them. Every cache entry carries the
//   token it was computed under and is used only while that is still the user's token.
// - A cached read first reads the token from the database, then the entry from the cache;
//   an entry it computes is read from the database after the token, so it holds at least
//   the data of that token's write (a newer write has a new token: the entry is never used
//   again). A client's next read after its write reads the new token: read your writes.
// - Tokens are random, never counters: a cache that restarted, evicted, came back from a
//   freeze or a network split with entries from before a write, or an entry put back,
//   cannot hold the new token a write set after them. Writes do not touch the cache at all,
//   so a cache that is down or slow changes nothing for them.
// - A user without a token (nobody wrote since the cache came in, or since a wipe, which
//   removes it) is answered from the database; the next write gives them one.
// - Entries also carry when they stop being true and are not used past it: the earliest
//   expiry among the user's records.
// The cost of this: one primary-key read in the database per cached read (the token), and
// one more statement per write (the new token, in the write's transaction). The token's
// read carries the request's login when one waits (storage/cache_marks.h): a read the
// cache answers is then one statement in all, the login's. Any cache failure is logged and
// answered from the database; the request never fails because of the cache.
//
// Another storage writing the same database must replace the token with each write too
// (SqlStorage does with WriteContext::renew_cache_token, and in a wipe when built with
// cache_marks; weave-admin import marks the users it imports).
// The cache must not outlive its database: a database restored from a backup or replaced
// while the cache keeps its entries needs a flush of the cache (or a new cache.prefix).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "cache/cache.h"
#include "storage/cache_marks.h"
#include "storage/storage.h"

namespace weave {

class CachingStorage final : public Storage {
 public:
  // Borrows every argument; they must outlive this object. `marks` lives in the database
  // `inner` writes to, and `inner` removes the user's token in DeleteStorage's transaction
  // (SqlStorage built with cache_marks). `prefix` starts every key.
  CachingStorage(Storage& inner, CacheMarks& marks, Cache& cache, std::string prefix)
      : inner_(inner), marks_(marks), cache_(cache), prefix_(std::move(prefix)) {}

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

  // Entry lifetime in the cache: entries of idle users go away.
  static constexpr int kEntryTtlSeconds = 86400;

 private:
  // An entry's text as computed from the database, and until when (seconds) it holds.
  struct Computed {
    std::string text;
    int64_t valid_until_s = 0;
  };
  // The entry of `kind` for the user: from the cache when it is current, otherwise
  // computed (and stored for the next reader when the cache works).
  std::string Cached(UserId user, char kind, int64_t now_s,
                     const std::function<Computed()>& compute);
  // When the user's time-dependent entries stop being true.
  int64_t ValidUntil(UserId user, int64_t now_s);
  std::string Key(char kind, UserId user) const;

  Storage& inner_;
  CacheMarks& marks_;
  Cache& cache_;
  const std::string prefix_;
};

}  // namespace weave
