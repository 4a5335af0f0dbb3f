// Storage keys for new accounts, from the account_ids table that the SQL back end and the
// read-only LDAP enrolments share: no id is ever handed out twice.
#pragma once

#include <string_view>

#include "core/user_name.h"
#include "db/sql_connection.h"

namespace weave {

// A new storage key, above every id handed out before (also to accounts deleted since, and
// above the ids found in the database when its schema was applied: see account_ids in
// sql/*/schema.sql). used_for names the table the id is for ("users", "ldap_users"). Call
// inside the write transaction that stores the account: if it rolls back, SQLite takes the
// id back and MySQL skips it; neither gives it to another account. Throws BackendError.
UserId AllocateAccountId(SqlConnection& connection, std::string_view used_for);

}  // namespace weave
