// Logins that ride on the first read of a read-only request (auth/login_rider.h), through the
// server's App: the answer is held until the login is accepted, what the read found is
// thrown away otherwise, an account made again under its old name reads its own records, and
// a lockout that a trusted address passes still gets complete answers. The same with a
// shared cache (a real memcached), where the login rides on the read of the user's cache
// token, and an entry under an older token is not served. On SQLite, and on MariaDB when
// WEAVE_TEST_MYSQL_HOST names a server (tests/mysql/run.sh).
// Also: a worker's full map of user ids drops one name, not all.
#include "auth/login_rider.h"

#include <memory>
#include <optional>
#include <span>
#include <string>

#include <boost/test/unit_test.hpp>

#include "auth/sql_user_store.h"
#include "cache_servers.h"
#include "core/crypto.h"
#include "core/log.h"
#include "server/app.h"
#include "storage/cache_marks.h"
#include "storage/sql_storage.h"
#include "test_support.h"

namespace weave {
namespace {

constexpr int64_t kStartMs = 1300000000250;

class RiderBench {
 public:
  explicit RiderBench(Config config) : config_(std::move(config)), clock_(kStartMs) {
    InitLog("error", "");  // failed logins are expected here
    config_.log.access_log = false;
    app_ = std::make_unique<App>(config_, clock_);
    user_ = "rider" + HexEncode(RandomBytes(3));
    CreateAccount("pw-1");
  }

  void CreateAccount(const std::string& password) {
    SqlUserStore users(app_->Connection(), config_.auth);
    BOOST_REQUIRE((users.CreateUser(user_, password, "").outcome == CreateOutcome::kCreated));
  }
  App& Service() { return *app_; }
  const std::string& User() const { return user_; }

  Response Send(const std::string& method, const std::string& path, const std::string& password,
                const std::string& body = "", const std::string& query = "",
                const std::string& address = "192.0.2.1") {
    clock_.AdvanceMs(1000);
    Request request;
    request.method = method;
    request.path = "/1.1/" + user_ + "/" + path;
    request.body = body;
    request.query = query;
    request.remote_addr = address;
    request.headers.emplace_back("AUTHORIZATION", "Basic " + Base64Encode(user_ + ":" + password));
    return app_->Serve(request);
  }

