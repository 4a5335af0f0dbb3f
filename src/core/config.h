// Plain configuration structs with their defaults; filled once from YAML, then read-only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace weave {

struct ServerConfig {
  // Which parts of the service this server answers: "all" (the User API, the account pages
  // and the Storage API), "user" (the registration service only: User API, misc, account
  // pages) or "storage" (the Storage API only). Every role answers /__heartbeat__; the
  // paths of a part a role leaves out answer 404.
  std::string role = "all";
  // Where the FastCGI socket listens: "unix:/path/to.sock", "host:port", or "stdin" to use
  // an already-bound socket on fd 0 (mod_fcgid, spawn-fcgi). Empty: fd 0 if it is a socket.
  // A systemd-activated socket (LISTEN_FDS) always wins.
  std::string listen;
  // Permissions of a Unix socket created by the server.
  int socket_mode = 0660;
  // Pre-forked worker processes; each serves one request at a time.
  int workers = 4;
  // A worker exits and is replaced after about this many requests (0: never): each draws
  // its limit within ±25 %, and one retires at a time (fcgi/retire_gate.h).
  int64_t max_requests_per_worker = 100000;
  // On SIGTERM/SIGHUP, how long in-flight requests may take before workers are killed.
  int shutdown_timeout_seconds = 30;
  // Seconds sent in Retry-After and X-Weave-Backoff when a back end is unavailable.
  int retry_after_seconds = 1800;
  // URL prefix the web server mounts us under (e.g. "/sync"), stripped before routing.
  std::string path_prefix;
  // Public base URL clients reach this server at (e.g. "https://sync.example.org/"):
  // the node URL handed out by the User API.
  std::string public_url;
  // With many storage nodes (see the nodes table and weave-admin nodes): this storage
  // server's own node URL, exactly as in the nodes table (e.g. "https://node1.example.org/").
  // Set, the server answers only the users assigned to it: 401 to a user assigned elsewhere
  // (the client then asks node/weave again), 503 while its node is down. Empty: every user.
  std::string node_url;
  // Addresses of reverse proxies whose X-Forwarded-For names the real client (for logs
  // and lockouts). Requests from anywhere else are taken at their own address.
  std::vector<std::string> trusted_proxies;
};

struct CaptchaConfig {
  // reCAPTCHA-compatible verification endpoint (e.g. Google's or hCaptcha's siteverify).
  // Empty: no captcha is asked in the "open" policy.
  std::string verify_url;
  std::string secret;
  // Public site key shown in the captcha_html widget.
  std::string site_key;
  // Script URL of the widget.
  std::string script_url = "https://www.google.com/recaptcha/api.js";
};

struct RegistrationConfig {
  // open: anyone may create an account (with a captcha if one is configured);
  // invite: the captcha answer must be an unused invite code from weave-admin;
  // closed: only weave-admin creates accounts.
  std::string policy = "closed";
  // A request carrying this X-Weave-Secret skips captcha and invite checks. Empty: off.
  std::string shared_secret;
  // Insist that user names are Firefox's hash of the e-mail (400 with body 15 otherwise), so
  // that nobody can take a name that belongs to someone else's address. Unset in the file:
  // true for SQL accounts, false for LDAP (directories with plain login names).
  bool require_hashed_username = true;
  // How long an invite code stays valid.
  int64_t invite_lifetime_seconds = int64_t{30} * 86400;
  CaptchaConfig captcha;
};

struct MailConfig {
  // SMTP relay, e.g. "smtp://localhost:25" or "smtps://mail.example.org:465".
  // Empty: password-reset mail is not available.
  std::string smtp_url;
  std::string username;
  std::string password;
  // Require STARTTLS on smtp:// URLs.
  bool starttls = false;
  std::string from = "sync@localhost";
  int timeout_seconds = 20;
};

// The account pages and the reset mail (reg/page_templates.h).
struct PagesConfig {
  // The operator's templates: a file here (in a language's folder such as de/, or at the
  // top for every language) replaces the built-in one of the same name; a new language
  // folder adds a language. A missing folder is fine: the built-in templates are used.
  std::string templates_dir = "/etc/weave/templates";
};

