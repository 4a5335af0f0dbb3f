-- Weave storage and accounts, SQLite dialect. Applied at every start; every statement is
-- idempotent. Times in wbo.modified and collection_stats.modified are centiseconds since
-- the epoch (Weave's two-decimal seconds times 100); wbo.ttl is an absolute expiry in seconds.

-- Accounts of the SQL authentication back end. users.id is the storage key (wbo.username),
-- taken from account_ids (below), so no id is ever given to two accounts.
CREATE TABLE IF NOT EXISTS users (
  id            INTEGER PRIMARY KEY,
  username      TEXT    NOT NULL UNIQUE,
  password_hash TEXT    NOT NULL,
  email         TEXT    NOT NULL DEFAULT '',
  status        INTEGER NOT NULL DEFAULT 1,   -- 1 enabled; anything else refuses logins
  alert         TEXT,
  created       INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
  generation    INTEGER NOT NULL DEFAULT 0    -- bumped by password and status changes
);
-- The account generation, part of every remembered login's key (see "The login cache" in
-- README.md). SQLite has no ADD COLUMN IF NOT EXISTS: the server adds each column named in
-- an "add-column" line to a table that lacks it, after the statements of this file.
-- add-column: users generation INTEGER NOT NULL DEFAULT 0

-- A user's collections outside the standard list (ids from 101, as the PHP server did).
CREATE TABLE IF NOT EXISTS collections (
  userid       INTEGER NOT NULL,
  collectionid INTEGER NOT NULL,
  name         TEXT    NOT NULL,
  PRIMARY KEY (userid, collectionid),
  UNIQUE (userid, name)
) WITHOUT ROWID;

