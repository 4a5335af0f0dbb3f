// Contract tests of the VerifiedLogins interface, one suite run over each store: the
// shared-memory table (one machine's workers), the store in the shared cache over a real
// memcached and a real redis-server (tests/unit/cache_servers.h), and the two in layers (two
// workers of one machine). Then what only the cache store has to guarantee: a cache that is
// down costs real checks and never an error, the cache holds no password, and entries
// written without the secret are not trusted; and what the layers add: a login one node
// verified is found by another, then answered from that machine's table without the cache.
#include <unistd.h>

#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "auth/cache_logins.h"
#include "auth/layered_logins.h"
#include "auth/shared_login_table.h"
#include "cache_servers.h"
#include "core/clock.h"
#include "core/config_loader.h"
#include "core/crypto.h"
#include "core/errors.h"
#include "core/log.h"

#if WITH_CACHE
#include "cache/cache_url.h"
#include "cache/memcached_cache.h"
#include "cache/redis_cache.h"
#endif

namespace weave {
namespace {

constexpr int64_t kNowMs = 1700000000000;
constexpr int64_t kMinuteMs = 60 * 1000;
const std::string kSecret(40, 's');

// A store seen from two workers: `one` and `two` share their entries (the same table, or
// two clients of the same cache with the same secret).
struct Store {
  std::string name;
  std::vector<std::unique_ptr<Cache>> clients;
  std::unique_ptr<VerifiedLogins> owned_one, owned_two;
  std::vector<std::unique_ptr<VerifiedLogins>> layers;  // what the layered stores borrow
  VerifiedLogins* one = nullptr;
  VerifiedLogins* two = nullptr;
};

Store TableStore() {
  Store store;
  store.name = "shared memory";
  store.owned_one = std::make_unique<SharedLoginTable>(256);
  store.one = store.two = store.owned_one.get();
  return store;
}

#if WITH_CACHE
constexpr int kTimeoutMs = 200;

struct Servers {
  testing::MemcachedServer memcached;
  testing::RedisServer redis{true};
};

Servers& SharedServers() {
  static Servers servers;
  return servers;
}

std::unique_ptr<Cache> ClientOf(const std::string& url) {
  if (url.starts_with("memcached")) {
    return std::make_unique<MemcachedCache>(ParseCacheServers({url}), kTimeoutMs);
  }
  return std::make_unique<RedisCache>(ParseCacheUrl(url), kTimeoutMs);
}

// Each store gets a prefix of its own, so cases never see another case's entries.
std::string FreshPrefix() {
  static int counter = 0;
  return "vl" + std::to_string(getpid()) + "-" + std::to_string(++counter) + ":";
}

Store CacheStore(const std::string& name, const std::string& url) {
  Store store;
  store.name = name;
  store.clients.push_back(ClientOf(url));
  store.clients.push_back(ClientOf(url));
  const std::string prefix = FreshPrefix();
  store.owned_one = std::make_unique<CacheLogins>(*store.clients[0], prefix, kSecret);
  store.owned_two = std::make_unique<CacheLogins>(*store.clients[1], prefix, kSecret);
  store.one = store.owned_one.get();
  store.two = store.owned_two.get();
  return store;
}

const ManualClock& LayersClock() {
  static const ManualClock clock(kNowMs);
  return clock;
}

// Two workers of one machine: one table, a cache client each.
Store LayeredStore(const std::string& name, const std::string& url) {
  Store store = CacheStore(name + " behind the machine's table", url);
  store.layers.push_back(std::move(store.owned_one));
  store.layers.push_back(std::move(store.owned_two));
  store.layers.push_back(std::make_unique<SharedLoginTable>(256));
  VerifiedLogins& table = *store.layers[2];
  store.owned_one =
      std::make_unique<LayeredLogins>(table, *store.layers[0], kSecret, LayersClock());
  store.owned_two =
      std::make_unique<LayeredLogins>(table, *store.layers[1], kSecret, LayersClock());
  store.one = store.owned_one.get();
  store.two = store.owned_two.get();
  return store;
}
#endif

std::vector<Store> Stores() {
  std::vector<Store> stores;
  stores.push_back(TableStore());
#if WITH_CACHE
  stores.push_back(CacheStore("memcached", SharedServers().memcached.Url()));
  stores.push_back(CacheStore("redis", SharedServers().redis.Url()));
  stores.push_back(LayeredStore("memcached", SharedServers().memcached.Url()));
  stores.push_back(LayeredStore("redis", SharedServers().redis.Url()));
#endif
  return stores;
}

struct QuietLog {
  QuietLog() { InitLog("error", ""); }  // cache failures are expected here
};

BOOST_FIXTURE_TEST_SUITE(verified_logins_contract, QuietLog)

BOOST_AUTO_TEST_CASE(remembered_login_is_seen_by_every_worker_until_it_expires) {
  for (Store& store : Stores()) {
    BOOST_TEST_CONTEXT(store.name) {
      const std::string key = store.one->LoginKey("alice", "password", "g1");
      BOOST_TEST(store.two->LoginKey("alice", "password", "g1") == key);
      BOOST_TEST(!store.two->Check(key, kNowMs).has_value());
      const std::string digest(16, '\xfe');
      store.one->Remember(key, VerifiedLogin{42, kNowMs + kMinuteMs, digest, kNowMs + 1000},
                          kNowMs);
      const auto found = store.two->Check(key, kNowMs + kMinuteMs - 1);
      BOOST_REQUIRE(found.has_value());
      BOOST_TEST(found->id == 42);
      BOOST_TEST(found->expires_ms == kNowMs + kMinuteMs);
      BOOST_TEST(found->recheck_digest == digest);
      BOOST_TEST(found->recheck_due_ms == kNowMs + 1000);
      BOOST_TEST(!store.two->Check(key, kNowMs + kMinuteMs).has_value());
    }
  }
}

BOOST_AUTO_TEST_CASE(remembering_again_replaces_the_login) {
  for (Store& store : Stores()) {
    BOOST_TEST_CONTEXT(store.name) {
      const std::string key = store.one->LoginKey("bob", "password", std::nullopt);
      store.one->Remember(key, VerifiedLogin{1, kNowMs + kMinuteMs, {}, 0}, kNowMs);
      store.two->Remember(key, VerifiedLogin{2, kNowMs + 2 * kMinuteMs, {}, kNowMs + 5}, kNowMs);
      const auto found = store.one->Check(key, kNowMs);
      BOOST_REQUIRE(found.has_value());
      BOOST_TEST(found->id == 2);
      BOOST_TEST(found->recheck_digest.empty());
      BOOST_TEST(found->recheck_due_ms == kNowMs + 5);
    }
  }
}

BOOST_AUTO_TEST_CASE(new_generation_misses_and_forget_removes_everywhere) {
  for (Store& store : Stores()) {
    BOOST_TEST_CONTEXT(store.name) {
      const std::string old_key = store.one->LoginKey("carol", "password", "g1");
      store.one->Remember(old_key, VerifiedLogin{7, kNowMs + kMinuteMs, {}, 0}, kNowMs);
      // A password change, reset, disable or delete moved the account's generation.
      BOOST_TEST(!store.two->Check(store.two->LoginKey("carol", "password", "g2"), kNowMs));
      BOOST_TEST(!store.two->Check(store.two->LoginKey("carol", "password", std::nullopt), kNowMs));
      BOOST_TEST(!store.two->Check(store.two->LoginKey("carol", "other", "g1"), kNowMs));
      BOOST_TEST(store.two->Check(old_key, kNowMs).has_value());
      store.two->Forget(old_key);
      BOOST_TEST(!store.one->Check(old_key, kNowMs).has_value());
      store.one->Forget(old_key);  // forgetting what is not there is no error
    }
  }
}

BOOST_AUTO_TEST_CASE(keys_of_another_length_are_ignored) {
  for (Store& store : Stores()) {
    BOOST_TEST_CONTEXT(store.name) {
      store.one->Remember("short", VerifiedLogin{7, kNowMs + kMinuteMs, {}, 0}, kNowMs);
      BOOST_TEST(!store.two->Check("short", kNowMs).has_value());
      store.two->Forget("short");
      const std::string key = store.one->LoginKey("dave", "password", "g1");
      // A digest of the wrong size is refused rather than stored cut or padded.
      store.one->Remember(key, VerifiedLogin{7, kNowMs + kMinuteMs, "abc", 0}, kNowMs);
      BOOST_TEST(!store.two->Check(key, kNowMs).has_value());
    }
  }
}

BOOST_AUTO_TEST_CASE(login_secret_comes_from_the_key_or_a_file_and_is_long) {
  BOOST_TEST(LoadConfigText("").cache.login_secret.empty());
  const std::string secret(32, 'k');
  BOOST_TEST(LoadConfigText("cache:\n  login_secret: \"" + secret + "\"\n").cache.login_secret ==
             secret);
  testing::TempDir dir;
  {
    std::ofstream file(dir.File("secret"));
    file << std::string(64, 'f') << "\nsecond line\n";
  }
  const Config from_file =
      LoadConfigText("cache:\n  login_secret: \"" + secret + "\"\n  login_secret_file: \"" +
                     dir.File("secret") + "\"\n");
  BOOST_TEST(from_file.cache.login_secret == std::string(64, 'f'));
  // Short enough to guess, and with it to test passwords against the cache's keys.
  BOOST_CHECK_THROW(LoadConfigText("cache:\n  login_secret: \"short\"\n"), ConfigError);
  BOOST_CHECK_THROW(
      LoadConfigText("cache:\n  login_secret_file: \"" + dir.File("missing") + "\"\n"),
      ConfigError);
}

#if WITH_CACHE

// The cache's raw entries under a prefix, read with a client of its own.
std::optional<std::string> RawEntry(const std::string& url, const std::string& key) {
  return ClientOf(url)->Get(key);
}

BOOST_AUTO_TEST_CASE(cache_holds_no_password_and_trusts_only_its_secret) {
  for (const std::string& url : {SharedServers().memcached.Url(), SharedServers().redis.Url()}) {
    BOOST_TEST_CONTEXT(url) {
      auto client = ClientOf(url);
      const std::string prefix = FreshPrefix();
      CacheLogins logins(*client, prefix, kSecret);
      const std::string password = "correct horse battery";
      const std::string key = logins.LoginKey("erin", password, "g1");
      logins.Remember(key, VerifiedLogin{9, kNowMs + kMinuteMs, {}, 0}, kNowMs);
      const std::string cache_key = prefix + "login:" + HexEncode(key);
      const auto raw = RawEntry(url, cache_key);
      BOOST_REQUIRE(raw.has_value());
      for (const std::string& secret_form :
           {password, HexEncode(password), HexEncode(Sha256(password)), Base64Encode(password)}) {
        BOOST_TEST(raw->find(secret_form) == std::string::npos);
        BOOST_TEST(cache_key.find(secret_form) == std::string::npos);
      }
      // Another secret (another cluster, or someone who can write to the cache without
      // knowing it): its entries are not trusted, even under the right cache key.
      CacheLogins intruder(*client, prefix, std::string(40, 'x'));
      intruder.Remember(key, VerifiedLogin{666, kNowMs + kMinuteMs, {}, 0}, kNowMs);
      BOOST_TEST(!logins.Check(key, kNowMs).has_value());
      // Nor is a genuine entry moved under another login's key.
      const std::string other_key = logins.LoginKey("frank", "password", "g1");
      client->Set(prefix + "login:" + HexEncode(other_key), *raw, 60);
      BOOST_TEST(!logins.Check(other_key, kNowMs).has_value());
      client->Set(cache_key, "v1 9 garbage", 60);
      BOOST_TEST(!logins.Check(key, kNowMs).has_value());
      client->Set(cache_key, *raw, 60);
      BOOST_TEST(logins.Check(key, kNowMs).value_or(VerifiedLogin{}).id == 9);
    }
  }
}

// A memcached and a redis-server of the case's own, which it may stop and start: their
// URLs, each with its process.
struct KillableServers {
  testing::MemcachedServer memcached;
  testing::RedisServer redis{true};
  const std::vector<std::pair<std::string, testing::ServerProcess*>> list = {
      {memcached.Url(), &memcached.process}, {redis.Url(), &redis.process}};
};

BOOST_AUTO_TEST_CASE(cache_down_means_real_checks_never_errors) {
  KillableServers servers;
  for (const auto& [url, process] : servers.list) {
    BOOST_TEST_CONTEXT(url) {
      auto client = ClientOf(url);
      CacheLogins logins(*client, FreshPrefix(), kSecret);
      const std::string key = logins.LoginKey("gina", "password", "g1");
      logins.Remember(key, VerifiedLogin{5, kNowMs + kMinuteMs, {}, 0}, kNowMs);
      BOOST_REQUIRE(logins.Check(key, kNowMs).has_value());
      process->Freeze();
      BOOST_TEST(!logins.Check(key, kNowMs).has_value());
      process->Thaw();
      process->Kill();
      BOOST_TEST(!logins.Check(key, kNowMs).has_value());
      logins.Remember(key, VerifiedLogin{5, kNowMs + kMinuteMs, {}, 0}, kNowMs);
      logins.Forget(key);
      BOOST_TEST(logins.Failures() >= 4);
      process->Start();
    }
  }
}

// Two nodes, each with its own table, sharing the cache; a third node without a table.
BOOST_AUTO_TEST_CASE(layers_find_another_nodes_login_then_need_no_cache) {
  KillableServers servers;
  for (const auto& [url, process] : servers.list) {
    BOOST_TEST_CONTEXT(url) {
      const std::string prefix = FreshPrefix();
      auto client_a = ClientOf(url);
      auto client_b = ClientOf(url);
      auto client_c = ClientOf(url);
      CacheLogins far_a(*client_a, prefix, kSecret);
      CacheLogins far_b(*client_b, prefix, kSecret);
      CacheLogins plain_c(*client_c, prefix, kSecret);
      SharedLoginTable table_a(64);
      SharedLoginTable table_b(64);
      LayeredLogins node_a(table_a, far_a, kSecret, LayersClock());
      LayeredLogins node_b(table_b, far_b, kSecret, LayersClock());
      // The keys are the cache's: a node without a table shares them.
      const std::string key = node_a.LoginKey("hana", "password", "g1");
      BOOST_TEST(plain_c.LoginKey("hana", "password", "g1") == key);
      plain_c.Remember(key, VerifiedLogin{11, kNowMs + kMinuteMs, {}, 0}, kNowMs);
      BOOST_TEST(!table_a.Check(key, kNowMs).has_value());
      BOOST_TEST(node_a.Check(key, kNowMs).value_or(VerifiedLogin{}).id == 11);
      BOOST_TEST(table_a.Check(key, kNowMs).value_or(VerifiedLogin{}).id == 11);  // copied
      node_b.Remember(node_b.LoginKey("ivan", "password", "g1"),
                      VerifiedLogin{12, kNowMs + kMinuteMs, {}, 0}, kNowMs);
      // With the cache gone, node a still answers what it has seen, until its expiry; node
      // b's login, never seen on a, costs a real check there.
      process->Kill();
      BOOST_TEST(node_a.Check(key, kNowMs).value_or(VerifiedLogin{}).id == 11);
      BOOST_TEST(!node_a.Check(key, kNowMs + kMinuteMs).has_value());
      BOOST_TEST(!node_a.Check(node_a.LoginKey("ivan", "password", "g1"), kNowMs).has_value());
      BOOST_TEST(node_b.Check(node_b.LoginKey("ivan", "password", "g1"), kNowMs).has_value());
      // A new generation misses both layers.
      BOOST_TEST(!node_a.Check(node_a.LoginKey("hana", "password", "g2"), kNowMs).has_value());
      node_a.Forget(key);
      BOOST_TEST(!table_a.Check(key, kNowMs).has_value());
      BOOST_TEST(far_a.Failures() >= 3);
      process->Start();
    }
  }
}

#endif

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace weave
