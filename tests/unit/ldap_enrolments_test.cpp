// The read-only LDAP mode's enrolment store (ldap_users) on SQLite and, given a test server
// (WEAVE_TEST_MYSQL_*, see test_support.h), MySQL: its ids and the SQL back end's come from
// one sequence, so they never collide and are never handed out twice. No directory needed.
#include "auth/ldap/ldap_enrolments.h"

#include <memory>
#include <optional>
#include <set>
#include <string>

#include <boost/test/unit_test.hpp>

#include "auth/sql_user_store.h"
#include "db/make_connection.h"
#include "test_support.h"

namespace weave {
namespace {

AuthConfig FastHashes() {
  AuthConfig config;
  config.password_hash = "bcrypt";
  config.password_hash_cost = 4;
  return config;
}

// Enrols, creates and deletes in turn; every id is new and above the ones before.
void CheckIdsInterleave(SqlConnection& connection) {
  LdapEnrolments enrolments(connection);
  SqlUserStore users(connection, FastHashes());
  std::set<UserId> seen;
  UserId last = 0;
  const auto fresh = [&](UserId id) {
    BOOST_TEST(id > last);
    BOOST_TEST(seen.insert(id).second);
    last = id;
  };
  for (int round = 0; round < 3; ++round) {
    const auto enrolled = enrolments.Add("dir-user", "hex:0102", "jdoe");
    BOOST_REQUIRE(enrolled.has_value());
    fresh(*enrolled);
    BOOST_TEST(!enrolments.Add("dir-user", "hex:0102", "jdoe").has_value());
    const auto found = enrolments.Find("dir-user");
    BOOST_REQUIRE(found.has_value());
    BOOST_TEST(found->id == *enrolled);
    BOOST_TEST(found->entry_id == "hex:0102");
    BOOST_TEST(found->login == "jdoe");
    const CreateResult created = users.CreateUser("sql-user", "new-password-1", "");
    BOOST_REQUIRE(created.outcome == CreateOutcome::kCreated);
    fresh(created.id);
    // The newest id goes first: a "highest id + 1" allocator would hand it out again.
    BOOST_REQUIRE(users.DeleteUser("sql-user").has_value());
    enrolments.Remove(*enrolled);
    BOOST_TEST(!enrolments.Find("dir-user").has_value());
  }
}

BOOST_AUTO_TEST_SUITE(ldap_enrolments)

BOOST_AUTO_TEST_CASE(ids_never_collide_with_sql_accounts_nor_repeat_on_sqlite) {
  const testing::TempDir dir;
  DatabaseConfig config;
  config.sqlite.path = dir.File("weave.db");
  const std::unique_ptr<SqlConnection> connection = MakeConnection(config);
  CheckIdsInterleave(*connection);
}

BOOST_AUTO_TEST_CASE(ids_never_collide_with_sql_accounts_nor_repeat_on_mysql) {
  const auto config = testing::MysqlTestConfig("weave_contract");
  if (!config) {
    BOOST_TEST_MESSAGE("skipped: no MySQL test server (WEAVE_TEST_MYSQL_HOST is not set)");
    return;
  }
  const std::unique_ptr<SqlConnection> connection = MakeConnection(*config);
  for (const char* table : {"users", "ldap_users"}) {
    StatementScope wipe(connection->Prepare(std::string("DELETE FROM ") + table));
    wipe->Step();
  }
  CheckIdsInterleave(*connection);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace weave
