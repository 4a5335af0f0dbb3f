-- Weave storage and accounts, MySQL/MariaDB dialect (MariaDB 10.5 or later for the IF NOT
-- EXISTS forms below; Debian 12 ships 10.11). Applied at every start; every statement is
-- idempotent, and safe on a live database of Mozilla's PHP storage node: its tables are
-- kept as they are, and only the ttl column, its index, users.generation and the triggers
-- (which skip this server's own writes, see below) are added.
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
-- username, password_hash, email, status, alert, reset). users.id is wbo.username, taken
-- from account_ids (below), so no id is ever given to two accounts.
CREATE TABLE IF NOT EXISTS users (
  id            INT(11)        NOT NULL AUTO_INCREMENT,
  username      VARCHAR(255)   NOT NULL,
  password_hash VARBINARY(128) NOT NULL,
  email         VARBINARY(255) NOT NULL DEFAULT '',
  status        TINYINT(4)     NOT NULL DEFAULT 1,   -- 1 enabled; anything else refuses logins
  alert         TEXT,
  reset         VARBINARY(32)  DEFAULT NULL,         -- PHP's reset code; unused here
  created       BIGINT         NOT NULL DEFAULT (UNIX_TIMESTAMP()),
  generation    BIGINT         NOT NULL DEFAULT 0,  -- bumped by password and status changes
  PRIMARY KEY (id),
  UNIQUE KEY username (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
-- The account generation, part of every remembered login's key (see "The login cache" in
-- README.md): added to older tables in place (an instant ADD COLUMN, no copy).
ALTER TABLE users ADD COLUMN IF NOT EXISTS generation BIGINT NOT NULL DEFAULT 0;

-- Every storage key ever handed out, to a users row or to an ldap_users row. Rows are never
-- deleted: even a server that rebuilds AUTO_INCREMENT counters from the highest row at
-- start (MySQL before 8.0, MariaDB before 10.2) never goes back, so a new account never gets
-- the id of a deleted one, nor the records its deletion missed (a write that raced it).
CREATE TABLE IF NOT EXISTS account_ids (
  id       BIGINT      NOT NULL AUTO_INCREMENT,
  used_for VARCHAR(16) NOT NULL,              -- 'users', 'ldap_users', or 'seen' (below)
  created  BIGINT      NOT NULL DEFAULT (UNIX_TIMESTAMP()),
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The LDAP back end in readonly mode (auth.ldap.mode: readonly) never writes the directory:
-- each Sync user name (a directory login, or Firefox's hash of the e-mail) is mapped here to
-- its directory entry, and gets its storage key here, from account_ids like users.id.
CREATE TABLE IF NOT EXISTS ldap_users (
  id        INT(11)       NOT NULL,           -- storage key (wbo.username)
  username  VARCHAR(255)  NOT NULL,           -- the Sync user name
  entry_id  TEXT          NOT NULL,           -- auth.ldap.id_attribute's value ("hex:..." if binary), or the DN
  login     VARCHAR(255)  NOT NULL,           -- the entry's login at enrolment
  created   BIGINT        NOT NULL DEFAULT (UNIX_TIMESTAMP()),
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
-- delete); item_count and payload_bytes include expired records that have not been purged
-- yet. The server keeps all three exact for its own writes, the triggers below for other
-- writers' (a PHP server's). Shared by all records tables.
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
--
-- The secondary indexes are the ones this server's statements use, each ending in id so
-- that it delivers rows in the order the reads ask for (ORDER BY ..., id: no filesort; an
-- InnoDB secondary index holds the primary key anyway, so the id costs no space):
--   modified     sort=newest/oldest and newer/older, the collection's records by time;
--   weightindex  sort=index and index_above/below;
--   ttl_index    a user's expired records not purged yet (counts, usage, quota, purge);
--   expiry_index every user's expired records (the background purge).
-- ids=, parentid= and predecessorid= filters, and the writes, go through the primary key
-- (bounded by the user's collection). PHP's parentindex, predecessorindex and size_index
-- are not created: every secondary index costs each write, takes space in the buffer pool,
-- and is one more candidate the optimiser weighs at each execution. A PHP-era table, or
-- one made by an earlier release, keeps them until `weave-admin drop-unused-indexes`.
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
  KEY modified (username, collection, modified, id),
  KEY weightindex (username, collection, sortindex, id),
  KEY ttl_index (username, ttl),
  KEY expiry_index (ttl)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A PHP-era table gets ttl (added in place, no copy) and then its index (built online),
-- in two statements so that the column alone never forces a rebuild.
ALTER TABLE wbo ADD COLUMN IF NOT EXISTS ttl INT(11) NOT NULL DEFAULT 2100000000;
ALTER TABLE wbo ADD INDEX IF NOT EXISTS ttl_index (username, ttl);
-- Every user's expired records by expiry, for the background purge (server/upkeep.h): its
-- bounded DELETEs then lock only the rows they remove.
ALTER TABLE wbo ADD INDEX IF NOT EXISTS expiry_index (ttl);

-- The triggers keep collection_stats right for writers other than this server: Mozilla's
-- PHP server sharing the database (also during a move), an older release of this one, the
-- mariadb client. They also carry modified forward; NULLs are PHP-era rows. This server's
-- sessions set @weave_server_write and keep the stats themselves, one change of a
-- collection's row per write instead of one per record (storage/collection_stats.h), so
-- the triggers skip their rows. CREATE OR REPLACE: a database made before that gets the
-- bodies that skip (in one step, with no moment without triggers).
DELIMITER $$
CREATE OR REPLACE TRIGGER wbo_after_insert AFTER INSERT ON wbo FOR EACH ROW
BEGIN
  IF @weave_server_write IS NULL THEN
    INSERT INTO collection_stats (userid, collection, modified, item_count, payload_bytes)
    VALUES (NEW.username, NEW.collection, COALESCE(NEW.modified, 0), 1,
            COALESCE(NEW.payload_size, 0))
    ON DUPLICATE KEY UPDATE
      modified = GREATEST(modified, VALUES(modified)),
      item_count = item_count + 1,
      payload_bytes = payload_bytes + VALUES(payload_bytes);
  END IF;
END$$

CREATE OR REPLACE TRIGGER wbo_after_delete AFTER DELETE ON wbo FOR EACH ROW
BEGIN
  IF @weave_server_write IS NULL THEN
    UPDATE collection_stats
       SET item_count = item_count - 1,
           payload_bytes = payload_bytes - COALESCE(OLD.payload_size, 0)
     WHERE userid = OLD.username AND collection = OLD.collection;
  END IF;
END$$

CREATE OR REPLACE TRIGGER wbo_after_update AFTER UPDATE ON wbo FOR EACH ROW
BEGIN
  IF @weave_server_write IS NULL THEN
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
    ELSEIF NOT (OLD.payload_size <=> NEW.payload_size)
        OR NOT (OLD.modified <=> NEW.modified) THEN
      UPDATE collection_stats
         SET payload_bytes = payload_bytes - COALESCE(OLD.payload_size, 0)
                             + COALESCE(NEW.payload_size, 0),
             modified = GREATEST(modified, COALESCE(NEW.modified, 0))
       WHERE userid = NEW.username AND collection = NEW.collection;
    END IF;
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

-- Records left by deleted accounts keep their ids used (see account_ids, and the statement
-- at the end of this file).
INSERT INTO account_ids (id, used_for)
SELECT highest, 'seen' FROM (SELECT MAX(username) AS highest FROM wbo) AS found
 WHERE highest > (SELECT COALESCE(MAX(id), 0) FROM account_ids);
-- END PER RECORDS TABLE

-- Sync's own account state, kept here whatever the authentication back end (also LDAP).

-- Pending password-reset codes: only their SHA-256 is stored. A user may have a few at once
-- (a new request does not void the mail of an earlier one).
CREATE TABLE IF NOT EXISTS password_resets (
  username   VARCHAR(255)  NOT NULL,
  code_hash  VARBINARY(64) NOT NULL,
  expires    BIGINT        NOT NULL,      -- seconds since the epoch
  PRIMARY KEY (username, code_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
-- Before password_resets: one code per user.
DROP TABLE IF EXISTS reset_codes;

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

-- Where each user logged in successfully lately: a lockout of the user name does not apply
-- to these addresses, so a guesser cannot lock the owner out (accounts.trusted_address_days).
CREATE TABLE IF NOT EXISTS trusted_addresses (
  username    VARCHAR(255)  NOT NULL,
  address     VARBINARY(64) NOT NULL,
  last_login  BIGINT        NOT NULL,    -- seconds
  PRIMARY KEY (username, address)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The LDAP back end (both modes): a counter per Sync user name, bumped by every account
-- change made through this server (creation or enrolment, password change or reset,
-- deletion). The login cache of every worker compares it on each cached login, so such a
-- change ends cached logins at once. Rows stay when accounts go: a name created again never
-- returns to a number a cached login holds.
CREATE TABLE IF NOT EXISTS ldap_generations (
  username    VARCHAR(255)  NOT NULL PRIMARY KEY,
  generation  BIGINT        NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The upgrade of a database made before account_ids (a PHP-era one too), and a safety net
-- at every start: the highest id found in any table that holds one (deleted accounts'
-- leftover rows included; the records tables were done above) is marked used, so new ids
-- start above it. Each MAX() reads one end of an index.
INSERT INTO account_ids (id, used_for)
SELECT highest, 'seen' FROM (SELECT GREATEST(
    COALESCE((SELECT MAX(id) FROM users), 0),
    COALESCE((SELECT MAX(id) FROM ldap_users), 0),
    COALESCE((SELECT MAX(userid) FROM collections), 0),
    COALESCE((SELECT MAX(userid) FROM collection_stats), 0)) AS highest) AS found
 WHERE highest > (SELECT COALESCE(MAX(id), 0) FROM account_ids);

-- Many storage nodes (empty on a single server; weave-admin nodes). Kept with the accounts:
-- every node's url exactly as node/weave hands it out (ending in /), its state (active:
-- takes new users; draining: keeps its users, takes no new ones; down: its users are
-- answered 503), how many users it may have, how many it has, and the X-Weave-Backoff
-- seconds it adds to its answers (0: none).
CREATE TABLE IF NOT EXISTS nodes (
  url           VARCHAR(255) NOT NULL,
  state         VARCHAR(16)  NOT NULL DEFAULT 'active',
  capacity      BIGINT       NOT NULL,
  current_load  BIGINT       NOT NULL DEFAULT 0,
  backoff       INT          NOT NULL DEFAULT 0,
  PRIMARY KEY (url)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The node of each account (of any auth back end but a Mozilla-layout directory, which
-- keeps it in primaryNode), set when the account is created or first asks node/weave.
CREATE TABLE IF NOT EXISTS user_nodes (
  username  VARCHAR(255) NOT NULL,
  node      VARCHAR(255) NOT NULL,
  PRIMARY KEY (username),
  KEY node (node)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Kept with the records, on a storage node: the users whose records weave-admin is moving
-- away right now. Their writes are refused (503, a short Retry-After) from the moment the
-- row is written until the move has switched them to their new node. A writer reads it with
-- a locking read, so the mover's insert waits for writes already under way.
CREATE TABLE IF NOT EXISTS frozen_users (
  userid  INT(11) NOT NULL,
  since   BIGINT  NOT NULL,
  PRIMARY KEY (userid)
) ENGINE=InnoDB;

-- The users' tokens in the shared cache (src/storage/caching_storage.h; the name is from
-- when a row marked stale entries): a new random token is written in the transaction of
-- every write of the user's data, and a cache entry is used only while it carries the
-- user's current token. A wipe removes the row; without one the cache is not used.
CREATE TABLE IF NOT EXISTS cache_dirty (
  userid INT(11) NOT NULL PRIMARY KEY,
  token  BIGINT  NOT NULL             -- random, new with each write
) ENGINE=InnoDB;

-- Kept with the accounts: the accounts weave-admin import created or replaced, and whether
-- their records are all in ("pending" while the import writes them, then "done"). An import
-- run again redoes pending accounts, leaves done ones alone (unless --on-conflict replace),
-- and counts every other existing account as a conflict.
CREATE TABLE IF NOT EXISTS imported_accounts (
  username  VARCHAR(255)  NOT NULL,
  state     VARCHAR(16)   NOT NULL,     -- 'pending' or 'done'
  source    VARCHAR(1024) NOT NULL,     -- "KIND SOURCE" of the import
  PRIMARY KEY (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
