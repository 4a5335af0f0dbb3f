// Account ids are never handed out twice: on a database made before the account_ids table
// (upgraded when it opens), across restarts, and on MySQL when a test server is given
// (WEAVE_TEST_MYSQL_*, see test_support.h; tests/mysql/run.sh runs this suite there).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "auth/password_hash.h"
#include "auth/sql_user_store.h"
#include "core/config.h"
#include "db/make_connection.h"
#include "db/sqlite_connection.h"
#include "storage/sql_storage.h"
#include "test_support.h"

namespace weave {
namespace {

// The tables that hold account ids, as sql/sqlite/schema.sql made them before account_ids
// existed (the rest of that schema is created by the upgrade like any missing table).
constexpr std::string_view kOldSchema = R"SQL(
CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  username      TEXT    NOT NULL UNIQUE,
  password_hash TEXT    NOT NULL,
  email         TEXT    NOT NULL DEFAULT '',
  status        INTEGER NOT NULL DEFAULT 1,
  alert         TEXT,
  created       INTEGER NOT NULL DEFAULT (strftime('%s', 'now'))
);
CREATE TABLE collections (
  userid       INTEGER NOT NULL,
  collectionid INTEGER NOT NULL,
  name         TEXT    NOT NULL,
  PRIMARY KEY (userid, collectionid),
  UNIQUE (userid, name)
) WITHOUT ROWID;
CREATE TABLE wbo (
  username      INTEGER NOT NULL,
  collection    INTEGER NOT NULL,
  id            TEXT    NOT NULL,
  parentid      TEXT,
  predecessorid TEXT,
  sortindex     INTEGER,
  modified      INTEGER NOT NULL,
  payload       TEXT,
  payload_size  INTEGER NOT NULL DEFAULT 0,
  ttl           INTEGER NOT NULL DEFAULT 2100000000,
  PRIMARY KEY (username, collection, id)
);
CREATE TABLE collection_stats (
  userid        INTEGER NOT NULL,
  collection    INTEGER NOT NULL,
  modified      INTEGER NOT NULL DEFAULT 0,
  item_count    INTEGER NOT NULL DEFAULT 0,
  payload_bytes INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (userid, collection)
) WITHOUT ROWID;
CREATE TABLE ldap_users (
  id        INTEGER PRIMARY KEY,
  username  TEXT    NOT NULL UNIQUE,
  entry_id  TEXT    NOT NULL,
  login     TEXT    NOT NULL,
  created   INTEGER NOT NULL DEFAULT (strftime('%s', 'now'))
);
)SQL";

AuthConfig FastHashes() {
  AuthConfig config;
  config.password_hash = "bcrypt";
  config.password_hash_cost = 4;
  return config;
}

void Run(SqlConnection& connection, std::string_view sql, const std::vector<int64_t>& ints = {},
         const std::vector<std::string>& texts = {}) {
  StatementScope statement(connection.Prepare(sql));
  int index = 0;
  for (const int64_t value : ints) {
    statement->BindInt(index++, value);
  }
  for (const std::string& value : texts) {
    statement->BindText(index++, value);
  }
  statement->Step();
}

int64_t CountRows(SqlConnection& connection, std::string_view sql) {
  StatementScope query(connection.Prepare(sql));
  BOOST_REQUIRE(query->Step());
  return query->ColumnInt(0);
}

// A database file of the old schema, and the same file opened as the server opens it.
struct OldDatabase {
  OldDatabase() {
    config.driver = "sqlite";
    config.sqlite.path = dir.File("weave.db");
    old = std::make_unique<SqliteConnection>(config.sqlite, kOldSchema);
  }
  // Closes the old-schema connection and opens the file with today's schema.
  std::unique_ptr<SqlConnection> Upgrade() {
    old.reset();
    return MakeConnection(config);
  }

  testing::TempDir dir;
  DatabaseConfig config;
  std::unique_ptr<SqlConnection> old;
};

BOOST_AUTO_TEST_SUITE(account_ids)

// Accounts 1, 2 and 4 exist; a deleted account's records (9), stats (11) and custom
// collection (12) were left behind, and a directory user was enrolled as 6.
BOOST_AUTO_TEST_CASE(upgrade_keeps_every_row_and_continues_above_every_id_ever_used) {
  OldDatabase database;
  SqlConnection& old = *database.old;
  const std::string hash = HashPassword("old-password-1", "bcrypt", 4);
  for (const auto& [id, name] :
       std::vector<std::pair<int64_t, std::string>>{{1, "alice"}, {2, "bob"}, {4, "dave"}}) {
    Run(old, "INSERT INTO users (id, username, password_hash) VALUES (?, ?, ?)", {id},
        {name, hash});
  }
  Run(old, "INSERT INTO wbo (username, collection, id, modified, payload) VALUES (?, 4, ?, 1, 'p')",
      {4}, {"dave-record"});
  Run(old, "INSERT INTO wbo (username, collection, id, modified, payload) VALUES (?, 4, ?, 1, 'p')",
      {9}, {"left-over"});
  Run(old, "INSERT INTO collection_stats (userid, collection, item_count) VALUES (?, 4, 1)", {11});
  Run(old, "INSERT INTO collections (userid, collectionid, name) VALUES (?, 101, ?)", {12},
      {"custom"});
  Run(old, "INSERT INTO ldap_users (id, username, entry_id, login) VALUES (?, ?, ?, ?)", {6},
      {"erin", "hex:00", "erin"});

  const std::unique_ptr<SqlConnection> connection = database.Upgrade();
  SqlUserStore store(*connection, FastHashes());
  BOOST_TEST((store.Authenticate("alice", "old-password-1") == UserId{1}));
  BOOST_TEST((store.Authenticate("dave", "old-password-1") == UserId{4}));
  BOOST_TEST(CountRows(*connection, "SELECT count(*) FROM users") == 3);
  BOOST_TEST(CountRows(*connection, "SELECT count(*) FROM wbo") == 2);
  BOOST_TEST(CountRows(*connection, "SELECT count(*) FROM ldap_users WHERE id = 6") == 1);
  SqlStorage storage(*connection);
  BOOST_TEST(storage.GetItem(4, "history", "dave-record", 1, [](const ItemView&) {}));

  const CreateResult created = store.CreateUser("frank", "new-password-1", "");
  BOOST_REQUIRE(created.outcome == CreateOutcome::kCreated);
  BOOST_TEST(created.id > 12);
  BOOST_TEST(storage.GetCollectionTimestamps(created.id).empty());
}

