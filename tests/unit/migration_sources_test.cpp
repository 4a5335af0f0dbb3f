// Unit tests of the importers' readers (src/migrate/source_*): each builds a database in the
// foreign server's own schema (written from that project's setup code and documentation)
// with realistic content, then checks every field the reader returns. The MySQL cases run
// against the server tests/mysql/run.sh starts (WEAVE_TEST_MYSQL_*) and pass with a message
// without one.
#include <crypt.h>
#include <sqlite3.h>
#include <utime.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "auth/password_hash.h"
#include "core/crypto.h"
#include "core/errors.h"
#include "db/make_connection.h"
#include "migrate/sources.h"
#include "test_support.h"

namespace weave {
namespace {

// UTF-8 text beyond ASCII (two-, three- and four-byte sequences), as payloads may carry.
const std::string kWide = "gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80";

// Where a test builds its source database: SQL runs there, and the source's location.
class SourceBuilder {
 public:
  virtual ~SourceBuilder() = default;
  // Runs statements separated by ";\n".
  virtual void Exec(const std::string& sql) = 0;
  virtual std::string Location() const = 0;
  virtual SourceOptions Options() const { return {}; }
  virtual bool IsMysql() const = 0;
  // Lets go of the database before a reader opens it.
  virtual void Close() {}
};

class SqliteBuilder final : public SourceBuilder {
 public:
  explicit SqliteBuilder(std::string path) : path_(std::move(path)) {
    if (sqlite3_open(path_.c_str(), &db_) != SQLITE_OK) {
      throw std::runtime_error("cannot create " + path_);
    }
  }
  ~SqliteBuilder() override { Close(); }
  void Exec(const std::string& sql) override {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      const std::string message = error != nullptr ? error : "?";
      sqlite3_free(error);
      throw std::runtime_error("sqlite: " + message + " in: " + sql);
    }
  }
  std::string Location() const override { return path_; }
  bool IsMysql() const override { return false; }
  void Close() override {
    sqlite3_close(db_);
    db_ = nullptr;
  }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

class MysqlBuilder final : public SourceBuilder {
 public:
  explicit MysqlBuilder(const DatabaseConfig& config)
      : config_(config), connection_(ConnectToForeignDatabase(config)) {
    // Each case starts from an empty database: drop whatever an earlier case made.
    std::vector<std::string> tables;
    {
      StatementScope query(connection_->Prepare(
          "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"));
      while (query->Step()) {
        tables.emplace_back(query->ColumnText(0));
      }
    }
    for (const std::string& table : tables) {
      Exec("DROP TABLE `" + table + "`");
    }
  }
  void Exec(const std::string& sql) override {
    size_t start = 0;
    while (start < sql.size()) {
      size_t end = sql.find(";\n", start);
      if (end == std::string::npos) {
        end = sql.size();
      }
      const std::string statement = sql.substr(start, end - start);
      start = end + 2;
      if (statement.find_first_not_of(" \n") == std::string::npos) {
        continue;
      }
      connection_->TrimStatementCache();
      StatementScope run(connection_->Prepare(statement));
      run->Step();
    }
  }
  std::string Location() const override {
    return "mysql://" + config_.mysql.user + "@" + config_.mysql.host + ":" +
           std::to_string(config_.mysql.port) + "/" + config_.mysql.database;
  }
  SourceOptions Options() const override { return {config_.mysql.password, ""}; }
  bool IsMysql() const override { return true; }

 private:
  DatabaseConfig config_;
  std::unique_ptr<SqlConnection> connection_;
};

// Runs body with an SQLite builder, and again with a MySQL one when a test server is set.
void ForEachDatabase(const std::function<void(SourceBuilder&)>& body) {
  testing::TempDir dir;
  {
    BOOST_TEST_CONTEXT("SQLite") {
      SqliteBuilder sqlite(dir.File("source.db"));
      body(sqlite);
    }
  }
  if (const auto mysql = testing::MysqlTestConfig("weave_import_sources")) {
    BOOST_TEST_CONTEXT("MySQL") {
      MysqlBuilder builder(*mysql);
      body(builder);
    }
  } else {
    BOOST_TEST_MESSAGE("MySQL case skipped: WEAVE_TEST_MYSQL_HOST is not set");
  }
}

std::vector<MigratedRecord> RecordsOf(MigrationSource& source, const std::string& name) {
  std::vector<MigratedRecord> records;
  source.ForEachRecord(name, [&](const MigratedRecord& record) { records.push_back(record); });
  return records;
}

// Compares every field of a record.
void CheckRecord(const MigratedRecord& got, const MigratedRecord& want) {
  BOOST_TEST_CONTEXT(want.collection << "/" << want.id) {
    BOOST_TEST(got.collection == want.collection);
    BOOST_TEST(got.id == want.id);
    BOOST_TEST(got.modified_cs == want.modified_cs);
    BOOST_TEST((got.sortindex == want.sortindex));
    BOOST_TEST((got.parentid == want.parentid));
    BOOST_TEST((got.predecessorid == want.predecessorid));
    BOOST_TEST((got.expires_s == want.expires_s));
    BOOST_TEST(got.payload == want.payload);
  }
}

void CheckRecords(const std::vector<MigratedRecord>& got, const std::vector<MigratedRecord>& want) {
  BOOST_TEST_REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CheckRecord(got[i], want[i]);
  }
}

void CheckCollections(const std::vector<MigratedCollection>& got,
                      const std::vector<MigratedCollection>& want) {
  BOOST_TEST_REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    BOOST_TEST(got[i].name == want[i].name);
    BOOST_TEST(got[i].modified_cs == want[i].modified_cs);
  }
}

