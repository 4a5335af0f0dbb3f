// CachingStorage over SQLite with a real memcached and a real redis-server: two "workers"
// (each its own database connection and cache client) share one database and one cache,
// as the pre-forked workers of one node (or the nodes sharing a cache) do.
#include "storage/caching_storage.h"

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "cache/cache_url.h"
#include "cache_servers.h"
#include "core/metrics.h"
#include "db/make_connection.h"
#include "storage/sql_storage.h"
#include "test_support.h"

#if WITH_CACHE
#include "cache/memcached_cache.h"
#include "cache/redis_cache.h"

namespace weave {
namespace {

constexpr UserId kUser = 7;
constexpr int64_t kNowS = 1700000000;
const std::string kPrefix = "test:";

struct CacheServers {
  testing::MemcachedServer memcached;
  testing::RedisServer redis;
};

CacheServers& Servers() {
  static CacheServers servers;
  return servers;
}

std::unique_ptr<Cache> Client(const std::string& url) {
  const CacheServer server = ParseCacheUrl(url);
  if (server.kind == CacheServer::Kind::kRedis) {
    return std::make_unique<RedisCache>(server, 200);
  }
  return std::make_unique<MemcachedCache>(std::vector<CacheServer>{server}, 200);
}

// One worker: its own connection, storage, tokens and cache client.
struct Worker {
  Worker(const DatabaseConfig& database, const std::string& url)
      : connection(MakeConnection(database)),
        sql(*connection, true, nullptr, true),
        marks(*connection),
        cache(Client(url)),
        storage(sql, marks, *cache, kPrefix) {}

  std::unique_ptr<SqlConnection> connection;
  SqlStorage sql;
  CacheMarks marks;
  std::unique_ptr<Cache> cache;
  CachingStorage storage;
};

// A fresh database per case: its tokens are new, so no entry of an earlier case is current.
struct Setup {
  explicit Setup(const std::string& url_in) : url(url_in) {
    database.driver = "sqlite";
    database.sqlite.path = dir.File("weave.db");
    a = std::make_unique<Worker>(database, url);
    b = std::make_unique<Worker>(database, url);
  }

