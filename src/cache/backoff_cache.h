// A Cache that stops calling a failed cache for a moment: after a failure, every operation
// throws CacheUnavailable at once, without touching the network, until retry_ms have
// passed; then the next operation tries the cache again. So a dead or hung cache costs
// one timeout per worker per retry period, not one per request.
#pragma once

#include <cstdint>
#include <memory>

#include "cache/cache.h"
#include "core/clock.h"

namespace weave {

class BackoffCache final : public Cache {
 public:
  // Borrows clock, which must outlive this object.
  BackoffCache(std::unique_ptr<Cache> inner, const Clock& clock, int retry_ms)
      : inner_(std::move(inner)), clock_(clock), retry_ms_(retry_ms) {}

  std::vector<std::optional<std::string>> GetMany(const std::vector<std::string>& keys) override;
  void Set(std::string_view key, std::string_view value, int ttl_seconds) override;
  bool Add(std::string_view key, std::string_view value, int ttl_seconds) override;
  bool CompareAndSwap(std::string_view key, std::string_view expected, std::string_view value,
                      int ttl_seconds) override;
  bool Delete(std::string_view key) override;

 private:
  template <typename Operation>
  auto Guarded(Operation operation) -> decltype(operation());

  std::unique_ptr<Cache> inner_;
  const Clock& clock_;
  const int retry_ms_;
  int64_t retry_at_ms_ = 0;  // no call before this time (0: the cache is in use)
};

}  // namespace weave