MigratedRecord Record(std::string collection, std::string id, int64_t modified_cs,
                      std::optional<int64_t> sortindex, std::optional<std::string> parentid,
                      std::optional<std::string> predecessorid, std::optional<int64_t> expires_s,
                      std::string payload) {
  return {
      std::move(collection),    std::move(id), modified_cs,       sortindex, std::move(parentid),
      std::move(predecessorid), expires_s,     std::move(payload)};
}

// A bcrypt hash with the $2a$ prefix FSyncMS's BCRYPT option wrote.
std::string Bcrypt2a(const std::string& password) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  BOOST_TEST_REQUIRE(crypt_gensalt_rn("$2a$", 4, nullptr, 0, setting, sizeof setting) != nullptr);
  auto data = std::make_unique<crypt_data>();
  const char* hash = crypt_r(password.c_str(), setting, data.get());
  BOOST_TEST_REQUIRE(hash != nullptr);
  return hash;
}

// SQL text quoting for the literals below.
std::string Q(const std::string& text) {
  std::string out = "'";
  for (const char c : text) {
    out.push_back(c);
    if (c == '\'') {
      out.push_back('\'');
    }
  }
  return out + "'";
}

// --- FSyncMS --------------------------------------------------------------------------

// The tables FSyncMS's setup.php creates (prefix: martok's fork's table prefix).
void CreateFsyncmsTables(SourceBuilder& db, const std::string& prefix) {
  db.Exec("CREATE TABLE " + prefix +
          "wbo (username varchar(100), id varchar(65), collection varchar(100), "
          "parentid varchar(65), predecessorid int, modified real, sortindex int, "
          "payload text, payload_size int, ttl int, primary key (username, collection, id));\n"
          "CREATE TABLE " +
          prefix + "users (username varchar(255), md5 varchar(64), primary key (username))");
}

void FillFsyncms(SourceBuilder& db, const std::string& prefix, const std::string& bob_hash) {
  const std::string wbo = "INSERT INTO " + prefix + "wbo VALUES ";
  db.Exec(
      "INSERT INTO " + prefix + "users VALUES ('alice', " + Q(Md5Hex("alice-password")) +
      "), ('bob', " + Q(bob_hash) + "), ('carol', 'hunter2');\n" +  // carol: FSyncMS's bug
      wbo + "('alice', 'menu', 'bookmarks', 'places', NULL, 1300000000.25, 1000000, " +
      Q("{\"ciphertext\":\"" + kWide + "\"}") + ", 30, NULL);\n" + wbo +
      "('alice', 'toolbar', 'bookmarks', 'places', 7, 1300000005.1, -5, 'tb', 2, NULL);\n" + wbo +
      "('alice', 'device1', 'tabs', NULL, NULL, 1300000010.99, NULL, 'tabs!', 5, 604800);\n" + wbo +
      "('alice', 'global', 'meta', NULL, NULL, 1299999999.01, NULL, '{}', 2, NULL);\n" + wbo +
      "('bob', 'c1', 'clients', NULL, NULL, 1310000000, 0, " + Q(kWide) + ", 12, NULL);\n" +
      // dave's account is gone (FSyncMS's delete_user): leftovers are not read
      wbo + "('dave', 'f1', 'forms', NULL, NULL, 1300000000, NULL, 'x', 1, NULL)");
}

