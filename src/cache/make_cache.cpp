// Picks the cache client from the URLs' scheme.
#include "cache/make_cache.h"

#include "cache/backoff_cache.h"
#include "cache/cache_url.h"
#include "core/errors.h"
#if WITH_CACHE
#include "cache/memcached_cache.h"
#include "cache/redis_cache.h"
#endif

namespace weave {

std::unique_ptr<Cache> MakeCache(const CacheConfig& config, const Clock& clock) {
  const std::vector<CacheServer> servers = ParseCacheServers(config.servers);
  if (servers.empty()) {
    return nullptr;
  }
#if WITH_CACHE
  std::unique_ptr<Cache> client;
  if (servers.front().kind == CacheServer::Kind::kRedis) {
    client = std::make_unique<RedisCache>(servers.front(), config.timeout_ms);
  } else {
    client = std::make_unique<MemcachedCache>(servers, config.timeout_ms);
  }
  return std::make_unique<BackoffCache>(std::move(client), clock, kCacheRetryMs);
#else
  (void)clock;
  throw ConfigError("cache.servers", "this build has no cache clients (built with WITH_CACHE=0)");
#endif
}

}  // namespace weave
