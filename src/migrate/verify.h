// weave-admin import --verify: the source compared with this server's database, account by
// account and record by record.
#pragma once

#include <cstdint>
#include <iosfwd>

#include "migrate/database_source.h"
#include "migrate/migration.h"

namespace weave {

// Writes one line per difference to report (the first max_lines of them; then only counts)
// and returns how many there are: an account missing here, or whose password was not
// carried; a collection time that differs; a record missing here, or differing in any field
// (modified, sortindex, parentid, predecessorid, expiry, payload); records here that the
// source lacks. Reads one record at a time from each side.
int64_t VerifyImport(MigrationSource& source, DatabaseSource& destination, std::ostream& report,
                     int64_t max_lines = 100);

}  // namespace weave