void CheckFsyncms(MigrationSource& source, const std::string& bob_hash) {
  BOOST_TEST((source.AccountNames() == std::vector<std::string>{"alice", "bob", "carol"}));
  const auto alice = source.Account("alice");
  BOOST_TEST_REQUIRE(alice.has_value());
  BOOST_TEST(alice->name == "alice");
  BOOST_TEST(alice->email == "");
  BOOST_TEST(!alice->disabled);
  BOOST_TEST(VerifyPassword("alice-password", alice->password_hash));
  BOOST_TEST(IsLegacyHash(alice->password_hash));
  const auto bob = source.Account("bob");
  BOOST_TEST_REQUIRE(bob.has_value());
  BOOST_TEST(bob->password_hash == bob_hash);
  BOOST_TEST(VerifyPassword("bob-password", bob->password_hash));
  const auto carol = source.Account("carol");
  BOOST_TEST_REQUIRE(carol.has_value());
  BOOST_TEST(carol->password_hash.empty());
  BOOST_TEST(carol->unusable_hash_reason.find("2014") != std::string::npos);
  BOOST_TEST(!source.Account("dave").has_value());
  BOOST_TEST(!source.Account("nobody").has_value());

  CheckCollections(source.Collections("alice"),
                   {{"bookmarks", 130000000510}, {"meta", 129999999901}, {"tabs", 130000001099}});
  CheckRecords(RecordsOf(source, "alice"),
               {Record("bookmarks", "menu", 130000000025, 1000000, "places", std::nullopt,
                       std::nullopt, "{\"ciphertext\":\"" + kWide + "\"}"),
                Record("bookmarks", "toolbar", 130000000510, -5, "places", "7", std::nullopt, "tb"),
                Record("meta", "global", 129999999901, std::nullopt, std::nullopt, std::nullopt,
                       std::nullopt, "{}"),
                // FSyncMS never honoured ttl: the record stays
                Record("tabs", "device1", 130000001099, std::nullopt, std::nullopt, std::nullopt,
                       std::nullopt, "tabs!")});
  CheckRecords(RecordsOf(source, "bob"), {Record("clients", "c1", 131000000000, 0, std::nullopt,
                                                 std::nullopt, std::nullopt, kWide)});
  BOOST_TEST(RecordsOf(source, "carol").empty());
}

BOOST_AUTO_TEST_SUITE(migration_sources)

BOOST_AUTO_TEST_CASE(fsyncms_accounts_records_and_timestamps) {
  const std::string bob_hash = Bcrypt2a("bob-password");
  ForEachDatabase([&](SourceBuilder& db) {
    CreateFsyncmsTables(db, "");
    FillFsyncms(db, "", bob_hash);
    db.Close();
    const auto source = OpenMigrationSource("fsyncms", db.Location(), db.Options());
    CheckFsyncms(*source, bob_hash);
  });
}

BOOST_AUTO_TEST_CASE(fsyncms_with_a_table_prefix) {
  const std::string bob_hash = Bcrypt2a("bob-password");
  ForEachDatabase([&](SourceBuilder& db) {
    CreateFsyncmsTables(db, "sync_");
    FillFsyncms(db, "sync_", bob_hash);
    db.Close();
    SourceOptions options = db.Options();
    options.table_prefix = "sync";  // the fork adds the underscore
    const auto source = OpenMigrationSource("fsyncms", db.Location(), options);
    CheckFsyncms(*source, bob_hash);
    BOOST_CHECK_THROW(OpenMigrationSource("fsyncms", db.Location(), db.Options()),
                      std::runtime_error);
  });
}

// --- weave-minimal ----------------------------------------------------------------------

// One user's file as weave-minimal made it: each collection a table of its set_item shape.
void CreateWeaveMinimalFile(const std::string& path, const std::vector<std::string>& tables,
                            const std::string& rows) {
  SqliteBuilder db(path);
  for (const std::string& table : tables) {
    db.Exec("CREATE TABLE IF NOT EXISTS main." + table +
            " (id VARCHAR(64) PRIMARY KEY, modified FLOAT, sortindex INTEGER, "
            "payload VARCHAR(256), payload_size INTEGER, parentid VARCHAR(64), "
            "predecessorid VARCHAR(64), ttl INTEGER)");
  }
  if (!rows.empty()) {
    db.Exec(rows);
  }
}

