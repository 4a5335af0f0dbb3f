// Node assignment (capacity, states, atomic under concurrent processes), the storage freeze
// during a move, and the move itself between two databases. SQLite always; MySQL too when a
// test server is given (WEAVE_TEST_MYSQL_*, see test_support.h).
#include "auth/node_directory.h"

#include <unistd.h>

#include <algorithm>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <sys/wait.h>

#include "db/make_connection.h"
#include "storage/cache_marks.h"
#include "storage/sql_storage.h"
#include "storage/user_move.h"
#include "test_support.h"

namespace weave {
namespace {

DatabaseConfig SqliteAt(const testing::TempDir& dir, const std::string& name) {
  DatabaseConfig config;
  config.sqlite.path = dir.File(name);
  return config;
}

void Clear(SqlConnection& db) {
  for (const char* table :
       {"nodes", "user_nodes", "frozen_users", "wbo", "collection_stats", "collections"}) {
    StatementScope statement(db.Prepare(std::string("DELETE FROM ") + table));
    statement->Step();
  }
}

// The databases every test runs on: SQLite, and MySQL when configured.
std::vector<DatabaseConfig> Databases(const testing::TempDir& dir, const std::string& name) {
  std::vector<DatabaseConfig> configs{SqliteAt(dir, name + ".db")};
  if (auto mysql = testing::MysqlTestConfig("weave_test")) {
    configs.push_back(*mysql);
  }
  return configs;
}

BOOST_AUTO_TEST_SUITE(node_directory)

BOOST_AUTO_TEST_CASE(assigns_by_room_relative_to_capacity_and_skips_full_and_draining) {
  const testing::TempDir dir;
  for (const DatabaseConfig& config : Databases(dir, "accounts")) {
    const auto db = MakeConnection(config);
    Clear(*db);
    NodeDirectory nodes(*db);
    BOOST_TEST(!nodes.Any());
    BOOST_TEST(nodes.Add("http://a/", 1));
    BOOST_TEST(nodes.Add("http://b/", 3));
    BOOST_TEST(!nodes.Add("http://b/", 9));
    BOOST_TEST(nodes.Any());
    std::vector<std::string> placed;
    for (const char* user : {"u1", "u2", "u3", "u4"}) {
      placed.push_back(nodes.Assign(user).value_or("none"));
    }
    std::sort(placed.begin(), placed.end());
    BOOST_TEST(placed ==
               (std::vector<std::string>{"http://a/", "http://b/", "http://b/", "http://b/"}));
    BOOST_TEST(!nodes.Assign("u5").has_value());                                      // both full
    BOOST_TEST(nodes.Assign("u1").value_or("") == nodes.NodeOf("u1").value_or("-"));  // kept
    BOOST_TEST(nodes.Find("http://a/")->load == 1);
    BOOST_TEST(nodes.SetCapacity("http://a/", 10));
    BOOST_TEST(nodes.SetState("http://a/", kNodeDraining));
    BOOST_TEST(!nodes.Assign("u5").has_value());  // the only node with room drains
    BOOST_TEST(nodes.SetState("http://a/", kNodeActive));
    BOOST_TEST(nodes.Assign("u5").value_or("") == "http://a/");
    BOOST_TEST(!nodes.SetState("http://nowhere/", kNodeDown));
    // Moves and deletions carry the load along.
    const std::string from = *nodes.NodeOf("u2");
    const std::string to = from == "http://a/" ? "http://b/" : "http://a/";
    nodes.Reassign("u2", to);
    BOOST_TEST(*nodes.NodeOf("u2") == to);
    nodes.Release("u5");
    BOOST_TEST(!nodes.NodeOf("u5").has_value());
    int64_t total = 0;
    for (const NodeInfo& node : nodes.List()) {
      total += node.load;
      BOOST_TEST(node.load == static_cast<int64_t>(nodes.UsersOf(node.url).size()));
    }
    BOOST_TEST(total == 4);
  }
}

// Processes with connections of their own assign at once: the load never passes capacity,
// and every place taken is one user's.
BOOST_AUTO_TEST_CASE(concurrent_assignment_never_exceeds_capacity) {
  const testing::TempDir dir;
  for (const DatabaseConfig& config : Databases(dir, "race")) {
    {
      const auto db = MakeConnection(config);
      Clear(*db);
      NodeDirectory(*db).Add("http://a/", 20);
      NodeDirectory(*db).Add("http://b/", 30);
    }
    constexpr int kProcesses = 4;
    std::vector<pid_t> children;
    for (int process = 0; process < kProcesses; ++process) {
      const pid_t child = fork();
      if (child == 0) {
        int status = 0;
        try {
          const auto db = MakeConnection(config);
          NodeDirectory nodes(*db);
          for (int i = 0; i < 30; ++i) {
            nodes.Assign("user" + std::to_string(i * kProcesses + process));
          }
        } catch (...) {
          status = 1;
        }
        _exit(status);
      }
      children.push_back(child);
    }
    for (const pid_t child : children) {
      int status = 0;
      waitpid(child, &status, 0);
      BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0));
    }
    const auto db = MakeConnection(config);
    NodeDirectory nodes(*db);
    for (const NodeInfo& node : nodes.List()) {
      BOOST_TEST(node.load == node.capacity);
      BOOST_TEST(static_cast<int64_t>(nodes.UsersOf(node.url).size()) == node.capacity);
    }
  }
}