// Whichever table holds the highest id, the next account comes after it.
BOOST_AUTO_TEST_CASE(upgrade_counts_the_ids_of_every_table) {
  const std::vector<std::string> inserts = {
      "INSERT INTO users (id, username, password_hash) VALUES (40, 'high', 'x')",
      "INSERT INTO ldap_users (id, username, entry_id, login) VALUES (40, 'high', 'e', 'high')",
      "INSERT INTO wbo (username, collection, id, modified) VALUES (40, 1, 'r', 1)",
      "INSERT INTO collections (userid, collectionid, name) VALUES (40, 101, 'c')",
      "INSERT INTO collection_stats (userid, collection) VALUES (40, 1)"};
  for (const std::string& insert : inserts) {
    BOOST_TEST_CONTEXT(insert) {
      OldDatabase database;
      Run(*database.old, "INSERT INTO users (id, username, password_hash) VALUES (3, 'low', 'x')");
      Run(*database.old, insert);
      const std::unique_ptr<SqlConnection> connection = database.Upgrade();
      SqlUserStore store(*connection, FastHashes());
      BOOST_TEST(store.CreateUser("next", "new-password-1", "").id > 40);
    }
  }
}

// The highest id belonged to an account deleted since: a restart (the schema applied
// again) does not hand it out again, nor does an upgrade applied twice skip ahead.
BOOST_AUTO_TEST_CASE(ids_of_deleted_accounts_stay_used_across_restarts) {
  OldDatabase database;
  std::unique_ptr<SqlConnection> connection = database.Upgrade();
  UserId last = 0;
  {
    SqlUserStore store(*connection, FastHashes());
    last = store.CreateUser("first", "new-password-1", "").id;
    BOOST_TEST(store.CreateUser("second", "new-password-1", "").id == last + 1);
    BOOST_REQUIRE(store.DeleteUser("second").has_value());
  }
  connection.reset();
  connection = MakeConnection(database.config);
  connection = MakeConnection(database.config);
  SqlUserStore store(*connection, FastHashes());
  BOOST_TEST(store.CreateUser("second", "new-password-1", "").id == last + 2);
}

// A name that is taken costs no id, and the account keeps its own.
BOOST_AUTO_TEST_CASE(a_refused_create_changes_nothing) {
  OldDatabase database;
  const std::unique_ptr<SqlConnection> connection = database.Upgrade();
  SqlUserStore store(*connection, FastHashes());
  const UserId id = store.CreateUser("taken", "new-password-1", "").id;
  BOOST_TEST(
      (store.CreateUser("taken", "other-password-2", "").outcome == CreateOutcome::kNameTaken));
  BOOST_TEST((store.Authenticate("taken", "new-password-1") == id));
  BOOST_TEST(store.CreateUser("other", "new-password-1", "").id > id);
}

// The same on MySQL/MariaDB, whose AUTO_INCREMENT counters would otherwise start again
// after the highest remaining row on servers that do not keep them across restarts.
BOOST_AUTO_TEST_CASE(mysql_never_hands_out_an_id_twice) {
  const auto config = testing::MysqlTestConfig("weave_contract");
  if (!config) {
    BOOST_TEST_MESSAGE("skipped: no MySQL test server (WEAVE_TEST_MYSQL_HOST is not set)");
    return;
  }
  const std::unique_ptr<SqlConnection> connection = MakeConnection(*config);
  for (const char* table : {"users", "wbo", "collections", "collection_stats"}) {
    Run(*connection, std::string("DELETE FROM ") + table);
  }
  SqlUserStore store(*connection, FastHashes());
  const UserId first = store.CreateUser("gone", "new-password-1", "").id;
  SqlStorage storage(*connection);
  const ItemWrite record{"left-over", "old account's data", {}, {}, {}, {}};
  WriteContext context;
  context.request_time_cs = 130000000000;
  BOOST_REQUIRE(storage.PutItems(first, "bookmarks", {&record, 1}, context).status ==
                WriteStatus::kDone);
  BOOST_REQUIRE(store.DeleteUser("gone").has_value());
  const UserId second = store.CreateUser("gone", "new-password-1", "").id;
  BOOST_TEST(second > first);
  BOOST_TEST(storage.GetCollectionTimestamps(second).empty());
  BOOST_TEST((store.CreateUser("gone", "x-password-3", "").outcome == CreateOutcome::kNameTaken));
  BOOST_TEST(store.CreateUser("after", "new-password-1", "").id > second);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace weave
