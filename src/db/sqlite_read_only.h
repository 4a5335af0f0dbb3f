// A read-only SqlConnection over another program's SQLite file (an importer's source).
#pragma once

#include <memory>
#include <string>

#include "db/sql_connection.h"

namespace weave {

// Opens the SQLite database at path for reading only: the file must exist, and nothing in it
// or beside it is changed (no schema, no journal mode switch, no lock file). Writes through
// the connection fail. Throws BackendError naming the path when it cannot be opened or is
// not a database.
std::unique_ptr<SqlConnection> OpenSqliteReadOnly(const std::string& path);

}  // namespace weave
