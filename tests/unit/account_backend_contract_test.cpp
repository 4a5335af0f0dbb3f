// Contract tests of AccountBackend (Authenticator + AccountStore) and of the login cache in
// front of it, run over the SQL store and, given a throwaway slapd, both LDAP modes.
//
// The LDAP makers need a directory loaded with ldap/sample-directory.ldif (tests/ldap/run.sh
// starts one and sets the variables): WEAVE_TEST_LDAP_URL ("ldap://127.0.0.1:PORT"), and
// optionally WEAVE_TEST_LDAP_CA (a CA file: StartTLS; unset: plain LDAP). Without
// WEAVE_TEST_LDAP_URL their cases pass after saying "skipped: no LDAP server". The LDAP
// mozilla maker writes entries with fresh random names, so runs can share a directory.
#include <stdlib.h>

#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>

#include <boost/test/unit_test.hpp>

#include "auth/account_store.h"
#include "auth/auth_config_check.h"
#include "auth/caching_account_backend.h"
#include "auth/make_account_backend.h"
#include "auth/password_hash.h"
#include "auth/shared_login_table.h"
#include "auth/sql_user_store.h"
#include "core/clock.h"
#include "core/config_loader.h"
#include "core/crypto.h"
#include "db/make_connection.h"
#include "db/sqlite_connection.h"
#include "storage/sql_storage.h"
#include "test_support.h"

namespace weave {
namespace {

constexpr int64_t kStartMs = 1300000000000;

struct Login {
  std::string username;
  std::string password;
  std::string email;
};

// What every maker provides: a back end on a fresh SQLite file (Sync's own state), built by
// the factory from a YAML configuration, as the server builds it.
class MakerBase {
 public:
  AccountBackend& Backend() { return *backends_.direct; }
  SqlConnection& Connection() { return *connection_; }
  ManualClock& Clock() { return clock_; }

  // A user name no test has used, in every run.
  static std::string FreshName(std::string_view prefix) {
    return std::string(prefix) + HexEncode(RandomBytes(5));
  }

  // Creates login's account; the case stops unless it is created.
  CreateResult Create(const Login& login) {
    const CreateResult created = Backend().CreateUser(login.username, login.password, login.email);
    BOOST_REQUIRE(created.outcome == CreateOutcome::kCreated);
    return created;
  }

  // An account made here, with a fresh name starting with prefix.
  Login CreatedExisting(std::string_view prefix) {
    Login login{FreshName(prefix), "right-password-1", "someone@example.org"};
    Create(login);
    return login;
  }

 protected:
  void Build(const std::string& auth_yaml) {
    const Config config = LoadConfigText("database:\n  sqlite:\n    path: \"" +
                                         dir_.File("weave.db") + "\"\n" + auth_yaml);
    CheckAuthConfig(config.auth);
    connection_ = MakeConnection(config.database);
    backends_ = MakeAccountBackend(config.auth, *connection_, clock_);
  }

 private:
  testing::TempDir dir_;
  ManualClock clock_{kStartMs};
  std::unique_ptr<SqlConnection> connection_;
  AccountBackends backends_;
};

// The SQL users table.
struct SqlMaker : MakerBase {
  static constexpr const char* kName = "sql";
  static constexpr bool kWritable = true;  // passwords and e-mail addresses change here
  static constexpr bool kEnrolsOnly = false;
  static constexpr bool kHasRecheck = false;  // CredentialStamp sees every change

  SqlMaker() { Build("auth:\n  backend: sql\n  password_hash: bcrypt\n  password_hash_cost: 4\n"); }
  bool Available() const { return true; }

  Login Existing() { return CreatedExisting("sql"); }

