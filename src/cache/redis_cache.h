// The Cache on one Redis server through hiredis (one blocking connection per worker).
#pragma once

#include <memory>
#include <vector>

#include "cache/cache.h"
#include "cache/cache_url.h"

struct redisContext;
struct redisReply;

namespace weave {

class RedisCache final : public Cache {
 public:
  // Connects lazily, on the first operation and again after any failure; each connect and
  // each command is bounded by timeout_ms.
  RedisCache(CacheServer server, int timeout_ms);
  ~RedisCache() override;

  std::vector<std::optional<std::string>> GetMany(const std::vector<std::string>& keys) override;
  void Set(std::string_view key, std::string_view value, int ttl_seconds) override;
  bool Add(std::string_view key, std::string_view value, int ttl_seconds) override;
  bool CompareAndSwap(std::string_view key, std::string_view expected, std::string_view value,
                      int ttl_seconds) override;
  bool Delete(std::string_view key) override;

 private:
  struct FreeContext {
    void operator()(redisContext* context) const;
  };
  struct FreeReply {
    void operator()(redisReply* reply) const;
  };
  using Reply = std::unique_ptr<redisReply, FreeReply>;

  // Runs one command; a connection that failed is dropped (the next command reconnects)
  // and CacheUnavailable thrown, as for an error reply.
  Reply Command(const std::vector<std::string_view>& arguments);
  redisContext* Connected();

  const CacheServer server_;
  const int timeout_ms_;
  std::unique_ptr<redisContext, FreeContext> context_;
};

}  // namespace weave
