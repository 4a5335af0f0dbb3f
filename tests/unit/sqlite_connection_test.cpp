// SqliteConnection's request scope (one read snapshot per request, ended before any write)
// and its between-request WAL upkeep, with two connections on one file as two workers.
#include "db/sqlite_connection.h"

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "test_support.h"

namespace weave {
namespace {

constexpr std::string_view kSchema = "CREATE TABLE IF NOT EXISTS t (v TEXT NOT NULL);";

struct TwoWorkers {
  testing::TempDir dir;
  SqliteConfig config = [this] {
    SqliteConfig sqlite;
    sqlite.path = dir.File("test.db");
    return sqlite;
  }();

  static int64_t Count(SqlConnection& connection) {
    StatementScope query(connection.Prepare("SELECT count(*) FROM t"));
    BOOST_REQUIRE(query->Step());
    return query->ColumnInt(0);
  }
  static void Insert(SqlConnection& connection, std::string_view value) {
    StatementScope insert(connection.Prepare("INSERT INTO t (v) VALUES (?)"));
    insert->BindText(0, value);
    insert->Step();
  }
};

BOOST_AUTO_TEST_SUITE(sqlite_connection)

BOOST_FIXTURE_TEST_CASE(reads_of_one_request_share_a_snapshot, TwoWorkers) {
  SqliteConnection first(config, kSchema);
  SqliteConnection second(config, kSchema);
  first.BeginRequest();
  BOOST_TEST(Count(first) == 0);
  Insert(second, "from the other worker");
  BOOST_TEST(Count(first) == 0);  // still the request's snapshot
  first.EndRequest();
  BOOST_TEST(Count(first) == 1);  // outside a request, every statement reads afresh
}

BOOST_FIXTURE_TEST_CASE(a_write_ends_the_request_snapshot_instead_of_failing, TwoWorkers) {
  SqliteConnection first(config, kSchema);
  SqliteConnection second(config, kSchema);
  first.BeginRequest();
  BOOST_TEST(Count(first) == 0);
  Insert(second, "other");
  // Upgrading the stale snapshot to a writer would fail (SQLITE_BUSY_SNAPSHOT); the lone
  // write runs on its own and later reads see everything.
  Insert(first, "mine");
  BOOST_TEST(Count(first) == 2);
  first.EndRequest();
}

BOOST_FIXTURE_TEST_CASE(a_write_transaction_in_a_request_starts_from_the_latest_data, TwoWorkers) {
  SqliteConnection first(config, kSchema);
  SqliteConnection second(config, kSchema);
  first.BeginRequest();
  BOOST_TEST(Count(first) == 0);
  Insert(second, "other");
  {
    SqlTransaction transaction(first);
    BOOST_TEST(Count(first) == 1);
    Insert(first, "mine");
    transaction.Commit();
  }
  BOOST_TEST(Count(first) == 2);
  first.EndRequest();
  BOOST_TEST(Count(second) == 2);
}

BOOST_FIXTURE_TEST_CASE(idle_upkeep_bounds_the_write_ahead_log, TwoWorkers) {
  config.checkpoint_pages = 4;
  config.wal_restart_pages = 16;
  const std::string page_sized(3000, 'x');
  const auto wal_bytes = [this] {
    return std::filesystem::file_size(config.path + "-wal");
  };
  {
    // Without upkeep the log only grows: commits never checkpoint on their own.
    SqliteConnection writer(config, kSchema);
    for (int i = 0; i < 200; ++i) {
      Insert(writer, page_sized);
    }
    BOOST_TEST(wal_bytes() > 200 * 3000);
  }  // the last connection to close checkpoints and removes the log
  SqliteConnection writer(config, kSchema);
  SqliteConnection reader(config, kSchema);
  for (int i = 0; i < 200; ++i) {
    reader.BeginRequest();  // a reader is active at every commit, as under load
    Count(reader);
    Insert(writer, page_sized);
    reader.EndRequest();
    writer.Idle();
  }
  BOOST_TEST(wal_bytes() < 40 * (4096 + 24));
  BOOST_TEST(Count(writer) == 400);
}

BOOST_FIXTURE_TEST_CASE(idle_upkeep_checkpoints_a_quiet_log_within_a_second, TwoWorkers) {
  config.checkpoint_pages = 100000;  // never due by size here
  const std::string page_sized(3000, 'x');
  SqliteConnection writer(config, kSchema);
  const auto database_bytes = [this] {
    return std::filesystem::file_size(config.path);
  };
  Insert(writer, page_sized);
  writer.Idle();  // too soon after the connection opened
  const auto before = database_bytes();
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  Insert(writer, page_sized);
  writer.Idle();
  // The pages reached the database file: the log was checkpointed (and synced).
  BOOST_TEST(database_bytes() > before);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace weave