  Login ToCreate() { return {FreshName("new"), "new-password-1", "new@example.org"}; }
  Login Disabled() {
    const Login login = Existing();
    BOOST_REQUIRE(dynamic_cast<SqlUserStore&>(Backend()).SetStatus(login.username, 0));
    return login;
  }
};

#if WITH_LDAP
// The sample directory's names (ldap/sample-directory.ldif).
constexpr const char* kBase = "dc=example,dc=org";
constexpr const char* kUsers = "ou=users,dc=example,dc=org";

std::string LdapYaml(const std::string& mode_yaml) {
  const char* url = getenv("WEAVE_TEST_LDAP_URL");
  const char* ca = getenv("WEAVE_TEST_LDAP_CA");
  std::string yaml = "auth:\n  backend: ldap\n  ldap:\n";
  yaml += "    urls: \"" + std::string(url != nullptr ? url : "") + "\"\n";
  if (ca != nullptr && *ca != '\0') {
    yaml += "    ca_file: \"" + std::string(ca) + "\"\n";
  } else {
    yaml += "    tls: \"off\"\n";
  }
  yaml += "    connect_timeout_ms: 2000\n    operation_timeout_ms: 5000\n";
  yaml += "    enabled_attribute: account-enabled\n";
  return yaml + mode_yaml;
}

bool HaveLdap() {
  const char* url = getenv("WEAVE_TEST_LDAP_URL");
  if (url == nullptr || *url == '\0') {
    BOOST_TEST_MESSAGE("skipped: no LDAP server (set WEAVE_TEST_LDAP_URL; tests/ldap/run.sh does)");
    return false;
  }
  return true;
}

// What both LDAP makers share: they are available only given a directory.
class LdapMakerBase : public MakerBase {
 public:
  bool Available() const { return available_; }

 protected:
  LdapMakerBase() : available_(HaveLdap()) {}

 private:
  bool available_;
};

// readonly mode: the directory's own entries, enrolled in ldap_users.
struct LdapReadonlyMaker : LdapMakerBase {
  static constexpr const char* kName = "ldap readonly";
  static constexpr bool kWritable = false;
  static constexpr bool kEnrolsOnly = true;
  static constexpr bool kHasRecheck = true;  // RecheckStamp reads the entry

  LdapReadonlyMaker() {
    if (Available()) {
      Build(LdapYaml(std::string("    base_dn: \"") + kUsers +
                     "\"\n"
                     "    bind_dn: \"cn=sync-reader,ou=services,dc=example,dc=org\"\n"
                     "    bind_password: reader-password\n"
                     "    password_change_url: \"https://id.example.org/password\"\n"));
    }
  }

  Login Existing() { return {"alice", "alice-password", "alice@example.org"}; }
  // Enrolled by CreateUser in the case that creates it (each maker has a fresh SQL file).
  Login ToCreate() { return {"bob", "bob-password", ""}; }
  Login Disabled() { return {"eve", "eve-password", "eve@example.org"}; }
};

// mozilla mode: entries written by the back end itself.
struct LdapMozillaMaker : LdapMakerBase {
  static constexpr const char* kName = "ldap mozilla";
  static constexpr bool kWritable = true;
  static constexpr bool kEnrolsOnly = false;
  static constexpr bool kHasRecheck = true;

  LdapMozillaMaker() {
    if (Available()) {
      Build(LdapYaml(std::string("    mode: mozilla\n    base_dn: \"") + kBase +
                     "\"\n    users_dn: \"" + kUsers +
                     "\"\n"
                     "    user_filter: \"(&(objectClass=dataStore)(uid={user}))\"\n"
                     "    admin_dn: \"cn=sync-admin,ou=services,dc=example,dc=org\"\n"
                     "    admin_password: admin-password\n"));
    }
  }

