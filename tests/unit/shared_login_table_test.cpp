// Unit tests of the verified-login store in shared memory: keys, expiry, two-choice placement
// and eviction from full buckets, sharing with forked workers under concurrent use, and a worker
// that dies or stops while holding the table's lock.
#include "auth/shared_login_table.h"

#include <signal.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <sys/wait.h>

#include "core/log.h"

namespace weave {
namespace {

constexpr int64_t kNowMs = 1700000000000;
constexpr int64_t kMinuteMs = 60 * 1000;

VerifiedLogin LoginOf(UserId id, int64_t expires_ms) {
  return VerifiedLogin{id, expires_ms, {}, 0};
}

std::string KeyOf(const SharedLoginTable& table, int n, const std::string& generation = "g1") {
  return table.LoginKey("user" + std::to_string(n), "password", generation);
}

// Waits for a forked child and returns its exit code (-1 unless it exited normally).
int ExitCodeOf(pid_t child) {
  int status = 0;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status)) {
    return -1;
  }
  return WEXITSTATUS(status);
}

struct QuietLog {
  QuietLog() { InitLog("error", ""); }  // recoveries and lock timeouts are expected here
};

BOOST_FIXTURE_TEST_SUITE(shared_login_table, QuietLog)

BOOST_AUTO_TEST_CASE(key_depends_on_every_field_and_the_secret) {
  SharedLoginTable table(64);
  SharedLoginTable other(64);
  const std::string key = table.LoginKey("user", "password", "7");
  BOOST_TEST(key.size() == 32U);
  BOOST_TEST(table.LoginKey("user", "password", "7") == key);
  std::set<std::string> keys{key,
                             table.LoginKey("user2", "password", "7"),
                             table.LoginKey("user", "password2", "7"),
                             table.LoginKey("user", "password", "8"),
                             table.LoginKey("user", "password", std::nullopt),
                             table.LoginKey("user", "password", ""),
                             table.LoginKey("userp", "assword", "7"),
                             other.LoginKey("user", "password", "7")};
  BOOST_TEST(keys.size() == 8U);
}

BOOST_AUTO_TEST_CASE(remembered_login_lasts_until_it_expires) {
  SharedLoginTable table(64);
  const std::string key = KeyOf(table, 1);
  BOOST_TEST(!table.Check(key, kNowMs).has_value());
  const std::string digest(16, 'r');
  table.Remember(key, VerifiedLogin{42, kNowMs + kMinuteMs, digest, kNowMs + 1000}, kNowMs);
  const auto found = table.Check(key, kNowMs + kMinuteMs - 1);
  BOOST_REQUIRE(found.has_value());
  BOOST_TEST(found->id == 42);
  BOOST_TEST(found->expires_ms == kNowMs + kMinuteMs);
  BOOST_TEST(found->recheck_digest == digest);
  BOOST_TEST(found->recheck_due_ms == kNowMs + 1000);
  BOOST_TEST(!table.Check(key, kNowMs + kMinuteMs).has_value());
  BOOST_TEST(table.CountLive(kNowMs + kMinuteMs) == 0U);
}

BOOST_AUTO_TEST_CASE(new_generation_misses_and_forget_removes) {
  SharedLoginTable table(64);
  table.Remember(KeyOf(table, 1, "g1"), LoginOf(7, kNowMs + kMinuteMs), kNowMs);
  BOOST_TEST(table.Check(KeyOf(table, 1, "g1"), kNowMs).has_value());
  // A password change or a disable moved the account's generation.
  BOOST_TEST(!table.Check(KeyOf(table, 1, "g2"), kNowMs).has_value());
  table.Forget(KeyOf(table, 1, "g1"));
  BOOST_TEST(!table.Check(KeyOf(table, 1, "g1"), kNowMs).has_value());
  // Keys of another length are nobody's: ignored, never a crash.
  table.Remember("short", LoginOf(7, kNowMs + kMinuteMs), kNowMs);
  BOOST_TEST(!table.Check("short", kNowMs).has_value());
  table.Forget("short");
}

