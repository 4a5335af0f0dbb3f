// YAML configuration into the Config structs; the only user of yaml-cpp.
#include "core/config_loader.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <functional>
#include <map>

#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include "core/address_list.h"
#include "core/errors.h"
#include "core/statsd.h"

namespace weave {
namespace {

// One section of the file: its known keys, each with a setter that parses the node.
class Section {
 public:
  using Setter = std::function<void(const YAML::Node&, const std::string&)>;

  explicit Section(std::string path) : path_(std::move(path)) {}

  // Whole numbers in [min, max], stored into an int or int64_t field.
  template <typename Number>
  Section& Int(const std::string& key, Number* target, int64_t min, int64_t max) {
    setters_[key] = [target, min, max](const YAML::Node& node, const std::string& path) {
      int64_t value = 0;
      try {
        value = node.as<int64_t>();
      } catch (const YAML::Exception&) {
        throw ConfigError(path, "expected a whole number");
      }
      if (value < min || value > max) {
        throw ConfigError(path,
                          "must be between " + std::to_string(min) + " and " + std::to_string(max));
      }
      *target = static_cast<Number>(value);
    };
    return *this;
  }

  Section& Text(const std::string& key, std::string* target) {
    setters_[key] = [target](const YAML::Node& node, const std::string& path) {
      if (!node.IsScalar()) {
        throw ConfigError(path, "expected a string");
      }
      *target = node.as<std::string>();
    };
    return *this;
  }

  // KEY and KEY_file of a secret: the file is read once every section is applied (see
  // ReadSecretFiles), so only its type is checked here.
  Section& Secret(const std::string& key, std::string* target) {
    Text(key, target);
    setters_[key + "_file"] = [](const YAML::Node& node, const std::string& path) {
      if (!node.IsScalar()) {
        throw ConfigError(path, "expected a file name");
      }
    };
    return *this;
  }

  Section& Choice(const std::string& key, std::string* target,
                  std::initializer_list<const char*> allowed) {
    std::vector<std::string> names(allowed.begin(), allowed.end());
    setters_[key] = [target, names](const YAML::Node& node, const std::string& path) {
      const std::string value = node.IsScalar() ? node.as<std::string>() : "";
      std::string list;
      for (const auto& name : names) {
        if (name == value) {
          *target = value;
          return;
        }
        list += (list.empty() ? "" : ", ") + name;
      }
      throw ConfigError(path, "must be one of: " + list);
    };
    return *this;
  }

  Section& TextList(const std::string& key, std::vector<std::string>* target) {
    setters_[key] = [target](const YAML::Node& node, const std::string& path) {
      if (!node.IsSequence()) {
        throw ConfigError(path, "expected a list of strings");
      }
      target->clear();
      for (const auto& item : node) {
        if (!item.IsScalar()) {
          throw ConfigError(path, "expected a list of strings");
        }
        target->push_back(item.as<std::string>());
      }
    };
    return *this;
  }

  Section& Bool(const std::string& key, bool* target) {
    setters_[key] = [target](const YAML::Node& node, const std::string& path) {
      try {
        *target = node.as<bool>();
      } catch (const YAML::Exception&) {
        throw ConfigError(path, "expected true or false");
      }
    };
    return *this;
  }

  Section& Child(const std::string& key, std::function<void(const YAML::Node&)> apply) {
    setters_[key] = [apply = std::move(apply)](const YAML::Node& node, const std::string&) {
      apply(node);
    };
    return *this;
  }

  void Apply(const YAML::Node& node) const {
    if (!node || node.IsNull()) {
      return;
    }
    if (!node.IsMap()) {
      throw ConfigError(path_, "expected a mapping of keys");
    }
    for (const auto& entry : node) {
      const auto key = entry.first.as<std::string>();
      const std::string key_path = path_.empty() ? key : path_ + "." + key;
      const auto setter = setters_.find(key);
      if (setter == setters_.end()) {
        throw ConfigError(key_path, "unknown key");
      }
      if (entry.second.IsNull()) {
        continue;  // an empty value keeps the default
      }
      setter->second(entry.second, key_path);
    }
  }

