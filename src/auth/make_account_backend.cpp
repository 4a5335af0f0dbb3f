// Auth back-end selection; the only file that knows whether LDAP was compiled in (WITH_LDAP).
#include "auth/make_account_backend.h"

#include "auth/sql_user_store.h"
#include "core/errors.h"
#if WITH_LDAP
#include "auth/ldap/ldap_authenticator.h"
#endif

namespace weave {

std::unique_ptr<AccountBackend> MakeAccountBackend(const AuthConfig& config,
                                                   SqlConnection& connection, const Clock& clock) {
  if (config.backend == "sql") {
    return std::make_unique<SqlUserStore>(connection, config, clock);
  }
#if WITH_LDAP
  if (config.backend == "ldap") {
    return std::make_unique<LdapAuthenticator>(config.ldap, connection, clock);
  }
  throw ConfigError("auth.backend", "unknown back end \"" + config.backend + "\" (valid: sql, ldap)");
#else
  throw ConfigError("auth.backend", "unknown back end \"" + config.backend +
                                        "\" (valid: sql; this build has no LDAP: build with "
                                        "WITH_LDAP=1)");
#endif
}

}  // namespace weave
