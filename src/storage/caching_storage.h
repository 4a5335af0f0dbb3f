// Storage with a shared cache (memcached or Redis) in front of the database, for what
// clients read most and what is dearest to compute: info/collections (and each
// collection's timestamp), info/collection_counts, info/collection_usage and info/quota,
// and the meta/global record. Everything else goes to the database as before.
//
// How a cached entry is known to be current, on any worker of any node:
// - Each user has a generation key in the cache holding a random value. Every entry of
//   the user carries the generation it was computed under, and is used only while the
//   generation key still holds that value. A write, after its commit and before its
//   answer, sets a new random generation: every older entry is then out of date at once,
//   wherever it is stored, and the next read recomputes it from the database (read your
//   writes). A reader reads the generation before the database, so an entry computed from
//   data older than a write carries a generation that write has replaced. (The database
//   read starts a fresh snapshot after the generation is read: see fresh_reads below.)
// - Generations are random, never counters: a cache that restarted, or evicted the key,
//   cannot hand out a generation an old entry still carries.
// - Entries that depend on time (counts, usage, records with a ttl) also carry the
//   earliest expiry among the user's records and are not used past it.
// - A write that cannot replace the generation (cache down, slow, or an answer lost in a
//   network split: its effect is unknown) leaves a mark for the user in the database
//   (table cache_dirty), written in the write's own transaction, so it is as durable as
//   the data. Every cached read first looks for the user's mark; while there is one the
//   cache is not used for that user. The next request that manages to set a new
//   generation removes the mark (only the mark it saw: a mark renewed by a later write
//   stays). So a cache that comes back with entries from before a write never serves them.
// - A write marks before it commits and clears after the new generation is set, so a
//   worker killed in between leaves the mark behind: the cache stays unused for that user
//   until the next request repairs it.
// The cost of this: one primary-key read in the database per cached read (the mark), and
// two extra statements per write (the mark and its removal). The mark's read carries the
// request's login when one waits (storage/cache_marks.h): a read the cache answers is then
// one statement in all, the login's, read before the generation as every mark is. Any cache failure
// is logged and answered from the database; the request never fails because of the cache.
//
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
  // `inner` writes to. `prefix` starts every key. `fresh_reads` makes the next read of
  // `inner` see every commit made so far (SQLite keeps one read snapshot per request, from
  // its first read: an entry computed from it after the generation was read could miss a
  // write whose new generation it then carries); empty when reads are never older.
  CachingStorage(Storage& inner, CacheMarks& marks, Cache& cache, std::string prefix,
                 std::function<void()> fresh_reads = {})
      : inner_(inner),
        marks_(marks),
        cache_(cache),
        prefix_(std::move(prefix)),
        fresh_reads_(std::move(fresh_reads)) {}

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

  // Entry lifetime in the cache (the generation's too): entries of idle users go away.
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
  // Whether the cache may be used for the user now: no mark, or a mark just repaired.
  bool Trusted(UserId user);
  // Sets a new generation; then removes the mark with this token, if any. False if the
  // cache failed (the mark stays).
  bool Renew(UserId user, std::optional<int64_t> mark);
  // When the user's time-dependent entries stop being true.
  int64_t ValidUntil(UserId user, int64_t now_s);
  std::string Key(char kind, UserId user) const;

  Storage& inner_;
  CacheMarks& marks_;
  Cache& cache_;
  const std::string prefix_;
  const std::function<void()> fresh_reads_;
};

}  // namespace weave