struct AccountsConfig {
  // How long a password-reset code stays valid.
  int64_t reset_code_lifetime_seconds = int64_t{6} * 3600;
  // Reset mails at most per account and per requesting address (IPv6 by its /64) in an
  // hour; more requests are answered alike but send nothing. Earlier codes stay valid.
  int reset_mails_per_hour = 5;
  int reset_mails_per_address_per_hour = 20;
  // Lock a user name out after this many wrong passwords within window_seconds, for
  // lockout_seconds: from every address except those it logged in from successfully in the
  // last trusted_address_days (so a guesser cannot lock the owner out), and from the
  // guessing address even then. 0: no lockout.
  int lockout_max_failures = 10;
  // Lock one client address (an IPv6 address by its /64) out for every user name after this
  // many wrong passwords, except for names it logged in as lately. Higher, because many
  // users can share an address (a NAT, or a reverse proxy missing from
  // server.trusted_proxies). 0: none.
  int lockout_max_failures_per_address = 100;
  // How long a successful login keeps its address exempt from lockouts of that user name
  // (and of the address). 0: no exemption.
  int trusted_address_days = 30;
  int lockout_window_seconds = 600;
  int lockout_seconds = 900;
  // Minimum password length in bytes of UTF-8 (Firefox asks for 8).
  int min_password_bytes = 8;
};

struct SecurityLogConfig {
  // Where security events go in Common Event Format: "syslog" (facility authpriv),
  // "file", or "off".
  std::string target = "syslog";
  std::string file;
};

struct MaintenanceConfig {
  // Refuse writes with 503 + Retry-After + X-Weave-Backoff; reads keep working.
  bool read_only = false;
  // Text sent as X-Weave-Alert on every response (clients act on JSON alerts such as
  // {"code":"soft-eol","url":"...","message":"..."}). Empty: none.
  std::string alert;
};

struct UpkeepConfig {
  // Idle workers purge expired records (ttl), old lockout counters, trusted addresses,
  // reset codes and invites in the background: one worker at a time, every interval_seconds,
  // at most batches_per_run batches of batch_rows rows per kind, each its own short
  // transaction. Off: only `weave-admin purge` (from cron) removes them.
  bool enabled = true;
  int interval_seconds = 600;
  int batch_rows = 500;
  int batches_per_run = 20;
};

struct SqliteConfig {
  std::string path = "/var/lib/weave/weave.db";
  // How long a writer waits for another process's write transaction.
  int busy_timeout_ms = 10000;
  // PRAGMA synchronous: "normal" (a commit is synced within sync_interval_ms: db/wal_syncer.h)
  // or "full" (each commit is synced before it returns).
  std::string synchronous = "normal";
  // With "normal": the longest an acknowledged write stays off stable storage.
  int sync_interval_ms = 1000;
  // Between requests, a worker checkpoints the WAL (copies it into the database file) once
  // it has grown by this many pages (4 KiB each) since its last checkpoint, or a second
  // after it, if it has committed. The second is what normally runs: on the benchmark's mix a
  // checkpoint of 4096 pages held the writers' lock 30-50 ms and made p99 50 ms, checkpoints
  // a second apart hold it a few ms; the page count is the valve for bulk writes ...
  int checkpoint_pages = 65536;
  // ... and restarts it (writers wait a moment) once it holds this many, all copied.
  int wal_restart_pages = 8192;
};

// database.driver: mysql (MySQL or MariaDB, also an existing PHP storage node's database).
// One server of database.mysql.hosts; port 0 stands for database.mysql.port.
struct MysqlEndpoint {
  std::string host;
  int port = 0;
};

struct MysqlConfig {
  // TCP server; unix_socket (a path) wins over host and port when set.
  std::string host = "127.0.0.1";
  int port = 3306;
  // Several servers that all take writes (the nodes of a Galera cluster), in order of
  // preference; when set, host is not used. A connection goes to the first that answers,
  // starting after the one whose connection was lost or that refused service (see
  // db/mysql_connection.h).
  std::vector<MysqlEndpoint> hosts;
  std::string unix_socket;
  std::string user = "weave";
  // The password (or password_file: a file whose first line is the password, which wins;
  // the loader reads it).
  std::string password;
  std::string database = "weave";
  // 0: every user's records in one `wbo` table. N: PHP's sharding, wbo0 ... wbo<N-1>, the
  // records of user id U in wbo<U % N>.
  int shards = 0;
  // Bounds on each wait for the server; a request that hits one is answered 503.
  int connect_timeout_seconds = 5;
  int read_timeout_seconds = 30;
  int write_timeout_seconds = 30;
  // How long a statement waits for another transaction's row or table lock (an error then).
  int lock_wait_timeout_seconds = 10;
  // "on": TLS is required, and the server's certificate must verify against ca_file (or the
  // system's CAs) and name the host. "off": no TLS (a local socket, loopback or a trusted
  // network; the loader warns for any other host).
  std::string tls = "off";
  // PEM file of the CA(s) that sign the server's certificate. Empty: the system's CAs.
  std::string ca_file;
  // A client certificate and its key (PEM files, both or neither), for an account created
  // with REQUIRE X509.
  std::string cert_file;
  std::string key_file;
};

