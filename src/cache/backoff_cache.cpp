// The back-off between attempts to reach a failed cache.
#include "cache/backoff_cache.h"

#include "core/log.h"

namespace weave {

template <typename Operation>
auto BackoffCache::Guarded(Operation operation) -> decltype(operation()) {
  if (retry_at_ms_ != 0 && clock_.NowMs() < retry_at_ms_) {
    throw CacheUnavailable("cache unavailable (backing off after a failure)");
  }
  try {
    auto result = operation();
    if (retry_at_ms_ != 0) {
      Log(LogLevel::kInfo) << "cache: answering again";
      retry_at_ms_ = 0;
    }
    return result;
  } catch (const CacheUnavailable& error) {
    if (retry_at_ms_ == 0) {
      Log(LogLevel::kWarning) << "cache: " << error.what() << "; retrying in " << retry_ms_
                              << " ms, meanwhile the database answers";
    }
    retry_at_ms_ = clock_.NowMs() + retry_ms_;
    throw;
  }
}

std::vector<std::optional<std::string>> BackoffCache::GetMany(
    const std::vector<std::string>& keys) {
  return Guarded([&] { return inner_->GetMany(keys); });
}

void BackoffCache::Set(std::string_view key, std::string_view value, int ttl_seconds) {
  Guarded([&] {
    inner_->Set(key, value, ttl_seconds);
    return true;
  });
}

bool BackoffCache::Add(std::string_view key, std::string_view value, int ttl_seconds) {
  return Guarded([&] { return inner_->Add(key, value, ttl_seconds); });
}

bool BackoffCache::CompareAndSwap(std::string_view key, std::string_view expected,
                                  std::string_view value, int ttl_seconds) {
  return Guarded([&] { return inner_->CompareAndSwap(key, expected, value, ttl_seconds); });
}

bool BackoffCache::Delete(std::string_view key) {
  return Guarded([&] { return inner_->Delete(key); });
}

}  // namespace weave
