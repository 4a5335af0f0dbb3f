// Unit tests of the lockout rules: a guesser cannot lock the owner out, but cannot guess
// without limit either; old counters and addresses expire.
#include "auth/login_guard.h"

#include <memory>
#include <string>

#include <boost/test/unit_test.hpp>

#include "auth/caching_account_backend.h"
#include "auth/login_rider.h"
#include "auth/sql_user_store.h"
#include "core/log.h"
#include "core/metrics.h"
#include "db/make_connection.h"
#include "db/sql_connection.h"
#include "test_support.h"

namespace weave {
namespace {

class GuardFixture {
 public:
  GuardFixture() {
    InitLog("error", "");  // failed logins are expected here
    DatabaseConfig database;
    database.sqlite.path = dir.File("weave.db");
    connection = MakeConnection(database);
    users = std::make_unique<SqlUserStore>(*connection, AuthConfig{});
    BOOST_REQUIRE(
        (users->CreateUser("owner", "the right one", "").outcome == CreateOutcome::kCreated));
    BOOST_REQUIRE(
        (users->CreateUser("other", "another one", "").outcome == CreateOutcome::kCreated));
    policy.lockout_max_failures = 3;
    policy.lockout_max_failures_per_address = 5;
    policy.lockout_window_seconds = 600;
    policy.lockout_seconds = 900;
    failures = std::make_unique<LoginFailures>(*connection, clock);
    guard = std::make_unique<LoginGuard>(*users, *failures, policy, clock);
  }

  LoginStatus Login(const std::string& user, const std::string& password,
                    const std::string& address) {
    const RequestScope scope(*connection);
    return guard->Check(user, password, EventSource{address, "GET", "/", ""}).status;
  }
  LoginStatus Owner(const std::string& address) { return Login("owner", "the right one", address); }
  void Guess(const std::string& user, const std::string& address, int times) {
    for (int i = 0; i < times; ++i) {
      Login(user, "guess " + std::to_string(i), address);
    }
  }
  int64_t CountRows(const char* table) {
    const RequestScope scope(*connection);
    StatementScope query(connection->Prepare(std::string("SELECT count(*) FROM ") + table));
    query->Step();
    return query->ColumnInt(0);
  }