struct DatabaseConfig {
  std::string driver = "sqlite";
  SqliteConfig sqlite;
  MysqlConfig mysql;
};

// The LDAP back end (auth.backend: ldap). See ldap/README.md for both modes.
struct LdapConfig {
  // Directory servers, tried in order until one answers: "ldaps://host:636",
  // "ldap://host:389" (upgraded with StartTLS unless tls is "off"), or "ldapi://..." (a local
  // socket, never TLS). Required with auth.backend: ldap.
  std::vector<std::string> urls;
  // Mozilla mode: the servers that take writes (an OpenLDAP syncrepl provider, when urls
  // name its consumers), tried in order; empty: urls. With them, every write and the lookup
  // before it go there, and a login the servers of urls refuse is checked there once more
  // (the entry may not have replicated yet).
  std::vector<std::string> write_urls;
  // "on": TLS is required (ldaps://, or StartTLS on ldap://; a server whose certificate does
  // not verify is skipped). "off": plain ldap:// (a trusted network or a test).
  std::string tls = "on";
  // PEM file of the CA(s) that sign the directory's certificate. Empty: the system's CAs.
  std::string ca_file;
  // How long to wait for a TCP connection to one server, and for any one operation.
  int connect_timeout_ms = 3000;
  int operation_timeout_ms = 5000;
  // Where users are searched (subtree). Required.
  std::string base_dn;
  // Search filter for a login; {user} is replaced by the RFC 4515-escaped user name and
  // must stand for a whole value. With "*" in its place it also selects "any user" when
  // entries are found by e-mail or by their stable id.
  std::string user_filter = "(&(objectClass=inetOrgPerson)(uid={user}))";
  // Read-only service account for searches (search-then-bind). Empty: anonymous searches.
  std::string bind_dn;
  std::string bind_password;
  // Direct bind: the user's DN built from the login ({user}, RFC 4514-escaped), e.g.
  // "uid={user},ou=people,dc=example,dc=org"; no search is needed to log in. Empty: search.
  std::string user_dn_template;
  // Attribute mapping: the login (plain Sync user names must equal it), the e-mail (hashed
  // user names are enrolled by it), the stable id the readonly mode keys its SQL mapping on
  // (entryUUID, objectGUID, uidNumber; empty: the DN), and an optional enabled flag: the
  // account logs in only if enabled_attribute holds enabled_value (empty: no check in
  // readonly mode; account-enabled in mozilla mode).
  std::string login_attribute = "uid";
  std::string email_attribute = "mail";
  std::string id_attribute = "entryUUID";
  std::string enabled_attribute;
  std::string enabled_value = "Yes";
  // Only members of this group may log in (empty: everyone the filter finds). The group
  // entry lists members in group_member_attribute: member/uniqueMember hold DNs, memberUid
  // holds logins.
  std::string group_dn;
  std::string group_member_attribute = "member";
  // "readonly": the directory is only read; Sync's ids live in SQL (table ldap_users).
  // "mozilla": Mozilla's layout (uidNumber is the storage key); registration, password and
  // e-mail changes are written with the admin account.
  std::string mode = "readonly";
  // Shown to users who try to change or reset their password in readonly mode.
  std::string password_change_url;
  // How long a worker trusts a login it verified with a bind (0: bind on every request).
  int cache_seconds = 60;
  // How often a worker re-reads a cached login's entry (one search, no bind) to notice a
  // password, enabled flag or group membership changed in the directory itself (0: on every
  // request; cache_seconds or more: never between binds).
  int recheck_seconds = 10;
  // Mozilla mode: the account that writes entries.
  std::string admin_dn;
  std::string admin_password;
  // Mozilla mode: parent of new entries ("uid=<user>,<users_dn>"; default base_dn, or
  // user_dn_template when set), the counter entry uidNumbers are allocated from (default
  // "cn=maxuid,<users_dn>"), and the node written as primaryNode "weave:<node>" (default
  // the host of server.public_url).
  std::string users_dn;
  std::string uid_counter_dn;
  std::string node;
};

