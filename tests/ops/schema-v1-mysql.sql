-- Test fixture (tests/ops): sql/mysql/schema.sql as the first version with MySQL had it
-- (commit 8ef2538), before account_ids, users.generation, the reset, invite, lockout, node
-- and import tables and the expiry index. Kept as it was: a database made by that version
-- must still be upgraded in place (README "Upgrades").
--
-- Weave storage and accounts, MySQL/MariaDB dialect (MariaDB 10.5 or later for the IF NOT
-- EXISTS forms below; Debian 12 ships 10.11). Applied at every start; every statement is
-- idempotent, and safe on a live database of Mozilla's PHP storage node: its tables are
-- kept as they are, and only the ttl column, its index and the triggers are added.
-- Times in wbo.modified and collection_stats.modified are centiseconds since the epoch
-- (Weave's two-decimal seconds times 100); wbo.ttl is an absolute expiry in seconds.
--
-- Statements end with ";" at the end of a line, or with the delimiter set by a
-- "DELIMITER x" line (as in the mysql client, so the file also runs there). The part
-- between the BEGIN/END PER RECORDS TABLE lines is applied once for each records table,
-- with the word wbo replaced by the table's name (wbo0, wbo1, ... when sharded).
--
-- Tables we create compare text byte for byte (binary collation): Firefox ids and
-- collection names that differ only in case are different records and collections.

-- Accounts of the SQL authentication back end: a superset of the PHP users table (id,
-- username, password_hash, email, status, alert, reset). users.id is wbo.username.
CREATE TABLE IF NOT EXISTS users (
  id            INT(11)        NOT NULL AUTO_INCREMENT,
  username      VARCHAR(255)   NOT NULL,
  password_hash VARBINARY(128) NOT NULL,
  email         VARBINARY(255) NOT NULL DEFAULT '',
  status        TINYINT(4)     NOT NULL DEFAULT 1,   -- 1 enabled; anything else refuses logins
  alert         TEXT,
  reset         VARBINARY(32)  DEFAULT NULL,         -- PHP's reset code; unused here
  created       BIGINT         NOT NULL DEFAULT (UNIX_TIMESTAMP()),
  PRIMARY KEY (id),
  UNIQUE KEY username (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A user's collections outside the standard list (ids from 101, as the PHP server did).
CREATE TABLE IF NOT EXISTS collections (
  userid       INT(11)     NOT NULL,
  collectionid SMALLINT(6) NOT NULL,
  name         VARCHAR(32) NOT NULL,
  PRIMARY KEY (userid, collectionid),
  UNIQUE KEY nameindex (userid, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per user and collection, so info/collections and the quota check read a few
-- rows instead of scanning records. modified is the time of the last change (write or
-- delete) and is set by the server; item_count and payload_bytes are kept exact by the
-- triggers below and include expired records that have not been purged yet. Shared by
-- all records tables.
CREATE TABLE IF NOT EXISTS collection_stats (
  userid        INT(11)     NOT NULL,
  collection    SMALLINT(6) NOT NULL,
  modified      BIGINT      NOT NULL DEFAULT 0,
  item_count    BIGINT      NOT NULL DEFAULT 0,
  payload_bytes BIGINT      NOT NULL DEFAULT 0,
  PRIMARY KEY (userid, collection)
) ENGINE=InnoDB;

-- One-time steps already done on this database (the first fill of collection_stats).
CREATE TABLE IF NOT EXISTS weave_migrations (
  name    VARCHAR(64) NOT NULL,
  applied BIGINT      NOT NULL,
  PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- BEGIN PER RECORDS TABLE
-- The records: the PHP schema column for column, plus ttl. Ids are VARBINARY (byte for
-- byte); payload_size is the payload's length in bytes (quota and usage).
CREATE TABLE IF NOT EXISTS wbo (
  username      INT(11)       NOT NULL,
  collection    SMALLINT(6)   NOT NULL DEFAULT 0,
  id            VARBINARY(64) NOT NULL DEFAULT '',
  parentid      VARBINARY(64) DEFAULT NULL,
  predecessorid VARBINARY(64) DEFAULT NULL,
  sortindex     INT(11)       DEFAULT NULL,
  modified      BIGINT(20)    DEFAULT NULL,
  payload       LONGTEXT,
  payload_size  INT(11)       DEFAULT NULL,
  ttl           INT(11)       NOT NULL DEFAULT 2100000000,
  PRIMARY KEY (username, collection, id),
  KEY parentindex (username, collection, parentid),
  KEY modified (username, collection, modified),
  KEY weightindex (username, collection, sortindex),
  KEY predecessorindex (username, collection, predecessorid),
  KEY size_index (username, payload_size),
  KEY ttl_index (username, ttl)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A PHP-era table gets ttl (added in place, no copy) and then its index (built online),
-- in two statements so that the column alone never forces a rebuild.
ALTER TABLE wbo ADD COLUMN IF NOT EXISTS ttl INT(11) NOT NULL DEFAULT 2100000000;
ALTER TABLE wbo ADD INDEX IF NOT EXISTS ttl_index (username, ttl);

-- The triggers see every write, also a PHP server's sharing the database during a move,
-- which is why they also carry modified forward. NULLs are PHP-era rows.
DELIMITER $$
CREATE TRIGGER IF NOT EXISTS wbo_after_insert AFTER INSERT ON wbo FOR EACH ROW
  INSERT INTO collection_stats (userid, collection, modified, item_count, payload_bytes)
  VALUES (NEW.username, NEW.collection, COALESCE(NEW.modified, 0), 1,
          COALESCE(NEW.payload_size, 0))
  ON DUPLICATE KEY UPDATE
    modified = GREATEST(modified, VALUES(modified)),
    item_count = item_count + 1,
    payload_bytes = payload_bytes + VALUES(payload_bytes)$$

CREATE TRIGGER IF NOT EXISTS wbo_after_delete AFTER DELETE ON wbo FOR EACH ROW
  UPDATE collection_stats
     SET item_count = item_count - 1,
         payload_bytes = payload_bytes - COALESCE(OLD.payload_size, 0)
   WHERE userid = OLD.username AND collection = OLD.collection$$

CREATE TRIGGER IF NOT EXISTS wbo_after_update AFTER UPDATE ON wbo FOR EACH ROW
BEGIN
  IF OLD.username <> NEW.username OR OLD.collection <> NEW.collection THEN
    UPDATE collection_stats
       SET item_count = item_count - 1,
           payload_bytes = payload_bytes - COALESCE(OLD.payload_size, 0)
     WHERE userid = OLD.username AND collection = OLD.collection;
    INSERT INTO collection_stats (userid, collection, modified, item_count, payload_bytes)
    VALUES (NEW.username, NEW.collection, COALESCE(NEW.modified, 0), 1,
            COALESCE(NEW.payload_size, 0))
    ON DUPLICATE KEY UPDATE
      modified = GREATEST(modified, VALUES(modified)),
      item_count = item_count + 1,
      payload_bytes = payload_bytes + VALUES(payload_bytes);
  ELSEIF NOT (OLD.payload_size <=> NEW.payload_size) OR NOT (OLD.modified <=> NEW.modified) THEN
    UPDATE collection_stats
       SET payload_bytes = payload_bytes - COALESCE(OLD.payload_size, 0)
                           + COALESCE(NEW.payload_size, 0),
           modified = GREATEST(modified, COALESCE(NEW.modified, 0))
     WHERE userid = NEW.username AND collection = NEW.collection;
  END IF;
END$$
DELIMITER ;

-- Rows that were there before the triggers (a PHP database) are counted once, after the
-- triggers exist: the recount replaces whatever they counted meanwhile.
INSERT INTO collection_stats (userid, collection, modified, item_count, payload_bytes)
SELECT username, collection, COALESCE(MAX(modified), 0), COUNT(*),
       COALESCE(SUM(payload_size), 0)
  FROM wbo
 WHERE NOT EXISTS (SELECT 1 FROM weave_migrations WHERE name = 'wbo: stats filled')
 GROUP BY username, collection
ON DUPLICATE KEY UPDATE
  modified = GREATEST(collection_stats.modified, VALUES(modified)),
  item_count = VALUES(item_count),
  payload_bytes = VALUES(payload_bytes);
INSERT IGNORE INTO weave_migrations (name, applied) VALUES ('wbo: stats filled', UNIX_TIMESTAMP());
-- END PER RECORDS TABLE

-- Sync's own account state, kept here whatever the authentication back end (also LDAP).

-- One pending password-reset code per user: only its SHA-256 is stored.
CREATE TABLE IF NOT EXISTS reset_codes (
  username   VARCHAR(255)  NOT NULL,
  code_hash  VARBINARY(64) NOT NULL,
  expires    BIGINT        NOT NULL,      -- seconds since the epoch
  PRIMARY KEY (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One-time invitation codes for registration.policy: invite (SHA-256 of the code).
CREATE TABLE IF NOT EXISTS invites (
  code_hash  VARBINARY(64) NOT NULL,
  created    BIGINT        NOT NULL,
  expires    BIGINT        NOT NULL,
  used_by    VARCHAR(255)  DEFAULT NULL,
  used_at    BIGINT        DEFAULT NULL,
  PRIMARY KEY (code_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Failed logins per key ("user:<name>" or "addr:<address>") in the current window.
-- KEY is a reserved word in MySQL: queries quote it as `key`.
CREATE TABLE IF NOT EXISTS login_failures (
  `key`         VARBINARY(300) NOT NULL,
  failures      INT            NOT NULL,
  window_start  BIGINT         NOT NULL,    -- seconds
  locked_until  BIGINT         NOT NULL DEFAULT 0,
  PRIMARY KEY (`key`)
) ENGINE=InnoDB;