BOOST_AUTO_TEST_CASE(weave_minimal_folder_of_user_files) {
  testing::TempDir dir;
  // The digits weave-minimal puts after the name: sha1(salt + password)[:16] (values
  // computed with Python, see password_hash_test.cpp).
  const std::string alice_file = dir.File("alice.7d121f0d95deeff8");  // "correct horse"
  CreateWeaveMinimalFile(
      alice_file, {"bookmarks", "tabs", "forms"},
      "INSERT INTO bookmarks (id, modified, sortindex, payload, payload_size, parentid, "
      "predecessorid, ttl) VALUES ('menu', 1300000000.25, 100, " +
          Q(kWide) + ", 12, 'places', 'prev', NULL);\n" +
          "INSERT INTO bookmarks (id, modified, sortindex, payload, payload_size, parentid, "
          "predecessorid, ttl) VALUES ('unfiled', 1300000003.5, NULL, NULL, 0, NULL, NULL, "
          "NULL);\n" +
          // tabs: ttl counts from modified; expired at 1300000010.99 + 3600
          "INSERT INTO tabs (id, modified, sortindex, payload, payload_size, parentid, "
          "predecessorid, ttl) VALUES ('dev', 1300000010.99, 0, 'tab', 3, NULL, NULL, 3600)");
  // bob: a name with dots, a UTF-8 password, and a stale copy under an old password
  const std::string bob_file = dir.File("bob.smith.dd7bc30f0cabdb27");  // "pässwörd-1"
  CreateWeaveMinimalFile(bob_file, {"clients"},
                         "INSERT INTO clients (id, modified, sortindex, payload, payload_size, "
                         "parentid, predecessorid, ttl) VALUES ('c', 1400000000, NULL, 'x', 1, "
                         "NULL, NULL, 1814400)");
  const std::string stale = dir.File("bob.smith.0123456789abcdef");
  CreateWeaveMinimalFile(stale, {"clients"}, "");
  struct utimbuf old_times = {1000000000, 1000000000};
  BOOST_TEST_REQUIRE(utime(stale.c_str(), &old_times) == 0);
  // a newly registered account: weave-minimal leaves an empty file
  std::ofstream(dir.File("newbie.7d121f0d95deeff8")).close();
  // not accounts: a removed account's journal, a name without digits, upper-case digits
  std::ofstream(dir.File("erin.0123456789abcdef-journal")) << "x";
  std::ofstream(dir.File("notes.txt")) << "x";
  std::ofstream(dir.File("carol.7D121F0D95DEEFF8")) << "x";

  const auto source = OpenMigrationSource("weave-minimal", dir.Path(), {});
  BOOST_TEST((source->AccountNames() == std::vector<std::string>{"alice", "bob.smith", "newbie"}));
  const auto alice = source->Account("alice");
  BOOST_TEST_REQUIRE(alice.has_value());
  BOOST_TEST(alice->password_hash == "{WEAVE-MINIMAL}7d121f0d95deeff8");
  BOOST_TEST(VerifyPassword("correct horse", alice->password_hash));
  BOOST_TEST(IsLegacyHash(alice->password_hash));
  BOOST_TEST(alice->email == "");
  BOOST_TEST(!alice->disabled);
  const auto bob = source->Account("bob.smith");
  BOOST_TEST_REQUIRE(bob.has_value());
  BOOST_TEST(VerifyPassword("p\xc3\xa4ssw\xc3\xb6rd-1", bob->password_hash));
  BOOST_TEST(!source->Account("carol").has_value());
  BOOST_TEST(!source->Account("bob").has_value());

  // forms is an empty table: no collection, as weave-minimal answered
  CheckCollections(source->Collections("alice"),
                   {{"bookmarks", 130000000350}, {"tabs", 130000001099}});
  CheckRecords(
      RecordsOf(*source, "alice"),
      {Record("bookmarks", "menu", 130000000025, 100, "places", "prev", std::nullopt, kWide),
       Record("bookmarks", "unfiled", 130000000350, std::nullopt, std::nullopt, std::nullopt,
              std::nullopt, ""),
       Record("tabs", "dev", 130000001099, 0, std::nullopt, std::nullopt, 1300000010 + 3600 + 1,
              "tab")});
  CheckCollections(source->Collections("bob.smith"), {{"clients", 140000000000}});
  CheckRecords(RecordsOf(*source, "bob.smith"),
               {Record("clients", "c", 140000000000, std::nullopt, std::nullopt, std::nullopt,
                       1400000000 + 1814400 + 1, "x")});
  BOOST_TEST(source->Collections("newbie").empty());
  BOOST_TEST(RecordsOf(*source, "newbie").empty());
  // back to the first file after another user's
  BOOST_TEST(RecordsOf(*source, "alice").size() == 3u);
}

BOOST_AUTO_TEST_CASE(weave_minimal_refuses_a_missing_folder_and_a_url) {
  testing::TempDir dir;
  BOOST_CHECK_THROW(OpenMigrationSource("weave-minimal", dir.File("absent"), {}),
                    std::runtime_error);
  BOOST_CHECK_THROW(OpenMigrationSource("weave-minimal", "mysql://u@h/db", {}), std::runtime_error);
}

