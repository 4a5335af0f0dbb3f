// collection_stats kept by the server (storage/collection_stats.h) on SQLite: the per-record
// triggers of older databases are dropped when the schema is applied, and the recount used
// by weave-admin import. The storage contract checks every write's delta on every back end.
#include "storage/collection_stats.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "db/make_connection.h"
#include "storage/sql_storage.h"
#include "test_support.h"

namespace weave {
namespace {

using testing::Full;

constexpr int64_t kT0 = 130000000000;
constexpr int kForms = 3;  // the standard id of "forms"

DatabaseConfig SqliteAt(const testing::TempDir& dir) {
  DatabaseConfig config;
  config.driver = "sqlite";
  config.sqlite.path = dir.File("weave.db");
  return config;
}

void Run(SqlConnection& db, const std::string& sql) {
  StatementScope statement(db.Prepare(sql));
  statement->Step();
}

int64_t ReadInt(SqlConnection& db, const std::string& sql) {
  db.TrimStatementCache();
  StatementScope query(db.Prepare(sql));
  return query->Step() ? query->ColumnInt(0) : -1;
}

WriteContext At(int64_t time_cs) {
  WriteContext context;
  context.request_time_cs = time_cs;
  return context;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(collection_stats)

// What databases made before had: a trigger program per record changed the stats row. Left in
// place, each would count every write a second time.
BOOST_AUTO_TEST_CASE(sqlite_drops_the_per_record_triggers_of_an_older_database) {
  testing::TempDir dir;
  {
    std::unique_ptr<SqlConnection> old = MakeConnection(SqliteAt(dir));
    Run(*old,
        "CREATE TRIGGER wbo_after_insert AFTER INSERT ON wbo BEGIN"
        " INSERT INTO collection_stats (userid, collection, modified, item_count, payload_bytes)"
        " VALUES (NEW.username, NEW.collection, NEW.modified, 1, NEW.payload_size)"
        " ON CONFLICT (userid, collection) DO UPDATE SET item_count = item_count + 1,"
        " payload_bytes = payload_bytes + excluded.payload_bytes; END");
    Run(*old,
        "CREATE TRIGGER wbo_after_delete AFTER DELETE ON wbo BEGIN UPDATE collection_stats"
        " SET item_count = item_count - 1, payload_bytes = payload_bytes - OLD.payload_size"
        " WHERE userid = OLD.username AND collection = OLD.collection; END");
    Run(*old,
        "CREATE TRIGGER wbo_after_update_size AFTER UPDATE OF payload_size ON wbo BEGIN"
        " UPDATE collection_stats SET payload_bytes = payload_bytes - OLD.payload_size +"
        " NEW.payload_size WHERE userid = OLD.username AND collection = OLD.collection; END");
    BOOST_TEST(ReadInt(*old, "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'") == 3);
  }
  std::unique_ptr<SqlConnection> upgraded = MakeConnection(SqliteAt(dir));
  BOOST_TEST(ReadInt(*upgraded, "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'") == 0);
  SqlStorage storage(*upgraded);
  const std::vector<ItemWrite> first = {Full("a", "12345"), Full("b", "1")};
  storage.PutItems(1, "forms", first, At(kT0));
  const std::vector<ItemWrite> second = {Full("a", "12")};
  storage.PutItems(1, "forms", second, At(kT0 + 100));
  BOOST_TEST(ReadInt(*upgraded, "SELECT item_count FROM collection_stats WHERE userid = 1") == 2);
  BOOST_TEST(ReadInt(*upgraded, "SELECT payload_bytes FROM collection_stats WHERE userid = 1") ==
             3);
}

BOOST_AUTO_TEST_CASE(recount_sets_the_counts_from_the_records_and_keeps_the_times) {
  testing::TempDir dir;
  std::unique_ptr<SqlConnection> db = MakeConnection(SqliteAt(dir));
  Run(*db,
      "INSERT INTO wbo (username, collection, id, modified, payload, payload_size) VALUES"
      " (1, 3, 'a', 100, 'xyz', 3), (1, 3, 'b', 200, 'pq', 2), (1, 4, 'h', 300, 'h', 1),"
      " (2, 3, 'other', 400, 'o', 1)");
  // Stale rows: forms overcounted, keys (5) has no records left.
  Run(*db,
      "INSERT INTO collection_stats (userid, collection, modified, item_count, payload_bytes)"
      " VALUES (1, 3, 999, 7, 70), (1, 5, 50, 2, 20)");
  RecountCollectionStats(*db, 1);
  BOOST_TEST(ReadInt(*db,
                     "SELECT item_count FROM collection_stats WHERE userid = 1 AND "
                     "collection = " +
                         std::to_string(kForms)) == 2);
  BOOST_TEST(ReadInt(*db,
                     "SELECT payload_bytes FROM collection_stats WHERE userid = 1 AND "
                     "collection = 3") == 5);
  BOOST_TEST(ReadInt(*db,
                     "SELECT modified FROM collection_stats WHERE userid = 1 AND "
                     "collection = 3") == 999);
  BOOST_TEST(ReadInt(*db,
                     "SELECT item_count FROM collection_stats WHERE userid = 1 AND "
                     "collection = 5") == 0);
  // A collection without a row gets one, with its newest record's time.
  BOOST_TEST(ReadInt(*db,
                     "SELECT modified FROM collection_stats WHERE userid = 1 AND "
                     "collection = 4") == 300);
  BOOST_TEST(ReadInt(*db, "SELECT count(*) FROM collection_stats WHERE userid = 2") == 0);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace weave