  Login Existing() { return CreatedExisting("ct"); }
  Login ToCreate() { return {FreshName("ctnew"), "new-password-1", "new@example.org"}; }
  Login Disabled() { return {"eve", "eve-password", "eve@example.org"}; }
};

using Makers = std::tuple<SqlMaker, LdapReadonlyMaker, LdapMozillaMaker>;
#else
using Makers = std::tuple<SqlMaker>;
#endif

// Declares the case's maker as NAME, or ends the case (passed; the maker said why) when its
// server is not here.
#define CONTRACT_MAKER(NAME) \
  Maker NAME;                \
  if (!(NAME).Available()) { \
    return;                  \
  }                          \
  static_assert(true, "a statement for the semicolon after the macro")

BOOST_AUTO_TEST_SUITE(account_backend_contract)

BOOST_AUTO_TEST_CASE_TEMPLATE(authenticates_right_password_only, Maker, Makers) {
  CONTRACT_MAKER(maker);
  BOOST_TEST_MESSAGE(Maker::kName);
  const Login login = maker.Existing();
  const auto id = maker.Backend().Authenticate(login.username, login.password);
  BOOST_REQUIRE(id.has_value());
  BOOST_TEST(*id > 0);
  BOOST_TEST((maker.Backend().Authenticate(login.username, login.password) == id));
  BOOST_TEST(!maker.Backend().Authenticate(login.username, "wrong-password").has_value());
  BOOST_TEST(!maker.Backend().Authenticate(login.username, "").has_value());
  BOOST_TEST(!maker.Backend().Authenticate(MakerBase::FreshName("nobody"), login.password));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(created_account_is_found_and_logs_in, Maker, Makers) {
  CONTRACT_MAKER(maker);
  const Login login = maker.ToCreate();
  BOOST_TEST(!maker.Backend().FindUser(login.username).has_value());
  const CreateResult created = maker.Create(login);
  BOOST_TEST(created.id > 0);
  const auto account = maker.Backend().FindUser(login.username);
  BOOST_REQUIRE(account.has_value());
  BOOST_TEST((account->id == created.id));
  BOOST_TEST(account->username == login.username);
  BOOST_TEST(account->status == 1);
  if (!login.email.empty()) {
    BOOST_TEST(account->email == login.email);
  }
  BOOST_TEST((maker.Backend().Authenticate(login.username, login.password) == created.id));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(second_create_of_a_name_is_refused, Maker, Makers) {
  CONTRACT_MAKER(maker);
  const Login login = maker.ToCreate();
  maker.Create(login);
  BOOST_TEST((maker.Backend().CreateUser(login.username, login.password, login.email).outcome ==
              CreateOutcome::kNameTaken));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(password_change_replaces_the_password, Maker, Makers) {
  CONTRACT_MAKER(maker);
  const Login login = maker.Existing();
  AccountBackend& backend = maker.Backend();
  if constexpr (!Maker::kWritable) {
    BOOST_TEST((backend.SetPassword(login.username, "other-password-2") ==
                ChangeOutcome::kManagedElsewhere));
    BOOST_TEST(backend.ExternalPasswordNotice().has_value());
    BOOST_TEST(backend.Authenticate(login.username, login.password).has_value());
  } else {
    const auto id = backend.Authenticate(login.username, login.password);
    BOOST_REQUIRE(id.has_value());
    BOOST_TEST(
        (backend.SetPassword(login.username, "other-password-2") == ChangeOutcome::kChanged));
    BOOST_TEST(!backend.Authenticate(login.username, login.password).has_value());
    BOOST_TEST((backend.Authenticate(login.username, "other-password-2") == id));
    BOOST_TEST(!backend.ExternalPasswordNotice().has_value());
    BOOST_TEST((backend.SetPassword(MakerBase::FreshName("nobody"), "x-password-3") ==
                ChangeOutcome::kNoSuchUser));
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(email_change_is_stored, Maker, Makers) {
  CONTRACT_MAKER(maker);
  const Login login = maker.Existing();
  AccountBackend& backend = maker.Backend();
  if constexpr (!Maker::kWritable) {
    BOOST_TEST((backend.SetEmail(login.username, "elsewhere@example.org") ==
                ChangeOutcome::kManagedElsewhere));
  } else {
    BOOST_TEST(
        (backend.SetEmail(login.username, "elsewhere@example.org") == ChangeOutcome::kChanged));
    const auto account = backend.FindUser(login.username);
    BOOST_REQUIRE(account.has_value());
    BOOST_TEST(account->email == "elsewhere@example.org");
    BOOST_TEST((backend.SetEmail(MakerBase::FreshName("nobody"), "x@example.org") ==
                ChangeOutcome::kNoSuchUser));
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(deleted_account_is_not_found, Maker, Makers) {
  CONTRACT_MAKER(maker);
  const Login login = maker.ToCreate();
  const CreateResult created = maker.Create(login);
  BOOST_TEST((maker.Backend().DeleteUser(login.username) == created.id));
  BOOST_TEST(!maker.Backend().FindUser(login.username).has_value());
  BOOST_TEST(!maker.Backend().DeleteUser(login.username).has_value());
  if constexpr (!Maker::kEnrolsOnly) {
    // (A read-only directory's entry stays, and logging in enrols it again.)
    BOOST_TEST(!maker.Backend().Authenticate(login.username, login.password).has_value());
  }
}

// Records of a deleted account that its deletion did not catch (a write that raced it, or
// a storage server whose data outlives the account) must never surface for a later account:
// ids are never handed out twice.
BOOST_AUTO_TEST_CASE_TEMPLATE(recreated_account_gets_a_new_id_and_no_records, Maker, Makers) {
  CONTRACT_MAKER(maker);
  const Login login = maker.ToCreate();
  AccountBackend& backend = maker.Backend();
  const CreateResult first = maker.Create(login);
  SqlStorage storage(maker.Connection());
  const ItemWrite record{"left-over", "old account's data", {}, {}, {}, {}};
  WriteContext context;
  context.request_time_cs = kStartMs / 10;
  BOOST_REQUIRE(storage.PutItems(first.id, "bookmarks", {&record, 1}, context).status ==
                WriteStatus::kDone);
  BOOST_REQUIRE((backend.DeleteUser(login.username) == first.id));
  const CreateResult second = maker.Create(login);
  BOOST_TEST(second.id > first.id);
  BOOST_TEST((backend.Authenticate(login.username, login.password) == second.id));
  BOOST_TEST(storage.GetCollectionTimestamps(second.id).empty());
  BOOST_TEST(!storage.GetCollectionTimestamp(second.id, "bookmarks").has_value());
}

// Another worker's cached login of the deleted account must not answer for the account
// that now has its name and password.
BOOST_AUTO_TEST_CASE_TEMPLATE(cached_login_of_a_deleted_account_is_not_reused, Maker, Makers) {
  CONTRACT_MAKER(maker);
  const Login login = maker.ToCreate();
  AccountBackend& backend = maker.Backend();
  const CreateResult first = maker.Create(login);
  CachingAccountBackend other_worker(backend, 300, 300, maker.Clock());
  BOOST_REQUIRE((other_worker.Authenticate(login.username, login.password) == first.id));
  BOOST_REQUIRE((backend.DeleteUser(login.username) == first.id));
  const CreateResult second = maker.Create(login);
  BOOST_TEST((other_worker.Authenticate(login.username, login.password) == second.id));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(disabled_account_is_refused, Maker, Makers) {
  CONTRACT_MAKER(maker);
  const Login login = maker.Disabled();
  BOOST_TEST(!maker.Backend().Authenticate(login.username, login.password).has_value());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(credential_stamp_follows_the_password, Maker, Makers) {
  CONTRACT_MAKER(maker);
  const Login login = maker.Existing();
  AccountBackend& backend = maker.Backend();
  const auto before = backend.CredentialStamp(login.username);
  BOOST_REQUIRE(before.has_value());
  BOOST_TEST((backend.CredentialStamp(login.username) == before));
  if constexpr (Maker::kWritable) {
    BOOST_REQUIRE(
        (backend.SetPassword(login.username, "other-password-2") == ChangeOutcome::kChanged));
    BOOST_TEST((backend.CredentialStamp(login.username) != before));
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(credential_stamp_follows_delete_and_create, Maker, Makers) {
  CONTRACT_MAKER(maker);
  const Login login = maker.ToCreate();
  AccountBackend& backend = maker.Backend();
  const auto before = backend.CredentialStamp(login.username);
  maker.Create(login);
  const auto created = backend.CredentialStamp(login.username);
  BOOST_TEST((created != before));
  BOOST_REQUIRE(backend.DeleteUser(login.username).has_value());
  const auto deleted = backend.CredentialStamp(login.username);
  BOOST_TEST((deleted != created));
  maker.Create(login);
  BOOST_TEST((backend.CredentialStamp(login.username) != created));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(recheck_stamp_reads_the_directory_entry, Maker, Makers) {
  CONTRACT_MAKER(maker);
  const Login login = maker.Existing();
  AccountBackend& backend = maker.Backend();
  const auto before = backend.RecheckStamp(login.username);
  if constexpr (!Maker::kHasRecheck) {
    BOOST_TEST(!before.has_value());
  } else {
    BOOST_REQUIRE(before.has_value());
    BOOST_TEST((backend.RecheckStamp(login.username) == before));
    // A login enrols a readonly account: the stamp stays that of the same entry.
    BOOST_REQUIRE(backend.Authenticate(login.username, login.password).has_value());
    BOOST_TEST((backend.RecheckStamp(login.username) == before));
    BOOST_TEST((backend.RecheckStamp(maker.Disabled().username) != before));
    const auto nobody = backend.RecheckStamp(MakerBase::FreshName("nobody"));
    BOOST_TEST((nobody.has_value() && nobody != before));
    for (const char* odd : {"*", "alice)(uid=*", "", "al\\2a"}) {
      BOOST_TEST((backend.RecheckStamp(odd) == nobody));
    }
    if constexpr (Maker::kWritable) {
      // Written here, so through the admin account; the service account's view changes too
      // (entryCSN, modifyTimestamp, and userPassword where it may read it).
      BOOST_REQUIRE(
          (backend.SetPassword(login.username, "other-password-2") == ChangeOutcome::kChanged));
      BOOST_TEST((backend.RecheckStamp(login.username) != before));
    }
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(cached_login_ends_with_a_password_change_through_the_cache, Maker,
                              Makers) {
  CONTRACT_MAKER(maker);
  const Login login = maker.Existing();
  CachingAccountBackend cache(maker.Backend(), 300, 300, maker.Clock());
  const auto id = cache.Authenticate(login.username, login.password);
  BOOST_REQUIRE(id.has_value());
  BOOST_TEST((cache.Authenticate(login.username, login.password) == id));
  BOOST_TEST(!cache.Authenticate(login.username, "wrong-password").has_value());
  // A wrong guess leaves the real login cached.
  BOOST_TEST((cache.Authenticate(login.username, login.password) == id));
  if constexpr (Maker::kWritable) {
    BOOST_REQUIRE(
        (cache.SetPassword(login.username, "other-password-2") == ChangeOutcome::kChanged));
    BOOST_TEST(!cache.Authenticate(login.username, login.password).has_value());
    BOOST_TEST((cache.Authenticate(login.username, "other-password-2") == id));
  } else {
    BOOST_TEST((cache.SetPassword(login.username, "other-password-2") ==
                ChangeOutcome::kManagedElsewhere));
    BOOST_TEST((cache.Authenticate(login.username, login.password) == id));
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(cached_login_ends_with_its_lifetime_or_stamp, Maker, Makers) {
  CONTRACT_MAKER(maker);
  const Login login = maker.Existing();
  CachingAccountBackend cache(maker.Backend(), 60, 60, maker.Clock());
  BOOST_REQUIRE(cache.Authenticate(login.username, login.password).has_value());
  if constexpr (Maker::kWritable) {
    // A change behind the cache's back (another worker, weave-admin).
    BOOST_REQUIRE((maker.Backend().SetPassword(login.username, "other-password-2") ==
                   ChangeOutcome::kChanged));
    BOOST_TEST(!cache.Authenticate(login.username, login.password).has_value());
    maker.Clock().AdvanceMs(61 * 1000);
    BOOST_TEST(!cache.Authenticate(login.username, login.password).has_value());
    BOOST_TEST(cache.Authenticate(login.username, "other-password-2").has_value());
  } else {
    maker.Clock().AdvanceMs(61 * 1000);
    BOOST_TEST(cache.Authenticate(login.username, login.password).has_value());
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(cached_logins_of_other_workers_end_with_delete_and_create, Maker,
                              Makers) {
  CONTRACT_MAKER(maker);
  const Login login = maker.ToCreate();
  maker.Create(login);
  // Two workers' caches, which only the back end's stamps connect.
  CachingAccountBackend worker1(maker.Backend(), 3600, 3600, maker.Clock());
  CachingAccountBackend worker2(maker.Backend(), 3600, 3600, maker.Clock());
  const auto old_id = worker2.Authenticate(login.username, login.password);
  BOOST_REQUIRE(old_id.has_value());
  BOOST_REQUIRE(worker1.DeleteUser(login.username).has_value());
  if constexpr (Maker::kWritable) {
    BOOST_TEST(!worker2.Authenticate(login.username, login.password).has_value());
    const CreateResult again = worker1.CreateUser(login.username, "other-password-2", login.email);
    BOOST_REQUIRE(again.outcome == CreateOutcome::kCreated);
    BOOST_TEST(!worker2.Authenticate(login.username, login.password).has_value());
    BOOST_TEST((worker2.Authenticate(login.username, "other-password-2") == again.id));
  } else {
    // The directory entry stays, so its password is still right; but the login must go to
    // the back end, which enrols the entry again, rather than be answered from the cache.
    BOOST_TEST(worker2.Authenticate(login.username, login.password).has_value());
    BOOST_TEST(maker.Backend().FindUser(login.username).has_value());
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(other_workers_drop_a_cached_login_at_a_password_change, Maker,
                              Makers) {
  CONTRACT_MAKER(maker);
  if constexpr (Maker::kWritable) {
    const Login login = maker.Existing();
    CachingAccountBackend worker1(maker.Backend(), 3600, 3600, maker.Clock());
    CachingAccountBackend worker2(maker.Backend(), 3600, 3600, maker.Clock());
    BOOST_REQUIRE(worker1.Authenticate(login.username, login.password).has_value());
    BOOST_REQUIRE(worker2.Authenticate(login.username, login.password).has_value());
    BOOST_REQUIRE(
        (worker1.SetPassword(login.username, "other-password-2") == ChangeOutcome::kChanged));
    BOOST_TEST(!worker2.Authenticate(login.username, login.password).has_value());
    BOOST_TEST(worker2.Authenticate(login.username, "other-password-2").has_value());
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(no_lifetime_means_no_cache, Maker, Makers) {
  CONTRACT_MAKER(maker);
  if constexpr (Maker::kWritable) {
    const Login login = maker.Existing();
    CachingAccountBackend cache(maker.Backend(), 0, 0, maker.Clock());
    BOOST_REQUIRE(cache.Authenticate(login.username, login.password).has_value());
    BOOST_REQUIRE((maker.Backend().SetPassword(login.username, "other-password-2") ==
                   ChangeOutcome::kChanged));
    BOOST_TEST(!cache.Authenticate(login.username, login.password).has_value());
  }
}

// Two workers sharing the server's table of verified logins: one real check serves both,
// and a change through either (or behind both, as weave-admin's) ends it for both at once.
BOOST_AUTO_TEST_CASE_TEMPLATE(shared_logins_are_checked_once_and_end_together, Maker, Makers) {
  CONTRACT_MAKER(maker);
  const Login login = maker.Existing();
  SharedLoginTable shared(64);
  CachingAccountBackend worker1(maker.Backend(), 3600, 3600, maker.Clock(), shared);
  CachingAccountBackend worker2(maker.Backend(), 3600, 3600, maker.Clock(), shared);
  const auto id = worker1.Authenticate(login.username, login.password);
  BOOST_REQUIRE(id.has_value());
  BOOST_TEST((worker2.Authenticate(login.username, login.password) == id));
  BOOST_TEST(worker1.RealChecks() == 1);
  BOOST_TEST(worker2.RealChecks() == 0);
  if constexpr (Maker::kWritable) {
    BOOST_REQUIRE(
        (worker1.SetPassword(login.username, "other-password-2") == ChangeOutcome::kChanged));
    BOOST_TEST(!worker2.Authenticate(login.username, login.password).has_value());
    BOOST_TEST((worker2.Authenticate(login.username, "other-password-2") == id));
    BOOST_TEST((worker1.Authenticate(login.username, "other-password-2") == id));
    BOOST_TEST(worker1.RealChecks() == 1);
  }
  if constexpr (std::is_same_v<Maker, SqlMaker>) {
    // weave-admin disable, then enable: each moves the account generation.
    auto& users = dynamic_cast<SqlUserStore&>(maker.Backend());
    BOOST_REQUIRE(users.SetStatus(login.username, 0));
    BOOST_TEST(!worker1.Authenticate(login.username, "other-password-2").has_value());
    BOOST_TEST(!worker2.Authenticate(login.username, "other-password-2").has_value());
    const auto disabled = users.CredentialStamp(login.username);
    BOOST_REQUIRE(users.SetStatus(login.username, 1));
    BOOST_TEST((users.CredentialStamp(login.username) != disabled));
    BOOST_TEST((worker2.Authenticate(login.username, "other-password-2") == id));
  }
}

// A SQLite database made before users.generation: the column is added at start, and its
// accounts log in and get a generation that password changes move.
BOOST_AUTO_TEST_CASE(users_table_without_generation_is_upgraded) {
  testing::TempDir dir;
  const Config config = LoadConfigText("database:\n  sqlite:\n    path: \"" + dir.File("old.db") +
                                       "\"\nauth:\n  password_hash: bcrypt\n"
                                       "  password_hash_cost: 4\n");
  {
    SqliteConnection old(config.database.sqlite,
                         "CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT NOT NULL "
                         "UNIQUE, password_hash TEXT NOT NULL, email TEXT NOT NULL DEFAULT '', "
                         "status INTEGER NOT NULL DEFAULT 1, alert TEXT, created INTEGER NOT "
                         "NULL DEFAULT 0);");
    StatementScope insert(
        old.Prepare("INSERT INTO users (id, username, password_hash) VALUES (5, 'old', ?)"));
    insert->BindText(0, HashPassword("old-password", "bcrypt", 4));
    insert->Step();
  }
  const auto connection = MakeConnection(config.database);
  SqlUserStore users(*connection, config.auth);
  BOOST_TEST((users.Authenticate("old", "old-password") == UserId{5}));
  const auto before = users.CredentialStamp("old");
  BOOST_REQUIRE((users.SetPassword("old", "new-password") == ChangeOutcome::kChanged));
  BOOST_TEST((users.CredentialStamp("old") != before));
  BOOST_TEST((users.Authenticate("old", "new-password") == UserId{5}));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace weave