// --- Mozilla's Python and PHP servers ------------------------------------------------------

// A records table as both servers declared it (text columns binary in MySQL, as PHP had).
std::string WboTable(SourceBuilder& db, const std::string& name, bool ttl) {
  const std::string text = db.IsMysql() ? "VARBINARY(64)" : "VARCHAR(64)";
  return "CREATE TABLE " + name + " (username INT NOT NULL, collection SMALLINT NOT NULL, id " +
         text + " NOT NULL, parentid " + text + ", predecessorid " + text +
         ", sortindex INT, modified BIGINT, payload " + (db.IsMysql() ? "LONGTEXT" : "TEXT") +
         ", payload_size INT" + (ttl ? ", ttl INT DEFAULT 2100000000" : "") +
         ", PRIMARY KEY (username, collection, id))";
}

const std::string kCollectionsTable =
    "CREATE TABLE collections (userid INT NOT NULL, collectionid SMALLINT NOT NULL, "
    "name VARCHAR(32) NOT NULL, PRIMARY KEY (userid, collectionid))";

// A {SSHA-256} / {SSHA} hash as the PHP and Python servers computed it.
std::string Salted(const std::string& tag, const std::string& digest, const std::string& salt) {
  return tag + Base64Encode(digest + salt);
}

BOOST_AUTO_TEST_CASE(mozilla_python_users_collections_and_ttl) {
  ForEachDatabase([&](SourceBuilder& db) {
    // server-core's users table (2010-2011), the collections table, one wbo table.
    db.Exec(
        "CREATE TABLE users (id INT PRIMARY KEY, username VARCHAR(32), "
        "password_hash VARCHAR(128), email VARCHAR(64), status INT DEFAULT 0, alert TEXT, "
        "reset VARCHAR(32), reset_expiration DATETIME);\n" +
        kCollectionsTable + ";\n" + WboTable(db, "wbo", true));
    const std::string scrypt =
        "{SSCRYPT}anflwjmk9nYorA5bZa6F0MHj4S9mjyjy84VUNOpIif+IOqXN3BTh2tDeVe94k+8MtuYeAkQG0M5aC3KKL"
        "Do2f0FiM2RFZjdo";  // "scrypt secret", see password_hash_test.cpp
    const std::string ssha256 =
        Salted("{SSHA-256}", Sha256("alice-password" + std::string("s4ltS4lt")), "s4ltS4lt");
    const std::string ssha =
        Salted("{SSHA}", Sha1("carol-password" + std::string("12345678")), "12345678");
    db.Exec(
        "INSERT INTO users (id, username, password_hash, email, status) VALUES "
        "(3, 'alice', " +
        Q(ssha256) + ", 'alice@example.org', 1), (7, 'bob', " + Q(scrypt) +
        ", 'bob@example.org', 1), (9, 'carol', " + Q(ssha) +
        ", NULL, 0), (11, 'erin', 'plain', "
        "'erin@example.org', 1);\n"
        // alice's custom collections (ids from 0, standard_collections off) ...
        "INSERT INTO collections VALUES (3, 0, 'bookmarks'), (3, 1, 'tabs'), (3, 2, 'clients');\n"
        // ... and the standard list (with the fixed names) for bob
        "INSERT INTO wbo VALUES (3, 0, 'menu', 'places', NULL, 5, 130000000025, " +
        Q(kWide) + ", 12, 2100000000);\n" +
        "INSERT INTO wbo VALUES (3, 1, 'dev', NULL, NULL, NULL, 130000001099, 'tab', 3, "
        "1300604810);\n"
        "INSERT INTO wbo VALUES (3, 2, 'c1', NULL, 'p', -1, 129000000000, 'c', 1, 2100000000);\n"
        "INSERT INTO wbo VALUES (7, 1, 'c2', NULL, NULL, NULL, 140000000001, 'x', 1, "
        "2100000000);\n"
        "INSERT INTO wbo VALUES (7, 11, 'a1', NULL, NULL, NULL, 140000000002, 'y', 1, "
        "1400000100);\n"
        // id 5 is gone (a deleted account): its leftovers are not read
        "INSERT INTO wbo VALUES (5, 7, 'gone', NULL, NULL, NULL, 1, 'z', 1, 2100000000)");
    db.Close();
    const auto source = OpenMigrationSource("mozilla-python", db.Location(), db.Options());
    BOOST_TEST(
        (source->AccountNames() == std::vector<std::string>{"alice", "bob", "carol", "erin"}));
    const auto alice = source->Account("alice");
    BOOST_TEST_REQUIRE(alice.has_value());
    BOOST_TEST(alice->email == "alice@example.org");
    BOOST_TEST(!alice->disabled);
    BOOST_TEST(VerifyPassword("alice-password", alice->password_hash));
    const auto bob = source->Account("bob");
    BOOST_TEST_REQUIRE(bob.has_value());
    BOOST_TEST(VerifyPassword("scrypt secret", bob->password_hash));
    const auto carol = source->Account("carol");
    BOOST_TEST_REQUIRE(carol.has_value());
    BOOST_TEST(carol->disabled);  // status other than 1
    BOOST_TEST(carol->email == "");
    BOOST_TEST(VerifyPassword("carol-password", carol->password_hash));
    const auto erin = source->Account("erin");
    BOOST_TEST_REQUIRE(erin.has_value());
    BOOST_TEST(erin->password_hash.empty());
    BOOST_TEST(!erin->unusable_hash_reason.empty());

    CheckCollections(
        source->Collections("alice"),
        {{"bookmarks", 130000000025}, {"clients", 129000000000}, {"tabs", 130000001099}});
    CheckRecords(
        RecordsOf(*source, "alice"),
        {Record("bookmarks", "menu", 130000000025, 5, "places", std::nullopt, std::nullopt, kWide),
         Record("tabs", "dev", 130000001099, std::nullopt, std::nullopt, std::nullopt, 1300604810,
                "tab"),
         Record("clients", "c1", 129000000000, -1, std::nullopt, "p", std::nullopt, "c")});
    CheckCollections(source->Collections("bob"),
                     {{"addons", 140000000002}, {"clients", 140000000001}});
    CheckRecords(RecordsOf(*source, "bob"), {Record("clients", "c2", 140000000001, std::nullopt,
                                                    std::nullopt, std::nullopt, std::nullopt, "x"),
                                             Record("addons", "a1", 140000000002, std::nullopt,
                                                    std::nullopt, std::nullopt, 1400000100, "y")});
    BOOST_TEST(RecordsOf(*source, "carol").empty());
    BOOST_TEST(!source->Account("gone").has_value());
    BOOST_TEST(RecordsOf(*source, "gone").empty());
  });
}

