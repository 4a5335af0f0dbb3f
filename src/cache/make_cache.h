// The cache that cache.servers names, behind the back-off (cache/backoff_cache.h).
#pragma once

#include <memory>

#include "cache/cache.h"
#include "core/clock.h"
#include "core/config.h"

namespace weave {

// How long a worker leaves a failed cache alone before trying it again.
constexpr int kCacheRetryMs = 1000;

// nullptr when no server is configured. Throws ConfigError for a bad server list, or when
// the build has no cache clients (WITH_CACHE=0). Borrows clock.
std::unique_ptr<Cache> MakeCache(const CacheConfig& config, const Clock& clock);

}  // namespace weave