  testing::TempDir dir;
  ManualClock clock{int64_t{1700000000} * 1000};
  AccountsConfig policy;
  std::unique_ptr<SqlConnection> connection;
  std::unique_ptr<SqlUserStore> users;
  std::unique_ptr<LoginFailures> failures;
  std::unique_ptr<LoginGuard> guard;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(login_guard, GuardFixture)

// With the SQL store as read-ahead, the lockout check's statement also reads the account
// row; it serves that one login check only. A change made through another connection (as
// by another worker) is seen by the next login at once, also after a login the lockout
// refused.
BOOST_AUTO_TEST_CASE(the_account_row_read_with_the_lockout_check_serves_one_login_only) {
  CachingAccountBackend cached(*users, 60, 60, clock);
  LoginGuard read_ahead(cached, *failures, policy, clock, users.get());
  const auto login = [&](const std::string& password, const std::string& address) {
    const RequestScope scope(*connection);
    return read_ahead.Check("owner", password, EventSource{address, "GET", "/", ""}).status;
  };
  DatabaseConfig database;
  database.sqlite.path = dir.File("weave.db");
  const std::unique_ptr<SqlConnection> other_worker = MakeConnection(database);
  SqlUserStore other_users(*other_worker, AuthConfig{});

  BOOST_TEST((login("the right one", "192.0.2.1") == LoginStatus::kAccepted));
  BOOST_TEST((other_users.SetPassword("owner", "a new one") == ChangeOutcome::kChanged));
  BOOST_TEST((login("the right one", "192.0.2.1") == LoginStatus::kRejected));
  BOOST_TEST((login("a new one", "192.0.2.1") == LoginStatus::kAccepted));

  Guess("owner", "198.51.100.7", 3);  // the name is locked for addresses it did not use
  BOOST_TEST((login("a new one", "198.51.100.7") == LoginStatus::kLocked));
  BOOST_TEST((other_users.SetPassword("owner", "a third one") == ChangeOutcome::kChanged));
  BOOST_TEST(users->CredentialStamp("owner").value() ==
             other_users.CredentialStamp("owner").value());
  BOOST_TEST((login("a third one", "192.0.2.1") == LoginStatus::kAccepted));
}

BOOST_AUTO_TEST_CASE(a_guesser_cannot_lock_the_owner_out_of_a_trusted_address) {
  BOOST_TEST((Owner("198.51.100.7") == LoginStatus::kAccepted));  // the owner's home
  Guess("owner", "203.0.113.1", 2);
  Guess("owner", "203.0.113.2", 2);                               // the name is now locked...
  BOOST_TEST((Owner("192.0.2.44") == LoginStatus::kLocked));      // ...for unknown addresses
  BOOST_TEST((Owner("198.51.100.7") == LoginStatus::kAccepted));  // not for the owner's own
  BOOST_TEST((Login("other", "another one", "192.0.2.44") == LoginStatus::kAccepted));
  clock.AdvanceMs(int64_t{901} * 1000);
  BOOST_TEST((Owner("192.0.2.44") == LoginStatus::kAccepted));
}

BOOST_AUTO_TEST_CASE(a_guesser_at_the_owners_address_is_still_locked) {
  BOOST_TEST((Owner("198.51.100.7") == LoginStatus::kAccepted));
  Guess("owner", "198.51.100.7", 3);
  BOOST_TEST((Owner("198.51.100.7") == LoginStatus::kLocked));
}

// Metrics: each refusal by the lockout counts once; wrong passwords before it do not.
BOOST_AUTO_TEST_CASE(lockouts_are_counted) {
  MetricsTable table;
  InstallMetrics(&table, nullptr);
  Guess("owner", "198.51.100.7", 3);
  BOOST_TEST(table.EventTotal(MetricEvent::kLockout) == 0U);
  BOOST_TEST((Owner("198.51.100.7") == LoginStatus::kLocked));
  Guess("owner", "198.51.100.7", 1);
  BOOST_TEST(table.EventTotal(MetricEvent::kLockout) == 2U);
  InstallMetrics(nullptr, nullptr);
}

BOOST_AUTO_TEST_CASE(a_guessing_address_is_throttled_for_names_it_does_not_own) {
  BOOST_TEST((Login("other", "another one", "203.0.113.9") == LoginStatus::kAccepted));
  for (int i = 0; i < 5; ++i) {
    Guess("nobody" + std::to_string(i), "203.0.113.9", 1);
  }
  BOOST_TEST((Owner("203.0.113.9") == LoginStatus::kLocked));
  // The address logged in as "other" lately: a shared NAT does not lock that user out.
  BOOST_TEST((Login("other", "another one", "203.0.113.9") == LoginStatus::kAccepted));
  BOOST_TEST((Owner("203.0.113.10") == LoginStatus::kAccepted));
}

BOOST_AUTO_TEST_CASE(ipv6_addresses_count_by_their_64_network) {
  BOOST_TEST(AddressKey("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64");
  BOOST_TEST(AddressKey("2001:db8:1:2:ffff:ffff:ffff:ffff") == "2001:db8:1:2::/64");
  BOOST_TEST(AddressKey("192.0.2.1") == "192.0.2.1");
  BOOST_TEST(AddressKey("not an address") == "not an address");
  for (int i = 0; i < 5; ++i) {
    Guess("nobody" + std::to_string(i), "2001:db8:1:2::" + std::to_string(i + 1), 1);
  }
  BOOST_TEST((Owner("2001:db8:1:2:1234::9") == LoginStatus::kLocked));
  BOOST_TEST((Owner("2001:db8:1:3::9") == LoginStatus::kAccepted));
}

BOOST_AUTO_TEST_CASE(trust_ends_after_trusted_address_days) {
  policy.trusted_address_days = 1;
  guard = std::make_unique<LoginGuard>(*users, *failures, policy, clock);
  BOOST_TEST((Owner("198.51.100.7") == LoginStatus::kAccepted));
  clock.AdvanceMs(int64_t{2} * 86400 * 1000);
  Guess("owner", "203.0.113.1", 3);
  BOOST_TEST((Owner("198.51.100.7") == LoginStatus::kLocked));
}

BOOST_AUTO_TEST_CASE(old_counters_and_addresses_expire) {
  BOOST_TEST((Owner("198.51.100.7") == LoginStatus::kAccepted));
  for (int i = 0; i < 50; ++i) {
    Guess("random" + std::to_string(i), "203.0.113." + std::to_string(i), 1);
  }
  BOOST_TEST(CountRows("login_failures") == 150);  // per name, per address, per pair
  BOOST_TEST(CountRows("trusted_addresses") == 1);
  clock.AdvanceMs(int64_t{31} * 86400 * 1000);
  const RequestScope scope(*connection);
  BOOST_TEST(failures->ExpireOldRows(3600, int64_t{30} * 86400, 100) == 101);
  BOOST_TEST(failures->ExpireOldRows(3600, int64_t{30} * 86400, 100) == 50);
  BOOST_TEST(failures->ExpireOldRows(3600, int64_t{30} * 86400, 100) == 0);
}

// A deleted account's trusted addresses do not exempt the next account of its name from a
// lockout, and that account's own logins are trusted again at once.
BOOST_AUTO_TEST_CASE(a_deleted_accounts_trusted_addresses_go_with_it) {
  BOOST_TEST((Owner("198.51.100.7") == LoginStatus::kAccepted));
  BOOST_REQUIRE(users->DeleteUser("owner").has_value());
  guard->ForgetAccount("owner");
  BOOST_TEST(CountRows("trusted_addresses") == 0);
  BOOST_REQUIRE(
      (users->CreateUser("owner", "the right one", "").outcome == CreateOutcome::kCreated));
  Guess("owner", "203.0.113.1", 2);
  Guess("owner", "203.0.113.2", 2);
  BOOST_TEST((Owner("198.51.100.7") == LoginStatus::kLocked));
  clock.AdvanceMs(int64_t{901} * 1000);
  BOOST_TEST((Owner("198.51.100.7") == LoginStatus::kAccepted));
  BOOST_TEST(CountRows("trusted_addresses") == 1);
}

BOOST_AUTO_TEST_CASE(a_user_keeps_only_its_newest_trusted_addresses) {
  for (int i = 0; i < LoginFailures::kMaxTrustedAddresses + 4; ++i) {
    clock.AdvanceMs(1000);
    BOOST_TEST((Owner("198.51.100." + std::to_string(i)) == LoginStatus::kAccepted));
  }
  BOOST_TEST(CountRows("trusted_addresses") == LoginFailures::kMaxTrustedAddresses);
}

// A clock a second further on at every reading.
class TickingClock final : public Clock {
 public:
  explicit TickingClock(int64_t start_ms) : next_ms_(start_ms) {}
  int64_t NowMs() const override {
    const int64_t now = next_ms_;
    next_ms_ += 1000;
    return now;
  }

 private:
  mutable int64_t next_ms_;
};

// A riding login whose lock ends between two readings of the clock: the gate and the
// login's columns must judge it at one time. With two readings (when they were separate
// branches of a union) the gate kept the data back while the branches found nothing
// locked, so the login passed and the request was answered from an empty read (for
// meta/global a 404, on which Firefox starts over).
BOOST_AUTO_TEST_CASE(a_riding_login_judges_its_lock_at_one_time) {
  const int64_t start_s = 1700000000;
  const EventSource source{"192.0.2.7", "GET", "/", ""};
  const std::vector<std::string> keys = LoginGuard::LockoutKeys("owner", source);
  {
    const RequestScope scope(*connection);
    StatementScope lock(
        connection->Prepare("INSERT INTO login_failures (key, failures, window_start, "
                            "locked_until) VALUES (?, 3, ?, ?)"));
    lock->BindText(0, keys.front());
    lock->BindInt(1, start_s);
    lock->BindInt(2, start_s + 1);  // locked at start_s, no longer a second later
    lock->Step();
  }
  TickingClock ticking(start_s * 1000);
  LoginFailures ticking_failures(*connection, ticking);
  LoginGuard ticking_guard(*users, ticking_failures, policy, ticking, users.get());
  LoginRider rider(ticking_guard, ticking_failures, "owner", "the right one", source);
  const RequestScope scope(*connection);
  StatementScope query(
      connection->Prepare(rider.Statement("d", "(SELECT 'data' AS d) AS carrier", "1 = 1", true)));
  rider.Bind(*query, 0);
  int data_rows = 0;
  while (query->Step()) {
    data_rows += rider.TakeRow(*query, 1) ? 1 : 0;
  }
  rider.Carried();
  const LoginResult result = rider.Finish();
  const bool answered_from_the_read =
      result.status == LoginStatus::kAccepted && !rider.CarrierWithheld();
  BOOST_TEST((!answered_from_the_read || data_rows == 1));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace weave
