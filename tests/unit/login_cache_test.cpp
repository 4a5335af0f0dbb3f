// Unit tests of the login cache's timing rules over a scripted back end: when it asks the
// back end's credential and recheck stamps, how long a change behind its back can go
// unnoticed, and what a back end that cannot answer a recheck does to a cached login.
#include <functional>
#include <map>
#include <optional>
#include <string>

#include <boost/test/unit_test.hpp>

#include "auth/account_store.h"
#include "auth/caching_account_backend.h"
#include "auth/shared_login_table.h"
#include "core/clock.h"
#include "core/errors.h"
#include "core/log.h"

namespace weave {
namespace {

constexpr int64_t kStartMs = 1700000000000;
constexpr int kTtlSeconds = 3600;
constexpr int kRecheckSeconds = 10;

// One account, scripted: its password, both stamps, and whether the "directory" answers.
// Counts the calls the cache makes, which is what the tests look at.
class ScriptedBackend final : public AccountBackend {
 public:
  std::string password = "right-password";
  std::string stamp = "s1";
  std::optional<std::string> recheck_stamp = std::string("r1");
  bool directory_down = false;
  // Changes the credential stamp in the middle of the next password check (a change racing
  // with the check).
  bool change_stamp_during_check = false;

  int authenticate_calls = 0;
  int recheck_calls = 0;
  std::function<void()> during_recheck;  // run once, inside the next RecheckStamp

  std::optional<UserId> Authenticate(std::string_view username, std::string_view given) override {
    ++authenticate_calls;
    if (directory_down) {
      throw BackendError("directory down");
    }
    const bool right = username == "user" && given == password;
    if (change_stamp_during_check) {
      change_stamp_during_check = false;
      stamp += "'";
    }
    return right ? std::optional<UserId>(7) : std::nullopt;
  }
  std::optional<std::string> CredentialStamp(std::string_view /*username*/) override {
    return stamp;
  }
  std::optional<std::string> RecheckStamp(std::string_view /*username*/) override {
    ++recheck_calls;
    if (during_recheck) {
      const std::function<void()> run = std::move(during_recheck);
      during_recheck = nullptr;
      run();  // another worker, while this search is in flight
    }
    if (directory_down) {
      throw BackendError("directory down");
    }
    return recheck_stamp;
  }
  void CheckHealth() override {}

  std::optional<AccountInfo> FindUser(std::string_view /*username*/) override {
    return AccountInfo{7, "user", "", 1};
  }
  CreateResult CreateUser(std::string_view /*username*/, std::string_view /*password*/,
                          std::string_view /*email*/) override {
    return {CreateOutcome::kNameTaken, 0};
  }
  // A change made through the server: the credential stamp moves (as LDAP's generation).
  ChangeOutcome SetPassword(std::string_view /*username*/, std::string_view given) override {
    password = given;
    stamp += "+";
    return ChangeOutcome::kChanged;
  }
  ChangeOutcome SetEmail(std::string_view /*username*/, std::string_view /*email*/) override {
    return ChangeOutcome::kChanged;
  }
  std::optional<UserId> DeleteUser(std::string_view /*username*/) override { return 7; }

  // A change made in the directory itself: only the recheck stamp moves.
  void ChangeInDirectory(const std::string& new_password) {
    password = new_password;
    recheck_stamp = *recheck_stamp + "+";
  }
};

struct CacheFixture {
  CacheFixture() { InitLog("error", ""); }  // failed rechecks are expected here

  bool Login(CachingAccountBackend& cache, const std::string& given) {
    return cache.Authenticate("user", given).has_value();
  }

