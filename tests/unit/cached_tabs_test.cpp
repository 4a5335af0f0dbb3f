// The tabs collection kept only in the cache (storage/cached_tabs.h), with a real memcached
// and a real redis-server: writers on two "workers" that never lose each other's records, a
// cache that fails (tabs fail, the rest answers), the wipe, the quota, the size limit, and
// the value's text form. The Weave semantics of reads and writes are checked by the storage
// contract (storage_contract_test.cpp runs it over cached_tabs_backend.h).
#include "storage/cached_tabs.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "cache/cache_url.h"
#include "cache_servers.h"
#include "core/config_loader.h"
#include "core/crypto.h"
#include "db/make_connection.h"
#include "storage/sql_storage.h"
#include "storage/tabs_value.h"
#include "test_support.h"

#if WITH_CACHE
#include "cache/memcached_cache.h"
#include "cache/redis_cache.h"
#endif

namespace weave {
namespace {

constexpr UserId kUser = 11;
constexpr int64_t kNowS = 1700000000;
constexpr int64_t kT0 = kNowS * 100;

using Values = std::vector<std::pair<std::string, int64_t>>;

ItemWrite Tab(std::string_view id, std::string_view payload) {
  ItemWrite write;
  write.id = id;
  write.payload = payload;
  return write;
}

WriteContext At(int64_t time_cs, std::optional<int64_t> since = std::nullopt,
                int64_t quota_bytes = 0) {
  WriteContext context;
  context.request_time_cs = time_cs;
  context.if_unmodified_since_cs = since;
  context.quota_bytes = quota_bytes;
  return context;
}

WriteResult Put(Storage& storage, std::string_view collection, std::vector<ItemWrite> items,
                const WriteContext& context) {
  return storage.PutItems(kUser, collection, items, context);
}

std::vector<std::string> Ids(Storage& storage, std::string_view collection, int64_t now_s = kNowS) {
  std::vector<std::string> ids;
  storage.GetItems(kUser, collection, CollectionFilter{}, false, now_s,
                   [&ids](const ItemView& item) { ids.emplace_back(item.id); });
  return ids;
}

BOOST_AUTO_TEST_SUITE(tabs_value)

BOOST_AUTO_TEST_CASE(text_form_round_trips_every_field) {
  TabsValue value;
  std::vector<ItemWrite> writes{Tab("b", "two\n+3:x;-"), Tab("a", "")};
  writes[0].sortindex = -7;
  writes[0].parentid = "p";
  writes[1].ttl_seconds = 60;
  writes[1].predecessorid = "q";
  value.Upsert(writes, kT0, kNowS);
  const std::optional<TabsValue> back = TabsValue::Decode(value.Encode());
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(back->Encode() == value.Encode());
  BOOST_TEST(back->LastChange() == kT0);
  const TabRecord* b = back->Find("b", kNowS);
  BOOST_REQUIRE(b != nullptr);
  BOOST_TEST(*b->payload == "two\n+3:x;-");
  BOOST_TEST(*b->sortindex == -7);
  BOOST_TEST(*b->parentid == "p");
  BOOST_TEST(!b->predecessorid.has_value());
  BOOST_TEST(b->expiry_s == kNoExpiry);
  const TabRecord* a = back->Find("a", kNowS);
  BOOST_REQUIRE(a != nullptr);
  BOOST_TEST(a->expiry_s == kNowS + 60);
  BOOST_TEST(*a->predecessorid == "q");
  BOOST_TEST(back->Find("a", kNowS + 60) == nullptr);
}

// A value changed behind the server's back (or by another program) is never read as tabs.
BOOST_AUTO_TEST_CASE(text_not_written_by_encode_is_refused) {
  TabsValue value;
  value.Upsert(std::vector<ItemWrite>{Tab("a", "xyz")}, kT0, kNowS);
  const std::string good = value.Encode();
  BOOST_TEST(TabsValue::Decode(good).has_value());
  for (const std::string& bad :
       {std::string(), std::string("garbage"), good.substr(0, good.size() - 1), good + "x",
        std::string("weave-tabs 1\n5;1;"), std::string("weave-tabs 1\n5;99999999999;"),
        std::string("weave-tabs 1\n5;2;+1:b1;-") + std::to_string(kNoExpiry) + ";---+1:a1;-" +
            std::to_string(kNoExpiry) + ";---",  // ids out of order
        std::string("weave-tabs 1\n5;1;+9:a1;-1;---")}) {
    BOOST_TEST_CONTEXT(bad) {
      BOOST_TEST(!TabsValue::Decode(bad).has_value());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

#if WITH_CACHE

struct Servers {
  testing::MemcachedServer memcached;
  testing::RedisServer redis;
};

Servers& SharedServers() {
  static Servers servers;
  return servers;
}

std::unique_ptr<Cache> Client(const std::string& url) {
  const CacheServer server = ParseCacheUrl(url);
  if (server.kind == CacheServer::Kind::kRedis) {
    return std::make_unique<RedisCache>(server, 300);
  }
  return std::make_unique<MemcachedCache>(std::vector<CacheServer>{server}, 300);
}

// One worker: its own database connection, cache client and storage.
struct Worker {
  Worker(const DatabaseConfig& database, const std::string& url, const std::string& prefix)
      : connection(MakeConnection(database)),
        sql(*connection),
        cache(Client(url)),
        storage(sql, *cache, prefix) {}

  std::unique_ptr<SqlConnection> connection;
  SqlStorage sql;
  std::unique_ptr<Cache> cache;
  CachedTabsStorage storage;
};

// A fresh database, and keys of its own in the cache, per case and cache.
struct Setup {
  explicit Setup(const std::string& url) : prefix("tabs-" + HexEncode(RandomBytes(6)) + ":") {
    database.driver = "sqlite";
    database.sqlite.path = dir.File("weave.db");
    a = std::make_unique<Worker>(database, url, prefix);
    b = std::make_unique<Worker>(database, url, prefix);
  }

  int64_t RowsInDatabase() {
    StatementScope query(a->connection->Prepare("SELECT count(*) FROM wbo"));
    query->Step();
    return query->ColumnInt(0);
  }

  testing::TempDir dir;
  std::string prefix;
  DatabaseConfig database;
  std::unique_ptr<Worker> a, b;
};

struct Target {
  std::string name;
  std::string url;
};

std::vector<Target> Targets() {
  Servers& s = SharedServers();
  return {{"memcached", s.memcached.Url()}, {"redis", s.redis.Url()}};
}

BOOST_AUTO_TEST_SUITE(cached_tabs)

BOOST_AUTO_TEST_CASE(tabs_live_in_the_cache_and_nothing_in_the_database) {
  for (const Target& target : Targets()) {
    BOOST_TEST_CONTEXT(target.name) {
      Setup setup(target.url);
      Storage& a = setup.a->storage;
      Storage& b = setup.b->storage;
      const WriteResult tabs = Put(a, "tabs", {Tab("t1", "abc"), Tab("t2", "de")}, At(kT0));
      BOOST_TEST(tabs.timestamp_cs == kT0);
      const WriteResult bookmarks = Put(b, "bookmarks", {Tab("x", "12345")}, At(kT0 + 7));
      BOOST_TEST(setup.RowsInDatabase() == 1);  // the bookmark only
      BOOST_TEST((Ids(b, "tabs") == std::vector<std::string>{"t1", "t2"}));
      BOOST_TEST(b.GetCollectionTimestamp(kUser, "tabs").value_or(0) == kT0);
      BOOST_TEST((b.GetCollectionTimestamps(kUser) ==
                  Values{{"bookmarks", bookmarks.timestamp_cs}, {"tabs", kT0}}));
      BOOST_TEST((b.GetCollectionCounts(kUser, kNowS) == Values{{"bookmarks", 1}, {"tabs", 2}}));
      BOOST_TEST((b.GetCollectionUsage(kUser, kNowS) == Values{{"bookmarks", 5}, {"tabs", 5}}));
      BOOST_TEST(b.GetTotalUsage(kUser, kNowS) == 10);
      // Rows of tabs the database held before the option are not the collection any more.
      Put(setup.a->sql, "tabs", {Tab("old", "zzzzzzzz")}, At(kT0 + 8));
      BOOST_TEST(b.GetTotalUsage(kUser, kNowS) == 10);
      BOOST_TEST((Ids(b, "tabs") == std::vector<std::string>{"t1", "t2"}));
      BOOST_TEST(b.GetCollectionTimestamp(kUser, "tabs").value_or(0) == kT0);
    }
  }
}

// Two workers writing at the same time: compare and swap keeps every record whose write
// was answered as done. (A write may also fail, when the cache is slow or the other worker
// keeps winning: the client is told, 503, and sends it again; that loses nothing.)
BOOST_AUTO_TEST_CASE(concurrent_writers_lose_nothing) {
  constexpr int kWrites = 60;
  for (const Target& target : Targets()) {
    BOOST_TEST_CONTEXT(target.name) {
      Setup setup(target.url);
      const auto writer = [](Storage& storage, const std::string& name,
                             std::vector<std::string>* done) {
        for (int i = 0; i < kWrites; ++i) {
          const std::string id = name + std::to_string(i);
          try {
            Put(storage, "tabs", {Tab(id, "p")}, At(kT0 + i));
            done->push_back(id);
          } catch (const TabsUnavailable&) {  // refused: not acknowledged
          }
        }
      };
      std::vector<std::string> done_a;
      std::vector<std::string> done_b;
      std::thread first(writer, std::ref(setup.a->storage), "a", &done_a);
      std::thread second(writer, std::ref(setup.b->storage), "b", &done_b);
      first.join();
      second.join();
      std::vector<std::string> acknowledged = done_a;
      acknowledged.insert(acknowledged.end(), done_b.begin(), done_b.end());
      std::sort(acknowledged.begin(), acknowledged.end());
      BOOST_TEST(acknowledged.size() >= static_cast<size_t>(kWrites));  // most went through
      BOOST_TEST(Ids(setup.a->storage, "tabs") == acknowledged);
    }
  }
}

BOOST_AUTO_TEST_CASE(stale_if_unmodified_since_is_refused_on_every_worker) {
  for (const Target& target : Targets()) {
    BOOST_TEST_CONTEXT(target.name) {
      Setup setup(target.url);
      const int64_t first = Put(setup.a->storage, "tabs", {Tab("t", "1")}, At(kT0)).timestamp_cs;
      const int64_t second =
          Put(setup.b->storage, "tabs", {Tab("t", "2")}, At(kT0 + 50, first)).timestamp_cs;
      BOOST_TEST(second == kT0 + 50);
      BOOST_TEST((Put(setup.a->storage, "tabs", {Tab("t", "3")}, At(kT0 + 90, first)).status ==
                  WriteStatus::kModifiedSince));
      CollectionFilter all;
      BOOST_TEST((setup.a->storage.DeleteItems(kUser, "tabs", all, At(kT0 + 95, first)).status ==
                  WriteStatus::kModifiedSince));
      std::string payload;
      setup.a->storage.GetItem(kUser, "tabs", "t", kNowS, [&payload](const ItemView& item) {
        payload = std::string(item.payload.value_or(""));
      });
      BOOST_TEST(payload == "2");
    }
  }
}

// A cache that is down fails tabs requests only; when it returns (empty, as after a
// restart), tabs work again.
BOOST_AUTO_TEST_CASE(cache_down_fails_tabs_only) {
  testing::MemcachedServer memcached;
  testing::RedisServer redis;
  for (testing::ServerProcess* process : {&memcached.process, &redis.process}) {
    const std::string url = process == &memcached.process ? memcached.Url() : redis.Url();
    BOOST_TEST_CONTEXT(url) {
      Setup setup(url);
      Storage& a = setup.a->storage;
      Put(a, "tabs", {Tab("t", "abc")}, At(kT0));
      const int64_t stamp = Put(a, "bookmarks", {Tab("x", "1")}, At(kT0 + 1)).timestamp_cs;
      process->Kill();
      BOOST_CHECK_THROW(Ids(a, "tabs"), TabsUnavailable);
      BOOST_CHECK_THROW(Put(a, "tabs", {Tab("u", "1")}, At(kT0 + 2)), TabsUnavailable);
      BOOST_CHECK_THROW(a.DeleteItems(kUser, "tabs", CollectionFilter{}, At(kT0 + 3)),
                        TabsUnavailable);
      BOOST_CHECK_THROW(a.GetItem(kUser, "tabs", "t", kNowS, [](const ItemView&) {}),
                        TabsUnavailable);
      BOOST_CHECK_THROW(a.GetCollectionTimestamp(kUser, "tabs"), TabsUnavailable);
      // Everything else answers, without tabs.
      BOOST_TEST((a.GetCollectionTimestamps(kUser) == Values{{"bookmarks", stamp}}));
      BOOST_TEST((a.GetCollectionCounts(kUser, kNowS) == Values{{"bookmarks", 1}}));
      BOOST_TEST(a.GetTotalUsage(kUser, kNowS) == 1);
      BOOST_TEST((Put(a, "bookmarks", {Tab("y", "2")}, At(kT0 + 4, std::nullopt, 1000)).status ==
                  WriteStatus::kDone));
      BOOST_TEST(Ids(a, "bookmarks").size() == 2U);
      // A wipe cannot clear the tabs: it says so, after the database part.
      BOOST_CHECK_THROW(a.DeleteStorage(kUser), TabsUnavailable);
      BOOST_TEST(Ids(a, "bookmarks").empty());
      process->Start();
      std::this_thread::sleep_for(
          std::chrono::milliseconds(2200));  // libmemcached's retry (whole seconds)
      BOOST_TEST(Ids(a, "tabs").empty());    // the restarted cache lost them
      Put(a, "tabs", {Tab("t", "again")}, At(kT0 + 5));
      BOOST_TEST((Ids(setup.b->storage, "tabs") == std::vector<std::string>{"t"}));
    }
  }
}

BOOST_AUTO_TEST_CASE(wipe_clears_the_tabs) {
  for (const Target& target : Targets()) {
    BOOST_TEST_CONTEXT(target.name) {
      Setup setup(target.url);
      Put(setup.a->storage, "tabs", {Tab("t", "abc")}, At(kT0));
      Put(setup.a->storage, "bookmarks", {Tab("x", "1")}, At(kT0));
      setup.b->storage.DeleteStorage(kUser);
      BOOST_TEST(Ids(setup.a->storage, "tabs").empty());
      BOOST_TEST(setup.a->storage.GetCollectionTimestamps(kUser).empty());
      BOOST_TEST(!setup.a->cache->Get(setup.a->storage.Key(kUser)).has_value());
    }
  }
}

// The tabs count towards the quota of every write, and the other collections towards
// theirs, as when they all were rows.
BOOST_AUTO_TEST_CASE(quota_counts_tabs_and_the_rest) {
  for (const Target& target : Targets()) {
    BOOST_TEST_CONTEXT(target.name) {
      Setup setup(target.url);
      Storage& a = setup.a->storage;
      const WriteResult tabs =
          Put(a, "tabs", {Tab("t", std::string(600, 'x'))}, At(kT0, std::nullopt, 1000));
      BOOST_TEST(tabs.usage_bytes == 600);
      const WriteResult bookmarks =
          Put(a, "bookmarks", {Tab("b", std::string(500, 'y'))}, At(kT0 + 1, std::nullopt, 1000));
      BOOST_TEST((bookmarks.status == WriteStatus::kDone));
      BOOST_TEST(bookmarks.usage_bytes == 1100);
      BOOST_TEST((Put(a, "tabs", {Tab("u", "1")}, At(kT0 + 2, std::nullopt, 1000)).status ==
                  WriteStatus::kOverQuota));
      BOOST_TEST((Put(a, "history", {Tab("h", "1")}, At(kT0 + 3, std::nullopt, 1000)).status ==
                  WriteStatus::kOverQuota));
      // Tabs alone at the quota: the database's part is not even asked.
      BOOST_TEST((Put(a, "history", {Tab("h", "1")}, At(kT0 + 4, std::nullopt, 600)).status ==
                  WriteStatus::kOverQuota));
      BOOST_TEST(Ids(a, "tabs").size() == 1U);
      BOOST_TEST(Ids(a, "history").empty());
    }
  }
}

// memcached keeps at most 1 MiB per key: a write past the limit is refused, with nothing
// changed, rather than failing in the cache.
BOOST_AUTO_TEST_CASE(collection_past_the_size_limit_is_refused) {
  for (const Target& target : Targets()) {
    BOOST_TEST_CONTEXT(target.name) {
      Setup setup(target.url);
      Storage& a = setup.a->storage;
      const std::string big(400000, 'x');
      Put(a, "tabs", {Tab("one", big), Tab("two", big)}, At(kT0));
      try {
        Put(a, "tabs", {Tab("three", big)}, At(kT0 + 1));
        BOOST_ERROR("a collection past the limit was stored");
      } catch (const BadRequest& error) {
        BOOST_TEST((error.Code() == WeaveError::kSizeLimitExceeded));
      }
      BOOST_TEST(Ids(a, "tabs").size() == 2U);
      Put(a, "tabs", {Tab("two", "small"), Tab("three", big)}, At(kT0 + 2));
      BOOST_TEST(Ids(a, "tabs").size() == 3U);
    }
  }
}

// A value in the cache that is not one this server wrote reads as no tabs, and the next
// write replaces it.
BOOST_AUTO_TEST_CASE(foreign_value_reads_as_empty) {
  for (const Target& target : Targets()) {
    BOOST_TEST_CONTEXT(target.name) {
      Setup setup(target.url);
      Storage& a = setup.a->storage;
      setup.a->cache->Set(setup.a->storage.Key(kUser), "{\"t\": {\"payload\": \"x\"}}", 60);
      BOOST_TEST(Ids(a, "tabs").empty());
      BOOST_TEST(a.GetCollectionTimestamps(kUser).empty());
      Put(a, "tabs", {Tab("t", "1")}, At(kT0));
      BOOST_TEST((Ids(setup.b->storage, "tabs") == std::vector<std::string>{"t"}));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

#endif

BOOST_AUTO_TEST_SUITE(tabs_config)

BOOST_AUTO_TEST_CASE(tabs_only_in_cache_needs_a_cache) {
  BOOST_TEST(!LoadConfigText("").cache.tabs_only_in_cache);
  BOOST_CHECK_THROW(LoadConfigText("cache:\n  tabs_only_in_cache: true\n"), ConfigError);
  const Config config = LoadConfigText(
      "cache:\n  servers: [\"memcached://127.0.0.1:11211\"]\n  tabs_only_in_cache: true\n");
  BOOST_TEST(config.cache.tabs_only_in_cache);
  BOOST_CHECK_THROW(LoadConfigText("cache:\n  servers: [\"memcached://127.0.0.1:11211\"]\n"
                                   "  tabs_only_in_cache: maybe\n"),
                    ConfigError);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace weave