-- The records. Ids compare byte for byte (SQLite's default BINARY collation). A rowid table,
-- not WITHOUT ROWID: payloads are a few hundred bytes to several KB, and kept in the key's
-- B-tree they filled few rows per page and spilled to overflow pages (seeding took twice as
-- long, the file was 75 % larger). The indexes end in id so that ORDER BY ..., id needs no
-- sort.
CREATE TABLE IF NOT EXISTS wbo (
  username      INTEGER NOT NULL,
  collection    INTEGER NOT NULL,
  id            TEXT    NOT NULL,
  parentid      TEXT,
  predecessorid TEXT,
  sortindex     INTEGER,
  modified      INTEGER NOT NULL,
  payload       TEXT,
  payload_size  INTEGER NOT NULL DEFAULT 0,
  ttl           INTEGER NOT NULL DEFAULT 2100000000,
  PRIMARY KEY (username, collection, id)
);
CREATE INDEX IF NOT EXISTS wbo_modified  ON wbo (username, collection, modified, id);
CREATE INDEX IF NOT EXISTS wbo_sortindex ON wbo (username, collection, sortindex, id);
-- Records written with a ttl, by expiry, for the background purge (server/upkeep.h). Partial:
-- most records have none (ttl 2100000000) and cost this index nothing.
CREATE INDEX IF NOT EXISTS wbo_expiry ON wbo (ttl) WHERE ttl < 2100000000;

-- One row per user and collection, so info/collections and the quota check read a few
-- rows instead of scanning records. modified is the time of the last change (write or
-- delete); item_count and payload_bytes include expired records that have not been purged
-- yet. The server keeps all three exact itself (storage/collection_stats.h): each write
-- changes its row once, with what its statements did.
CREATE TABLE IF NOT EXISTS collection_stats (
  userid        INTEGER NOT NULL,
  collection    INTEGER NOT NULL,
  modified      INTEGER NOT NULL DEFAULT 0,
  item_count    INTEGER NOT NULL DEFAULT 0,
  payload_bytes INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (userid, collection)
) WITHOUT ROWID;

-- Databases made before that had per-record triggers on wbo keeping the counts (a 10-record
-- POST ran ten trigger programs, each changing the same row). Only this server and its
-- tools write an SQLite database, and every one of their writers keeps the counts now, so
-- the triggers go rather than stay behind a switch.
DROP TRIGGER IF EXISTS wbo_after_insert;
DROP TRIGGER IF EXISTS wbo_after_delete;
DROP TRIGGER IF EXISTS wbo_after_update_size;

-- Sync's own account state, kept here whatever the authentication back end (also LDAP).

-- Pending password-reset codes: only their SHA-256 is stored. A user may have a few at once
-- (a new request does not void the mail of an earlier one).
CREATE TABLE IF NOT EXISTS password_resets (
  username   TEXT    NOT NULL,
  code_hash  TEXT    NOT NULL,
  expires    INTEGER NOT NULL,         -- seconds since the epoch
  PRIMARY KEY (username, code_hash)
) WITHOUT ROWID;
-- Before password_resets: one code per user.
DROP TABLE IF EXISTS reset_codes;

-- One-time invitation codes for registration.policy: invite (SHA-256 of the code).
CREATE TABLE IF NOT EXISTS invites (
  code_hash  TEXT    NOT NULL PRIMARY KEY,
  created    INTEGER NOT NULL,
  expires    INTEGER NOT NULL,
  used_by    TEXT,
  used_at    INTEGER
);

-- Failed logins per key in the current window: "user:<name>", "addr:<address>" (an IPv6
-- address by its /64), "pair:<address> <name>", "reset:<name>", "resetaddr:<address>".
CREATE TABLE IF NOT EXISTS login_failures (
  key           TEXT    NOT NULL PRIMARY KEY,
  failures      INTEGER NOT NULL,
  window_start  INTEGER NOT NULL,    -- seconds
  locked_until  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Where each user logged in successfully lately: a lockout of the user name does not apply
-- to these addresses, so a guesser cannot lock the owner out (accounts.trusted_address_days).
CREATE TABLE IF NOT EXISTS trusted_addresses (
  username    TEXT    NOT NULL,
  address     TEXT    NOT NULL,      -- as login_failures counts it (IPv6 by its /64)
  last_login  INTEGER NOT NULL,      -- seconds
  PRIMARY KEY (username, address)
) WITHOUT ROWID;

-- The LDAP back end in readonly mode (auth.ldap.mode: readonly) never writes the directory:
-- each Sync user name (a directory login, or Firefox's hash of the e-mail) is mapped here to
-- its directory entry, and gets its storage key here, from account_ids like users.id.
CREATE TABLE IF NOT EXISTS ldap_users (
  id        INTEGER PRIMARY KEY,              -- storage key (wbo.username)
  username  TEXT    NOT NULL UNIQUE,          -- the Sync user name
  entry_id  TEXT    NOT NULL,                 -- auth.ldap.id_attribute's value ("hex:..." if binary), or the DN
  login     TEXT    NOT NULL,                 -- the entry's login at enrolment (direct binds build the DN from it)
  created   INTEGER NOT NULL DEFAULT (strftime('%s', 'now'))
);

-- The LDAP back end (both modes): a counter per Sync user name, bumped by every account
-- change made through this server (creation or enrolment, password change or reset,
-- deletion). The login cache of every worker compares it on each cached login, so such a
-- change ends cached logins at once. Rows stay when accounts go: a name created again never
-- returns to a number a cached login holds.
CREATE TABLE IF NOT EXISTS ldap_generations (
  username    TEXT    NOT NULL PRIMARY KEY,
  generation  INTEGER NOT NULL
) WITHOUT ROWID;

-- Every storage key ever handed out, to a users row or to an ldap_users row: rows are never
-- deleted, and AUTOINCREMENT never goes back, so a new account never gets the id of a
-- deleted one, nor the records its deletion missed (a write that raced it).
CREATE TABLE IF NOT EXISTS account_ids (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  used_for  TEXT    NOT NULL,                 -- 'users', 'ldap_users', or 'seen' (below)
  created   INTEGER NOT NULL DEFAULT (strftime('%s', 'now'))
);
-- The upgrade of a database made before account_ids, and a safety net at every start: the
-- highest id found in any table that holds one (deleted accounts' leftover records
-- included) is marked used, so new ids start above it. Each max() reads one end of an index.
INSERT INTO account_ids (id, used_for)
SELECT highest, 'seen' FROM (SELECT max(
    coalesce((SELECT max(id) FROM users), 0),
    coalesce((SELECT max(id) FROM ldap_users), 0),
    coalesce((SELECT max(username) FROM wbo), 0),
    coalesce((SELECT max(userid) FROM collections), 0),
    coalesce((SELECT max(userid) FROM collection_stats), 0)) AS highest)
 WHERE highest > coalesce((SELECT max(id) FROM account_ids), 0);

-- Many storage nodes (empty on a single server; weave-admin nodes). Kept with the accounts:
-- every node's url exactly as node/weave hands it out (ending in /), its state (active:
-- takes new users; draining: keeps its users, takes no new ones; down: its users are
-- answered 503), how many users it may have, how many it has, and the X-Weave-Backoff
-- seconds it adds to its answers (0: none).
CREATE TABLE IF NOT EXISTS nodes (
  url           TEXT    NOT NULL PRIMARY KEY,
  state         TEXT    NOT NULL DEFAULT 'active',
  capacity      INTEGER NOT NULL,
  current_load  INTEGER NOT NULL DEFAULT 0,
  backoff       INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- The node of each account (of any auth back end but a Mozilla-layout directory, which
-- keeps it in primaryNode), set when the account is created or first asks node/weave.
CREATE TABLE IF NOT EXISTS user_nodes (
  username  TEXT    NOT NULL PRIMARY KEY,
  node      TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS user_nodes_node ON user_nodes (node);

-- Kept with the records, on a storage node: the users whose records weave-admin is moving
-- away right now. Their writes are refused (503, a short Retry-After) from the moment the
-- row is written until the move has switched them to their new node.
CREATE TABLE IF NOT EXISTS frozen_users (
  userid  INTEGER NOT NULL PRIMARY KEY,
  since   INTEGER NOT NULL               -- seconds
);

-- The users' tokens in the shared cache (src/storage/caching_storage.h; the name is from
-- when a row marked stale entries): a new random token is written in the transaction of
-- every write of the user's data, and a cache entry is used only while it carries the
-- user's current token. A wipe removes the row; without one the cache is not used.
CREATE TABLE IF NOT EXISTS cache_dirty (
  userid INTEGER NOT NULL PRIMARY KEY,
  token  INTEGER NOT NULL             -- random, new with each write
) WITHOUT ROWID;

-- Kept with the accounts: the accounts weave-admin import created or replaced, and whether
-- their records are all in ("pending" while the import writes them, then "done"). An import
-- run again redoes pending accounts, leaves done ones alone (unless --on-conflict replace),
-- and counts every other existing account as a conflict.
CREATE TABLE IF NOT EXISTS imported_accounts (
  username  TEXT NOT NULL PRIMARY KEY,
  state     TEXT NOT NULL,              -- 'pending' or 'done'
  source    TEXT NOT NULL               -- "KIND SOURCE" of the import
) WITHOUT ROWID;
