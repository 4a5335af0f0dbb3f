// The importers' entry point: a MigrationSource for each kind of source weave-admin import
// reads (this server's own export format, and each kind of foreign Sync server).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/config.h"
#include "migrate/migration.h"

namespace weave {

// What a source needs besides its kind and location.
struct SourceOptions {
  // The database password of a mysql:// source (the first line of --password-file).
  std::string password;
  // FSyncMS only: the table prefix of martok's fork (DATABASE_TABLE_PREFIX), "" for none.
  std::string table_prefix;
};

// The kinds OpenMigrationSource knows, for messages: "fsyncms, weave-minimal, ...".
std::string MigrationSourceKinds();

// A source of kind read from source. "weave": this server's export format, a file or "-"
// for standard input. fsyncms, weave-minimal, mozilla-python, mozilla-php: a file path (an
// SQLite database; for weave-minimal its data folder) or mysql://user@host[:port]/database
// (not for weave-minimal). The source is only read.
// Throws std::invalid_argument for an unknown kind; std::runtime_error naming the source for
// a malformed URL, a
// database that cannot be opened or lacks the kind's tables, and ConfigError for mysql://
// in a build without MySQL.
std::unique_ptr<MigrationSource> OpenMigrationSource(const std::string& kind,
                                                     const std::string& source,
                                                     const SourceOptions& options);

// The MySQL settings of mysql://user@host[:port]/database (user and database
// percent-decoded; port 3306 unless given; "[v6]" hosts in brackets), or nullopt when
// source does not start with mysql://. Throws std::runtime_error for a malformed URL or one
// with a password in it (it belongs in the password file, out of the process list).
std::optional<MysqlConfig> ParseMysqlSourceUrl(const std::string& source);

}  // namespace weave