 private:
  Config config_;
  ManualClock clock_;
  std::unique_ptr<App> app_;
  std::string user_;
};

constexpr const char* kSecret = "the-owner's-secret-payload";

// A user that has logged in (so its id is known and its reads carry its logins) and stored
// a record in bookmarks.
void LogInAndStore(RiderBench& bench) {
  const Response put = bench.Send("PUT", "storage/bookmarks/b1", "pw-1",
                                  std::string(R"({"payload":")") + kSecret + "\"}");
  BOOST_TEST_REQUIRE(put.status == 200);
  const Response read = bench.Send("GET", "storage/bookmarks", "pw-1", "", "full=1");
  BOOST_TEST_REQUIRE(read.status == 200);
  BOOST_TEST_REQUIRE(read.body.find(kSecret) != std::string::npos);
}

void WrongPasswordGetsNothingOfWhatWasRead(RiderBench& bench) {
  LogInAndStore(bench);
  for (const auto& [path, query] :
       {std::pair<std::string, std::string>{"storage/bookmarks", "full=1"},
        {"storage/bookmarks/b1", ""},
        {"info/collections", ""},
        {"info/quota", ""},
        {"info/collection_counts", ""}}) {
    const Response response = bench.Send("GET", path, "wrong", "", query);
    BOOST_TEST(response.status == 401, path);
    BOOST_TEST(response.body.find(kSecret) == std::string::npos, path);
    BOOST_TEST(response.body.find("bookmarks") == std::string::npos, path);
  }
  // The owner still reads everything.
  const Response owner = bench.Send("GET", "storage/bookmarks", "pw-1", "", "full=1");
  BOOST_TEST(owner.status == 200);
  BOOST_TEST(owner.body.find(kSecret) != std::string::npos);
}

void HandlerErrorUnderAWrongPasswordIs401(RiderBench& bench) {
  LogInAndStore(bench);
  BOOST_TEST(bench.Send("GET", "storage/bookmarks", "wrong", "", "newer=abc").status == 401);
  BOOST_TEST(bench.Send("GET", "storage/bookmarks", "pw-1", "", "newer=abc").status == 400);
}

void AccountMadeAgainReadsItsOwnRecords(RiderBench& bench) {
  LogInAndStore(bench);
  // The account goes (its records stay under the old id until purged), then a new one
  // takes the name: this worker still knows the old id.
  BOOST_TEST_REQUIRE(bench.Service().Accounts().DeleteUser(bench.User()).has_value());
  // While the name has no account, the riding read finds no login row: refused, and
  // nothing of the old records in the answer.
  const Response gone = bench.Send("GET", "storage/bookmarks", "pw-1", "", "full=1");
  BOOST_TEST(gone.status == 401);
  BOOST_TEST(gone.body.find(kSecret) == std::string::npos);
  bench.CreateAccount("pw-2");
  const Response read = bench.Send("GET", "storage/bookmarks", "pw-2", "", "full=1");
  BOOST_TEST(read.status == 200);
  BOOST_TEST(read.body == "[]");
  const Response collections = bench.Send("GET", "info/collections", "pw-2");
  BOOST_TEST(collections.status == 200);
  BOOST_TEST(collections.body == "{}");
  // And the old password is refused.
  BOOST_TEST(bench.Send("GET", "info/collections", "pw-1").status == 401);
}

void LockedUserFromATrustedAddressGetsFullAnswers(RiderBench& bench) {
  LogInAndStore(bench);  // from 192.0.2.1, which becomes trusted
  for (int guess = 0; guess < 10; ++guess) {
    bench.Send("GET", "info/collections", "guess", "", "", "198.51.100.7");
  }
  // Locked for that address, even with the right password.
  BOOST_TEST(bench.Send("GET", "info/collections", "pw-1", "", "", "198.51.100.7").status == 401);
  const Response read = bench.Send("GET", "storage/bookmarks", "pw-1", "", "full=1");
  BOOST_TEST(read.status == 200);
  BOOST_TEST(read.body.find(kSecret) != std::string::npos);
  const Response collections = bench.Send("GET", "info/collections", "pw-1");
  BOOST_TEST(collections.status == 200);
  BOOST_TEST(collections.body.find("bookmarks") != std::string::npos);
}

#if WITH_CACHE
// With a cache: an answer the cache holds is not served once the user has a new token (a
// write), although the token is read in the login's statement.
void MarkedUserIsAnsweredFromTheDatabase(RiderBench& bench) {
  LogInAndStore(bench);
  for (int round = 0; round < 2; ++round) {  // the second is answered by the cache
    const Response cached = bench.Send("GET", "info/collections", "pw-1");
    BOOST_TEST_REQUIRE(cached.status == 200);
    BOOST_TEST(cached.body.find("forms") == std::string::npos);
  }
  // A write behind the server's back, which gives the user a new token as writes do.
  const UserId user = bench.Service().Accounts().FindUser(bench.User()).value().id;
  SqlStorage database(bench.Service().Connection());
  ItemWrite item;
  item.id = "f1";
  item.payload = "form";
  WriteContext context;
  context.request_time_cs = kStartMs / 10 + 100000;
  database.PutItems(user, "forms", std::span(&item, 1), context);
  CacheMarks marks(bench.Service().Connection());
  marks.Renew(user);
  const Response fresh = bench.Send("GET", "info/collections", "pw-1");
  BOOST_TEST(fresh.status == 200);
  BOOST_TEST(fresh.body.find("forms") != std::string::npos);
  const Response again = bench.Send("GET", "info/collections", "pw-1");
  BOOST_TEST(again.body == fresh.body);
  // A wrong password is refused as ever, the answer held.
  const Response wrong = bench.Send("GET", "info/collections", "wrong");
  BOOST_TEST(wrong.status == 401);
  BOOST_TEST(wrong.body.find("forms") == std::string::npos);
}

// A prefix of its own: another case's database gives the same ids to other accounts.
Config WithCache(Config config, const testing::MemcachedServer& memcached) {
  config.cache.servers = {memcached.Url()};
  config.cache.prefix = "rider" + HexEncode(RandomBytes(4)) + ":";
  config.cache.login_secret = "login-rider-test-login-secret-0123456789";
  return config;
}
#endif

Config ConfigOnSqlite(const testing::TempDir& dir) {
  Config config;
  config.database.sqlite.path = dir.File("weave.db");
  return config;
}

std::optional<Config> ConfigOnMysql() {
  const auto database = testing::MysqlTestConfig("weave_riders");
  if (!database) {
    BOOST_TEST_MESSAGE("skipped: no MySQL test server (WEAVE_TEST_MYSQL_HOST is not set)");
    return std::nullopt;
  }
  Config config;
  config.database = *database;
  return config;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(login_rider)

BOOST_AUTO_TEST_CASE(sqlite_wrong_password_gets_nothing_of_what_was_read) {
  const testing::TempDir dir;
  RiderBench bench(ConfigOnSqlite(dir));
  WrongPasswordGetsNothingOfWhatWasRead(bench);
}

BOOST_AUTO_TEST_CASE(sqlite_handler_error_under_a_wrong_password_is_401) {
  const testing::TempDir dir;
  RiderBench bench(ConfigOnSqlite(dir));
  HandlerErrorUnderAWrongPasswordIs401(bench);
}

BOOST_AUTO_TEST_CASE(sqlite_account_made_again_reads_its_own_records) {
  const testing::TempDir dir;
  RiderBench bench(ConfigOnSqlite(dir));
  AccountMadeAgainReadsItsOwnRecords(bench);
}

BOOST_AUTO_TEST_CASE(sqlite_locked_user_from_a_trusted_address_gets_full_answers) {
  const testing::TempDir dir;
  RiderBench bench(ConfigOnSqlite(dir));
  LockedUserFromATrustedAddressGetsFullAnswers(bench);
}

#if WITH_CACHE
BOOST_AUTO_TEST_CASE(sqlite_with_a_cache) {
  const testing::MemcachedServer memcached;
  for (const auto& scenario :
       {&WrongPasswordGetsNothingOfWhatWasRead, &HandlerErrorUnderAWrongPasswordIs401,
        &AccountMadeAgainReadsItsOwnRecords, &LockedUserFromATrustedAddressGetsFullAnswers,
        &MarkedUserIsAnsweredFromTheDatabase}) {
    const testing::TempDir dir;
    RiderBench bench(WithCache(ConfigOnSqlite(dir), memcached));
    scenario(bench);
  }
}
#endif

BOOST_AUTO_TEST_CASE(mysql_riding_logins) {
  const auto config = ConfigOnMysql();
  if (!config) {
    return;
  }
  for (const auto& scenario :
       {&WrongPasswordGetsNothingOfWhatWasRead, &HandlerErrorUnderAWrongPasswordIs401,
        &AccountMadeAgainReadsItsOwnRecords, &LockedUserFromATrustedAddressGetsFullAnswers}) {
    RiderBench bench(*config);
    scenario(bench);
  }
#if WITH_CACHE
  const testing::MemcachedServer memcached;
  for (const auto& scenario :
       {&WrongPasswordGetsNothingOfWhatWasRead, &HandlerErrorUnderAWrongPasswordIs401,
        &AccountMadeAgainReadsItsOwnRecords, &LockedUserFromATrustedAddressGetsFullAnswers,
        &MarkedUserIsAnsweredFromTheDatabase}) {
    RiderBench bench(WithCache(*config, memcached));
    scenario(bench);
  }
#endif
}

// A worker that knows more user names than it keeps drops one, not all of them: the
// others' reads can still ride on their logins.
BOOST_AUTO_TEST_CASE(full_id_map_drops_one_name_not_all) {
  LoginRiders riders;
  const int names = static_cast<int>(LoginRiders::kMaxKnownIds) + 1;
  for (int n = 0; n < names; ++n) {
    riders.Remember("user" + std::to_string(n), n + 1);
  }
  int known = 0;
  for (int n = 0; n < names; ++n) {
    const auto id = riders.KnownId("user" + std::to_string(n));
    BOOST_TEST((!id || *id == n + 1));
    known += id ? 1 : 0;
  }
  BOOST_TEST(known == static_cast<int>(LoginRiders::kMaxKnownIds));
  BOOST_TEST((riders.KnownId("user" + std::to_string(names - 1)) == std::optional<UserId>(names)));
  // Remembering a known name again when full keeps every name.
  riders.Remember("user" + std::to_string(names - 1), names);
  BOOST_TEST((riders.KnownId("user" + std::to_string(names - 1)) == std::optional<UserId>(names)));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace weave