 private:
  std::string path_;
  std::map<std::string, Setter> setters_;
};

int ParseOctalMode(const std::string& text) {
  size_t used = 0;
  int mode = -1;
  try {
    mode = std::stoi(text, &used, 8);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || mode < 0 || mode > 0777) {
    throw ConfigError("server.socket_mode", "expected an octal mode such as \"0660\"");
  }
  return mode;
}

// server.listen: "" (fd 0 or socket activation), "stdin", "unix:/absolute/path", or
// "HOST:PORT" with a port from 1 to 65535 (HOST may be empty: every address). Anything else
// would be taken by libfcgi as a Unix socket path relative to the working directory.
void CheckListen(const std::string& listen) {
  if (listen.empty() || listen == "stdin") {
    return;
  }
  if (listen.rfind("unix:", 0) == 0) {
    if (listen.size() < 7 || listen[5] != '/') {
      throw ConfigError("server.listen", "a Unix socket needs an absolute path: unix:/run/...");
    }
    return;
  }
  const size_t colon = listen.rfind(':');
  const std::string host = colon == std::string::npos ? "" : listen.substr(0, colon);
  const std::string port = colon == std::string::npos ? "" : listen.substr(colon + 1);
  const bool host_ok =
      host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") ==
      std::string::npos;
  const bool port_ok = !port.empty() && port.size() <= 5 &&
                       port.find_first_not_of("0123456789") == std::string::npos &&
                       std::stoi(port) >= 1 && std::stoi(port) <= 65535;
  if (!host_ok || !port_ok) {
    throw ConfigError("server.listen",
                      R"(expected "unix:/path", "HOST:PORT" or "stdin", got ")" + listen + "\"");
  }
}

void ApplyServer(const YAML::Node& node, ServerConfig& server) {
  std::string mode_text;
  Section("server")
      .Choice("role", &server.role, {"all", "user", "storage"})
      .Text("listen", &server.listen)
      .Text("socket_mode", &mode_text)
      .Int("workers", &server.workers, 1, 256)
      .Int("max_requests_per_worker", &server.max_requests_per_worker, 0, INT64_MAX)
      .Int("shutdown_timeout_seconds", &server.shutdown_timeout_seconds, 1, 3600)
      .Int("retry_after_seconds", &server.retry_after_seconds, 1, 86400)
      .Text("path_prefix", &server.path_prefix)
      .Text("public_url", &server.public_url)
      .Text("node_url", &server.node_url)
      .TextList("trusted_proxies", &server.trusted_proxies)
      .Apply(node);
  if (!mode_text.empty()) {
    server.socket_mode = ParseOctalMode(mode_text);
  }
  CheckListen(server.listen);
  auto& prefix = server.path_prefix;
  while (!prefix.empty() && prefix.back() == '/') {
    prefix.pop_back();
  }
  if (!prefix.empty() && prefix.front() != '/') {
    throw ConfigError("server.path_prefix", "must start with /");
  }
  const auto& url = server.public_url;
  if (!url.empty() && url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    throw ConfigError("server.public_url", "must start with http:// or https://");
  }
  auto& node_url = server.node_url;
  if (!node_url.empty()) {
    if (node_url.rfind("http://", 0) != 0 && node_url.rfind("https://", 0) != 0) {
      throw ConfigError("server.node_url", "must start with http:// or https://");
    }
    if (node_url.back() != '/') {
      node_url.push_back('/');  // as node/weave hands it out
    }
  }
}

// database.mysql.hosts: "host", "host:port" or "[v6 address]:port" each.
std::vector<MysqlEndpoint> MysqlHosts(const YAML::Node& list) {
  constexpr const char* kKey = "database.mysql.hosts";
  if (!list.IsSequence()) {
    throw ConfigError(kKey, "expected a list of host or host:port");
  }
  std::vector<MysqlEndpoint> hosts;
  for (const auto& item : list) {
    if (!item.IsScalar() || item.as<std::string>().empty()) {
      throw ConfigError(kKey, "expected a list of host or host:port");
    }
    const auto text = item.as<std::string>();
    MysqlEndpoint endpoint{text, 0};
    const size_t colon = text.rfind(':');
    const bool bracketed = text.front() == '[';
    if (colon != std::string::npos && (!bracketed || text[colon - 1] == ']') &&
        (bracketed || text.find(':') == colon)) {
      const std::string port = text.substr(colon + 1);
      const bool digits = !port.empty() && port.size() <= 5 &&
                          port.find_first_not_of("0123456789") == std::string::npos;
      if (!digits || std::stoi(port) < 1 || std::stoi(port) > 65535) {
        throw ConfigError(kKey, "bad port in " + text);
      }
      endpoint = {text.substr(0, colon), std::stoi(port)};
    }
    if (endpoint.host.size() > 2 && endpoint.host.front() == '[' && endpoint.host.back() == ']') {
      endpoint.host = endpoint.host.substr(1, endpoint.host.size() - 2);
    }
    if (endpoint.host.empty() || endpoint.host.front() == '[') {
      throw ConfigError(kKey, "bad host in " + text);
    }
    hosts.push_back(endpoint);
  }
  return hosts;
}

// The keys of `database`, also read for `accounts_database` (name says which).
void ApplyDatabaseAs(const std::string& name, const YAML::Node& node, DatabaseConfig& database) {
  Section(name)
      .Choice("driver", &database.driver, {"sqlite", "mysql"})
      .Child("sqlite",
             [&database, &name](const YAML::Node& child) {
               Section(name + ".sqlite")
                   .Text("path", &database.sqlite.path)
                   .Int("busy_timeout_ms", &database.sqlite.busy_timeout_ms, 0, 600000)
                   .Choice("synchronous", &database.sqlite.synchronous, {"normal", "full"})
                   .Int("sync_interval_ms", &database.sqlite.sync_interval_ms, 10, 60000)
                   .Int("checkpoint_pages", &database.sqlite.checkpoint_pages, 1, 1 << 24)
                   .Int("wal_restart_pages", &database.sqlite.wal_restart_pages, 1, 1 << 26)
                   .Apply(child);
             })
      .Child("mysql",
             [&database, &name](const YAML::Node& child) {
               MysqlConfig& mysql = database.mysql;
               Section(name + ".mysql")
                   .Text("host", &mysql.host)
                   .Int("port", &mysql.port, 1, 65535)
                   .Child("hosts",
                          [&mysql](const YAML::Node& list) { mysql.hosts = MysqlHosts(list); })
                   .Text("unix_socket", &mysql.unix_socket)
                   .Text("user", &mysql.user)
                   .Secret("password", &mysql.password)
                   .Text("database", &mysql.database)
                   .Int("shards", &mysql.shards, 0, 1000)
                   .Int("connect_timeout_seconds", &mysql.connect_timeout_seconds, 1, 3600)
                   .Int("read_timeout_seconds", &mysql.read_timeout_seconds, 1, 3600)
                   .Int("write_timeout_seconds", &mysql.write_timeout_seconds, 1, 3600)
                   .Int("lock_wait_timeout_seconds", &mysql.lock_wait_timeout_seconds, 1, 3600)
                   .Choice("tls", &mysql.tls, {"on", "off"})
                   .Text("ca_file", &mysql.ca_file)
                   .Text("cert_file", &mysql.cert_file)
                   .Text("key_file", &mysql.key_file)
                   .Apply(child);
             })
      .Apply(node);
  const MysqlConfig& mysql = database.mysql;
  if (database.driver == "mysql" && mysql.database.empty()) {
    throw ConfigError(name + ".mysql.database", "must not be empty");
  }
  if (mysql.cert_file.empty() != mysql.key_file.empty()) {
    throw ConfigError(name + ".mysql.cert_file", "cert_file and key_file go together");
  }
  // A CA or client certificate without TLS would look protected and not be.
  if (mysql.tls == "off" && !(mysql.ca_file + mysql.cert_file).empty()) {
    throw ConfigError(name + ".mysql.tls", "ca_file and cert_file need tls: on");
  }
  if (database.sqlite.path.empty()) {
    throw ConfigError(name + ".sqlite.path", "must not be empty");
  }
}

void ApplyDatabase(const YAML::Node& node, DatabaseConfig& database) {
  ApplyDatabaseAs("database", node, database);
}

void ApplyAccountsDatabase(const YAML::Node& node, std::optional<DatabaseConfig>& database) {
  database.emplace();
  ApplyDatabaseAs("accounts_database", node, *database);
}

// A URL or a list of URLs (auth.ldap.urls, .write_urls).
std::vector<std::string> UrlList(const YAML::Node& child, const std::string& key) {
  std::vector<std::string> urls;
  if (child.IsScalar()) {
    urls.push_back(child.as<std::string>());
    return urls;
  }
  if (!child.IsSequence()) {
    throw ConfigError(key, "expected a URL or a list of URLs");
  }
  for (const auto& item : child) {
    if (!item.IsScalar()) {
      throw ConfigError(key, "expected a URL or a list of URLs");
    }
    urls.push_back(item.as<std::string>());
  }
  return urls;
}

void ApplyLdap(const YAML::Node& node, LdapConfig& ldap) {
  Section("auth.ldap")
      .Child("urls",
             [&ldap](const YAML::Node& child) { ldap.urls = UrlList(child, "auth.ldap.urls"); })
      .Child("write_urls",
             [&ldap](const YAML::Node& child) {
               ldap.write_urls = UrlList(child, "auth.ldap.write_urls");
             })
      .Choice("tls", &ldap.tls, {"on", "off"})
      .Text("ca_file", &ldap.ca_file)
      .Int("connect_timeout_ms", &ldap.connect_timeout_ms, 100, 600000)
      .Int("operation_timeout_ms", &ldap.operation_timeout_ms, 100, 600000)
      .Text("base_dn", &ldap.base_dn)
      .Text("user_filter", &ldap.user_filter)
      .Text("bind_dn", &ldap.bind_dn)
      .Secret("bind_password", &ldap.bind_password)
      .Text("user_dn_template", &ldap.user_dn_template)
      .Text("login_attribute", &ldap.login_attribute)
      .Text("email_attribute", &ldap.email_attribute)
      .Text("id_attribute", &ldap.id_attribute)
      .Text("enabled_attribute", &ldap.enabled_attribute)
      .Text("enabled_value", &ldap.enabled_value)
      .Text("group_dn", &ldap.group_dn)
      .Text("group_member_attribute", &ldap.group_member_attribute)
      .Choice("mode", &ldap.mode, {"readonly", "mozilla"})
      .Text("password_change_url", &ldap.password_change_url)
      .Int("cache_seconds", &ldap.cache_seconds, 0, 3600)
      .Int("recheck_seconds", &ldap.recheck_seconds, 0, 3600)
      .Text("admin_dn", &ldap.admin_dn)
      .Secret("admin_password", &ldap.admin_password)
      .Text("users_dn", &ldap.users_dn)
      .Text("uid_counter_dn", &ldap.uid_counter_dn)
      .Text("node", &ldap.node)
      .Apply(node);
}

// Mozilla mode's defaults that depend on other keys. The checks of the auth.ldap keys belong
// to the auth part (CheckAuthConfig), which knows the LDAP text rules.
void FillLdapDefaults(const ServerConfig& server, LdapConfig& ldap) {
  if (ldap.mode != "mozilla") {
    if (!ldap.write_urls.empty()) {
      throw ConfigError("auth.ldap.write_urls", "only mode: mozilla writes the directory");
    }
    return;
  }
  if (ldap.users_dn.empty()) {
    ldap.users_dn = ldap.base_dn;
  }
  if (ldap.uid_counter_dn.empty()) {
    ldap.uid_counter_dn = "cn=maxuid," + ldap.users_dn;
  }
  if (ldap.enabled_attribute.empty()) {
    ldap.enabled_attribute = "account-enabled";  // Mozilla's layout always has it
  }
  if (ldap.node.empty() && !server.public_url.empty()) {
    // "https://sync.example.org:8443/path" -> "sync.example.org:8443", as Mozilla compared
    // primaryNode with the Host header.
    std::string host = server.public_url.substr(server.public_url.find("://") + 3);
    host = host.substr(0, host.find('/'));
    ldap.node = host;
  }
}

void ApplyAuth(const YAML::Node& node, AuthConfig& auth) {
  Section("auth")
      .Choice("backend", &auth.backend, {"sql", "ldap"})
      .Int("cache_seconds", &auth.cache_seconds, 0, 86400)
      .Int("shared_logins", &auth.shared_logins, 64, 1048576)
      .Choice("password_hash", &auth.password_hash, {"yescrypt", "bcrypt"})
      .Int("password_hash_cost", &auth.password_hash_cost, 0, 31)
      .Child("ldap", [&auth](const YAML::Node& child) { ApplyLdap(child, auth.ldap); })
      .Apply(node);
  const int cost = auth.password_hash_cost;
  const bool bcrypt = auth.password_hash == "bcrypt";
  if (cost != 0 && (bcrypt ? cost < 4 : cost > 11)) {
    throw ConfigError("auth.password_hash_cost",
                      bcrypt ? "bcrypt takes 4 to 31" : "yescrypt takes 1 to 11");
  }
}

void ApplyLimits(const YAML::Node& node, LimitsConfig& limits) {
  Section("limits")
      .Int("quota_kib", &limits.quota_kib, 0, INT64_MAX / 1024)
      .Int("max_payload_bytes", &limits.max_payload_bytes, 1, 64 << 20)
      .Int("max_body_bytes", &limits.max_body_bytes, 1024, 1LL << 31)
      .Int("batch_max_count", &limits.batch_max_count, 1, 10000)
      .Int("batch_max_bytes", &limits.batch_max_bytes, 1, 1LL << 31)
      .Apply(node);
}

void ApplyLog(const YAML::Node& node, LogConfig& log) {
  Section("log")
      .Choice("level", &log.level, {"debug", "info", "warning", "error"})
      .Text("file", &log.file)
      .Choice("format", &log.format, {"text", "json"})
      .Bool("access_log", &log.access_log)
      .Apply(node);
}

void ApplyUpkeep(const YAML::Node& node, UpkeepConfig& upkeep) {
  Section("upkeep")
      .Bool("enabled", &upkeep.enabled)
      .Int("interval_seconds", &upkeep.interval_seconds, 1, 86400)
      .Int("batch_rows", &upkeep.batch_rows, 1, 100000)
      .Int("batches_per_run", &upkeep.batches_per_run, 1, 100000)
      .Apply(node);
}

void ApplyMaintenance(const YAML::Node& node, MaintenanceConfig& maintenance) {
  Section("maintenance")
      .Bool("read_only", &maintenance.read_only)
      .Text("alert", &maintenance.alert)
      .Apply(node);
  for (const char c : maintenance.alert) {
    if (static_cast<unsigned char>(c) < 0x20) {
      throw ConfigError("maintenance.alert", "must be one line");
    }
  }
}

void ApplyRegistration(const YAML::Node& node, RegistrationConfig& registration) {
  Section("registration")
      .Choice("policy", &registration.policy, {"open", "invite", "closed"})
      .Secret("shared_secret", &registration.shared_secret)
      .Bool("require_hashed_username", &registration.require_hashed_username)
      .Int("invite_lifetime_seconds", &registration.invite_lifetime_seconds, 60, 10LL * 365 * 86400)
      .Child("captcha",
             [&registration](const YAML::Node& child) {
               Section("registration.captcha")
                   .Text("verify_url", &registration.captcha.verify_url)
                   .Secret("secret", &registration.captcha.secret)
                   .Text("site_key", &registration.captcha.site_key)
                   .Text("script_url", &registration.captcha.script_url)
                   .Apply(child);
             })
      .Apply(node);
}

void ApplyMail(const YAML::Node& node, MailConfig& mail) {
  Section("mail")
      .Text("smtp_url", &mail.smtp_url)
      .Text("username", &mail.username)
      .Secret("password", &mail.password)
      .Bool("starttls", &mail.starttls)
      .Text("from", &mail.from)
      .Int("timeout_seconds", &mail.timeout_seconds, 1, 300)
      .Apply(node);
}

void ApplyPages(const YAML::Node& node, PagesConfig& pages) {
  Section("pages").Text("templates_dir", &pages.templates_dir).Apply(node);
}

void ApplyAccounts(const YAML::Node& node, AccountsConfig& accounts) {
  Section("accounts")
      .Int("reset_code_lifetime_seconds", &accounts.reset_code_lifetime_seconds, 60, 30LL * 86400)
      .Int("reset_mails_per_hour", &accounts.reset_mails_per_hour, 1, 1000)
      .Int("reset_mails_per_address_per_hour", &accounts.reset_mails_per_address_per_hour, 1,
           1000000)
      .Int("lockout_max_failures", &accounts.lockout_max_failures, 0, 1000000)
      .Int("lockout_max_failures_per_address", &accounts.lockout_max_failures_per_address, 0,
           1000000)
      .Int("trusted_address_days", &accounts.trusted_address_days, 0, 3650)
      .Int("lockout_window_seconds", &accounts.lockout_window_seconds, 1, 86400)
      .Int("lockout_seconds", &accounts.lockout_seconds, 1, int64_t{86400} * 7)
      .Int("min_password_bytes", &accounts.min_password_bytes, 1, 1024)
      .Apply(node);
}

void ApplySecurityLog(const YAML::Node& node, SecurityLogConfig& security_log) {
  Section("security_log")
      .Choice("target", &security_log.target, {"syslog", "file", "off"})
      .Text("file", &security_log.file)
      .Apply(node);
  if (security_log.target == "file" && security_log.file.empty()) {
    throw ConfigError("security_log.file", "needed when target is \"file\"");
  }
}

// The node at a dotted key path, or an undefined node. root is const: a non-const
// operator[] would add the keys it looks for.
YAML::Node Lookup(const YAML::Node& root, std::string_view key_path) {
  if (!root.IsMap()) {
    return YAML::Node(YAML::NodeType::Undefined);
  }
  const size_t dot = key_path.find('.');
  const YAML::Node child = root[std::string(key_path.substr(0, dot))];
  if (!child.IsDefined()) {
    return YAML::Node(YAML::NodeType::Undefined);
  }
  return dot == std::string_view::npos ? child : Lookup(child, key_path.substr(dot + 1));
}

// The first line of a secret's file, without a trailing carriage return.
std::string ReadFirstLine(const std::string& file, const std::string& key_path) {
  std::ifstream in(file);
  if (!in) {
    throw ConfigError(key_path, "cannot read " + file);
  }
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();
  }
  return line;
}

