// SqlConnection over SQLite; with db/sqlite_statement.cpp and db/sqlite_read_only.cpp, the
// only user of <sqlite3.h>.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/config.h"
#include "db/sql_connection.h"
#include "db/sqlite_dialect.h"
#include "db/wal_syncer.h"

struct sqlite3;
struct sqlite3_stmt;

namespace weave {

class SqliteConnection final : public SqlConnection {
 public:
  // Opens (creating if needed) the database in WAL mode with a busy timeout and applies
  // the schema in schema_sql (idempotent statements). Throws BackendError. On a read-only
  // file system it opens the database read-only, without the schema step: reads work,
  // writes fail (503) until the file system is writable and the worker is replaced.
  // With synchronous: normal, a WalSyncer puts each commit on stable storage within
  // sync_interval_ms.
  SqliteConnection(const SqliteConfig& config, std::string_view schema_sql);
  ~SqliteConnection() override;

  SqlStatement& Prepare(std::string_view sql) override;
  void TrimStatementCache() override;
  void BeginWrite() override;
  void Commit() override;
  void Rollback() override;
  int64_t LastInsertId() override;
  void BeginRequest() override;
  void EndRequest() override;
  void Idle() override;
  const SqlDialect& Dialect() const override { return dialect_; }
  std::string DescribeDurability() override { return durability_; }

  // From now on counts every statement SQLite starts on this connection (sqlite3_trace_v2),
  // transaction control included and the programs of triggers left out: for the tests that
  // pin how many statements each kind of request costs. Off by default (no trace hook).
  void CountStatements();
  uint64_t StatementsRun() const { return statements_run_; }

  // Called by a statement before each step: inside a request, reads join the request's
  // read transaction and a write outside BeginWrite ends it first.
  void BeforeStep(bool read_only);

  // The writers' lock: a file flock()ed, closed with its owner.
  class LockFile {
   public:
    explicit LockFile(const std::string& path);
    LockFile(const LockFile&) = delete;
    LockFile& operator=(const LockFile&) = delete;
    ~LockFile();
    void Lock();
    // Takes the lock only if it is free at once; false when another process holds it.
    bool TryLock();
    void Unlock();

   private:
    int fd_ = -1;
  };
  // Holds the writers' lock for its lifetime (nothing when given none).
  class WriteLockHold {
   public:
    explicit WriteLockHold(LockFile* lock);
    // Holds the lock only if it is free at once (see Owns()).
    WriteLockHold(LockFile* lock, std::try_to_lock_t /*unused*/);
    WriteLockHold(const WriteLockHold&) = delete;
    WriteLockHold& operator=(const WriteLockHold&) = delete;
    ~WriteLockHold();
    // False when a try found the lock taken; true when given no lock at all.
    bool Owns() const { return owns_; }

   private:
    LockFile* lock_;
    bool owns_ = true;
  };
  // For a statement about to step: a write outside a write transaction (which commits by
  // itself) holds the writers' lock while it runs; anything else holds nothing.
  WriteLockHold LoneWriteLock(bool read_only);

 private:
  struct CloseDatabase {
    void operator()(sqlite3* db) const;
  };
  void ApplySchema(std::string_view schema_sql);
  void Execute(const char* sql);
  // Runs transaction control (BEGIN, COMMIT ...), prepared once: sqlite3_exec would parse
  // the text again at every request.
  void Control(const char* sql);
  void EndRead();
  // Idle()'s two kinds of checkpoint (see the comment there).
  // wait_for_lock: queues for the writers' lock (held for microseconds) instead of leaving
  // the checkpoint for later when it is taken.
  bool PinnedCheckpoint(int* log_frames, bool wait_for_lock);
  void RestartingCheckpoint(bool after_pinned);
  // While alive, SQLite's waits on this connection (for readers, in a FULL or RESTART
  // checkpoint) look again every 200 us, until 20 ms after its start, where SQLite's own
  // busy handler sleeps 1, 2, 5, 10 ms apart: readers end within a request, and writers
  // queue on the lock meanwhile. Restores busy_timeout_ms when destroyed.
  class ReaderWait {
   public:
    ReaderWait(sqlite3* db, int busy_timeout_ms);
    ReaderWait(const ReaderWait&) = delete;
    ReaderWait& operator=(const ReaderWait&) = delete;
    ~ReaderWait();

