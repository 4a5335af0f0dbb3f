// The Cache on one or more memcached servers through libmemcached: keys are spread over the
// servers by consistent hashing (ketama), so adding or losing a server moves few keys.
#pragma once

#include <memory>
#include <vector>

#include "cache/cache.h"
#include "cache/cache_url.h"

struct memcached_st;

namespace weave {

class MemcachedCache final : public Cache {
 public:
  // Connects lazily: a server that is down makes operations on its keys throw
  // CacheUnavailable, never the constructor (except for a server list libmemcached
  // refuses: ConfigError). Each network wait is bounded by timeout_ms.
  MemcachedCache(const std::vector<CacheServer>& servers, int timeout_ms);
  ~MemcachedCache() override;

  std::vector<std::optional<std::string>> GetMany(const std::vector<std::string>& keys) override;
  void Set(std::string_view key, std::string_view value, int ttl_seconds) override;
  bool Add(std::string_view key, std::string_view value, int ttl_seconds) override;
  bool CompareAndSwap(std::string_view key, std::string_view expected, std::string_view value,
                      int ttl_seconds) override;
  bool Delete(std::string_view key) override;

 private:
  struct Free {
    void operator()(memcached_st* handle) const;
  };
  std::unique_ptr<memcached_st, Free> handle_;
};

}  // namespace weave