// Every secret: KEY_file, when set, wins over KEY. Records the secrets written inline.
void ReadSecretFiles(const YAML::Node& root, Config& config) {
  struct SecretKey {
    const char* key_path;
    std::string* field;
  };
  std::string no_accounts_database;  // the key is not read without its section
  const SecretKey secrets[] = {
      {"database.mysql.password", &config.database.mysql.password},
      {"accounts_database.mysql.password", config.accounts_database
                                               ? &config.accounts_database->mysql.password
                                               : &no_accounts_database},
      {"auth.ldap.bind_password", &config.auth.ldap.bind_password},
      {"auth.ldap.admin_password", &config.auth.ldap.admin_password},
      {"mail.password", &config.mail.password},
      {"registration.shared_secret", &config.registration.shared_secret},
      {"registration.captcha.secret", &config.registration.captcha.secret},
      {"cache.login_secret", &config.cache.login_secret},
  };
  for (const SecretKey& secret : secrets) {
    const std::string key_path = secret.key_path;
    const YAML::Node file = Lookup(root, key_path + "_file");
    if (file && file.IsScalar() && !file.as<std::string>().empty()) {
      *secret.field = ReadFirstLine(file.as<std::string>(), key_path + "_file");
    } else if (!secret.field->empty()) {
      config.inline_secrets.push_back(key_path);
    }
  }
}