struct AuthConfig {
  // "sql" (the users table) or "ldap" (auth.ldap below).
  std::string backend = "sql";
  // How long the server trusts a verified password without re-running the hash (0: never).
  int cache_seconds = 300;
  // Room in the table of verified logins all workers share (shared memory, about 80 bytes
  // each, made at start; a full table drops the logins closest to expiry).
  int shared_logins = 16384;
  // Hash for new and changed passwords: "yescrypt" or "bcrypt".
  std::string password_hash = "yescrypt";
  // crypt(3) cost; 0 picks ours: yescrypt 4 (8 MiB, ~11 ms here: a worker's peak memory
  // stays under 20 MB), bcrypt 10 (~80 ms).
  int password_hash_cost = 0;
  LdapConfig ldap;
};

struct LimitsConfig {
  // Per-user storage quota in KiB (0: no quota).
  int64_t quota_kib = 25600;
  // Largest payload of one record, in bytes of UTF-8.
  int64_t max_payload_bytes = 262144;
  // Largest request body accepted at all; larger bodies get 413.
  int64_t max_body_bytes = int64_t{8} * 1024 * 1024;
  // Records past this index of a POST fail with "retry wbo".
  int batch_max_count = 100;
  // Once the payloads of a POST add up to this many bytes, the rest fail with "retry bytes".
  int64_t batch_max_bytes = int64_t{1024} * 1024;
};

// Metrics for monitoring (core/metrics.h): a Prometheus endpoint and a statsd target.
struct MetricsConfig {
  // Serve GET /__metrics__ (Prometheus text format) to the addresses in `allow`.
  bool enabled = false;
  // Addresses and networks (CIDR) that may scrape, compared with the FastCGI REMOTE_ADDR
  // (the address nginx or Apache saw, never X-Forwarded-For). Everyone else gets 404.
  std::vector<std::string> allow = {"127.0.0.1", "::1"};
  // "host:port" of a statsd server that every request and event is pushed to over UDP.
  // Empty: none. Read at start; a reload keeps the target the server started with.
  std::string statsd;
  // First part of every statsd metric name.
  std::string statsd_prefix = "weave";
};

// A shared cache in front of the database (src/cache, src/storage/caching_storage.h).
struct CacheConfig {
  // memcached://host:port (several: keys spread by consistent hashing),
  // memcached+unix:///path, redis://host:port[/db] or redis+unix:///path[?db=N] (one).
  // Empty: no cache.
  std::vector<std::string> servers;
  // The longest any one cache operation may take; then the database answers instead.
  int timeout_ms = 50;
  // Put before every key, so that several services can share one cache.
  std::string prefix = "weave:";
  // With servers: the secret (at least 32 characters; or login_secret_file) under which
  // verified logins are kept in the cache, shared by every server of the cluster. Empty:
  // verified logins stay in each machine's shared memory (auth.shared_logins).
  std::string login_secret;
  // With servers: keep every user's tabs collection only in the cache, never in the
  // database (storage/cached_tabs.h); tabs are lost when the cache loses them.
  bool tabs_only_in_cache = false;
};

struct LogConfig {
  // debug | info | warning | error
  std::string level = "info";
  // File to append to; empty means stderr (the journal under systemd).
  std::string file;
  // text | json (one JSON object a line, with the lines' structured fields). Text on the
  // journal's stream goes to the journal with its fields (core/log.h).
  std::string format = "text";
  // One line per request at info level.
  bool access_log = true;
};

struct Config {
  ServerConfig server;
  DatabaseConfig database;
  // Where accounts, nodes and login state live when they are not in `database`: a storage
  // node of many points this at the registration server's database. Unset: `database`.
  std::optional<DatabaseConfig> accounts_database;
  AuthConfig auth;
  LimitsConfig limits;
  LogConfig log;
  MaintenanceConfig maintenance;
  RegistrationConfig registration;
  MailConfig mail;
  PagesConfig pages;
  AccountsConfig accounts;
  SecurityLogConfig security_log;
  UpkeepConfig upkeep;
  CacheConfig cache;
  MetricsConfig metrics;
  // Filled by the loader: the key paths of secrets written in the file itself rather than
  // read from a *_file (for the warning about a configuration file others can read).
  std::vector<std::string> inline_secrets;
};

}  // namespace weave