BOOST_AUTO_TEST_CASE(full_table_drops_the_logins_closest_to_expiry) {
  SharedLoginTable table(SharedLoginTable::kWays);  // one bucket: every key lands in it
  BOOST_REQUIRE(table.Capacity() == SharedLoginTable::kWays);
  const int count = static_cast<int>(SharedLoginTable::kWays) + 3;
  for (int n = 0; n < count; ++n) {
    table.Remember(KeyOf(table, n), LoginOf(n, kNowMs + kMinuteMs + n), kNowMs);
  }
  BOOST_TEST(table.CountLive(kNowMs) == SharedLoginTable::kWays);
  for (int n = 0; n < count; ++n) {
    BOOST_TEST(table.Check(KeyOf(table, n), kNowMs).has_value() == (n >= 3));
  }
  // An expired login makes room before a live one.
  table.Remember(KeyOf(table, 100), LoginOf(100, kNowMs + 1), kNowMs);
  BOOST_REQUIRE(table.Check(KeyOf(table, 100), kNowMs).has_value());
  BOOST_REQUIRE(!table.Check(KeyOf(table, 3), kNowMs).has_value());
  table.Remember(KeyOf(table, 101), LoginOf(101, kNowMs + 2 * kMinuteMs), kNowMs + 1);
  BOOST_TEST(table.Check(KeyOf(table, 101), kNowMs + 1).has_value());
  BOOST_TEST(table.Check(KeyOf(table, 4), kNowMs + 1).has_value());
  // Remembering a key again replaces its login rather than taking a second slot.
  table.Remember(KeyOf(table, 101), LoginOf(102, kNowMs + 3 * kMinuteMs), kNowMs + 1);
  BOOST_TEST(table.Check(KeyOf(table, 101), kNowMs + 1)->id == 102);
  BOOST_TEST(table.Check(KeyOf(table, 4), kNowMs + 1).has_value());
}

// The default table (16,384 slots) holds 10,000 users without dropping any: with one bucket
// per key about 200 of them were dropped (overflowing buckets), and each dropped user's
// password was hashed again at the next request, evicting another.
BOOST_AUTO_TEST_CASE(table_at_sixty_percent_load_drops_nobody) {
  SharedLoginTable table(16384);
  const int users = 10000;
  for (int n = 0; n < users; ++n) {
    table.Remember(KeyOf(table, n), LoginOf(n, kNowMs + kMinuteMs + n), kNowMs);
  }
  BOOST_TEST(table.CountLive(kNowMs) == static_cast<size_t>(users));
  int found = 0;
  for (int n = 0; n < users; ++n) {
    const auto login = table.Check(KeyOf(table, n), kNowMs);
    found += login && login->id == n ? 1 : 0;
  }
  BOOST_TEST(found == users);
  // Even at 90 % load, at most a few are dropped.
  SharedLoginTable fuller(1024);
  for (int n = 0; n < 922; ++n) {
    fuller.Remember(KeyOf(fuller, n), LoginOf(n, kNowMs + kMinuteMs + n), kNowMs);
  }
  BOOST_TEST(fuller.CountLive(kNowMs) >= 900U);
}

