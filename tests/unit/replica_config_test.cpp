// Unit tests of what replicated account stores configure and rely on: database.mysql.hosts,
// auth.ldap.write_urls, and running a transaction again after its connection was lost.
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "auth/auth_config_check.h"
#include "core/config_loader.h"
#include "core/errors.h"
#include "db/conflict_retry.h"

namespace weave {
namespace {

#if WITH_LDAP
std::string ErrorOf(const std::string& yaml) {
  try {
    CheckAuthConfig(LoadConfigText(yaml).auth);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

const char* const kMozilla =
    "auth: {backend: ldap, ldap: {mode: mozilla, base_dn: \"dc=example\", admin_dn: "
    "\"cn=admin,dc=example\", admin_password: secret, urls: \"ldaps://replica.example\", ";
#endif

}  // namespace

BOOST_AUTO_TEST_SUITE(replica_config)

BOOST_AUTO_TEST_CASE(mysql_hosts_take_host_and_optional_port) {
  const auto hosts =
      LoadConfigText(
          "database: {mysql: {port: 3310, hosts: [db1, \"db2:3307\", \"[2001:db8::3]:3308\", "
          "\"[2001:db8::4]\", \"10.0.0.5\"]}}")
          .database.mysql.hosts;
  BOOST_REQUIRE_EQUAL(hosts.size(), 5U);
  BOOST_TEST(hosts[0].host == "db1");
  BOOST_TEST(hosts[0].port == 0);  // database.mysql.port
  BOOST_TEST(hosts[1].host == "db2");
  BOOST_TEST(hosts[1].port == 3307);
  BOOST_TEST(hosts[2].host == "2001:db8::3");
  BOOST_TEST(hosts[2].port == 3308);
  BOOST_TEST(hosts[3].host == "2001:db8::4");
  BOOST_TEST(hosts[3].port == 0);
  BOOST_TEST(hosts[4].host == "10.0.0.5");
  BOOST_TEST(LoadConfigText("").database.mysql.hosts.empty());
}

BOOST_AUTO_TEST_CASE(bad_mysql_hosts_name_the_key) {
  for (const std::string bad : {"db1", "[db1, [nested]]", "[\"\"]", "[\"db:0\"]", "[\"db:65536\"]",
                                "[\"db:x\"]", "[\"db:\"]", "[\"[::1\"]", "[\":3306\"]"}) {
    BOOST_TEST_INFO("hosts: " << bad);
    BOOST_CHECK_EXCEPTION(LoadConfigText("database: {mysql: {hosts: " + bad + "}}"), ConfigError,
                          [](const ConfigError& error) {
                            return std::string(error.what()).rfind("database.mysql.hosts", 0) == 0;
                          });
  }
}

BOOST_AUTO_TEST_CASE(clear_text_warning_covers_every_listed_host) {
  const auto warnings =
      ConfigWarnings(LoadConfigText("database: {driver: mysql, mysql: {hosts: [\"127.0.0.1:3306\", "
                                    "\"db2.example.org\"]}}"),
                     "");
  BOOST_REQUIRE_EQUAL(warnings.size(), 1U);
  BOOST_TEST(warnings[0].find("db2.example.org") != std::string::npos);
}

#if WITH_LDAP  // the LDAP keys are refused by a build without LDAP
BOOST_AUTO_TEST_CASE(ldap_write_urls_are_read_and_checked) {
  const Config config =
      LoadConfigText(std::string(kMozilla) + "write_urls: [\"ldaps://provider.example\"]}}");
  BOOST_REQUIRE_EQUAL(config.auth.ldap.write_urls.size(), 1U);
  BOOST_TEST(config.auth.ldap.write_urls[0] == "ldaps://provider.example");
  BOOST_TEST(ErrorOf(std::string(kMozilla) + "write_urls: \"ldaps://provider.example\"}}") == "");
  BOOST_TEST(ErrorOf(std::string(kMozilla) + "write_urls: [\"http://provider\"]}}")
                 .rfind("auth.ldap.write_urls", 0) == 0);
  // Only mozilla mode writes.
  BOOST_TEST(ErrorOf("auth: {backend: ldap, ldap: {base_dn: x, urls: \"ldaps://a\", "
                     "write_urls: \"ldaps://b\"}}")
                 .rfind("auth.ldap.write_urls", 0) == 0);
}
#endif

BOOST_AUTO_TEST_CASE(a_transaction_whose_connection_was_lost_runs_once_more) {
  int runs = 0;
  const int result = RetryConflicts("test", [&] {
    if (++runs == 1) {
      throw TransactionConflict(TransactionConflict::Kind::kConnectionLost, "gone");
    }
    return 7;
  });
  BOOST_TEST(result == 7);
  BOOST_TEST(runs == 2);
  runs = 0;
  BOOST_CHECK_THROW(RetryConflicts("test",
                                   [&] {
                                     ++runs;
                                     throw TransactionConflict(
                                         TransactionConflict::Kind::kConnectionLost, "gone");
                                   }),
                    TransactionConflict);
  BOOST_TEST(runs == 2);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace weave