void ApplyCache(const YAML::Node& node, CacheConfig& cache) {
  Section("cache")
      .TextList("servers", &cache.servers)
      .Int("timeout_ms", &cache.timeout_ms, 1, 60000)
      .Text("prefix", &cache.prefix)
      .Secret("login_secret", &cache.login_secret)
      .Bool("tabs_only_in_cache", &cache.tabs_only_in_cache)
      .Apply(node);
  if (cache.tabs_only_in_cache && cache.servers.empty()) {
    throw ConfigError("cache.tabs_only_in_cache", "needs a cache: set cache.servers");
  }
  // memcached keys are printable ASCII without spaces.
  const bool printable = std::all_of(cache.prefix.begin(), cache.prefix.end(),
                                     [](char c) { return c > ' ' && c < 0x7f; });
  if (cache.prefix.size() > 64 || !printable) {
    throw ConfigError("cache.prefix", "at most 64 printable ASCII characters, no spaces");
  }
}

void ApplyMetrics(const YAML::Node& node, MetricsConfig& metrics) {
  Section("metrics")
      .Bool("enabled", &metrics.enabled)
      .TextList("allow", &metrics.allow)
      .Text("statsd", &metrics.statsd)
      .Text("statsd_prefix", &metrics.statsd_prefix)
      .Apply(node);
  try {
    AddressList{metrics.allow};
  } catch (const std::invalid_argument& error) {
    throw ConfigError("metrics.allow", error.what());
  }
  std::string host;
  std::string port;
  if (!metrics.statsd.empty() && !SplitStatsdTarget(metrics.statsd, &host, &port)) {
    throw ConfigError("metrics.statsd", "expected host:port (\"[v6]:port\" for IPv6)");
  }
  const bool name_like =
      std::all_of(metrics.statsd_prefix.begin(), metrics.statsd_prefix.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
      });
  if (metrics.statsd_prefix.empty() || metrics.statsd_prefix.size() > 64 || !name_like) {
    throw ConfigError("metrics.statsd_prefix", "1 to 64 of A-Z a-z 0-9 . _ -");
  }
}

