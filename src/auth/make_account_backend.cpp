// Auth back-end selection; the only file that knows whether LDAP was compiled in (WITH_LDAP).
#include "auth/make_account_backend.h"

#include "auth/auth_config_check.h"
#include "auth/shared_login_table.h"
#include "auth/sql_user_store.h"
#include "core/errors.h"
#if WITH_LDAP
#include "auth/ldap/ldap_authenticator.h"
#endif

namespace weave {
namespace {

std::unique_ptr<AccountBackend> MakeDirect(const AuthConfig& config, SqlConnection& connection) {
  if (config.backend == "sql") {
    return std::make_unique<SqlUserStore>(connection, config);
  }
#if WITH_LDAP
  if (config.backend == "ldap") {
    return std::make_unique<LdapAuthenticator>(config.ldap, connection);
  }
  throw ConfigError("auth.backend",
                    "unknown back end \"" + config.backend + "\" (valid: sql, ldap)");
#else
  throw ConfigError("auth.backend", "unknown back end \"" + config.backend +
                                        "\" (valid: sql; this build has no LDAP: build with "
                                        "WITH_LDAP=1)");
#endif
}

}  // namespace

AccountBackends MakeAccountBackend(const AuthConfig& config, SqlConnection& connection,
                                   const Clock& clock, VerifiedLogins* shared_logins) {
  CheckAuthConfig(config);
  AccountBackends backends;
  backends.direct = MakeDirect(config, connection);
  const bool ldap = config.backend == "ldap";
  const int ttl_seconds = ldap ? config.ldap.cache_seconds : config.cache_seconds;
  // The SQL store has no recheck stamp: its credential stamp sees every change.
  const int recheck_seconds = ldap ? config.ldap.recheck_seconds : ttl_seconds;
  if (shared_logins == nullptr) {
    backends.own_logins = std::make_unique<SharedLoginTable>(config.shared_logins);
    shared_logins = backends.own_logins.get();
  }
  backends.cached = std::make_unique<CachingAccountBackend>(*backends.direct, ttl_seconds,
                                                            recheck_seconds, clock, *shared_logins);
  return backends;
}

}  // namespace weave
