// Reads the SQL databases of Mozilla's own Sync 1.1 servers: the Python server (server-core,
// server-storage, server-full; SQLite or MySQL) and the PHP server (MySQL).
#pragma once

#include <memory>

#include "migrate/migration.h"
#include "migrate/source_sql.h"

namespace weave {

enum class MozillaServer { kPython, kPhp };

// Both keep records in wbo (or the shards wbo0 ... wboN-1, user U's in wbo<U % N>) keyed
// by the numeric user id, with modified in hundredths and the collection as a number:
// per-user ids in the collections table, else the standard list (1 clients ... 10
// passwords, 11 addons). Python's ttl is an absolute expiry (2100000000: never); a PHP
// table has ttl only if this server ever served it in place. Collection timestamps are the
// newest record's, as both servers answered them.
//
// Accounts: users(id, username, password_hash | md5, email, status) — PHP, and Python
// 2010-2011 — or Python 2012's user(userid, username, password, accountStatus, mail).
// status/accountStatus other than 1 is a disabled account. {SSHA}, {SSHA-256}, {SSCRYPT}
// and hex MD5 hashes are carried over; anything else (PHP's 64-hex salted SHA-256, which
// needs the server's WEAVE_SHA_SALT) is reported. Records of ids without an account row
// (a deleted account's leftovers) are not read. Throws std::runtime_error when the
// database has no such tables.
std::unique_ptr<MigrationSource> MakeMozillaSource(std::unique_ptr<SourceDatabase> db,
                                                   MozillaServer server);

}  // namespace weave
