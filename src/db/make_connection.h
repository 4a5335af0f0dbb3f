// The one place that picks a SQL driver from the configuration.
#pragma once

#include <memory>
#include <string_view>

#include "core/config.h"
#include "db/sql_connection.h"

namespace weave {

// The SQL schema for the configured driver, applied when a connection opens.
std::string_view SchemaFor(const DatabaseConfig& config);

// Opens a connection of the configured driver and creates or upgrades the schema. Throws
// ConfigError for a driver this build does not have, BackendError when the database fails.
std::unique_ptr<SqlConnection> MakeConnection(const DatabaseConfig& config);

// Connects to a database another program owns (an importer's source) without applying any
// schema: MySQL as configured, SQLite read-only (db/sqlite_read_only.h; config.sqlite.path
// must exist). Throws ConfigError for a driver this build does not have, BackendError when
// the database fails.
std::unique_ptr<SqlConnection> ConnectToForeignDatabase(const DatabaseConfig& config);

}  // namespace weave