Config Load(const YAML::Node& root) {
  Config config;
  // Binds a section's Apply function to its part of config.
  const auto apply = [](auto function, auto& part) {
    return [function, &part](const YAML::Node& node) {
      function(node, part);
    };
  };
  Section("")
      .Child("server", apply(ApplyServer, config.server))
      .Child("database", apply(ApplyDatabase, config.database))
      .Child("accounts_database", apply(ApplyAccountsDatabase, config.accounts_database))
      .Child("auth", apply(ApplyAuth, config.auth))
      .Child("limits", apply(ApplyLimits, config.limits))
      .Child("log", apply(ApplyLog, config.log))
      .Child("maintenance", apply(ApplyMaintenance, config.maintenance))
      .Child("registration", apply(ApplyRegistration, config.registration))
      .Child("mail", apply(ApplyMail, config.mail))
      .Child("pages", apply(ApplyPages, config.pages))
      .Child("accounts", apply(ApplyAccounts, config.accounts))
      .Child("security_log", apply(ApplySecurityLog, config.security_log))
      .Child("upkeep", apply(ApplyUpkeep, config.upkeep))
      .Child("cache", apply(ApplyCache, config.cache))
      .Child("metrics", apply(ApplyMetrics, config.metrics))
      .Apply(root);
  ReadSecretFiles(root, config);
  // A short secret could be guessed, and then passwords tested offline against the cache's keys.
  if (!config.cache.login_secret.empty() && config.cache.login_secret.size() < 32) {
    throw ConfigError("cache.login_secret", "at least 32 characters (e.g. openssl rand -hex 32)");
  }
  const CaptchaConfig& captcha = config.registration.captcha;
  if (captcha.verify_url.empty() != captcha.secret.empty()) {
    throw ConfigError("registration.captcha", "verify_url and secret go together");
  }
  if (config.auth.backend == "ldap") {
    FillLdapDefaults(config.server, config.auth.ldap);
    // Directories keep their plain login names unless told otherwise.
    const YAML::Node registration = root["registration"];
    if (!registration || !registration.IsMap() || !registration["require_hashed_username"]) {
      config.registration.require_hashed_username = false;
    }
  }
  return config;
}

}  // namespace