// Workers forked after the table was made see each other's logins; under concurrent use
// (small table: constant eviction) a hit always carries the id remembered under that key.
BOOST_AUTO_TEST_CASE(forked_workers_share_logins_and_never_see_a_torn_one) {
  SharedLoginTable table(256);
  constexpr int kWorkers = 4;
  constexpr int kKeys = 200;
  constexpr int kRounds = 20;
  std::vector<pid_t> children;
  for (int worker = 0; worker < kWorkers; ++worker) {
    const pid_t child = fork();
    BOOST_REQUIRE(child >= 0);
    if (child == 0) {
      int wrong = 0;
      for (int round = 0; round < kRounds; ++round) {
        for (int n = 0; n < kKeys; ++n) {
          const int key_number = worker * kKeys + n;
          const std::string key = KeyOf(table, key_number);
          table.Remember(key, LoginOf(key_number, kNowMs + kMinuteMs), kNowMs);
          // Read another worker's key too.
          const int other = ((worker + 1) % kWorkers) * kKeys + n;
          const auto found = table.Check(KeyOf(table, other), kNowMs);
          if (found && found->id != other) {
            ++wrong;
          }
        }
      }
      _exit(wrong == 0 ? 0 : 1);
    }
    children.push_back(child);
  }
  for (const pid_t child : children) {
    BOOST_TEST(ExitCodeOf(child) == 0);
  }
  // Then each of a new set of workers remembers one login (later expiry than the logins
  // above, so none of them makes room for another) for the parent to see.
  for (int worker = 0; worker < kWorkers; ++worker) {
    const pid_t child = fork();
    BOOST_REQUIRE(child >= 0);
    if (child == 0) {
      table.Remember(KeyOf(table, 10000 + worker), LoginOf(10000 + worker, kNowMs + 2 * kMinuteMs),
                     kNowMs);
      _exit(0);
    }
    BOOST_TEST(ExitCodeOf(child) == 0);
  }
  for (int worker = 0; worker < kWorkers; ++worker) {
    const auto found = table.Check(KeyOf(table, 10000 + worker), kNowMs);
    BOOST_TEST((found.has_value() && found->id == 10000 + worker));
  }
  BOOST_TEST(table.CountLive(kNowMs) <= table.Capacity());
}

BOOST_AUTO_TEST_CASE(worker_killed_holding_the_lock_wedges_nobody) {
  SharedLoginTable table(64);
  table.Remember(KeyOf(table, 1), LoginOf(1, kNowMs + kMinuteMs), kNowMs);
  const pid_t child = fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    table.RunLocked([] { raise(SIGKILL); });
    _exit(0);  // not reached
  }
  int status = 0;
  BOOST_REQUIRE(waitpid(child, &status, 0) == child);
  BOOST_REQUIRE(WIFSIGNALED(status));
  // The dead holder may have torn a slot: the table is emptied, and works on.
  BOOST_TEST(!table.Check(KeyOf(table, 1), kNowMs).has_value());
  table.Remember(KeyOf(table, 2), LoginOf(2, kNowMs + kMinuteMs), kNowMs);
  BOOST_TEST(table.Check(KeyOf(table, 2), kNowMs)->id == 2);
}

BOOST_AUTO_TEST_CASE(worker_stopped_holding_the_lock_only_costs_real_checks) {
  SharedLoginTable table(64);
  table.Remember(KeyOf(table, 1), LoginOf(1, kNowMs + kMinuteMs), kNowMs);
  int ready[2];
  BOOST_REQUIRE(pipe(ready) == 0);
  const pid_t child = fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    table.RunLocked([&ready] {
      const char byte = 'x';
      (void)!write(ready[1], &byte, 1);
      for (;;) {
        pause();
      }
    });
    _exit(0);
  }
  char byte = 0;
  BOOST_REQUIRE(read(ready[0], &byte, 1) == 1);
  close(ready[0]);
  close(ready[1]);
  // Each call gives up after the lock timeout: "not remembered", nothing stored.
  BOOST_TEST(!table.Check(KeyOf(table, 1), kNowMs).has_value());
  table.Remember(KeyOf(table, 2), LoginOf(2, kNowMs + kMinuteMs), kNowMs);
  BOOST_TEST(!table.RunLocked([] {}));
  kill(child, SIGKILL);
  BOOST_REQUIRE(waitpid(child, nullptr, 0) == child);
  BOOST_TEST(!table.Check(KeyOf(table, 2), kNowMs).has_value());
  table.Remember(KeyOf(table, 2), LoginOf(2, kNowMs + kMinuteMs), kNowMs);
  BOOST_TEST(table.Check(KeyOf(table, 2), kNowMs).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace weave