   private:
    static int Retry(void* self, int count);
    sqlite3* db_;
    int busy_timeout_ms_;
    std::chrono::steady_clock::time_point deadline_;
  };
  bool OpenPin();
  // The log's length and how much of it is copied, as SQLite's shared index of the log
  // (the -shm file) says at this moment; valid false when it cannot be read.
  struct WalIndex {
    bool valid = false;
    uint32_t frames = 0;      // mxFrame
    uint32_t backfilled = 0;  // nBackfill
  };
  WalIndex ReadWalIndex();
  // The log's checkpoint sequence number (its header's bytes 12-15), which changes when the
  // log is restarted and written from its start again; -1 when it cannot be read.
  int64_t LogGeneration();
  // Syncs the database file (SQLITE_FCNTL_FILE_POINTER) or its log
  // (SQLITE_FCNTL_JOURNAL_POINTER) through SQLite's own handle of it; true on success.
  bool SyncFile(int file_op);
  static int OnWalCommit(void* self, sqlite3* db, const char* name, int frames);
  static int OnTrace(unsigned type, void* self, void* statement, void* sql);

  const SqliteDialect dialect_;
  // Writers queue on this kernel lock before BEGIN IMMEDIATE: the kernel wakes the next
  // one the moment the lock is free, where SQLite's busy handler would sleep and poll.
  std::unique_ptr<LockFile> write_lock_;
  std::unique_ptr<sqlite3, CloseDatabase> db_;
  // A second handle on the file that holds a read snapshot while Idle() checkpoints: the
  // checkpoint then copies no frame newer than the snapshot, i.e. none the log sync before
  // it missed, and no writer restarts the log while it copies (outside the writers' lock)
  // or before the database file is synced.
  std::unique_ptr<sqlite3, CloseDatabase> pin_;
  int shm_fd_ = -1;          // the -shm file, read-only, for ReadWalIndex()
  bool pin_failed_ = false;  // it could not be opened: checkpoints sync under the lock
  bool pin_held_ = false;    // a database sync failed: the snapshot is kept until one succeeds
  const char* synchronous_sql_ = "PRAGMA synchronous=NORMAL";  // the configured level
  struct FinalizeStatement {
    void operator()(sqlite3_stmt* statement) const;
  };
  // Control()'s statements, by text (the few literals of this file).
  std::unordered_map<std::string, std::unique_ptr<sqlite3_stmt, FinalizeStatement>> control_;
  // Transparent hashing lets Prepare look statements up by string_view without allocating.
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>()(text); }
  };
  std::unordered_map<std::string, std::unique_ptr<SqlStatement>, TextHash, std::equal_to<>>
      statements_;
  std::string durability_;  // DescribeDurability()
  int busy_timeout_ms_ = 0;
  int checkpoint_frames_ = 0;       // SqliteConfig::checkpoint_pages
  int restart_frames_ = 0;          // SqliteConfig::wal_restart_pages
  bool in_request_ = false;         // between BeginRequest and EndRequest
  bool read_open_ = false;          // the request's read transaction is open
  int wal_frames_ = 0;              // frames in the WAL after this connection's last commit
  int checkpointed_frames_ = 0;     // of those, copied as of this connection's last checkpoint
  int pinned_log_frames_ = -1;      // the log's length at this connection's last pinned checkpoint
  bool restart_due_ = false;        // a restart found the writers' lock taken: try at next Idle()
  int64_t pinned_generation_ = -1;  // LogGeneration() at the last pinned checkpoint
  uint64_t statements_run_ = 0;     // CountStatements()
  std::chrono::steady_clock::time_point last_checkpoint_ = std::chrono::steady_clock::now();
  // Last: destroyed first, so its final sync runs while the connection (and so the -wal
  // file) is still open.
  std::unique_ptr<WalSyncer> syncer_;
};

}  // namespace weave