Config LoadConfigText(const std::string& yaml_text) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw ConfigError("", std::string("not valid YAML: ") + e.what());
  }
  try {
    return Load(root);
  } catch (const YAML::Exception& e) {
    throw ConfigError("", std::string("unreadable value: ") + e.what());
  }
}

Config LoadConfigFile(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw ConfigError("", "cannot read configuration file " + path);
  } catch (const YAML::Exception& e) {
    throw ConfigError("", path + " is not valid YAML: " + std::string(e.what()));
  }
  try {
    return Load(root);
  } catch (const YAML::Exception& e) {
    throw ConfigError("", std::string("unreadable value: ") + e.what());
  }
}

namespace {

// Whether host names this machine: traffic to it never leaves the kernel.
bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace

std::vector<std::string> ConfigWarnings(const Config& config, const std::string& config_path) {
  std::vector<std::string> warnings;
  struct stat file {};
  if (!config.inline_secrets.empty() && !config_path.empty() &&
      stat(config_path.c_str(), &file) == 0 && (file.st_mode & S_IROTH) != 0) {
    std::string keys;
    for (const std::string& key : config.inline_secrets) {
      keys += (keys.empty() ? "" : ", ") + key;
    }
    warnings.emplace_back(config_path + " is readable by every local user and holds secrets (" +
                          keys + "): chmod o-r it, or move them to *_file keys");
  }
  const MailConfig& mail = config.mail;
  if (!mail.username.empty() && mail.smtp_url.rfind("smtp://", 0) == 0 && !mail.starttls) {
    warnings.emplace_back(
        "mail: the SMTP password goes in clear text (smtp:// without starttls: true)");
  }
  const LdapConfig& ldap = config.auth.ldap;
  if (config.auth.backend == "ldap" && ldap.tls == "off") {
    std::vector<std::string> all_urls = ldap.urls;
    all_urls.insert(all_urls.end(), ldap.write_urls.begin(), ldap.write_urls.end());
    for (const std::string& url : all_urls) {
      if (url.rfind("ldap://", 0) == 0) {
        warnings.emplace_back("auth.ldap.tls: off sends users' passwords to " + url +
                              " in clear text");
      }
    }
  }
  const MysqlConfig& mysql = config.database.mysql;
  std::vector<MysqlEndpoint> servers = mysql.hosts;
  if (servers.empty()) {
    servers.push_back({mysql.host, mysql.port});
  }
  for (const MysqlEndpoint& server : servers) {
    if (config.database.driver == "mysql" && mysql.tls == "off" && mysql.unix_socket.empty() &&
        !IsLoopbackHost(server.host)) {
      warnings.emplace_back("database.mysql.tls: off sends every record to " + server.host +
                            " unencrypted (set tls: on, or use a trusted network)");
    }
  }
  if (config.registration.captcha.verify_url.rfind("http://", 0) == 0) {
    warnings.emplace_back(
        "registration.captcha.verify_url is http://: the captcha secret goes in clear text");
  }
  return warnings;
}

}  // namespace weave
