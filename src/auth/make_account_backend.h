// The one place that builds the configured auth back end, with its login cache, from the
// configuration.
#pragma once

#include <memory>

#include "auth/account_store.h"
#include "auth/caching_account_backend.h"
#include "auth/verified_logins.h"
#include "core/clock.h"
#include "core/config.h"
#include "db/sql_connection.h"

namespace weave {

// The configured back end and the login cache in front of it. Use cached; direct checks
// every login for real. Members are destroyed in reverse order, so the cache goes first.
struct AccountBackends {
  std::unique_ptr<VerifiedLogins> own_logins;  // when no shared store was given
  std::unique_ptr<AccountBackend> direct;
  std::unique_ptr<CachingAccountBackend> cached;
};

// The configured back end: "sql" (the users table on connection; cached for
// auth.cache_seconds) or "ldap" (the directory, with Sync's own state on connection; cached
// for auth.ldap.cache_seconds, rechecked every auth.ldap.recheck_seconds). The cache keeps
// its logins in shared_logins (the server's table, shared by its workers), or when that is
// null in a table of its own with room for auth.shared_logins. Borrows connection, clock and
// shared_logins, which must outlive it. Throws ConfigError for a back end this build does
// not have or an invalid LDAP configuration (CheckAuthConfig). Does not connect to a
// directory yet.
AccountBackends MakeAccountBackend(const AuthConfig& config, SqlConnection& connection,
                                   const Clock& clock, VerifiedLogins* shared_logins = nullptr);

}  // namespace weave