BOOST_AUTO_TEST_CASE(mozilla_python_2012_user_table_and_shards) {
  ForEachDatabase([&](SourceBuilder& db) {
    // server-core's user table (2012) and three shards: user U's records in wbo<U % 3>.
    db.Exec(
        "CREATE TABLE user (userid INT PRIMARY KEY, username VARCHAR(32) NOT NULL, "
        "password VARCHAR(128), accountStatus INT DEFAULT 1, mail VARCHAR(64), "
        "mailVerified INT DEFAULT 0, syncNode VARCHAR(64));\n" +
        kCollectionsTable + ";\n" + WboTable(db, "wbo0", true) + ";\n" +
        WboTable(db, "wbo1", true) + ";\n" + WboTable(db, "wbo2", true));
    const std::string ssha =
        Salted("{SSHA}", Sha1("frank-password" + std::string("abcdefgh")), "abcdefgh");
    db.Exec(
        "INSERT INTO user (userid, username, password, accountStatus, mail) VALUES "
        "(4, 'frank', " +
        Q(ssha) +
        ", 1, 'frank@example.org'), (5, 'grace', NULL, 2, 'grace@example.org');\n"
        "INSERT INTO collections VALUES (4, 100, 'greasemonkey');\n"
        "INSERT INTO wbo1 VALUES (4, 100, 'g', NULL, NULL, NULL, 150000000000, " +
        Q(kWide) +
        ", 9, 2100000000);\n"
        "INSERT INTO wbo1 VALUES (4, 5, 'keys', NULL, NULL, NULL, 150000000001, 'k', 1, "
        "2100000000);\n"
        // the same user id in another shard is not user 4's
        "INSERT INTO wbo2 VALUES (4, 5, 'stray', NULL, NULL, NULL, 1, 'no', 2, 2100000000);\n"
        "INSERT INTO wbo2 VALUES (5, 6, 'global', NULL, NULL, NULL, 150000000002, 'm', 1, "
        "2100000000)");
    db.Close();
    const auto source = OpenMigrationSource("mozilla-python", db.Location(), db.Options());
    BOOST_TEST((source->AccountNames() == std::vector<std::string>{"frank", "grace"}));
    const auto frank = source->Account("frank");
    BOOST_TEST_REQUIRE(frank.has_value());
    BOOST_TEST(frank->email == "frank@example.org");
    BOOST_TEST(!frank->disabled);
    BOOST_TEST(VerifyPassword("frank-password", frank->password_hash));
    const auto grace = source->Account("grace");
    BOOST_TEST_REQUIRE(grace.has_value());
    BOOST_TEST(grace->disabled);
    BOOST_TEST(grace->password_hash.empty());
    BOOST_TEST(grace->unusable_hash_reason == "the source holds no password hash");
    CheckCollections(source->Collections("frank"),
                     {{"greasemonkey", 150000000000}, {"keys", 150000000001}});
    CheckRecords(RecordsOf(*source, "frank"),
                 {Record("keys", "keys", 150000000001, std::nullopt, std::nullopt, std::nullopt,
                         std::nullopt, "k"),
                  Record("greasemonkey", "g", 150000000000, std::nullopt, std::nullopt,
                         std::nullopt, std::nullopt, kWide)});
    CheckRecords(RecordsOf(*source, "grace"),
                 {Record("meta", "global", 150000000002, std::nullopt, std::nullopt, std::nullopt,
                         std::nullopt, "m")});
  });
}

