// Reads FSyncMS's database (SQLite file or MySQL): accounts from its users table, records
// from its wbo table, both keyed by the user name.
#pragma once

#include <memory>
#include <string>

#include "migrate/migration.h"
#include "migrate/source_sql.h"

namespace weave {

// FSyncMS's schema (setup.php): users(username, md5) and wbo(username, id, collection,
// parentid, predecessorid, modified REAL seconds, sortindex, payload, payload_size, ttl).
// table_prefix is martok's fork's DATABASE_TABLE_PREFIX ("" for none; "_" is added as the
// fork does). The md5 column holds hex MD5 or, with FSyncMS's BCRYPT option, a $2a$ hash;
// both are carried over. FSyncMS never wrote or honoured ttl, so records import without an
// expiry. Collection timestamps are the newest record's, as FSyncMS answered them. Records
// of user names without a users row (a deleted account's leftovers) are not read.
std::unique_ptr<MigrationSource> MakeFsyncmsSource(std::unique_ptr<SourceDatabase> db,
                                                   const std::string& table_prefix);

}  // namespace weave
