// Reads a weave-minimal data folder: one SQLite file per user, one table per collection.
#pragma once

#include <memory>
#include <string>

#include "migrate/migration.h"

namespace weave {

// weave-minimal names each user's file <user>.<16 hex digits>, the digits being the start of
// SHA-1 of a fixed salt and the password: that is the only password hash it has, carried
// over as {WEAVE-MINIMAL}<digits> (auth/password_hash.h). Other files (journals, anything
// not so named) are ignored; when one user has several files (a copy left behind), the
// most recently modified one is read. In a file every table is a collection with columns
// id, modified (REAL seconds), sortindex, payload, payload_size, parentid, predecessorid
// and ttl (seconds after modified, as weave-minimal expires records: to the second).
// A collection's timestamp is its newest record's, as weave-minimal answered it; empty
// tables are no collections. Throws std::runtime_error when folder cannot be read.
std::unique_ptr<MigrationSource> MakeWeaveMinimalSource(const std::string& folder);

}  // namespace weave
