// Back ends for the storage contract (storage_contract_test.cpp) that keep one collection in a
// real memcached or redis-server (storage/cached_tabs.h) and the rest in SQLite, so that the
// contract's cases on that collection check the cache path against the database's
// semantics. The cases use "bookmarks" and "history" most: each is kept in the cache by one
// back end (tabs, the production choice, only appears in a few cases).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "cache/cache_url.h"
#include "cache_servers.h"
#include "core/crypto.h"
#include "db/make_connection.h"
#include "storage/cached_tabs.h"
#include "storage/sql_storage.h"
#include "test_support.h"

namespace weave::testing {

// The collection a contract back end keeps in the cache; "" for the database-only ones.
template <typename Backend>
std::string_view CachedCollectionOf() {
  if constexpr (requires { Backend::kCachedCollection; }) {
    return Backend::kCachedCollection;
  } else {
    return {};
  }
}

}  // namespace weave::testing

#if WITH_CACHE
#include "cache/memcached_cache.h"
#include "cache/redis_cache.h"

namespace weave::testing {

// Started once for every case of the process that needs them.
struct ContractCacheServers {
  MemcachedServer memcached;
  RedisServer redis;

  static ContractCacheServers& Get() {
    static ContractCacheServers servers;
    return servers;
  }
};

enum class CacheKind { kMemcached, kRedis };

// SQLite in a private folder, with `Collection` in the cache of `Kind`; every instance
// uses keys of its own (a random prefix), so each case starts with an empty cache.
template <CacheKind Kind, const char* Collection>
struct CachedCollectionBackend {
  static DatabaseConfig MakeConfig(const TempDir& dir) {
    DatabaseConfig config;
    config.driver = "sqlite";
    config.sqlite.path = dir.File("weave.db");
    return config;
  }

  static std::unique_ptr<Cache> MakeClient() {
    ContractCacheServers& servers = ContractCacheServers::Get();
    if (Kind == CacheKind::kRedis) {
      return std::make_unique<RedisCache>(ParseCacheUrl(servers.redis.Url()), 500);
    }
    return std::make_unique<MemcachedCache>(ParseCacheServers({servers.memcached.Url()}), 500);
  }

  static std::optional<std::string> Unavailable() { return std::nullopt; }
  static constexpr std::string_view kCachedCollection = Collection;

  CachedCollectionBackend()
      : config(MakeConfig(dir)),
        connection(MakeConnection(config)),
        sql(*connection),
        cache(MakeClient()),
        storage(sql, *cache, "contract-" + HexEncode(RandomBytes(6)) + ":", Collection) {}

  // Reads one integer with a raw query (for facts the interface does not expose).
  std::optional<int64_t> QueryInt(std::string_view text, int64_t a, std::string_view b) {
    connection->TrimStatementCache();
    StatementScope query(connection->Prepare(text));
    query->BindInt(0, a);
    query->BindText(1, b);
    if (!query->Step()) {
      return std::nullopt;
    }
    return query->ColumnInt(0);
  }

  TempDir dir;
  DatabaseConfig config;
  std::unique_ptr<SqlConnection> connection;
  SqlStorage sql;
  std::unique_ptr<Cache> cache;
  CachedTabsStorage storage;
};

inline constexpr char kBookmarks[] = "bookmarks";
inline constexpr char kHistory[] = "history";

using CachedBookmarksInMemcached = CachedCollectionBackend<CacheKind::kMemcached, kBookmarks>;
using CachedHistoryInRedis = CachedCollectionBackend<CacheKind::kRedis, kHistory>;

}  // namespace weave::testing

#endif