  ManualClock clock{kStartMs};
  ScriptedBackend backend;
};

BOOST_FIXTURE_TEST_SUITE(login_cache, CacheFixture)

BOOST_AUTO_TEST_CASE(cached_login_costs_a_recheck_only_every_interval) {
  CachingAccountBackend cache(backend, kTtlSeconds, kRecheckSeconds, clock);
  BOOST_TEST(Login(cache, "right-password"));
  BOOST_TEST(backend.authenticate_calls == 1);
  BOOST_TEST(backend.recheck_calls == 1);  // read before the password check
  for (int i = 0; i < 9; ++i) {
    clock.AdvanceMs(1000);
    BOOST_TEST(Login(cache, "right-password"));
  }
  BOOST_TEST(backend.authenticate_calls == 1);
  BOOST_TEST(backend.recheck_calls == 1);
  clock.AdvanceMs(1000);  // 10 s after the check
  BOOST_TEST(Login(cache, "right-password"));
  BOOST_TEST(Login(cache, "right-password"));
  BOOST_TEST(backend.authenticate_calls == 1);
  BOOST_TEST(backend.recheck_calls == 2);
}

BOOST_AUTO_TEST_CASE(directory_change_ends_cached_login_within_the_recheck_interval) {
  CachingAccountBackend cache(backend, kTtlSeconds, kRecheckSeconds, clock);
  BOOST_REQUIRE(Login(cache, "right-password"));
  backend.ChangeInDirectory("new-password");
  clock.AdvanceMs(9000);
  BOOST_TEST(Login(cache, "right-password"));  // the documented window
  clock.AdvanceMs(1000);
  BOOST_TEST(!Login(cache, "right-password"));
  BOOST_TEST(!Login(cache, "right-password"));
  BOOST_TEST(Login(cache, "new-password"));
}

BOOST_AUTO_TEST_CASE(change_through_another_worker_ends_cached_login_at_once) {
  CachingAccountBackend worker1(backend, kTtlSeconds, kRecheckSeconds, clock);
  CachingAccountBackend worker2(backend, kTtlSeconds, kRecheckSeconds, clock);
  BOOST_REQUIRE(Login(worker1, "right-password"));
  BOOST_REQUIRE(Login(worker2, "right-password"));
  BOOST_REQUIRE((worker1.SetPassword("user", "new-password") == ChangeOutcome::kChanged));
  BOOST_TEST(!Login(worker2, "right-password"));
  BOOST_TEST(!Login(worker1, "right-password"));
  BOOST_TEST(Login(worker2, "new-password"));
}

BOOST_AUTO_TEST_CASE(zero_recheck_interval_rechecks_every_cached_login) {
  CachingAccountBackend cache(backend, kTtlSeconds, 0, clock);
  BOOST_REQUIRE(Login(cache, "right-password"));
  BOOST_TEST(Login(cache, "right-password"));
  BOOST_TEST(Login(cache, "right-password"));
  BOOST_TEST(backend.authenticate_calls == 1);
  BOOST_TEST(backend.recheck_calls == 3);
  backend.ChangeInDirectory("new-password");
  BOOST_TEST(!Login(cache, "right-password"));
}

BOOST_AUTO_TEST_CASE(without_recheck_stamp_only_the_lifetime_bounds_a_directory_change) {
  backend.recheck_stamp.reset();
  CachingAccountBackend cache(backend, 60, kRecheckSeconds, clock);
  BOOST_REQUIRE(Login(cache, "right-password"));
  backend.password = "new-password";
  clock.AdvanceMs(59 * 1000);
  BOOST_TEST(Login(cache, "right-password"));
  BOOST_TEST(backend.recheck_calls == 1);  // only before the password check
  clock.AdvanceMs(1000);
  BOOST_TEST(!Login(cache, "right-password"));
}

BOOST_AUTO_TEST_CASE(failed_recheck_keeps_the_login_until_its_lifetime_ends) {
  CachingAccountBackend cache(backend, 60, kRecheckSeconds, clock);
  BOOST_REQUIRE(Login(cache, "right-password"));
  backend.directory_down = true;
  clock.AdvanceMs(kRecheckSeconds * 1000);
  BOOST_TEST(Login(cache, "right-password"));
  BOOST_TEST(backend.recheck_calls == 2);
  // One failed reading per interval, not one per request.
  BOOST_TEST(Login(cache, "right-password"));
  BOOST_TEST(backend.recheck_calls == 2);
  clock.AdvanceMs(kRecheckSeconds * 1000);
  BOOST_TEST(Login(cache, "right-password"));
  BOOST_TEST(backend.recheck_calls == 3);
  clock.AdvanceMs(60 * 1000);
  BOOST_CHECK_THROW(cache.Authenticate("user", "right-password"), BackendError);
  backend.directory_down = false;
  BOOST_TEST(Login(cache, "right-password"));
}

BOOST_AUTO_TEST_CASE(wrong_password_leaves_the_cached_login_alone) {
  CachingAccountBackend cache(backend, kTtlSeconds, kRecheckSeconds, clock);
  BOOST_REQUIRE(Login(cache, "right-password"));
  BOOST_TEST(!Login(cache, "wrong-password"));
  BOOST_TEST(backend.authenticate_calls == 2);
  BOOST_TEST(Login(cache, "right-password"));
  BOOST_TEST(backend.authenticate_calls == 2);
}

BOOST_AUTO_TEST_CASE(change_racing_with_the_check_is_not_trusted_next_time) {
  CachingAccountBackend cache(backend, kTtlSeconds, kRecheckSeconds, clock);
  backend.change_stamp_during_check = true;
  BOOST_REQUIRE(Login(cache, "right-password"));
  BOOST_TEST(Login(cache, "right-password"));
  BOOST_TEST(backend.authenticate_calls == 2);  // the stamp read before the check was stale
  BOOST_TEST(Login(cache, "right-password"));
  BOOST_TEST(backend.authenticate_calls == 2);
}

BOOST_AUTO_TEST_CASE(shared_store_checks_a_password_once_for_all_workers) {
  SharedLoginTable shared(64);
  CachingAccountBackend worker1(backend, kTtlSeconds, kRecheckSeconds, clock, shared);
  CachingAccountBackend worker2(backend, kTtlSeconds, kRecheckSeconds, clock, shared);
  BOOST_REQUIRE(Login(worker1, "right-password"));
  BOOST_TEST(Login(worker2, "right-password"));
  BOOST_TEST(Login(worker2, "right-password"));
  BOOST_TEST(backend.authenticate_calls == 1);
  BOOST_TEST(worker1.RealChecks() == 1);
  BOOST_TEST(worker2.RealChecks() == 0);
  // A wrong password is checked for real, and remembered nowhere.
  BOOST_TEST(!Login(worker2, "wrong-password"));
  BOOST_TEST(!Login(worker1, "wrong-password"));
  BOOST_TEST(backend.authenticate_calls == 3);
}

BOOST_AUTO_TEST_CASE(change_through_one_worker_ends_the_shared_login_for_all) {
  SharedLoginTable shared(64);
  CachingAccountBackend worker1(backend, kTtlSeconds, kRecheckSeconds, clock, shared);
  CachingAccountBackend worker2(backend, kTtlSeconds, kRecheckSeconds, clock, shared);
  BOOST_REQUIRE(Login(worker1, "right-password"));
  BOOST_REQUIRE((worker1.SetPassword("user", "new-password") == ChangeOutcome::kChanged));
  BOOST_TEST(!Login(worker2, "right-password"));
  BOOST_TEST(!Login(worker1, "right-password"));
  BOOST_TEST(Login(worker2, "new-password"));
  BOOST_TEST(Login(worker1, "new-password"));
  BOOST_TEST(worker1.RealChecks() == 2);  // right-password after the change, and the first
}

BOOST_AUTO_TEST_CASE(shared_login_is_rechecked_by_one_worker_per_interval) {
  SharedLoginTable shared(64);
  CachingAccountBackend worker1(backend, kTtlSeconds, kRecheckSeconds, clock, shared);
  CachingAccountBackend worker2(backend, kTtlSeconds, kRecheckSeconds, clock, shared);
  BOOST_REQUIRE(Login(worker1, "right-password"));
  BOOST_REQUIRE(backend.recheck_calls == 1);
  clock.AdvanceMs(kRecheckSeconds * 1000);
  BOOST_TEST(Login(worker1, "right-password"));
  BOOST_TEST(Login(worker2, "right-password"));
  BOOST_TEST(backend.recheck_calls == 2);
  backend.ChangeInDirectory("new-password");
  clock.AdvanceMs(kRecheckSeconds * 1000);
  BOOST_TEST(!Login(worker2, "right-password"));
  BOOST_TEST(!Login(worker1, "right-password"));
  BOOST_TEST(Login(worker1, "new-password"));
}

// A recheck in flight in one worker must not let another trust the login meanwhile: the
// directory change it is about to find is older than the interval.
BOOST_AUTO_TEST_CASE(recheck_in_flight_elsewhere_is_not_a_pass) {
  SharedLoginTable shared(64);
  CachingAccountBackend worker1(backend, kTtlSeconds, kRecheckSeconds, clock, shared);
  CachingAccountBackend worker2(backend, kTtlSeconds, kRecheckSeconds, clock, shared);
  BOOST_REQUIRE(Login(worker1, "right-password"));
  backend.ChangeInDirectory("new-password");
  clock.AdvanceMs(kRecheckSeconds * 1000);
  bool worker2_accepted = true;
  backend.during_recheck = [&] {
    worker2_accepted = Login(worker2, "right-password");
  };
  BOOST_TEST(!Login(worker1, "right-password"));
  BOOST_TEST(!worker2_accepted);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace weave
