-- Test fixture (tests/ops): sql/sqlite/schema.sql as the first version of the server had it
-- (commit ef48415), before account_ids, users.generation, the reset, invite, lockout, node
-- and import tables, with records in a WITHOUT ROWID table. Kept as it was: a database made
-- by that version must still be upgraded in place (README "Upgrades").

-- Weave storage and accounts, SQLite dialect. Applied at every start; every statement is
-- idempotent. Times in wbo.modified and collection_stats.modified are centiseconds since
-- the epoch (Weave's two-decimal seconds times 100); wbo.ttl is an absolute expiry in seconds.

-- Accounts of the SQL authentication back end. users.id is the storage key (wbo.username).
CREATE TABLE IF NOT EXISTS users (
  id            INTEGER PRIMARY KEY,
  username      TEXT    NOT NULL UNIQUE,
  password_hash TEXT    NOT NULL,
  email         TEXT    NOT NULL DEFAULT '',
  status        INTEGER NOT NULL DEFAULT 1,   -- 1 enabled; anything else refuses logins
  alert         TEXT,
  created       INTEGER NOT NULL DEFAULT (strftime('%s', 'now'))
);

-- A user's collections outside the standard list (ids from 101, as the PHP server did).
CREATE TABLE IF NOT EXISTS collections (
  userid       INTEGER NOT NULL,
  collectionid INTEGER NOT NULL,
  name         TEXT    NOT NULL,
  PRIMARY KEY (userid, collectionid),
  UNIQUE (userid, name)
) WITHOUT ROWID;

-- The records. Ids compare byte for byte (SQLite's default BINARY collation).
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
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS wbo_modified  ON wbo (username, collection, modified);
CREATE INDEX IF NOT EXISTS wbo_sortindex ON wbo (username, collection, sortindex);

-- One row per user and collection, so info/collections and the quota check read a few
-- rows instead of scanning records. modified is the time of the last change (write or
-- delete) and is set by the server; item_count and payload_bytes are kept exact by the
-- triggers below and include expired records that have not been purged yet.
CREATE TABLE IF NOT EXISTS collection_stats (
  userid        INTEGER NOT NULL,
  collection    INTEGER NOT NULL,
  modified      INTEGER NOT NULL DEFAULT 0,
  item_count    INTEGER NOT NULL DEFAULT 0,
  payload_bytes INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (userid, collection)
) WITHOUT ROWID;

CREATE TRIGGER IF NOT EXISTS wbo_after_insert AFTER INSERT ON wbo BEGIN
  INSERT INTO collection_stats (userid, collection, modified, item_count, payload_bytes)
  VALUES (NEW.username, NEW.collection, NEW.modified, 1, NEW.payload_size)
  ON CONFLICT (userid, collection) DO UPDATE SET
    item_count = item_count + 1,
    payload_bytes = payload_bytes + excluded.payload_bytes;
END;

CREATE TRIGGER IF NOT EXISTS wbo_after_delete AFTER DELETE ON wbo BEGIN
  UPDATE collection_stats
     SET item_count = item_count - 1, payload_bytes = payload_bytes - OLD.payload_size
   WHERE userid = OLD.username AND collection = OLD.collection;
END;

CREATE TRIGGER IF NOT EXISTS wbo_after_update_size AFTER UPDATE OF payload_size ON wbo BEGIN
  UPDATE collection_stats
     SET payload_bytes = payload_bytes - OLD.payload_size + NEW.payload_size
   WHERE userid = OLD.username AND collection = OLD.collection;
END;
