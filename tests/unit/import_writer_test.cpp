// The import writer on SQLite: exact records and collection times, conflicts by rule, an
// interrupted import run again, passwords that cannot be carried, and --verify's report.
#include "migrate/import_writer.h"

#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "auth/password_hash.h"
#include "db/make_connection.h"
#include "migrate/database_source.h"
#include "migrate/verify.h"
#include "storage/sql_storage.h"
#include "test_support.h"

namespace weave {
namespace {

// A source held in memory; fail_after_records makes ForEachRecord throw midway (a crash of
// the source, or of the import, while a user is being written).
class MemorySource final : public MigrationSource {
 public:
  struct User {
    MigratedAccount account;
    std::vector<MigratedCollection> collections;
    std::vector<MigratedRecord> records;
  };
  std::vector<User> users;
  int64_t fail_after_records = -1;

  std::vector<std::string> AccountNames() override {
    std::vector<std::string> names;
    for (const User& user : users) {
      names.push_back(user.account.name);
    }
    return names;
  }
  std::optional<MigratedAccount> Account(const std::string& name) override {
    const User* user = Find(name);
    return user != nullptr ? std::optional(user->account) : std::nullopt;
  }
  std::vector<MigratedCollection> Collections(const std::string& name) override {
    return Find(name)->collections;
  }
  void ForEachRecord(const std::string& name, const RecordSink& sink) override {
    int64_t given = 0;
    for (const MigratedRecord& record : Find(name)->records) {
      if (fail_after_records >= 0 && given++ >= fail_after_records) {
        throw std::runtime_error("source failed midway");
      }
      sink(record);
    }
  }

 private:
  const User* Find(const std::string& name) const {
    for (const User& user : users) {
      if (user.account.name == name) {
        return &user;
      }
    }
    return nullptr;
  }
};

MigratedRecord Record(const std::string& collection, const std::string& id, int64_t modified) {
  MigratedRecord record;
  record.collection = collection;
  record.id = id;
  record.modified_cs = modified;
  record.payload = "{\"ciphertext\":\"\xc3\xa9t\xc3\xa9 " + id + "\"}";
  return record;
}

MemorySource SampleSource() {
  MemorySource source;
  MemorySource::User alice;
  alice.account = {"alice", "alice@example.org", HashPassword("alice-password", "bcrypt", 4), "",
                   false};
  alice.collections = {{"bookmarks", 140000000050}, {"my_custom", 140000000070}};
  for (int i = 0; i < 250; ++i) {
    MigratedRecord record = Record("bookmarks", "b" + std::to_string(i), 140000000000 + i % 7);
    record.sortindex = i - 100;
    record.parentid = "menu";
    record.predecessorid = i > 0 ? std::optional("b" + std::to_string(i - 1)) : std::nullopt;
    alice.records.push_back(record);
  }
  MigratedRecord expiring = Record("my_custom", "soon", 140000000070);
  expiring.expires_s = 1400000600;
  alice.records.push_back(expiring);
  alice.records.push_back(Record("tabs", "t1", 140000000090));  // no collection time given
  MemorySource::User bob;
  bob.account = {"bob", "", "", "an unknown hash format", true};
  bob.records.push_back(Record("history", "h1", 150000000000));
  source.users = {alice, bob};
  return source;
}

struct Fixture {
  Fixture() {
    config.driver = "sqlite";
    config.sqlite.path = dir.File("weave.db");
    db = MakeConnection(config);
  }
  ImportSummary Import(MigrationSource& source, ConflictRule rule = ConflictRule::kFail) {
    ImportOptions options;
    options.on_conflict = rule;
    options.source_label = "test";
    options.show_progress = false;
    return ImportAccounts(source, *db, *db, options);
  }
  int64_t Differences(MigrationSource& source) {
    DatabaseSource here(*db, *db);
    std::ostringstream report;
    const int64_t count = VerifyImport(source, here, report);
    BOOST_TEST_MESSAGE(report.str());
    return count;
  }
  void Exec(const char* sql) {
    StatementScope statement(db->Prepare(sql));
    statement->Step();
  }
  // Everything an import writes, as text, for comparing two databases' end states.
  std::string Dump() {
    std::string text;
    for (const char* sql :
         {"SELECT id || ' ' || username || ' ' || password_hash || ' ' || email || ' ' || status"
          " || ' ' || generation FROM users ORDER BY id",
          "SELECT username || ' ' || state FROM imported_accounts ORDER BY username",
          "SELECT userid || ' ' || collectionid || ' ' || name FROM collections ORDER BY 1",
          "SELECT userid || ' ' || collection || ' ' || modified || ' ' || item_count || ' ' ||"
          " payload_bytes FROM collection_stats ORDER BY userid, collection",
          "SELECT username || ' ' || collection || ' ' || id || ' ' || coalesce(parentid, '-') ||"
          " ' ' || coalesce(predecessorid, '-') || ' ' || coalesce(sortindex, '-') || ' ' ||"
          " modified || ' ' || payload || ' ' || payload_size || ' ' || ttl FROM wbo"
          " ORDER BY username, collection, id"}) {
      StatementScope query(db->Prepare(sql));
      while (query->Step()) {
        text += std::string(query->ColumnText(0)) + "\n";
      }
    }
    return text;
  }

