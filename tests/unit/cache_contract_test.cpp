// Contract tests of the Cache interface, run over every client against real servers that
// the tests start (tests/unit/cache_servers.h): memcached on two loopback ports, Redis on
// a Unix socket and on a TCP port with a database number. Also the back-off and read-ahead
// decorators and the URL parser.
#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "cache/backoff_cache.h"
#include "cache/cache_url.h"
#include "cache/make_cache.h"
#include "cache/read_ahead_cache.h"
#include "cache_servers.h"
#include "core/errors.h"

#if WITH_CACHE
#include "cache/memcached_cache.h"
#include "cache/redis_cache.h"
#endif

namespace weave {
namespace {

#if WITH_CACHE

constexpr int kTimeoutMs = 200;

// One client with the servers it talks to, and how to make them fail.
struct Backend {
  std::string name;
  std::unique_ptr<Cache> cache;
  std::function<void()> freeze, thaw, kill, restart;
};

// Servers shared by every case of this file (started once; each case uses its own keys).
struct Servers {
  testing::MemcachedServer memcached_a, memcached_b;
  testing::RedisServer redis_unix{false}, redis_tcp{true};
};

Servers& SharedServers() {
  static Servers servers;
  return servers;
}

std::vector<Backend> Backends() {
  Servers& s = SharedServers();
  std::vector<Backend> backends;
  auto memcached = std::make_unique<MemcachedCache>(
      ParseCacheServers({s.memcached_a.Url(), s.memcached_b.Url()}), kTimeoutMs);
  const auto both = [&s](auto action) {
    return [&s, action] {
      action(s.memcached_a.process);
      action(s.memcached_b.process);
    };
  };
  backends.push_back({"memcached (two servers)", std::move(memcached),
                      both([](testing::ServerProcess& p) { p.Freeze(); }),
                      both([](testing::ServerProcess& p) { p.Thaw(); }),
                      both([](testing::ServerProcess& p) { p.Kill(); }),
                      both([](testing::ServerProcess& p) { p.Start(); })});
  for (testing::RedisServer* redis : {&s.redis_unix, &s.redis_tcp}) {
    testing::ServerProcess& p = redis->process;
    backends.push_back({"redis " + redis->Url(),
                        std::make_unique<RedisCache>(ParseCacheUrl(redis->Url()), kTimeoutMs),
                        [&p] { p.Freeze(); }, [&p] { p.Thaw(); }, [&p] { p.Kill(); },
                        [&p] {
                          p.Start();
                        }});
  }
  return backends;
}

// A key no other case or run uses.
std::string UniqueKey(const std::string& name) {
  static int counter = 0;
  return "test:" + std::to_string(getpid()) + ":" + std::to_string(++counter) + ":" + name;
}

// Calls `operation` until it stops throwing CacheUnavailable (a client reconnecting after
// its server came back), for at most five seconds.
template <typename Operation>
auto Eventually(Operation operation) -> decltype(operation()) {
  for (int attempt = 0;; ++attempt) {
    try {
      return operation();
    } catch (const CacheUnavailable&) {
      if (attempt >= 100) {
        throw;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

BOOST_AUTO_TEST_SUITE(cache_contract)

BOOST_AUTO_TEST_CASE(set_get_and_overwrite) {
  for (Backend& backend : Backends()) {
    BOOST_TEST_CONTEXT(backend.name) {
      Cache& cache = *backend.cache;
      const std::string key = UniqueKey("a");
      BOOST_TEST(!cache.Get(key).has_value());
      cache.Set(key, "one", 60);
      BOOST_TEST(cache.Get(key).value_or("") == "one");
      cache.Set(key, "two", 60);
      BOOST_TEST(cache.Get(key).value_or("") == "two");
    }
  }
}

BOOST_AUTO_TEST_CASE(values_are_bytes) {
  for (Backend& backend : Backends()) {
    BOOST_TEST_CONTEXT(backend.name) {
      const std::string key = UniqueKey("bytes");
      std::string value("a\0b\r\nEND\r\n \xff", 13);
      value += std::string(200000, 'x');
      backend.cache->Set(key, value, 60);
      BOOST_TEST(backend.cache->Get(key).value_or("") == value);
      backend.cache->Set(key, "", 60);
      BOOST_TEST(backend.cache->Get(key).has_value());
      BOOST_TEST(backend.cache->Get(key).value_or("?").empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(get_many_keeps_the_order_and_reports_misses) {
  for (Backend& backend : Backends()) {
    BOOST_TEST_CONTEXT(backend.name) {
      std::vector<std::string> keys;
      for (int i = 0; i < 20; ++i) {
        keys.push_back(UniqueKey("many" + std::to_string(i)));
        if (i % 3 != 0) {
          backend.cache->Set(keys.back(), "v" + std::to_string(i), 60);
        }
      }
      const auto values = backend.cache->GetMany(keys);
      BOOST_TEST_REQUIRE(values.size() == keys.size());
      for (int i = 0; i < 20; ++i) {
        if (i % 3 == 0) {
          BOOST_TEST(!values[i].has_value());
        } else {
          BOOST_TEST(values[i].value_or("") == "v" + std::to_string(i));
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(add_only_when_absent) {
  for (Backend& backend : Backends()) {
    BOOST_TEST_CONTEXT(backend.name) {
      const std::string key = UniqueKey("add");
      BOOST_TEST(backend.cache->Add(key, "first", 60));
      BOOST_TEST(!backend.cache->Add(key, "second", 60));
      BOOST_TEST(backend.cache->Get(key).value_or("") == "first");
    }
  }
}

BOOST_AUTO_TEST_CASE(compare_and_swap_on_the_value) {
  for (Backend& backend : Backends()) {
    BOOST_TEST_CONTEXT(backend.name) {
      Cache& cache = *backend.cache;
      const std::string key = UniqueKey("cas");
      BOOST_TEST(!cache.CompareAndSwap(key, "", "x", 60));
      BOOST_TEST(!cache.Get(key).has_value());
      cache.Set(key, "old", 60);
      BOOST_TEST(!cache.CompareAndSwap(key, "other", "new", 60));
      BOOST_TEST(cache.Get(key).value_or("") == "old");
      BOOST_TEST(cache.CompareAndSwap(key, "old", "new", 60));
      BOOST_TEST(cache.Get(key).value_or("") == "new");
      BOOST_TEST(!cache.CompareAndSwap(key, "old", "newer", 60));
      BOOST_TEST(cache.Get(key).value_or("") == "new");
    }
  }
}

BOOST_AUTO_TEST_CASE(delete_removes) {
  for (Backend& backend : Backends()) {
    BOOST_TEST_CONTEXT(backend.name) {
      const std::string key = UniqueKey("delete");
      backend.cache->Set(key, "v", 60);
      BOOST_TEST(backend.cache->Delete(key));
      BOOST_TEST(!backend.cache->Get(key).has_value());
      BOOST_TEST(!backend.cache->Delete(key));
    }
  }
}

BOOST_AUTO_TEST_CASE(entries_expire) {
  std::vector<Backend> backends = Backends();
  std::vector<std::string> keys;
  for (Backend& backend : backends) {
    keys.push_back(UniqueKey("ttl"));
    backend.cache->Set(keys.back(), "short", 1);
    BOOST_TEST(backend.cache->Add(keys.back() + "long", "long", 60));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  for (size_t i = 0; i < backends.size(); ++i) {
    BOOST_TEST_CONTEXT(backends[i].name) {
      BOOST_TEST(!backends[i].cache->Get(keys[i]).has_value());
      BOOST_TEST(backends[i].cache->Get(keys[i] + "long").has_value());
    }
  }
}

// A frozen server (SIGSTOP: connections open, no answer) fails each operation within the
// timeout instead of hanging; once thawed, the same client works again.
BOOST_AUTO_TEST_CASE(a_frozen_server_fails_operations_and_recovers) {
  for (Backend& backend : Backends()) {
    BOOST_TEST_CONTEXT(backend.name) {
      Cache& cache = *backend.cache;
      const std::string key = UniqueKey("frozen");
      cache.Set(key, "before", 60);
      backend.freeze();
      BOOST_CHECK_THROW(cache.Get(key), CacheUnavailable);
      BOOST_CHECK_THROW(cache.Set(key, "during", 60), CacheUnavailable);
      backend.thaw();
      // The Set that failed may still land late (its effect is unknown): check another key.
      Eventually([&] { return cache.Get(key); });
      cache.Set(key + "b", "after", 60);
      BOOST_TEST(cache.Get(key + "b").value_or("") == "after");
    }
  }
}

// A killed server fails operations; restarted, it is empty and the client reconnects.
BOOST_AUTO_TEST_CASE(a_restarted_server_is_used_again) {
  for (Backend& backend : Backends()) {
    BOOST_TEST_CONTEXT(backend.name) {
      Cache& cache = *backend.cache;
      const std::string key = UniqueKey("restart");
      cache.Set(key, "before", 60);
      backend.kill();
      BOOST_CHECK_THROW(cache.Set(key, "down", 60), CacheUnavailable);
      backend.restart();
      BOOST_TEST(!Eventually([&] { return cache.Get(key); }).has_value());
      cache.Set(key, "after", 60);
      BOOST_TEST(cache.Get(key).value_or("") == "after");
    }
  }
}

// Consistent hashing spreads keys over both servers, and a failed server is not ejected:
// its keys fail (they never move to the other server, which might keep stale copies),
// while the other server's keys keep working.
BOOST_AUTO_TEST_CASE(memcached_keys_stay_on_their_server) {
  Servers& s = SharedServers();
  MemcachedCache both(ParseCacheServers({s.memcached_a.Url(), s.memcached_b.Url()}), kTimeoutMs);
  MemcachedCache only_a(ParseCacheServers({s.memcached_a.Url()}), kTimeoutMs);
  std::vector<std::string> keys;
  std::vector<bool> on_a;
  for (int i = 0; i < 40; ++i) {
    keys.push_back(UniqueKey("spread" + std::to_string(i)));
    both.Set(keys.back(), "v", 60);
    on_a.push_back(only_a.Get(keys.back()).has_value());
  }
  const auto count_a = std::count(on_a.begin(), on_a.end(), true);
  BOOST_TEST(count_a > 0);
  BOOST_TEST(count_a < 40);
  s.memcached_b.process.Freeze();
  for (size_t i = 0; i < keys.size(); ++i) {
    if (on_a[i]) {
      BOOST_TEST(both.Get(keys[i]).has_value());
    } else {
      BOOST_CHECK_THROW(both.Get(keys[i]), CacheUnavailable);
    }
  }
  // A multi-get over both (one round trip per server) fails as a whole: the frozen
  // server's keys are never taken for absent.
  BOOST_CHECK_THROW(both.GetMany(keys), CacheUnavailable);
  s.memcached_b.process.Thaw();
  for (size_t i = 0; i < keys.size(); ++i) {
    BOOST_TEST(Eventually([&] { return both.Get(keys[i]); }).has_value());
  }
}

#endif  // WITH_CACHE

// Counts calls and fails while told to.
class FlakyCache final : public Cache {
 public:
  std::vector<std::optional<std::string>> GetMany(const std::vector<std::string>& keys) override {
    Call();
    return std::vector<std::optional<std::string>>(keys.size(), "v");
  }
  void Set(std::string_view, std::string_view, int) override { Call(); }
  bool Add(std::string_view, std::string_view, int) override { return Call(); }
  bool CompareAndSwap(std::string_view, std::string_view, std::string_view, int) override {
    return Call();
  }
  bool Delete(std::string_view) override { return Call(); }

  bool failing = false;
  int calls = 0;

 private:
  bool Call() {
    ++calls;
    if (failing) {
      throw CacheUnavailable("down");
    }
    return true;
  }
};

BOOST_AUTO_TEST_CASE(backoff_leaves_a_failed_cache_alone_for_a_while) {
  auto owned = std::make_unique<FlakyCache>();
  FlakyCache& inner = *owned;
  ManualClock clock(1000000);
  BackoffCache cache(std::move(owned), clock, 1000);
  BOOST_TEST(cache.Get("k").has_value());
  inner.failing = true;
  BOOST_CHECK_THROW(cache.Set("k", "v", 1), CacheUnavailable);
  BOOST_TEST(inner.calls == 2);
  clock.AdvanceMs(999);
  BOOST_CHECK_THROW(cache.Get("k"), CacheUnavailable);
  BOOST_CHECK_THROW(cache.Delete("k"), CacheUnavailable);
  BOOST_TEST(inner.calls == 2);  // not called during the back-off
  clock.AdvanceMs(1);
  BOOST_CHECK_THROW(cache.Add("k", "v", 1), CacheUnavailable);
  BOOST_TEST(inner.calls == 3);  // tried again, failed again: another second
  inner.failing = false;
  clock.AdvanceMs(500);
  BOOST_CHECK_THROW(cache.Get("k"), CacheUnavailable);
  clock.AdvanceMs(500);
  BOOST_TEST(cache.Get("k").has_value());
  BOOST_TEST(cache.Delete("k"));
  BOOST_TEST(inner.calls == 5);
}

// Keeps values in a map; records every read (its keys) and can fail.
class MapCache final : public Cache {
 public:
  std::vector<std::optional<std::string>> GetMany(const std::vector<std::string>& keys) override {
    Call();
    reads.push_back(keys);
    std::vector<std::optional<std::string>> values;
    for (const std::string& key : keys) {
      const auto found = map.find(key);
      values.push_back(found == map.end() ? std::nullopt : std::optional(found->second));
    }
    return values;
  }
  void Set(std::string_view key, std::string_view value, int) override {
    Call();
    map[std::string(key)] = value;
  }
  bool Add(std::string_view key, std::string_view value, int) override {
    Call();
    return map.emplace(key, value).second;
  }
  bool CompareAndSwap(std::string_view key, std::string_view expected, std::string_view value,
                      int) override {
    Call();
    const auto found = map.find(std::string(key));
    if (found == map.end() || found->second != expected) {
      return false;
    }
    found->second = value;
    return true;
  }
  bool Delete(std::string_view key) override {
    Call();
    return map.erase(std::string(key)) > 0;
  }

  std::map<std::string, std::string> map;
  std::vector<std::vector<std::string>> reads;
  bool failing = false;

 private:
  void Call() const {
    if (failing) {
      throw CacheUnavailable("down");
    }
  }
};

using Keys = std::vector<std::string>;

BOOST_AUTO_TEST_CASE(read_ahead_fetches_wanted_keys_with_the_next_read) {
  auto owned = std::make_unique<MapCache>();
  MapCache& inner = *owned;
  inner.map = {{"gen", "g1"}, {"login", "L1"}};
  ReadAheadCache cache(std::move(owned));
  cache.Want("login");
  cache.Want("login");  // once is enough
  cache.Want("absent");
  const auto values = cache.GetMany({"gen", "entry"});
  BOOST_TEST((values == std::vector<std::optional<std::string>>{"g1", std::nullopt}));
  BOOST_TEST_REQUIRE(inner.reads.size() == 1U);
  BOOST_TEST((inner.reads[0] == Keys{"gen", "entry", "login", "absent"}));
  BOOST_TEST(cache.Get("login").value_or("") == "L1");  // fetched ahead: no read of its own
  BOOST_TEST(!cache.Get("absent").has_value());
  BOOST_TEST(inner.reads.size() == 1U);
  BOOST_TEST(cache.Get("login").value_or("") == "L1");  // handed out once: read again
  BOOST_TEST(inner.reads.size() == 2U);
  BOOST_TEST((inner.reads[1] == Keys{"login"}));
}

BOOST_AUTO_TEST_CASE(read_ahead_gives_way_to_writes_and_to_the_next_request) {
  auto owned = std::make_unique<MapCache>();
  MapCache& inner = *owned;
  inner.map = {{"gen", "g1"}, {"login", "L1"}};
  ReadAheadCache cache(std::move(owned));
  // A write of a key fetched ahead: the reader reads the written value.
  cache.Want("login");
  cache.Get("gen");
  cache.Set("login", "L2", 60);
  BOOST_TEST(cache.Get("login").value_or("") == "L2");
  for (const auto& write : std::vector<std::function<void()>>{
           [&cache] { cache.Delete("login"); }, [&cache] { cache.Add("login", "L3", 60); },
           [&cache] {
             cache.CompareAndSwap("login", "L3", "L4", 60);
           }}) {
    cache.Want("login");
    cache.Get("gen");
    write();
    BOOST_TEST(cache.Get("login").value_or("(none)") ==
               (inner.map.contains("login") ? inner.map["login"] : "(none)"));
  }
  // Forget (a new request) drops what was fetched and what was wanted.
  cache.Want("login");
  cache.Get("gen");
  inner.map["login"] = "L5";
  cache.Forget();
  BOOST_TEST(cache.Get("login").value_or("") == "L5");
  cache.Want("login");
  cache.Forget();
  const size_t reads = inner.reads.size();
  cache.Get("gen");
  BOOST_TEST((inner.reads.at(reads) == Keys{"gen"}));
  // A failed read loses what was wanted with it; the reader then reads for itself.
  cache.Want("login");
  inner.failing = true;
  BOOST_CHECK_THROW(cache.Get("gen"), CacheUnavailable);
  inner.failing = false;
  BOOST_TEST(cache.Get("login").value_or("") == "L5");
  BOOST_TEST((inner.reads.back() == Keys{"login"}));
}

BOOST_AUTO_TEST_CASE(cache_urls) {
  const CacheServer tcp = ParseCacheUrl("memcached://cache.example.org:11311");
  BOOST_TEST((tcp.kind == CacheServer::Kind::kMemcached));
  BOOST_TEST(tcp.host == "cache.example.org");
  BOOST_TEST(tcp.port == 11311);
  BOOST_TEST(ParseCacheUrl("memcached://10.0.0.1").port == 11211);
  const CacheServer redis = ParseCacheUrl("redis://[::1]:6380/2");
  BOOST_TEST((redis.kind == CacheServer::Kind::kRedis));
  BOOST_TEST(redis.host == "::1");
  BOOST_TEST(redis.port == 6380);
  BOOST_TEST(redis.db == 2);
  BOOST_TEST(ParseCacheUrl("redis://localhost").port == 6379);
  BOOST_TEST(ParseCacheUrl("redis://localhost/").db == 0);
  const CacheServer socket = ParseCacheUrl("redis+unix:///run/redis/redis.sock?db=5");
  BOOST_TEST(socket.socket_path == "/run/redis/redis.sock");
  BOOST_TEST(socket.db == 5);
  BOOST_TEST(ParseCacheUrl("memcached+unix:///run/m.sock").socket_path == "/run/m.sock");
  for (const char* bad :
       {"", "memcached:/x", "http://h:1", "memcached://", "memcached://h:", "memcached://h:0",
        "memcached://h:65536", "memcached://h:12x", "memcached://a:b:c", "redis://h/x",
        "redis://h/-1", "redis://[::1", "redis://[::1]x", "memcached+unix://relative",
        "redis+unix:///p?db=x", "memcached://user@h:1"}) {
    BOOST_TEST_CONTEXT(bad) {
      BOOST_CHECK_THROW(ParseCacheUrl(bad), ConfigError);
    }
  }
  BOOST_CHECK_THROW(ParseCacheServers({"redis://a", "redis://b"}), ConfigError);
  BOOST_CHECK_THROW(ParseCacheServers({"memcached://a", "redis://b"}), ConfigError);
  BOOST_TEST(ParseCacheServers({"memcached://a", "memcached://b:2"}).size() == 2);
  ManualClock clock(0);
  BOOST_TEST(MakeCache(CacheConfig{}, clock) == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace weave
