// Unit tests of the LDAP back end's text rules (escaping, templates, {SSHA}) and of the
// auth.ldap configuration checks. The directory itself is tested by tests/ldap/run.sh.
#include "auth/ldap/ldap_text.h"

#include <string>

#include <boost/test/unit_test.hpp>

#include "auth/auth_config_check.h"
#include "core/config_loader.h"
#include "core/crypto.h"
#include "core/errors.h"

namespace weave {
namespace {

// The ConfigError message for an auth.ldap section, or "" if it loads and passes the checks.
std::string LdapConfigError(const std::string& ldap_yaml) {
  try {
    // The loader reads the keys; the auth part checks them (as weave-server -t does).
    CheckAuthConfig(LoadConfigText("auth:\n  backend: ldap\n  ldap:\n" + ldap_yaml).auth);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ldap_text)

BOOST_AUTO_TEST_CASE(filter_values_escape_the_rfc4515_specials) {
  BOOST_TEST(EscapeFilterValue("alice") == "alice");
  BOOST_TEST(EscapeFilterValue("*") == "\\2a");
  BOOST_TEST(EscapeFilterValue(")(uid=*") == "\\29\\28uid=\\2a");
  BOOST_TEST(EscapeFilterValue("\\2a") == "\\5c2a");
  BOOST_TEST(EscapeFilterValue(std::string("a\0b", 3)) == "a\\00b");
  BOOST_TEST(EscapeFilterValue("tab\there") == "tab\\09here");
  BOOST_TEST(EscapeFilterValue("j\xc3\xb6rg@example.org") == "j\xc3\xb6rg@example.org");
}

BOOST_AUTO_TEST_CASE(filter_bytes_escape_everything) {
  BOOST_TEST(EscapeFilterBytes(std::string("\x01\xff"
                                           "a",
                                           3)) == "\\01\\ff\\61");
}

BOOST_AUTO_TEST_CASE(dn_values_escape_the_rfc4514_specials) {
  BOOST_TEST(EscapeDnValue("alice") == "alice");
  BOOST_TEST(EscapeDnValue("Smith, J") == "Smith\\, J");
  BOOST_TEST(EscapeDnValue("a+b=c;d<e>f\"g\\h") == "a\\+b\\=c\\;d\\<e\\>f\\\"g\\\\h");
  BOOST_TEST(EscapeDnValue(" lead") == "\\ lead");
  BOOST_TEST(EscapeDnValue("#hash") == "\\#hash");
  BOOST_TEST(EscapeDnValue("trail ") == "trail\\ ");
  BOOST_TEST(EscapeDnValue("mid#dle mid") == "mid#dle mid");
  BOOST_TEST(EscapeDnValue(std::string("a\0", 2)) == "a\\00");
  BOOST_TEST(EscapeDnValue("alice,ou=admins") == "alice\\,ou\\=admins");
}

BOOST_AUTO_TEST_CASE(templates_replace_every_placeholder) {
  BOOST_TEST(FillTemplate("(|(uid={user})(cn={user}))", "{user}", "x") == "(|(uid=x)(cn=x))");
  BOOST_TEST(FillTemplate("uid={user},ou=people", "{user}", "a\\,b") == "uid=a\\,b,ou=people");
  BOOST_TEST(FillTemplate("no placeholder", "{user}", "x") == "no placeholder");
}

BOOST_AUTO_TEST_CASE(filter_templates_need_whole_value_placeholders) {
  BOOST_TEST(CheckFilterTemplate("(uid={user})", "{user}") == "");
  BOOST_TEST(CheckFilterTemplate("(&(objectClass=inetOrgPerson)(uid={user}))", "{user}") == "");
  BOOST_TEST(CheckFilterTemplate("(&(objectCategory=person)(sAMAccountName={user})"
                                 "(!(userAccountControl:1.2.840.113556.1.4.803:=2)))",
                                 "{user}") == "");
  BOOST_TEST(CheckFilterTemplate("(cn={user}*)", "{user}") != "");
  BOOST_TEST(CheckFilterTemplate("(uid=x)", "{user}") != "");
  BOOST_TEST(CheckFilterTemplate("uid={user}", "{user}") != "");
  BOOST_TEST(CheckFilterTemplate("(uid={user}))(", "{user}") != "");
  BOOST_TEST(CheckFilterTemplate("((uid={user})", "{user}") != "");
  BOOST_TEST(CheckFilterTemplate("(cn=a\\29)(uid={user})", "{user}") != "");
}

BOOST_AUTO_TEST_CASE(attribute_names_are_descriptors_or_oids) {
  BOOST_TEST(IsAttributeName("uid"));
  BOOST_TEST(IsAttributeName("account-enabled"));
  BOOST_TEST(IsAttributeName("sAMAccountName"));
  BOOST_TEST(IsAttributeName("1.3.6.1.4.1.1466.115.121.1.15"));
  BOOST_TEST(!IsAttributeName(""));
  BOOST_TEST(!IsAttributeName("u id"));
  BOOST_TEST(!IsAttributeName("-uid"));
  BOOST_TEST(!IsAttributeName("uid)(x"));
  BOOST_TEST(!IsAttributeName("1.3.a"));
}

BOOST_AUTO_TEST_CASE(ssha_is_sha1_of_password_and_salt_then_salt) {
  const std::string value = SshaPasswordWithSalt("secret", "12345678");
  const auto blob = Base64Decode(value.substr(6));
  BOOST_TEST(value.rfind("{SSHA}", 0) == 0U);
  BOOST_REQUIRE(blob.has_value());
  BOOST_TEST(blob->size() == 28U);
  BOOST_TEST(blob->substr(20) == "12345678");
  BOOST_TEST(blob->substr(0, 20) == Sha1("secret12345678"));
  BOOST_TEST(SshaPassword("secret") != SshaPassword("secret"));  // fresh salt each time
}

BOOST_AUTO_TEST_CASE(ldap_config_defaults) {
  const Config config = LoadConfigText("");
  const LdapConfig& ldap = config.auth.ldap;
  BOOST_TEST(config.auth.backend == "sql");
  BOOST_TEST(ldap.urls.empty());
  BOOST_TEST(ldap.tls == "on");
  BOOST_TEST(ldap.mode == "readonly");
  BOOST_TEST(ldap.user_filter == "(&(objectClass=inetOrgPerson)(uid={user}))");
  BOOST_TEST(ldap.id_attribute == "entryUUID");
  BOOST_TEST(ldap.cache_seconds == 60);
}

BOOST_AUTO_TEST_CASE(ldap_config_accepts_one_url_or_a_list) {
  const Config one = LoadConfigText(
      "auth:\n  backend: ldap\n  ldap:\n    urls: ldaps://a.example\n    base_dn: dc=x\n");
  BOOST_TEST(one.auth.ldap.urls.size() == 1U);
  const Config two = LoadConfigText(
      "auth:\n  backend: ldap\n  ldap:\n    urls: [ldap://a.example, ldaps://b.example]\n"
      "    base_dn: dc=x\n");
  BOOST_TEST(two.auth.ldap.urls.size() == 2U);
  BOOST_TEST(two.auth.ldap.urls[1] == "ldaps://b.example");
}

BOOST_AUTO_TEST_CASE(ldap_config_errors_name_the_key) {
  const std::string urls = "    urls: ldap://a.example\n";
  BOOST_TEST(StartsWith(LdapConfigError("    base_dn: dc=x\n"), "auth.ldap.urls:"));
  BOOST_TEST(StartsWith(LdapConfigError(urls), "auth.ldap.base_dn:"));
  BOOST_TEST(StartsWith(LdapConfigError("    urls: [ldap://a ldap://b]\n    base_dn: x\n"),
                        "auth.ldap.urls:"));
  BOOST_TEST(
      StartsWith(LdapConfigError(urls + "    base_dn: x\n    tls: maybe\n"), "auth.ldap.tls:"));
  BOOST_TEST(StartsWith(LdapConfigError(urls + "    base_dn: x\n    user_filter: (uid={user}*)\n"),
                        "auth.ldap.user_filter:"));
  BOOST_TEST(StartsWith(LdapConfigError(urls + "    base_dn: x\n    bind_dn: cn=r\n"),
                        "auth.ldap.bind_password:"));
  BOOST_TEST(StartsWith(LdapConfigError(urls + "    base_dn: x\n    mode: mozilla\n"),
                        "auth.ldap.admin_dn:"));
  BOOST_TEST(StartsWith(LdapConfigError(urls + "    base_dn: x\n    cache_seconds: -1\n"),
                        "auth.ldap.cache_seconds:"));
  BOOST_TEST(StartsWith(LdapConfigError(urls + "    base_dn: x\n    password_change_url: x\n"),
                        "auth.ldap.password_change_url:"));
  BOOST_TEST(
      StartsWith(LdapConfigError(urls + "    base_dn: x\n    bogus: 1\n"), "auth.ldap.bogus:"));
  BOOST_TEST(LdapConfigError(urls + "    base_dn: x\n") == "");
}

BOOST_AUTO_TEST_CASE(mozilla_mode_fills_its_defaults) {
  const Config config = LoadConfigText(
      "server:\n  public_url: https://sync.example.org:8443/sync/\n"
      "auth:\n  backend: ldap\n  ldap:\n    urls: ldap://a\n    base_dn: dc=example\n"
      "    mode: mozilla\n    admin_dn: cn=admin\n    admin_password: pw\n");
  const LdapConfig& ldap = config.auth.ldap;
  BOOST_TEST(ldap.users_dn == "dc=example");
  BOOST_TEST(ldap.uid_counter_dn == "cn=maxuid,dc=example");
  BOOST_TEST(ldap.node == "sync.example.org:8443");
  BOOST_TEST(ldap.enabled_attribute == "account-enabled");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace weave