  testing::TempDir dir;
  DatabaseConfig config;
  std::unique_ptr<SqlConnection> db;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(import_writer)

BOOST_AUTO_TEST_CASE(records_and_collection_times_arrive_exactly) {
  Fixture fixture;
  MemorySource source = SampleSource();
  const ImportSummary summary = fixture.Import(source);
  BOOST_TEST(!summary.failed);
  BOOST_TEST(summary.accounts == 2);
  BOOST_TEST(summary.records == 253);
  BOOST_REQUIRE(summary.passwords_not_carried.size() == 1u);
  BOOST_TEST(summary.passwords_not_carried[0].reason == "an unknown hash format");
  BOOST_TEST(fixture.Differences(source) == 0);

  SqlStorage storage(*fixture.db);
  const auto alice = *DatabaseSource(*fixture.db, *fixture.db).Account("alice");
  BOOST_TEST(VerifyPassword("alice-password", alice.password_hash));
  StatementScope id_query(fixture.db->Prepare("SELECT id FROM users WHERE username = 'alice'"));
  BOOST_REQUIRE(id_query->Step());
  const UserId alice_id = id_query->ColumnInt(0);
  const auto times = storage.GetCollectionTimestamps(alice_id);
  const std::map<std::string, int64_t> by_name(times.begin(), times.end());
  BOOST_TEST(by_name.size() == 3u);
  BOOST_TEST(by_name.at("bookmarks") == 140000000050);  // the source's, not the newest record's
  BOOST_TEST(by_name.at("my_custom") == 140000000070);
  BOOST_TEST(by_name.at("tabs") == 140000000090);  // none given: the newest record's
  BOOST_TEST(storage.NextExpiry(alice_id, 1400000000).value_or(0) == 1400000600);
}

BOOST_AUTO_TEST_CASE(an_account_without_a_usable_hash_cannot_log_in) {
  Fixture fixture;
  MemorySource source = SampleSource();
  fixture.Import(source);
  StatementScope query(
      fixture.db->Prepare("SELECT password_hash, status FROM users WHERE username = 'bob'"));
  BOOST_REQUIRE(query->Step());
  BOOST_TEST(!VerifyPassword("", query->ColumnText(0)));
  BOOST_TEST(!VerifyPassword("!", query->ColumnText(0)));
  BOOST_TEST(query->ColumnInt(1) == 0);  // disabled in the source
}

BOOST_AUTO_TEST_CASE(conflicts_follow_the_rule) {
  MemorySource source = SampleSource();
  for (const ConflictRule rule :
       {ConflictRule::kFail, ConflictRule::kSkip, ConflictRule::kReplace}) {
    Fixture fixture;
    MemorySource local;
    MemorySource::User mine;
    mine.account = {"alice", "own@example.org", HashPassword("local-password", "bcrypt", 4), "",
                    false};
    mine.records.push_back(Record("forms", "local", 100));
    local.users = {mine};
    fixture.Import(local);
    fixture.Exec("DELETE FROM imported_accounts");  // alice is this server's own
    const ImportSummary summary = fixture.Import(source, rule);
    BOOST_REQUIRE(summary.conflicts.size() == 1u);
    BOOST_TEST(summary.conflicts[0].account == "alice");
    const auto alice = *DatabaseSource(*fixture.db, *fixture.db).Account("alice");
    if (rule == ConflictRule::kFail) {
      BOOST_TEST(summary.failed);
      BOOST_TEST(summary.accounts == 0);  // bob neither: nothing is written
      BOOST_TEST(!DatabaseSource(*fixture.db, *fixture.db).Account("bob"));
      BOOST_TEST(alice.email == "own@example.org");
    } else if (rule == ConflictRule::kSkip) {
      BOOST_TEST(!summary.failed);
      BOOST_TEST(summary.accounts == 1);
      BOOST_TEST(alice.email == "own@example.org");
      BOOST_TEST(VerifyPassword("local-password", alice.password_hash));
      BOOST_TEST(fixture.Differences(local) == 0);
    } else {
      BOOST_TEST(!summary.failed);
      BOOST_TEST(summary.accounts == 2);
      BOOST_TEST(alice.email == "alice@example.org");
      BOOST_TEST(VerifyPassword("alice-password", alice.password_hash));
      BOOST_TEST(fixture.Differences(source) == 0);  // the local record is gone
    }
  }
}

BOOST_AUTO_TEST_CASE(an_interrupted_import_run_again_ends_as_one_clean_run) {
  Fixture clean;
  MemorySource source = SampleSource();
  clean.Import(source);

  Fixture interrupted;
  source.fail_after_records = 120;  // alice fails midway: her transaction rolls back
  const ImportSummary first = interrupted.Import(source);
  BOOST_TEST(first.failed);
  BOOST_REQUIRE(first.skipped.size() == 1u);
  BOOST_TEST(first.skipped[0].reason == "source failed midway");
  source.fail_after_records = -1;
  const ImportSummary second = interrupted.Import(source);  // pending accounts are redone
  BOOST_TEST(!second.failed);
  BOOST_TEST(second.conflicts.empty());
  BOOST_TEST(second.accounts == 1);  // alice again; bob was done by the first run
  BOOST_TEST(second.already_imported == 1);
  BOOST_TEST(interrupted.Dump() == clean.Dump());

  const ImportSummary third = interrupted.Import(source);  // done ones are left alone
  BOOST_TEST(third.accounts == 0);
  BOOST_TEST(third.already_imported == 2);
  BOOST_TEST(interrupted.Dump() == clean.Dump());
}

BOOST_AUTO_TEST_CASE(verify_reports_each_difference) {
  Fixture fixture;
  MemorySource source = SampleSource();
  fixture.Import(source);
  fixture.Exec("UPDATE wbo SET payload = 'changed' WHERE id = 'b7'");
  fixture.Exec("UPDATE wbo SET sortindex = 5 WHERE id = 'b8'");
  fixture.Exec("DELETE FROM wbo WHERE id = 'h1'");
  fixture.Exec("UPDATE collection_stats SET modified = 1 WHERE collection = 7");
  // 2 changed records, 1 missing plus bob's count, 1 collection time.
  BOOST_TEST(fixture.Differences(source) == 5);
}

BOOST_AUTO_TEST_CASE(bad_names_are_skipped_with_a_reason) {
  Fixture fixture;
  MemorySource source = SampleSource();
  source.users[1].account.name = "bob/../x";
  source.users[0].records.push_back(Record("bad collection!", "r", 1));
  const ImportSummary summary = fixture.Import(source, ConflictRule::kSkip);
  BOOST_TEST(summary.failed);
  BOOST_REQUIRE(summary.skipped.size() == 2u);
  BOOST_TEST(summary.skipped[0].reason.find("bad collection!") != std::string::npos);
  BOOST_TEST(summary.skipped[1].reason == "not a valid user name here");
  std::ostringstream printed;
  PrintImportSummary(summary, printed);
  BOOST_TEST(printed.str().find("skipped (2)") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace weave