BOOST_AUTO_TEST_CASE(mozilla_php_users_and_records) {
  ForEachDatabase([&](SourceBuilder& db) {
    // The PHP storage node's tables (no ttl) and its MySQL authentication table.
    db.Exec(
        "CREATE TABLE users (id INT PRIMARY KEY, username VARCHAR(32), "
        "password_hash VARBINARY(128), email VARBINARY(64), status TINYINT DEFAULT 1, "
        "alert TEXT, reset VARBINARY(32));\n" +
        kCollectionsTable + ";\n" + WboTable(db, "wbo", false));
    const std::string ssha256 = Salted("{SSHA-256}",
                                       Sha256("henry-password" + std::string("\x01\x02\xff"
                                                                             "abcde")),
                                       std::string("\x01\x02\xff"
                                                   "abcde"));
    db.Exec("INSERT INTO users (id, username, password_hash, email, status) VALUES (1, 'henry', " +
            Q(ssha256) + ", 'henry@example.org', 1), (2, 'ivy', " + Q(Md5Hex("ivy-password")) +
            ", 'ivy@example.org', 1), (3, 'jack', " + Q(HexEncode(Sha256("whatever"))) +
            ", '', 0);\n"
            "INSERT INTO collections VALUES (1, 101, 'extension-sync');\n"
            "INSERT INTO wbo VALUES (1, 7, 'menu', 'places', 'prev', 3, 126000000012, " +
            Q(kWide) +
            ", 12);\n"
            "INSERT INTO wbo VALUES (1, 101, 'e', NULL, NULL, NULL, 126000000099, 'e', 1);\n"
            "INSERT INTO wbo VALUES (2, 1, 'me', NULL, NULL, NULL, 126000000100, 'c', 1);\n"
            "INSERT INTO wbo VALUES (1, 999, 'bad', NULL, NULL, NULL, 1, 'b', 1)");
    db.Close();
    const auto source = OpenMigrationSource("mozilla-php", db.Location(), db.Options());
    BOOST_TEST((source->AccountNames() == std::vector<std::string>{"henry", "ivy", "jack"}));
    const auto henry = source->Account("henry");
    BOOST_TEST_REQUIRE(henry.has_value());
    BOOST_TEST(VerifyPassword("henry-password", henry->password_hash));
    BOOST_TEST(henry->email == "henry@example.org");
    const auto ivy = source->Account("ivy");
    BOOST_TEST_REQUIRE(ivy.has_value());
    BOOST_TEST(VerifyPassword("ivy-password", ivy->password_hash));
    const auto jack = source->Account("jack");
    BOOST_TEST_REQUIRE(jack.has_value());
    BOOST_TEST(jack->disabled);
    BOOST_TEST(jack->password_hash.empty());
    BOOST_TEST(jack->unusable_hash_reason.find("WEAVE_SHA_SALT") != std::string::npos);
    // collection 999 is neither standard nor henry's: the read fails, naming it
    BOOST_CHECK_THROW(source->Collections("henry"), std::runtime_error);
    CheckCollections(source->Collections("ivy"), {{"clients", 126000000100}});
    CheckRecords(RecordsOf(*source, "ivy"),
                 {Record("clients", "me", 126000000100, std::nullopt, std::nullopt, std::nullopt,
                         std::nullopt, "c")});
  });
}

