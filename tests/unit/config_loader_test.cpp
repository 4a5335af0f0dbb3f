// Unit tests of the YAML configuration loader and of the auth part's checks on what it read.
#include "core/config_loader.h"

#include <fstream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <sys/stat.h>

#include "auth/auth_config_check.h"
#include "core/errors.h"
#include "test_support.h"

namespace weave {
namespace {

// The ConfigError message for yaml, or "" if it loads and passes the auth part's checks (as
// weave-server -t runs them).
std::string ErrorOf(const std::string& yaml) {
  try {
    CheckAuthConfig(LoadConfigText(yaml).auth);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config_loader)

BOOST_AUTO_TEST_CASE(empty_text_gives_the_defaults) {
  const Config config = LoadConfigText("");
  BOOST_TEST(config.server.listen == "");
  BOOST_TEST(config.server.socket_mode == 0660);
  BOOST_TEST(config.server.workers == 4);
  BOOST_TEST(config.server.max_requests_per_worker == 100000);
  BOOST_TEST(config.server.shutdown_timeout_seconds == 30);
  BOOST_TEST(config.server.retry_after_seconds == 1800);
  BOOST_TEST(config.server.path_prefix == "");
  BOOST_TEST(config.server.public_url == "");
  BOOST_TEST(config.database.driver == "sqlite");
  BOOST_TEST(config.database.sqlite.path == "/var/lib/weave/weave.db");
  BOOST_TEST(config.database.sqlite.busy_timeout_ms == 10000);
  BOOST_TEST(config.database.sqlite.synchronous == "normal");
  BOOST_TEST(config.auth.backend == "sql");
  BOOST_TEST(config.auth.cache_seconds == 300);
  BOOST_TEST(config.auth.shared_logins == 16384);
  BOOST_TEST(config.auth.password_hash == "yescrypt");
  BOOST_TEST(config.limits.quota_kib == 25600);
  BOOST_TEST(config.limits.max_payload_bytes == 262144);
  BOOST_TEST(config.limits.max_body_bytes == 8 * 1024 * 1024);
  BOOST_TEST(config.limits.batch_max_count == 100);
  BOOST_TEST(config.limits.batch_max_bytes == 1024 * 1024);
  BOOST_TEST(config.log.level == "info");
  BOOST_TEST(config.log.file == "");
  BOOST_TEST(config.log.access_log);
}

BOOST_AUTO_TEST_CASE(comment_only_and_empty_sections_give_the_defaults) {
  const Config config = LoadConfigText("# nothing\nserver:\nlimits: {}\n");
  BOOST_TEST(config.server.workers == 4);
  BOOST_TEST(config.limits.quota_kib == 25600);
}

BOOST_AUTO_TEST_CASE(reads_every_key) {
  const Config config = LoadConfigText(R"(
server:
  listen: unix:/run/weave/weave.sock
  socket_mode: "0600"
  workers: 8
  max_requests_per_worker: 0
  shutdown_timeout_seconds: 5
  retry_after_seconds: 600
  path_prefix: /sync/
  public_url: https://sync.example.org/
database:
  driver: sqlite
  sqlite:
    path: /var/lib/weave/weave.db
    busy_timeout_ms: 2500
    synchronous: full
    checkpoint_pages: 1000
    wal_restart_pages: 8000
auth:
  backend: sql
  cache_seconds: 0
  shared_logins: 100000
  password_hash: bcrypt
limits:
  quota_kib: 5120
  max_payload_bytes: 1000
  max_body_bytes: 2048
  batch_max_count: 50
  batch_max_bytes: 4096
log:
  level: debug
  file: /var/log/weave.log
  access_log: false
)");
  BOOST_TEST(config.server.listen == "unix:/run/weave/weave.sock");
  BOOST_TEST(config.server.socket_mode == 0600);
  BOOST_TEST(config.server.workers == 8);
  BOOST_TEST(config.server.max_requests_per_worker == 0);
  BOOST_TEST(config.server.shutdown_timeout_seconds == 5);
  BOOST_TEST(config.server.retry_after_seconds == 600);
  BOOST_TEST(config.server.path_prefix == "/sync");
  BOOST_TEST(config.server.public_url == "https://sync.example.org/");
  BOOST_TEST(config.database.driver == "sqlite");
  BOOST_TEST(config.database.sqlite.path == "/var/lib/weave/weave.db");
  BOOST_TEST(config.database.sqlite.busy_timeout_ms == 2500);
  BOOST_TEST(config.database.sqlite.synchronous == "full");
  BOOST_TEST(config.database.sqlite.checkpoint_pages == 1000);
  BOOST_TEST(config.database.sqlite.wal_restart_pages == 8000);
  BOOST_TEST(config.auth.backend == "sql");
  BOOST_TEST(config.auth.cache_seconds == 0);
  BOOST_TEST(config.auth.shared_logins == 100000);
  BOOST_TEST(config.auth.password_hash == "bcrypt");
  BOOST_TEST(config.limits.quota_kib == 5120);
  BOOST_TEST(config.limits.max_payload_bytes == 1000);
  BOOST_TEST(config.limits.max_body_bytes == 2048);
  BOOST_TEST(config.limits.batch_max_count == 50);
  BOOST_TEST(config.limits.batch_max_bytes == 4096);
  BOOST_TEST(config.log.level == "debug");
  BOOST_TEST(config.log.file == "/var/log/weave.log");
  BOOST_TEST(!config.log.access_log);
}

BOOST_AUTO_TEST_CASE(empty_value_keeps_the_default) {
  const Config config = LoadConfigText("server:\n  workers:\n  listen: ~\n");
  BOOST_TEST(config.server.workers == 4);
  BOOST_TEST(config.server.listen == "");
}

BOOST_AUTO_TEST_CASE(socket_mode_is_read_as_octal) {
  BOOST_TEST(LoadConfigText("server: {socket_mode: \"0660\"}").server.socket_mode == 0660);
  BOOST_TEST(LoadConfigText("server: {socket_mode: 0666}").server.socket_mode == 0666);
  BOOST_TEST(LoadConfigText("server: {socket_mode: 600}").server.socket_mode == 0600);
  BOOST_TEST(LoadConfigText("server: {socket_mode: \"0\"}").server.socket_mode == 0);
  BOOST_TEST(LoadConfigText("server: {socket_mode: \"0777\"}").server.socket_mode == 0777);
}

BOOST_AUTO_TEST_CASE(rejects_bad_socket_modes) {
  for (const char* mode : {"\"0668\"", "\"rw-rw----\"", "\"01000\"", "\"-1\"", "\"0x1ff\"",
                           "\"0660 \"", "\"0o660\""}) {
    BOOST_TEST_INFO("socket_mode: " << mode);
    BOOST_TEST(StartsWith(ErrorOf(std::string("server: {socket_mode: ") + mode + "}"),
                          "server.socket_mode: "));
  }
}

BOOST_AUTO_TEST_CASE(unknown_key_is_named_by_its_path) {
  BOOST_TEST(ErrorOf("bogus: 1") == "bogus: unknown key");
  BOOST_TEST(ErrorOf("server: {wrokers: 4}") == "server.wrokers: unknown key");
  BOOST_TEST(ErrorOf("database: {sqlite: {paht: x}}") == "database.sqlite.paht: unknown key");
  BOOST_TEST(ErrorOf("limits: {quota: 1}") == "limits.quota: unknown key");
  BOOST_TEST(ErrorOf("log: {colour: true}") == "log.colour: unknown key");
  BOOST_TEST(ErrorOf("auth: {kerberos: {realm: x}}") == "auth.kerberos: unknown key");
}

BOOST_AUTO_TEST_CASE(rejects_numbers_out_of_range_naming_the_key) {
  BOOST_TEST(StartsWith(ErrorOf("server: {workers: 0}"), "server.workers: must be between 1"));
  BOOST_TEST(StartsWith(ErrorOf("server: {workers: 257}"), "server.workers: "));
  BOOST_TEST(StartsWith(ErrorOf("server: {max_requests_per_worker: -1}"),
                        "server.max_requests_per_worker: "));
  BOOST_TEST(StartsWith(ErrorOf("server: {shutdown_timeout_seconds: 0}"),
                        "server.shutdown_timeout_seconds: "));
  BOOST_TEST(
      StartsWith(ErrorOf("server: {retry_after_seconds: 86401}"), "server.retry_after_seconds: "));
  BOOST_TEST(StartsWith(ErrorOf("database: {sqlite: {busy_timeout_ms: -5}}"),
                        "database.sqlite.busy_timeout_ms: "));
  BOOST_TEST(StartsWith(ErrorOf("auth: {cache_seconds: 86401}"), "auth.cache_seconds: "));
  BOOST_TEST(StartsWith(ErrorOf("auth: {shared_logins: 63}"), "auth.shared_logins: "));
  BOOST_TEST(StartsWith(ErrorOf("limits: {quota_kib: -1}"), "limits.quota_kib: "));
  BOOST_TEST(StartsWith(ErrorOf("limits: {max_payload_bytes: 0}"), "limits.max_payload_bytes: "));
  BOOST_TEST(StartsWith(ErrorOf("limits: {max_body_bytes: 1023}"), "limits.max_body_bytes: "));
  BOOST_TEST(StartsWith(ErrorOf("limits: {batch_max_count: 10001}"), "limits.batch_max_count: "));
  BOOST_TEST(StartsWith(ErrorOf("limits: {batch_max_bytes: 0}"), "limits.batch_max_bytes: "));
}

BOOST_AUTO_TEST_CASE(accepts_range_limits_inclusive) {
  const Config config = LoadConfigText(
      "server: {workers: 256, max_requests_per_worker: 9223372036854775807}\n"
      "limits: {quota_kib: 0, max_payload_bytes: 67108864, max_body_bytes: 1024}\n");
  BOOST_TEST(config.server.workers == 256);
  BOOST_TEST(config.server.max_requests_per_worker == INT64_MAX);
  BOOST_TEST(config.limits.quota_kib == 0);
  BOOST_TEST(config.limits.max_payload_bytes == 67108864);
  BOOST_TEST(config.limits.max_body_bytes == 1024);
}

BOOST_AUTO_TEST_CASE(rejects_values_of_the_wrong_type) {
  BOOST_TEST(ErrorOf("server: {workers: four}") == "server.workers: expected a whole number");
  BOOST_TEST(ErrorOf("server: {workers: 1.5}") == "server.workers: expected a whole number");
  BOOST_TEST(ErrorOf("server: {workers: [1]}") == "server.workers: expected a whole number");
  BOOST_TEST(ErrorOf("server: {max_requests_per_worker: 9223372036854775808}") ==
             "server.max_requests_per_worker: expected a whole number");
  BOOST_TEST(ErrorOf("server: {listen: [a, b]}") == "server.listen: expected a string");
  // libfcgi would take these as Unix socket paths relative to the working directory.
  for (const char* bogus : {"bogus", "unix:", "unix:relative.sock", "host:", "host:0", "host:65536",
                            "host:80x", "a b:80", ":"}) {
    BOOST_TEST_INFO("listen: " << bogus);
    BOOST_TEST(
        ErrorOf(std::string("server: {listen: \"") + bogus + "\"}").rfind("server.listen: ", 0) ==
        0);
  }
  for (const char* good : {"", "stdin", "unix:/run/weave/weave.sock", "127.0.0.1:9000", ":9000",
                           "sync-backend.example:9000"}) {
    BOOST_TEST_INFO("listen: " << good);
    BOOST_TEST(LoadConfigText(std::string("server: {listen: \"") + good + "\"}").server.listen ==
               good);
  }
  BOOST_TEST(ErrorOf("log: {file: {a: b}}") == "log.file: expected a string");
  BOOST_TEST(ErrorOf("log: {access_log: maybe}") == "log.access_log: expected true or false");
  BOOST_TEST(ErrorOf("server: 5") == "server: expected a mapping of keys");
  BOOST_TEST(ErrorOf("database: {sqlite: [x]}") == "database.sqlite: expected a mapping of keys");
  BOOST_TEST(ErrorOf("- a\n- b\n") == "expected a mapping of keys");
}

BOOST_AUTO_TEST_CASE(rejects_choices_outside_the_list) {
  BOOST_TEST(
      StartsWith(ErrorOf("database: {driver: oracle}"), "database.driver: must be one of: sqlite"));
  BOOST_TEST(ErrorOf("database: {sqlite: {synchronous: off}}") ==
             "database.sqlite.synchronous: must be one of: normal, full");
  BOOST_TEST(StartsWith(ErrorOf("auth: {backend: pam}"), "auth.backend: must be one of: sql"));
  BOOST_TEST(ErrorOf("auth: {password_hash: md5}") ==
             "auth.password_hash: must be one of: yescrypt, bcrypt");
  BOOST_TEST(ErrorOf("log: {level: verbose}") ==
             "log.level: must be one of: debug, info, warning, error");
  BOOST_TEST(ErrorOf("log: {level: [info]}") ==
             "log.level: must be one of: debug, info, warning, error");
  BOOST_TEST(ErrorOf("log: {level: INFO}") ==
             "log.level: must be one of: debug, info, warning, error");
}

BOOST_AUTO_TEST_CASE(reads_yaml_boolean_spellings) {
  BOOST_TEST(!LoadConfigText("log: {access_log: no}").log.access_log);
  BOOST_TEST(!LoadConfigText("log: {access_log: off}").log.access_log);
  BOOST_TEST(LoadConfigText("log: {access_log: yes}").log.access_log);
  BOOST_TEST(LoadConfigText("log: {access_log: True}").log.access_log);
}

BOOST_AUTO_TEST_CASE(checks_path_prefix_public_url_and_database_path) {
  BOOST_TEST(LoadConfigText("server: {path_prefix: /}").server.path_prefix == "");
  BOOST_TEST(LoadConfigText("server: {path_prefix: /a/b//}").server.path_prefix == "/a/b");
  BOOST_TEST(ErrorOf("server: {path_prefix: sync}") == "server.path_prefix: must start with /");
  BOOST_TEST(ErrorOf("server: {public_url: ftp://x/}") ==
             "server.public_url: must start with http:// or https://");
  BOOST_TEST(LoadConfigText("server: {public_url: http://x/}").server.public_url == "http://x/");
  BOOST_TEST(ErrorOf("database: {sqlite: {path: \"\"}}") ==
             "database.sqlite.path: must not be empty");
}

BOOST_AUTO_TEST_CASE(invalid_yaml_is_a_config_error) {
  BOOST_TEST(StartsWith(ErrorOf("server: [\n"), "not valid YAML"));
  BOOST_TEST(StartsWith(ErrorOf("a: b: c"), "not valid YAML"));
  BOOST_TEST(StartsWith(ErrorOf("server:\n  workers: 1\n workers: 2"), "not valid YAML"));
}

BOOST_AUTO_TEST_CASE(non_string_keys_are_a_config_error) {
  BOOST_TEST(ErrorOf("? [a, b]\n: 1\n") != "");
}

BOOST_AUTO_TEST_CASE(missing_file_is_a_config_error) {
  BOOST_CHECK_THROW(LoadConfigFile("/nonexistent/weave.yaml"), ConfigError);
}

#if WITH_LDAP
// The exact texts; tests/unit/ldap_text_test.cpp checks more keys by their prefix.
BOOST_AUTO_TEST_CASE(ldap_keys_are_checked_when_ldap_is_chosen) {
  const std::string ldap = "auth:\n  backend: ldap\n  ldap:\n";
  const std::string usable = ldap + "    urls: \"ldap://127.0.0.1\"\n    base_dn: x\n";
  BOOST_TEST(ErrorOf(usable) == "");
  // Not checked while another back end is chosen.
  BOOST_TEST(ErrorOf("auth:\n  ldap:\n    urls: \"http://x\"\n") == "");
  BOOST_TEST(ErrorOf(ldap + "    base_dn: x\n") ==
             "auth.ldap.urls: needed when auth.backend is ldap");
  BOOST_TEST(ErrorOf(ldap + "    urls: \"http://x\"\n    base_dn: x\n") ==
             "auth.ldap.urls: \"http://x\" is not one ldap://, ldaps:// or ldapi:// URL");
  BOOST_TEST(ErrorOf(ldap + "    urls: \"ldap://127.0.0.1\"\n") ==
             "auth.ldap.base_dn: needed when auth.backend is ldap");
  BOOST_TEST(
      StartsWith(ErrorOf(usable + "    user_filter: \"(uid=x)\"\n"), "auth.ldap.user_filter: "));
  BOOST_TEST(ErrorOf(usable + "    user_dn_template: \"uid=x\"\n") ==
             "auth.ldap.user_dn_template: must contain {user}");
  BOOST_TEST(ErrorOf(usable + "    bind_dn: cn=reader\n") ==
             "auth.ldap.bind_password: needed with bind_dn");
  BOOST_TEST(ErrorOf(usable + "    login_attribute: \"u id\"\n") ==
             "auth.ldap.login_attribute: expected an attribute name");
  BOOST_TEST(ErrorOf(usable + "    ca_file: /nonexistent/ca.pem\n") ==
             "auth.ldap.ca_file: cannot read /nonexistent/ca.pem");
  BOOST_TEST(ErrorOf(usable + "    password_change_url: ftp://x\n") ==
             "auth.ldap.password_change_url: must start with http:// or https://");
  BOOST_TEST(ErrorOf(usable + "    mode: mozilla\n") ==
             "auth.ldap.admin_dn: mozilla mode needs admin_dn and admin_password");
  const std::string mozilla =
      usable + "    mode: mozilla\n    admin_dn: a\n    admin_password: p\n";
  BOOST_TEST(ErrorOf(mozilla) == "");
  BOOST_TEST(ErrorOf(mozilla + "    uid_counter_dn: ou=x\n") ==
             "auth.ldap.uid_counter_dn: expected a DN of the form cn=NAME,PARENT");
}
#endif

BOOST_AUTO_TEST_SUITE_END()

}  // namespace weave

namespace weave {

BOOST_AUTO_TEST_SUITE(config_secrets)

BOOST_AUTO_TEST_CASE(every_secret_can_come_from_a_file) {
  testing::TempDir dir;
  const std::string file = dir.File("secret");
  {
    std::ofstream out(file);
    out << "from-the-file\r\nsecond line\n";
  }
  const Config config =
      LoadConfigText("database: {mysql: {password: inline, password_file: \"" + file +
                     "\"}}\n"
                     "auth: {ldap: {bind_password_file: \"" +
                     file + "\", admin_password_file: \"" + file +
                     "\"}}\n"
                     "mail: {password_file: \"" +
                     file +
                     "\"}\n"
                     "registration: {shared_secret_file: \"" +
                     file +
                     "\", captcha: {verify_url: "
                     "\"https://captcha.example/verify\", secret_file: \"" +
                     file + "\"}}\n");
  for (const std::string* secret :
       {&config.database.mysql.password, &config.auth.ldap.bind_password,
        &config.auth.ldap.admin_password, &config.mail.password, &config.registration.shared_secret,
        &config.registration.captcha.secret}) {
    BOOST_TEST(*secret == "from-the-file");
  }
  BOOST_TEST(config.inline_secrets.empty());
}

BOOST_AUTO_TEST_CASE(an_unreadable_secret_file_names_its_key) {
  try {
    LoadConfigText("mail: {password_file: /nonexistent/weave-secret}\n");
    BOOST_ERROR("accepted");
  } catch (const ConfigError& error) {
    BOOST_TEST(std::string(error.what()) ==
               "mail.password_file: cannot read /nonexistent/weave-secret");
  }
}

BOOST_AUTO_TEST_CASE(warns_about_inline_secrets_in_a_world_readable_file) {
  testing::TempDir dir;
  const std::string path = dir.File("weave.yaml");
  {
    std::ofstream out(path);
    out << "mail: {smtp_url: \"smtp://relay.example\", username: sync, password: hunter2}\n";
  }
  chmod(path.c_str(), 0644);
  const Config config = LoadConfigFile(path);
  BOOST_TEST(config.inline_secrets == std::vector<std::string>{"mail.password"});
  const auto warnings = ConfigWarnings(config, path);
  BOOST_REQUIRE_EQUAL(warnings.size(), 2U);
  BOOST_TEST(warnings[0].find("readable by every local user") != std::string::npos);
  BOOST_TEST(warnings[1].find("clear text") != std::string::npos);
  chmod(path.c_str(), 0640);
  BOOST_TEST(ConfigWarnings(config, path).size() == 1U);
}

BOOST_AUTO_TEST_CASE(warns_about_clear_text_directory_and_captcha) {
  const Config config = LoadConfigText(
      "auth: {backend: ldap, ldap: {urls: \"ldap://dir.example\", tls: \"off\", base_dn: "
      "\"dc=example\"}}\n"
      "registration: {captcha: {verify_url: \"http://captcha.example\", secret: s}}\n");
  const auto warnings = ConfigWarnings(config, "");
  BOOST_REQUIRE_EQUAL(warnings.size(), 2U);
  BOOST_TEST(warnings[0].find("auth.ldap.tls") == 0U);
  BOOST_TEST(warnings[1].find("registration.captcha.verify_url") == 0U);
}

BOOST_AUTO_TEST_CASE(warns_about_clear_text_mysql_to_another_host_only) {
  const auto warnings_for = [](const std::string& mysql) {
    return ConfigWarnings(LoadConfigText("database: {driver: mysql, mysql: {" + mysql + "}}\n"),
                          "");
  };
  const auto remote = warnings_for("host: db.example.org");
  BOOST_REQUIRE_EQUAL(remote.size(), 1U);
  BOOST_TEST(remote[0].find("database.mysql.tls") == 0U);
  BOOST_TEST(warnings_for("host: 127.0.0.1").empty());
  BOOST_TEST(warnings_for("host: localhost").empty());
  BOOST_TEST(warnings_for("host: db.example.org, unix_socket: /run/mysqld/mysqld.sock").empty());
  BOOST_TEST(warnings_for("host: db.example.org, tls: \"on\"").empty());
}

BOOST_AUTO_TEST_CASE(hashed_user_names_are_required_for_sql_accounts_unless_switched_off) {
  const std::string ldap =
      "auth: {backend: ldap, ldap: {urls: \"ldaps://dir.example\", base_dn: \"dc=example\"}}\n";
  BOOST_TEST(LoadConfigText("").registration.require_hashed_username);
  BOOST_TEST(!LoadConfigText("registration: {require_hashed_username: false}")
                  .registration.require_hashed_username);
  BOOST_TEST(!LoadConfigText(ldap).registration.require_hashed_username);
  BOOST_TEST(LoadConfigText(ldap + "registration: {require_hashed_username: true}")
                 .registration.require_hashed_username);
}

BOOST_AUTO_TEST_CASE(mysql_tls_files_need_tls_on_and_each_other) {
  const Config config = LoadConfigText(
      "database: {mysql: {tls: \"on\", ca_file: /ca.pem, cert_file: /c.pem, key_file: /k.pem}}");
  BOOST_TEST(config.database.mysql.tls == "on");
  BOOST_TEST(config.database.mysql.ca_file == "/ca.pem");
  BOOST_TEST(config.database.mysql.cert_file == "/c.pem");
  BOOST_TEST(config.database.mysql.key_file == "/k.pem");
  BOOST_TEST(LoadConfigText("").database.mysql.tls == "off");
  BOOST_CHECK_THROW(LoadConfigText("database: {mysql: {ca_file: /ca.pem}}"), ConfigError);
  BOOST_CHECK_THROW(LoadConfigText("database: {mysql: {tls: \"on\", cert_file: /c.pem}}"),
                    ConfigError);
}

// Many storage nodes: a node's own URL (a final / added, as node/weave hands it out) and
// the accounts database, read with the keys of database and named in its errors.
BOOST_AUTO_TEST_CASE(node_url_and_accounts_database) {
  BOOST_TEST(!LoadConfigText("").accounts_database.has_value());
  const Config config = LoadConfigText(R"(
server:
  node_url: https://node1.example.org
accounts_database:
  driver: mysql
  mysql:
    host: accounts.example.org
    database: accounts
)");
  BOOST_TEST(config.server.node_url == "https://node1.example.org/");
  BOOST_REQUIRE(config.accounts_database.has_value());
  BOOST_TEST(config.accounts_database->driver == "mysql");
  BOOST_TEST(config.accounts_database->mysql.host == "accounts.example.org");
  BOOST_TEST(config.database.driver == "sqlite");
  BOOST_TEST(StartsWith(ErrorOf("server: {node_url: node1}"), "server.node_url: "));
  BOOST_TEST(StartsWith(ErrorOf("accounts_database: {sqlite: {pathh: x}}"),
                        "accounts_database.sqlite.pathh"));
  BOOST_TEST(StartsWith(ErrorOf("accounts_database: {driver: mysql, mysql: {database: \"\"}}"),
                        "accounts_database.mysql.database: "));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace weave
