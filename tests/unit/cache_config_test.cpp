// The cache section of the configuration: its defaults, its keys, and what is refused.
#include <boost/test/unit_test.hpp>

#include "cache/make_cache.h"
#include "core/config_loader.h"
#include "core/errors.h"

namespace weave {
namespace {

BOOST_AUTO_TEST_SUITE(cache_config)

BOOST_AUTO_TEST_CASE(no_cache_by_default) {
  const Config config = LoadConfigText("");
  BOOST_TEST(config.cache.servers.empty());
  BOOST_TEST(config.cache.timeout_ms == 50);
  BOOST_TEST(config.cache.prefix == "weave:");
  ManualClock clock(0);
  BOOST_TEST(MakeCache(config.cache, clock) == nullptr);
}

BOOST_AUTO_TEST_CASE(keys_are_read) {
  const Config config = LoadConfigText(
      "cache:\n"
      "  servers: [\"memcached://10.0.0.1:11211\", \"memcached://10.0.0.2\"]\n"
      "  timeout_ms: 20\n"
      "  prefix: \"sync-a:\"\n");
  BOOST_TEST(config.cache.servers.size() == 2);
  BOOST_TEST(config.cache.timeout_ms == 20);
  BOOST_TEST(config.cache.prefix == "sync-a:");
}

BOOST_AUTO_TEST_CASE(bad_values_are_refused) {
  for (const char* text : {"cache:\n  servers: \"memcached://a\"\n", "cache:\n  timeout_ms: 0\n",
                           "cache:\n  timeout_ms: 60001\n", "cache:\n  prefix: \"has space\"\n",
                           "cache:\n  prefix: \"\\u00e9\"\n", "cache:\n  unknown: 1\n"}) {
    BOOST_TEST_CONTEXT(text) {
      BOOST_CHECK_THROW(LoadConfigText(text), ConfigError);
    }
  }
  CacheConfig mixed;
  mixed.servers = {"memcached://a", "redis://b"};
  ManualClock clock(0);
  BOOST_CHECK_THROW(MakeCache(mixed, clock), ConfigError);
}

#if WITH_CACHE
// Connecting is lazy: a configured cache that is not running yet does not stop start-up.
BOOST_AUTO_TEST_CASE(a_cache_that_is_down_does_not_stop_start_up) {
  CacheConfig config;
  config.servers = {"redis://127.0.0.1:1"};
  config.timeout_ms = 100;
  ManualClock clock(0);
  auto cache = MakeCache(config, clock);
  BOOST_REQUIRE(cache != nullptr);
  BOOST_CHECK_THROW(cache->Get("k"), CacheUnavailable);
}
#endif

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace weave
