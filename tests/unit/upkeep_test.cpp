// The background purge (server/upkeep.h, storage/storage_upkeep.h): bounded batches, only
// what has expired, the writers' lock free between batches; the workers' shared turn
// (fcgi/upkeep_turn.h); and the progress display (core/progress.h).
#include "server/upkeep.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <sys/file.h>
#include <sys/wait.h>

#include "core/config_loader.h"
#include "core/errors.h"
#include "core/progress.h"
#include "db/make_connection.h"
#include "storage/sql_storage.h"
#include "storage/storage_upkeep.h"
#include "test_support.h"

namespace weave {
namespace {

constexpr int64_t kStartMs = int64_t{1700000000} * 1000;

struct PurgeFixture {
  // SQLite in a private folder, or the given database.
  explicit PurgeFixture(const std::optional<DatabaseConfig>& database = std::nullopt) {
    config.database.sqlite.path = dir.File("weave.db");
    if (database) {
      config.database = *database;
    }
    connection = MakeConnection(config.database);
    storage = std::make_unique<SqlStorage>(*connection);
    failures = std::make_unique<LoginFailures>(*connection, clock);
    state = std::make_unique<AccountState>(*connection, clock);
  }

  // count records of user 1 in "tabs", with a ttl of ttl_seconds (none: never expire).
  void Store(int count, std::optional<int64_t> ttl_seconds, const std::string& prefix) {
    std::vector<std::string> ids;
    for (int i = 0; i < count; ++i) {
      ids.push_back(prefix + std::to_string(i));
    }
    std::vector<ItemWrite> items;
    for (const std::string& id : ids) {
      items.push_back(ItemWrite{id, std::string_view("payload"), std::nullopt, std::nullopt,
                                std::nullopt, ttl_seconds});
    }
    const RequestScope scope(*connection);
    const WriteResult result =
        storage->PutItems(1, "tabs", items, WriteContext{clock.NowMs() / 10, std::nullopt, 0});
    BOOST_REQUIRE(result.status == WriteStatus::kDone);
  }

  int64_t Count(const std::string& sql) {
    StatementScope query(connection->Prepare(sql));
    BOOST_REQUIRE(query->Step());
    return query->ColumnInt(0);
  }

  PurgeTargets Targets() { return {*connection, *failures, *state, config, clock}; }

