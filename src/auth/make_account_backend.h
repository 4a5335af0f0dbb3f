// The one place that picks the auth back end from the configuration.
#pragma once

#include <memory>

#include "auth/account_store.h"
#include "core/clock.h"
#include "core/config.h"
#include "db/sql_connection.h"

namespace weave {

// The configured back end: "sql" (the users table on connection) or "ldap" (the directory,
// with Sync's own state on connection). Borrows connection and clock, which must outlive
// it. Throws ConfigError for a back end this build does not have or an invalid LDAP
// configuration. Does not connect to a directory yet.
std::unique_ptr<AccountBackend> MakeAccountBackend(const AuthConfig& config,
                                                   SqlConnection& connection, const Clock& clock);

}  // namespace weave