ItemWrite Record(const std::string& id, const std::string& payload) {
  ItemWrite write;
  write.id = id;
  write.payload = payload;
  return write;
}

BOOST_AUTO_TEST_CASE(a_frozen_user_cannot_write) {
  const testing::TempDir dir;
  for (const DatabaseConfig& config : Databases(dir, "frozen")) {
    const auto db = MakeConnection(config);
    Clear(*db);
    SqlStorage storage(*db);
    const std::string id = "r1";
    const std::string payload = "p";
    const std::vector<ItemWrite> items{Record(id, payload)};
    BOOST_TEST((storage.PutItems(7, "history", items, {100, {}, 0}).status == WriteStatus::kDone));
    StatementScope freeze(db->Prepare("INSERT INTO frozen_users (userid, since) VALUES (7, 1)"));
    freeze->Step();
    BOOST_CHECK_THROW(storage.PutItems(7, "history", items, {200, {}, 0}), UserFrozen);
    BOOST_CHECK_THROW(storage.DeleteItems(7, "history", {}, {200, {}, 0}), UserFrozen);
    BOOST_CHECK_THROW(storage.DeleteStorage(7), UserFrozen);
    BOOST_TEST((storage.PutItems(8, "history", items, {300, {}, 0}).status == WriteStatus::kDone));
  }
}

BOOST_AUTO_TEST_CASE(move_copies_everything_switches_and_removes_the_old_copy) {
  const testing::TempDir dir;
  const auto accounts = MakeConnection(SqliteAt(dir, "accounts.db"));
  const auto from = MakeConnection(SqliteAt(dir, "from.db"));
  const auto to = MakeConnection(SqliteAt(dir, "to.db"));
  NodeDirectory nodes(*accounts);
  nodes.Add("http://from/", 10);
  nodes.Add("http://to/", 10);
  BOOST_TEST(*nodes.Assign("mia") == "http://from/");
  SqlStorage source(*from);
  std::vector<std::string> ids;
  std::vector<std::string> payloads;
  for (int i = 0; i < 1200; ++i) {  // more than one batch
    ids.push_back("id" + std::to_string(i));
    payloads.push_back("payload " + std::to_string(i));
  }
  std::vector<ItemWrite> items;
  for (size_t i = 0; i < ids.size(); ++i) {
    items.push_back(Record(ids[i], payloads[i]));
  }
  source.PutItems(5, "history", items, {1000, {}, 0});
  source.PutItems(5, "my-own", std::span(items).first(3), {2000, {}, 0});
  CollectionFilter one;
  one.ids = std::vector<std::string>{"id7"};
  source.DeleteItems(5, "history", one, {3000, {}, 0});
  // Stale records of the user on the target (an earlier stay there) must not survive.
  SqlStorage target(*to);
  target.PutItems(5, "stale", std::span(items).first(1), {500, {}, 0});
  // Nor their cache tokens on either node: entries of a shared cache carrying them would
  // look current if the user came back (storage/caching_storage.h).
  CacheMarks(*to).Renew(5);
  CacheMarks(*from).Renew(5);
  std::ostringstream steps;
  std::ostringstream progress;
  const MoveResult result = MoveUser({"mia", 5, "http://from/", "http://to/", from.get(), to.get()},
                                     nodes, {steps, progress, false});
  BOOST_TEST(result.records == 1202);
  // The copy's progress is core/progress.h's: a line per tenth when not on a terminal.
  BOOST_TEST(progress.str() ==
             "  copying records: 500/1202 (41%)\n  copying records: 1000/1202 (83%)\n"
             "  copying records: 1202/1202 (100%)\n");
  BOOST_TEST(steps.str().find("1202 records verified") != std::string::npos);
  BOOST_TEST(steps.str().find("switched mia to http://to/") != std::string::npos);
  BOOST_TEST(*nodes.NodeOf("mia") == "http://to/");
  BOOST_TEST(nodes.Find("http://from/")->load == 0);
  BOOST_TEST(nodes.Find("http://to/")->load == 1);
  using Named = std::vector<std::pair<std::string, int64_t>>;
  BOOST_TEST((target.GetCollectionTimestamps(5) == Named{{"history", 3000}, {"my-own", 2000}}));
  BOOST_TEST((target.GetCollectionCounts(5, 0) == Named{{"history", 1199}, {"my-own", 3}}));
  std::string read;
  target.GetItem(5, "history", "id42", 0,
                 [&read](const ItemView& item) { read = std::string(*item.payload); });
  BOOST_TEST(read == "payload 42");
  BOOST_TEST(source.GetCollectionTimestamps(5).empty());
  BOOST_TEST(!CacheMarks(*to).Find(5).has_value());
  BOOST_TEST(!CacheMarks(*from).Find(5).has_value());
  // The old node keeps refusing writes of the user (one racing the switch is not lost).
  BOOST_CHECK_THROW(source.PutItems(5, "history", items, {4000, {}, 0}), UserFrozen);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace weave