  testing::TempDir dir;
  std::string url;
  DatabaseConfig database;
  std::unique_ptr<Worker> a, b;
};

struct Target {
  std::string name;
  std::string url;
  testing::ServerProcess* process;
};

std::vector<Target> Targets() {
  CacheServers& s = Servers();
  return {{"memcached", s.memcached.Url(), &s.memcached.process},
          {"redis", s.redis.Url(), &s.redis.process}};
}

WriteResult Put(Storage& storage, std::string_view collection, std::string_view id,
                std::string_view payload, int64_t time_cs,
                std::optional<int64_t> ttl = std::nullopt) {
  ItemWrite item;
  item.id = id;
  item.payload = payload;
  item.ttl_seconds = ttl;
  WriteContext context;
  context.request_time_cs = time_cs;
  return storage.PutItems(kUser, collection, std::span(&item, 1), context);
}

std::string MetaGlobal(Storage& storage) {
  std::string payload = "(none)";
  storage.GetItem(kUser, "meta", "global", kNowS, [&payload](const ItemView& item) {
    payload = std::string(item.payload.value_or("(no payload)"));
  });
  return payload;
}

using Values = std::vector<std::pair<std::string, int64_t>>;

const std::string kCountsKey = kPrefix + "C:" + std::to_string(kUser);
const std::string kUsageKey = kPrefix + "U:" + std::to_string(kUser);

BOOST_AUTO_TEST_SUITE(caching_storage)

BOOST_AUTO_TEST_CASE(reads_its_writes_across_workers) {
  for (const Target& target : Targets()) {
    BOOST_TEST_CONTEXT(target.name) {
      Setup setup(target.url);
      Storage& a = setup.a->storage;
      Storage& b = setup.b->storage;
      BOOST_TEST(a.GetCollectionTimestamps(kUser).empty());
      BOOST_TEST(a.GetCollectionCounts(kUser, kNowS).empty());
      BOOST_TEST(MetaGlobal(a) == "(none)");
      const int64_t t1 = Put(b, "bookmarks", "x", "12345", kNowS * 100).timestamp_cs;
      BOOST_TEST((a.GetCollectionTimestamps(kUser) == Values{{"bookmarks", t1}}));
      BOOST_TEST((a.GetCollectionCounts(kUser, kNowS) == Values{{"bookmarks", 1}}));
      BOOST_TEST((a.GetCollectionUsage(kUser, kNowS) == Values{{"bookmarks", 5}}));
      BOOST_TEST(a.GetTotalUsage(kUser, kNowS) == 5);
      BOOST_TEST(a.GetCollectionTimestamp(kUser, "bookmarks").value_or(0) == t1);
      Put(b, "meta", "global", "{\"v\":1}", kNowS * 100 + 1);
      BOOST_TEST(MetaGlobal(a) == "{\"v\":1}");
      Put(a, "meta", "global", "{\"v\":2}", kNowS * 100 + 2);
      BOOST_TEST(MetaGlobal(b) == "{\"v\":2}");
      BOOST_TEST(MetaGlobal(a) == "{\"v\":2}");
      CollectionFilter all;
      WriteContext context;
      context.request_time_cs = kNowS * 100 + 3;
      b.DeleteItems(kUser, "bookmarks", all, context);
      BOOST_TEST(!a.GetCollectionTimestamp(kUser, "bookmarks").has_value());
      BOOST_TEST((a.GetCollectionCounts(kUser, kNowS) == Values{{"meta", 1}}));
      b.DeleteStorage(kUser);
      BOOST_TEST(a.GetCollectionTimestamps(kUser).empty());
      BOOST_TEST(MetaGlobal(a) == "(none)");
      BOOST_TEST(!setup.a->marks.Find(kUser).has_value());
    }
  }
}

// Served from the cache, the answers are the database's, item for item.
BOOST_AUTO_TEST_CASE(cached_answers_equal_the_database) {
  for (const Target& target : Targets()) {
    BOOST_TEST_CONTEXT(target.name) {
      Setup setup(target.url);
      Storage& a = setup.a->storage;
      SqlStorage& sql = setup.b->sql;
      Put(a, "tabs", "t1", "abc", kNowS * 100);
      Put(a, "my-things.2", "r1", "", kNowS * 100 + 5, 3600);
      Put(a, "meta", "global", "x\ty\n\"z\"", kNowS * 100 + 9);
      for (int round = 0; round < 2; ++round) {  // the first computes, the second hits
        BOOST_TEST(a.GetCollectionTimestamps(kUser) == sql.GetCollectionTimestamps(kUser));
        BOOST_TEST(a.GetCollectionCounts(kUser, kNowS) == sql.GetCollectionCounts(kUser, kNowS));
        BOOST_TEST(a.GetCollectionUsage(kUser, kNowS) == sql.GetCollectionUsage(kUser, kNowS));
        BOOST_TEST(a.GetTotalUsage(kUser, kNowS) == sql.GetTotalUsage(kUser, kNowS));
        BOOST_TEST(MetaGlobal(a) == MetaGlobal(sql));
        int64_t modified = 0;
        a.GetItem(kUser, "meta", "global", kNowS,
                  [&modified](const ItemView& item) { modified = item.modified_cs; });
        BOOST_TEST(modified == kNowS * 100 + 9);
      }
    }
  }
}

// Counts and usage depend on time: an entry is not used past the first expiry among the
// user's records, though nobody wrote.
BOOST_AUTO_TEST_CASE(entries_end_at_the_next_expiry) {
  for (const Target& target : Targets()) {
    BOOST_TEST_CONTEXT(target.name) {
      Setup setup(target.url);
      Storage& a = setup.a->storage;
      Put(a, "forms", "short", "aa", kNowS * 100, 10);
      Put(a, "forms", "long", "bbbb", kNowS * 100 + 1);
      BOOST_TEST((a.GetCollectionCounts(kUser, kNowS) == Values{{"forms", 2}}));
      BOOST_TEST(a.GetTotalUsage(kUser, kNowS) == 6);
      BOOST_TEST((a.GetCollectionCounts(kUser, kNowS + 9) == Values{{"forms", 2}}));
      BOOST_TEST((a.GetCollectionCounts(kUser, kNowS + 10) == Values{{"forms", 1}}));
      BOOST_TEST(a.GetTotalUsage(kUser, kNowS + 10) == 4);
    }
  }
}

// The cache is frozen during a write, then comes back with its old entries. The write
// replaced the user's token in the database without the cache: the old entries are never
// served.
BOOST_AUTO_TEST_CASE(a_write_the_cache_missed_is_never_served) {
  for (const Target& target : Targets()) {
    BOOST_TEST_CONTEXT(target.name) {
      Setup setup(target.url);
      Storage& a = setup.a->storage;
      Storage& b = setup.b->storage;
      const int64_t t1 = Put(a, "history", "h1", "p", kNowS * 100).timestamp_cs;
      Put(a, "meta", "global", "old", kNowS * 100 + 1);
      BOOST_TEST((a.GetCollectionTimestamps(kUser) == Values{{"history", t1}, {"meta", t1 + 1}}));
      BOOST_TEST(MetaGlobal(a) == "old");
      BOOST_TEST(a.GetTotalUsage(kUser, kNowS) == 4);
      const auto token = setup.a->marks.Find(kUser);
      target.process->Freeze();
      const int64_t t2 = Put(b, "history", "h2", "pp", kNowS * 100 + 2).timestamp_cs;
      Put(b, "meta", "global", "new", kNowS * 100 + 3);
      target.process->Thaw();
      BOOST_TEST((setup.a->marks.Find(kUser) != token));
      BOOST_TEST((a.GetCollectionTimestamps(kUser) == Values{{"history", t2}, {"meta", t2 + 1}}));
      BOOST_TEST(MetaGlobal(a) == "new");
      BOOST_TEST(a.GetTotalUsage(kUser, kNowS) == 6);
      BOOST_TEST(MetaGlobal(b) == "new");
    }
  }
}

// A network split: the cache is gone during the write, and comes back holding exactly what
// it held before the write.
BOOST_AUTO_TEST_CASE(a_cache_back_with_its_old_entries_is_not_trusted) {
  for (const Target& target : Targets()) {
    BOOST_TEST_CONTEXT(target.name) {
      Setup setup(target.url);
      Storage& a = setup.a->storage;
      Put(a, "tabs", "t", "old", kNowS * 100);
      BOOST_TEST((a.GetCollectionUsage(kUser, kNowS) == Values{{"tabs", 3}}));
      BOOST_TEST((a.GetCollectionUsage(kUser, kNowS) == Values{{"tabs", 3}}));  // a hit
      const std::vector<std::string> keys = {kUsageKey};
      const auto before = setup.a->cache->GetMany(keys);
      BOOST_TEST_REQUIRE(before[0].has_value());
      target.process->Kill();
      Put(setup.b->storage, "tabs", "t", "newer", kNowS * 100 + 1);
      target.process->Start();
      auto raw = Client(target.url);
      for (size_t i = 0; i < keys.size(); ++i) {
        raw->Set(keys[i], *before[i], 60);
      }
      for (int attempt = 0; attempt < 20; ++attempt) {
        BOOST_TEST((a.GetCollectionUsage(kUser, kNowS) == Values{{"tabs", 5}}));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }
}

// Entries evicted, the cache restarted empty, an old entry put back, an entry garbled: the
// answers stay the database's. An entry is current by its token alone.
BOOST_AUTO_TEST_CASE(entries_lost_or_changed_behind_the_servers_back) {
  for (const Target& target : Targets()) {
    BOOST_TEST_CONTEXT(target.name) {
      Setup setup(target.url);
      Storage& a = setup.a->storage;
      Cache& raw = *setup.b->cache;
      Put(a, "prefs", "p", "1", kNowS * 100);
      BOOST_TEST((a.GetCollectionCounts(kUser, kNowS) == Values{{"prefs", 1}}));
      const std::string old_entry = raw.Get(kCountsKey).value_or("");
      BOOST_TEST(!old_entry.empty());
      Put(setup.b->storage, "prefs", "q", "2", kNowS * 100 + 1);
      raw.Set(kCountsKey, old_entry, 60);  // an old entry returns
      BOOST_TEST((a.GetCollectionCounts(kUser, kNowS) == Values{{"prefs", 2}}));
      raw.Delete(kCountsKey);  // evicted
      BOOST_TEST((a.GetCollectionCounts(kUser, kNowS) == Values{{"prefs", 2}}));
      const std::string token = std::to_string(setup.a->marks.Find(kUser).value_or(0));
      raw.Set(kCountsKey, token + " 9999999999\nprefs\tgarbage\n", 60);
      BOOST_TEST((a.GetCollectionCounts(kUser, kNowS) == Values{{"prefs", 2}}));
      raw.Set(kCountsKey, token + " 9999999999\nprefs\t42\n", 60);  // well-formed, current
      BOOST_TEST((a.GetCollectionCounts(kUser, kNowS) == Values{{"prefs", 42}}));  // trusted
      target.process->Restart();
      Put(setup.b->storage, "prefs", "r", "3", kNowS * 100 + 2);
      BOOST_TEST((a.GetCollectionCounts(kUser, kNowS) == Values{{"prefs", 3}}));
    }
  }
}

// With the cache dead, every call still answers from the database, and writes give the
// user new tokens all the same; a refused write (412) leaves the token alone.
BOOST_AUTO_TEST_CASE(a_dead_cache_never_fails_a_call) {
  for (const Target& target : Targets()) {
    BOOST_TEST_CONTEXT(target.name) {
      Setup setup(target.url);
      Storage& a = setup.a->storage;
      target.process->Kill();
      const int64_t t1 = Put(a, "clients", "c", "x", kNowS * 100).timestamp_cs;
      BOOST_TEST((a.GetCollectionTimestamps(kUser) == Values{{"clients", t1}}));
      BOOST_TEST((setup.b->storage.GetCollectionCounts(kUser, kNowS) == Values{{"clients", 1}}));
      BOOST_TEST(MetaGlobal(a) == "(none)");
      const std::optional<int64_t> token = setup.a->marks.Find(kUser);
      BOOST_TEST(token.has_value());
      target.process->Start();
      for (int attempt = 0; attempt < 5; ++attempt) {
        BOOST_TEST((a.GetCollectionCounts(kUser, kNowS) == Values{{"clients", 1}}));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      ItemWrite item;
      item.id = "c";
      item.payload = "y";
      WriteContext stale;
      stale.request_time_cs = kNowS * 100 + 5;
      stale.if_unmodified_since_cs = t1 - 1;
      const WriteResult refused = a.PutItems(kUser, "clients", std::span(&item, 1), stale);
      BOOST_TEST((refused.status == WriteStatus::kModifiedSince));
      BOOST_TEST((setup.a->marks.Find(kUser) == token));
    }
  }
}

// A request's read snapshot starts at its first read (SQLite). A write committed after
// that is not in the request's answers, nor under its token: the entry the request stores
// carries the token of its snapshot, and the next request, which sees the write's token,
// does not take it.
BOOST_AUTO_TEST_CASE(an_entry_carries_the_token_of_the_snapshot_it_was_computed_from) {
  for (const Target& target : Targets()) {
    BOOST_TEST_CONTEXT(target.name) {
      Setup setup(target.url);
      Worker& a = *setup.a;
      Put(setup.b->storage, "history", "h1", "1", kNowS * 100);
      {
        const RequestScope request(*a.connection);
        a.sql.GetCollectionCounts(kUser, kNowS);  // the request's first read: its snapshot
        Put(setup.b->storage, "history", "h2", "2", kNowS * 100 + 1);
        BOOST_TEST((a.storage.GetCollectionCounts(kUser, kNowS) == Values{{"history", 1}}));
      }
      const RequestScope next(*a.connection);
      BOOST_TEST((a.storage.GetCollectionCounts(kUser, kNowS) == Values{{"history", 2}}));
    }
  }
}

// info/collections and meta/global are read from the database, which keeps them as cheaply
// as the token that would guard an entry: no entry, no token read, no cache traffic.
BOOST_AUTO_TEST_CASE(collections_and_meta_global_come_from_the_database) {
  for (const Target& target : Targets()) {
    BOOST_TEST_CONTEXT(target.name) {
      Setup setup(target.url);
      MetricsTable table;
      InstallMetrics(&table, nullptr);
      Storage& a = setup.a->storage;
      const int64_t t1 = Put(a, "forms", "f", "aa", kNowS * 100).timestamp_cs;
      Put(a, "meta", "global", "g1", kNowS * 100 + 1, 30);
      for (int round = 0; round < 2; ++round) {
        BOOST_TEST((a.GetCollectionTimestamps(kUser) == Values{{"forms", t1}, {"meta", t1 + 1}}));
        BOOST_TEST(a.GetCollectionTimestamp(kUser, "forms").value_or(0) == t1);
        BOOST_TEST(MetaGlobal(a) == "g1");
      }
      BOOST_TEST(!a.GetItem(kUser, "meta", "global", kNowS + 30, [](const ItemView&) {}));
      BOOST_TEST(table.EventTotal(MetricEvent::kCacheHit) == 0U);
      BOOST_TEST(table.EventTotal(MetricEvent::kCacheMiss) == 0U);
      for (const char* kind : {"T:", "M:"}) {
        BOOST_TEST(!setup.b->cache->Get(kPrefix + kind + std::to_string(kUser)).has_value());
      }
      InstallMetrics(nullptr, nullptr);
    }
  }
}

// Metrics: a first read computes (a miss), the same read again comes from the cache (a hit),
// a read after a write computes again. A user without a token (no write since the cache
// came in, or since a wipe) is always answered from the database.
BOOST_AUTO_TEST_CASE(counts_cache_hits_and_misses) {
  for (const Target& target : Targets()) {
    BOOST_TEST_CONTEXT(target.name) {
      Setup setup(target.url);
      MetricsTable table;
      InstallMetrics(&table, nullptr);
      Storage& a = setup.a->storage;
      Put(setup.b->sql, "bookmarks", "x", "0", kNowS * 100);  // behind the cache: no token
      a.GetCollectionCounts(kUser, kNowS);
      a.GetCollectionCounts(kUser, kNowS);
      BOOST_TEST(table.EventTotal(MetricEvent::kCacheMiss) == 2U);
      BOOST_TEST(table.EventTotal(MetricEvent::kCacheHit) == 0U);
      Put(setup.b->storage, "bookmarks", "x", "1", kNowS * 100 + 1);
      a.GetCollectionCounts(kUser, kNowS);
      BOOST_TEST(table.EventTotal(MetricEvent::kCacheMiss) == 3U);
      a.GetCollectionCounts(kUser, kNowS);
      BOOST_TEST(table.EventTotal(MetricEvent::kCacheHit) == 1U);
      Put(setup.b->storage, "bookmarks", "x", "2", kNowS * 100 + 2);
      a.GetCollectionCounts(kUser, kNowS);
      BOOST_TEST(table.EventTotal(MetricEvent::kCacheMiss) == 4U);
      BOOST_TEST(table.EventTotal(MetricEvent::kCacheHit) == 1U);
      setup.b->storage.DeleteStorage(kUser);
      BOOST_TEST(a.GetCollectionCounts(kUser, kNowS).empty());
      BOOST_TEST(a.GetCollectionCounts(kUser, kNowS).empty());
      BOOST_TEST(table.EventTotal(MetricEvent::kCacheMiss) == 6U);
      BOOST_TEST(table.EventTotal(MetricEvent::kCacheHit) == 1U);
      BOOST_TEST(table.EventTotal(MetricEvent::kCacheError) == 0U);
      InstallMetrics(nullptr, nullptr);
    }
  }
}

// Every write gives a new token, a wipe removes it: in the database, with the data.
BOOST_AUTO_TEST_CASE(tokens_are_new_with_each_write_and_go_with_a_wipe) {
  testing::TempDir dir;
  DatabaseConfig database;
  database.sqlite.path = dir.File("weave.db");
  auto connection = MakeConnection(database);
  CacheMarks marks(*connection);
  const int64_t first = marks.Renew(kUser);
  const int64_t second = marks.Renew(kUser);
  BOOST_TEST(first != second);
  BOOST_TEST(marks.Find(kUser).value_or(0) == second);
  SqlStorage marking(*connection, true, nullptr, true);
  marking.DeleteStorage(kUser);
  BOOST_TEST(!marks.Find(kUser).has_value());
  marks.Renew(kUser);
  SqlStorage plain(*connection);  // without a cache: the wipe leaves the table alone
  plain.DeleteStorage(kUser);
  BOOST_TEST(marks.Find(kUser).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace weave

#endif  // WITH_CACHE