BOOST_AUTO_TEST_CASE(mozilla_php_custom_collections_and_shards) {
  ForEachDatabase([&](SourceBuilder& db) {
    // WEAVE_USER_TABLE_MODULO 2, and this server's ttl column added in place.
    db.Exec(
        "CREATE TABLE users (id INT PRIMARY KEY, username VARCHAR(32), "
        "password_hash VARBINARY(128), email VARBINARY(64), status TINYINT DEFAULT 1);\n" +
        kCollectionsTable + ";\n" + WboTable(db, "wbo0", true) + ";\n" +
        WboTable(db, "wbo1", true));
    db.Exec("INSERT INTO users VALUES (3, 'kim', " + Q(Md5Hex("kim-password")) +
            ", 'kim@example.org', 1);\n"
            "INSERT INTO collections VALUES (3, 101, 'extension-sync');\n"
            "INSERT INTO wbo1 VALUES (3, 101, 'e', NULL, NULL, 2, 126000000099, " +
            Q(kWide) +
            ", 12, 2100000000);\n"
            "INSERT INTO wbo1 VALUES (3, 9, 't', NULL, NULL, NULL, 126000000100, 't', 1, "
            "1260003600)");
    db.Close();
    const auto source = OpenMigrationSource("mozilla-php", db.Location(), db.Options());
    CheckCollections(source->Collections("kim"),
                     {{"extension-sync", 126000000099}, {"tabs", 126000000100}});
    CheckRecords(RecordsOf(*source, "kim"),
                 {Record("tabs", "t", 126000000100, std::nullopt, std::nullopt, std::nullopt,
                         1260003600, "t"),
                  Record("extension-sync", "e", 126000000099, 2, std::nullopt, std::nullopt,
                         std::nullopt, kWide)});
  });
}

BOOST_AUTO_TEST_CASE(unknown_kinds_missing_tables_and_missing_files_are_refused) {
  testing::TempDir dir;
  BOOST_CHECK_THROW(OpenMigrationSource("weave", dir.Path(), {}), std::runtime_error);
  BOOST_CHECK_THROW(OpenMigrationSource("fsyncms", dir.File("absent.db"), {}), std::runtime_error);
  {
    SqliteBuilder empty(dir.File("empty.db"));
    empty.Exec("CREATE TABLE unrelated (x INT)");
  }
  for (const char* kind : {"fsyncms", "mozilla-python", "mozilla-php"}) {
    BOOST_TEST_CONTEXT(kind) {
      BOOST_CHECK_THROW(OpenMigrationSource(kind, dir.File("empty.db"), {}), std::runtime_error);
    }
  }
  // The source is only read: no file appears beside it.
  BOOST_TEST(!std::filesystem::exists(dir.File("absent.db")));
  BOOST_TEST(!std::filesystem::exists(dir.File("empty.db-wal")));
  BOOST_TEST(!std::filesystem::exists(dir.File("empty.db-writelock")));
  std::ofstream(dir.File("junk.db")) << "this is not a database, not at all, no";
  BOOST_CHECK_THROW(OpenMigrationSource("fsyncms", dir.File("junk.db"), {}), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(mysql_source_urls) {
  const auto plain = ParseMysqlSourceUrl("mysql://sync@db.example.org/weave");
  BOOST_TEST_REQUIRE(plain.has_value());
  BOOST_TEST(plain->user == "sync");
  BOOST_TEST(plain->host == "db.example.org");
  BOOST_TEST(plain->port == 3306);
  BOOST_TEST(plain->database == "weave");
  const auto ported = ParseMysqlSourceUrl("mysql://us%40er@127.0.0.1:3307/my%2ddb");
  BOOST_TEST_REQUIRE(ported.has_value());
  BOOST_TEST(ported->user == "us@er");
  BOOST_TEST(ported->port == 3307);
  BOOST_TEST(ported->database == "my-db");
  const auto v6 = ParseMysqlSourceUrl("mysql://u@[::1]:3308/d");
  BOOST_TEST_REQUIRE(v6.has_value());
  BOOST_TEST(v6->host == "::1");
  BOOST_TEST(v6->port == 3308);
  BOOST_TEST(!ParseMysqlSourceUrl("/var/lib/fsyncms/weave_db").has_value());
  for (const char* bad :
       {"mysql://host/db", "mysql://u:secret@host/db", "mysql://u@host", "mysql://u@/db",
        "mysql://u@host/", "mysql://u@host:0/db", "mysql://u@host:99999/db", "mysql://u@host:x/db",
        "mysql://u@host:/db", "mysql://u@[::1/db", "mysql://u@host/db/x", "mysql://u%4@host/db",
        "mysql://u%zz@host/db"}) {
    BOOST_TEST_CONTEXT(bad) {
      BOOST_CHECK_THROW(ParseMysqlSourceUrl(bad), std::runtime_error);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace weave