  testing::TempDir dir;
  ManualClock clock{kStartMs};
  Config config;
  std::unique_ptr<SqlConnection> connection;
  std::unique_ptr<SqlStorage> storage;
  std::unique_ptr<LoginFailures> failures;
  std::unique_ptr<AccountState> state;
};

BOOST_AUTO_TEST_SUITE(upkeep)

BOOST_FIXTURE_TEST_CASE(purge_deletes_only_what_expired_in_bounded_batches, PurgeFixture) {
  Store(25, 60, "short");
  Store(5, std::nullopt, "lasting");
  Store(4, 86400, "long");
  clock.AdvanceMs(61 * 1000);
  BOOST_TEST(CountExpiredRecords(*connection, clock.NowMs() / 1000) == 25);
  // One batch of 10: the limit holds, and the run says more is left.
  PurgeRun run = Purge(Targets(), 10, 1);
  BOOST_TEST(run.deleted.records == 10);
  BOOST_TEST(run.more_left);
  std::vector<int64_t> seen;
  run = Purge(Targets(), 10, 0,
              [&seen](const PurgeCounts& so_far) { seen.push_back(so_far.records); });
  BOOST_TEST(run.deleted.records == 15);
  BOOST_TEST(!run.more_left);
  BOOST_TEST(seen == (std::vector<int64_t>{10, 15}), boost::test_tools::per_element());
  BOOST_TEST(Count("SELECT count(*) FROM wbo") == 9);
  // The stored totals (quota, info/quota) follow.
  BOOST_TEST(Count("SELECT sum(item_count) FROM collection_stats") == 9);
  BOOST_TEST(CountExpiredRecords(*connection, clock.NowMs() / 1000) == 0);
}

BOOST_FIXTURE_TEST_CASE(purge_expires_reset_codes_and_lockout_rows, PurgeFixture) {
  state->CreateResetCode("someone", 60);
  failures->RecordFailure("user:someone", LockoutPolicy{});
  clock.AdvanceMs(int64_t{2} * 86400 * 1000);
  const PurgeRun run = Purge(Targets(), 100, 0);
  BOOST_TEST(run.deleted.account_rows == 1);
  BOOST_TEST(run.deleted.login_rows == 1);
  BOOST_TEST(Count("SELECT count(*) FROM password_resets") == 0);
  BOOST_TEST(Count("SELECT count(*) FROM login_failures") == 0);
}

// True if another process could take the writers' lock (the flock of SqliteConnection and
// SQLite's own) right now, without waiting.
bool AnotherWriterMayWrite(const std::string& path) {
  const int fd = open((path + "-writelock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  BOOST_REQUIRE(fd >= 0);
  const bool free_lock = flock(fd, LOCK_EX | LOCK_NB) == 0;
  close(fd);
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_busy_timeout(db, 0);
  const bool wrote =
      sqlite3_exec(db,
                   "BEGIN IMMEDIATE; INSERT INTO invites (code_hash, created, expires) "
                   "VALUES (hex(randomblob(8)), 0, 4000000000); COMMIT;",
                   nullptr, nullptr, nullptr) == SQLITE_OK;
  sqlite3_close(db);
  return free_lock && wrote;
}

BOOST_FIXTURE_TEST_CASE(a_purge_frees_the_writers_lock_after_each_batch, PurgeFixture) {
  Store(30, 60, "short");
  clock.AdvanceMs(61 * 1000);
  int batches = 0;
  bool always_free = true;
  Purge(Targets(), 10, 0, [&](const PurgeCounts& /*so_far*/) {
    ++batches;
    always_free = always_free && AnotherWriterMayWrite(config.database.sqlite.path);
  });
  BOOST_TEST(batches >= 3);
  BOOST_TEST(always_free);
  BOOST_TEST(Count("SELECT count(*) FROM wbo") == 0);
}

BOOST_FIXTURE_TEST_CASE(a_wipe_in_batches_deletes_everything_of_one_user, PurgeFixture) {
  Store(12, std::nullopt, "r");
  BOOST_TEST(UserUsage(*connection, 1).size() == 1U);
  BOOST_TEST(UserUsage(*connection, 1)[0].collection == "tabs");
  BOOST_TEST(UserUsage(*connection, 1)[0].records == 12);
  BOOST_TEST(AllUsersUsage(*connection)[0].bytes == 12 * 7);
  BOOST_TEST(UsersWithData(*connection) == 1);
  BOOST_TEST(DeleteRecordBatch(*connection, 1, 5) == 5);
  BOOST_TEST(DeleteRecordBatch(*connection, 1, 5) == 5);
  BOOST_TEST(DeleteRecordBatch(*connection, 1, 5) == 2);
  BOOST_TEST(DeleteRecordBatch(*connection, 2, 5) == 0);
  BOOST_TEST(UsersWithData(*connection) == 0);
}

// The MySQL/MariaDB forms: DELETE ... LIMIT through the expiry index.
BOOST_AUTO_TEST_CASE(mysql_purge_and_wipe_are_bounded_and_complete) {
  const auto database = testing::MysqlTestConfig("weave_contract");
  if (!database) {
    BOOST_TEST_MESSAGE("skipped: no MySQL test server (WEAVE_TEST_MYSQL_HOST is not set)");
    return;
  }
  PurgeFixture fixture(database);
  for (const char* table : {"wbo", "collections", "collection_stats"}) {
    StatementScope clear(fixture.connection->Prepare(std::string("DELETE FROM ") + table));
    clear->Step();
  }
  fixture.Store(25, 60, "short");
  fixture.Store(5, std::nullopt, "lasting");
  fixture.clock.AdvanceMs(61 * 1000);
  BOOST_TEST(CountExpiredRecords(*fixture.connection, fixture.clock.NowMs() / 1000) == 25);
  PurgeRun run = Purge(fixture.Targets(), 10, 1);
  BOOST_TEST(run.deleted.records == 10);
  BOOST_TEST(run.more_left);
  run = Purge(fixture.Targets(), 10, 0);
  BOOST_TEST(run.deleted.records == 15);
  BOOST_TEST(fixture.Count("SELECT count(*) FROM wbo") == 5);
  BOOST_TEST(UserUsage(*fixture.connection, 1).at(0).records == 5);
  BOOST_TEST(DeleteRecordBatch(*fixture.connection, 1, 3) == 3);
  BOOST_TEST(DeleteRecordBatch(*fixture.connection, 1, 3) == 2);
  BOOST_TEST(UsersWithData(*fixture.connection) == 0);
}

BOOST_AUTO_TEST_CASE(one_worker_gets_each_turn_also_across_processes) {
  UpkeepTurn turn;
  BOOST_TEST(turn.TryTake(1000, 600));
  BOOST_TEST(!turn.TryTake(1000, 600));  // taken: due at 1600
  BOOST_TEST(!turn.TryTake(1599, 600));
  const pid_t child = fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    _exit(turn.TryTake(1600, 600) ? 0 : 1);  // a worker: the shared page, not a copy
  }
  int status = 0;
  BOOST_REQUIRE(waitpid(child, &status, 0) == child);
  BOOST_TEST(WEXITSTATUS(status) == 0);
  BOOST_TEST(turn.NextDueMs() == 2200);
  BOOST_TEST(!turn.TryTake(1700, 600));
  turn.Done(1700, true);  // more left: the next idle worker carries on at once
  BOOST_TEST(turn.TryTake(1700, 600));
  turn.Done(1800, false);
  BOOST_TEST(!turn.TryTake(1800, 600));
}

BOOST_AUTO_TEST_CASE(upkeep_keys_are_read_and_checked) {
  const Config defaults = LoadConfigText("");
  BOOST_TEST(defaults.upkeep.enabled);
  BOOST_TEST(defaults.upkeep.interval_seconds == 600);
  BOOST_TEST(defaults.upkeep.batch_rows == 500);
  BOOST_TEST(defaults.upkeep.batches_per_run == 20);
  const Config set = LoadConfigText(
      "upkeep:\n  enabled: false\n  interval_seconds: 5\n  batch_rows: 7\n"
      "  batches_per_run: 3\n");
  BOOST_TEST(!set.upkeep.enabled);
  BOOST_TEST(set.upkeep.interval_seconds == 5);
  BOOST_TEST(set.upkeep.batch_rows == 7);
  BOOST_TEST(set.upkeep.batches_per_run == 3);
  BOOST_CHECK_THROW(LoadConfigText("upkeep:\n  batch_rows: 0\n"), ConfigError);
  BOOST_CHECK_THROW(LoadConfigText("upkeep:\n  interval_seconds: 0\n"), ConfigError);
  BOOST_CHECK_THROW(LoadConfigText("upkeep:\n  every: 5\n"), ConfigError);
}

BOOST_AUTO_TEST_CASE(progress_texts) {
  BOOST_TEST(ProgressBar("wiping", 5, 10, 10) == "wiping [#####.....]  50% 5/10");
  BOOST_TEST(ProgressBar("wiping", 12, 10, 4) == "wiping [####] 100% 12/10");
  BOOST_TEST(ProgressBar("wiping", 3, 0, 4) == "wiping: 3");
  BOOST_TEST(ProgressLine("purging", 1, 3) == "purging: 1/3 (33%)");
  BOOST_TEST(ProgressLine("purging", 4, 0) == "purging: 4");
}

BOOST_AUTO_TEST_CASE(plain_progress_writes_about_ten_lines) {
  std::ostringstream out;
  {
    Progress progress("copying", 1000, out, false);
    for (int done = 1; done <= 1000; ++done) {
      progress.Update(done);
    }
    progress.Finish(1000);
  }
  const std::string text = out.str();
  BOOST_TEST(text.find('\r') == std::string::npos);
  const auto lines = std::count(text.begin(), text.end(), '\n');
  BOOST_TEST(lines <= 11);
  BOOST_TEST(lines >= 10);
  BOOST_TEST(text.ends_with("\ncopying: 1000/1000 (100%)\n"));
}

BOOST_AUTO_TEST_CASE(terminal_progress_redraws_one_line) {
  std::ostringstream out;
  {
    Progress progress("copying", 4, out, true);
    progress.Update(1);
    progress.Update(1);  // unchanged: not drawn again
    progress.Update(4);
  }  // not finished (an error): the line still ends
  const std::string text = out.str();
  BOOST_TEST(std::count(text.begin(), text.end(), '\r') == 2);
  BOOST_TEST(text.back() == '\n');
  BOOST_TEST(text.find("] 100% 4/4") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace weave
