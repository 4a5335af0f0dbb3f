// The SQLite driver: WAL, one read snapshot per request, writers queued on a file lock.
#include "db/sqlite_connection.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <sys/file.h>

#include "core/errors.h"
#include "core/log.h"
#include "db/db_errors.h"
#include "db/sqlite_statement.h"
#include "db/wal_write_batching.h"

namespace weave {
namespace {

// Statements beyond this many distinct texts (dynamic id lists) are dropped and re-prepared.
constexpr size_t kMaxCachedStatements = 256;

// A restart of the WAL (the next commit writes from its start again) waits at most this
// long for readers, holding back writers meanwhile, looking every kRestartPoll; it is
// retried at a later checkpoint.
constexpr std::chrono::milliseconds kRestartWait{20};
constexpr std::chrono::microseconds kRestartPoll{200};

// While requests come in, a worker checkpoints at least this long after its last commit,
// keeping the database file close behind the log (durability is the WalSyncer's job).
constexpr std::chrono::seconds kCheckpointInterval{1};

// Before a restart, pinned checkpoints (outside the writers' lock) run again, at most this
// many more times, until at most kRestartCopyFrames frames (a few milliseconds of copying)
// are left for the restart to copy under the lock.
constexpr int kMaxExtraRounds = 3;
constexpr uint32_t kRestartCopyFrames = 256;

// One "-- add-column: TABLE COLUMN DEFINITION" line of a schema (see sql/sqlite/schema.sql).
struct AddedColumn {
  std::string table;
  std::string column;
  std::string definition;  // "COLUMN DEFINITION", as ALTER TABLE ... ADD COLUMN takes it
};

std::vector<AddedColumn> AddedColumns(std::string_view schema_sql) {
  constexpr std::string_view kMarker = "-- add-column: ";
  std::vector<AddedColumn> columns;
  size_t start = 0;
  while (start < schema_sql.size()) {
    size_t end = schema_sql.find('\n', start);
    if (end == std::string_view::npos) {
      end = schema_sql.size();
    }
    std::string_view line = schema_sql.substr(start, end - start);
    start = end + 1;
    if (line.substr(0, kMarker.size()) != kMarker) {
      continue;
    }
    line.remove_prefix(kMarker.size());
    const size_t table_end = line.find(' ');
    const size_t column_end = line.find(' ', table_end + 1);
    if (table_end == std::string_view::npos || column_end == std::string_view::npos) {
      throw BackendError("sqlite: bad add-column line in the schema: " + std::string(line));
    }
    columns.push_back({std::string(line.substr(0, table_end)),
                       std::string(line.substr(table_end + 1, column_end - table_end - 1)),
                       std::string(line.substr(table_end + 1))});
  }
  return columns;
}

// Process-wide settings, which SQLite takes only before it initialises: once it has (another
// handle opened first), it refuses them and keeps its defaults, which are only slower.
// - SQLite counts every allocation in global statistics under a mutex (Debian builds it
//   without lookaside memory, so a statement allocates often); nothing here reads them.
// - A statement that writes several rows inside a transaction (a POST's upsert) keeps the
//   pages it changes in a statement journal, for a rollback of that statement alone. SQLite
//   moves that journal to a temporary file beyond 64 KiB, which a POST of ten records
//   passes (the record B-tree and its indexes, 16 pages and more): each POST then created,
//   wrote and unlinked a file, about a tenth of a worker's CPU in the mix. Kept in memory up
//   to kStatementJournalMemory, which bounds what a single statement can hold there.
constexpr int kStatementJournalMemory = 4 << 20;
void ConfigureSqliteOnce() {
  static const int once = (sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0),
                           sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, kStatementJournalMemory));
  static_cast<void>(once);
}

[[noreturn]] void ThrowSqlite(sqlite3* db, const std::string& what) {
  ThrowDatabaseError(SqliteErrorText(db, what));
}

// Times a checkpoint for its line in the log (at debug level): what it did, how long it held
// the writers' lock and how long it took in all (syncs outside the lock included).
class CheckpointClock {
 public:
  using Clock = std::chrono::steady_clock;
  void Report(const char* kind, int log_frames, int copied_frames, Clock::duration held,
              const char* outcome) const {
    if (!LogEnabled(LogLevel::kDebug)) {
      return;
    }
    const auto us = [](Clock::duration duration) {
      return std::chrono::duration_cast<std::chrono::microseconds>(duration).count();
    };
    Log(LogLevel::kDebug) << "sqlite: checkpoint " << kind << ": log " << log_frames << " frames, "
                          << copied_frames << " copied, " << us(held)
                          << " us under the writers' lock, " << us(Clock::now() - started_)
                          << " us in all" << (*outcome != '\0' ? ", " : "") << outcome;
  }

 private:
  Clock::time_point started_ = Clock::now();
};

}  // namespace

void SqliteConnection::CloseDatabase::operator()(sqlite3* db) const {
  sqlite3_close_v2(db);
}

SqliteConnection::LockFile::LockFile(const std::string& path)
    : fd_(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
  if (fd_ < 0 && (errno == EROFS || errno == EACCES)) {
    // A file system remounted read-only: flock works on a read-only descriptor, and a
    // worker started now must still serve reads.
    fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  }
  if (fd_ < 0) {
    ThrowDatabaseError("sqlite: cannot open " + path + ": " + std::strerror(errno));
  }
}

SqliteConnection::LockFile::~LockFile() {
  close(fd_);
}

void SqliteConnection::LockFile::Lock() {
  while (flock(fd_, LOCK_EX) != 0) {
    if (errno != EINTR) {
      ThrowDatabaseError(std::string("sqlite: write lock: ") + std::strerror(errno));
    }
  }
}

bool SqliteConnection::LockFile::TryLock() {
  while (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return false;
    }
    if (errno != EINTR) {
      ThrowDatabaseError(std::string("sqlite: write lock: ") + std::strerror(errno));
    }
  }
  return true;
}

void SqliteConnection::LockFile::Unlock() {
  flock(fd_, LOCK_UN);
}

SqliteConnection::WriteLockHold::WriteLockHold(LockFile* lock) : lock_(lock) {
  if (lock_ != nullptr) {
    lock_->Lock();
  }
}

SqliteConnection::WriteLockHold::WriteLockHold(LockFile* lock, std::try_to_lock_t /*unused*/)
    : lock_(lock != nullptr && lock->TryLock() ? lock : nullptr),
      owns_(lock == nullptr || lock_ != nullptr) {}

SqliteConnection::WriteLockHold::~WriteLockHold() {
  if (lock_ != nullptr) {
    lock_->Unlock();
  }
}

SqliteConnection::WriteLockHold SqliteConnection::LoneWriteLock(bool read_only) {
  const bool lone_write = !read_only && sqlite3_get_autocommit(db_.get()) != 0;
  return WriteLockHold(lone_write ? write_lock_.get() : nullptr);
}

SqliteConnection::SqliteConnection(const SqliteConfig& config, std::string_view schema_sql) {
  ConfigureSqliteOnce();
  sqlite3* raw = nullptr;
  // sqlite3_open_v2 hands back a handle even when it fails: own it before checking.
  const int rc = sqlite3_open_v2(config.path.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 BatchingVfsName());
  db_.reset(raw);
  if (rc != SQLITE_OK) {
    ThrowSqlite(raw, "open " + config.path);
  }
  busy_timeout_ms_ = config.busy_timeout_ms;
  checkpoint_frames_ = config.checkpoint_pages;
  restart_frames_ = config.wal_restart_pages;
  sqlite3_busy_timeout(db_.get(), busy_timeout_ms_);
  if (config.path != ":memory:" && !config.path.empty()) {
    write_lock_ = std::make_unique<LockFile>(config.path + "-writelock");
  }
  // WAL: readers never block the writer, and several worker processes share the file.
  Execute("PRAGMA journal_mode=WAL");
  synchronous_sql_ =
      config.synchronous == "full" ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
  Execute(synchronous_sql_);
  Execute("PRAGMA foreign_keys=ON");
  const bool is_file = config.path != ":memory:" && !config.path.empty();
  if (!is_file) {
    durability_ = "never (the database is in memory)";
  } else if (config.synchronous == "full") {
    durability_ = "at commit, before the answer (database.sqlite.synchronous: full)";
  } else {
    durability_ = "within " + std::to_string(config.sync_interval_ms) +
                  " ms of the answer (database.sqlite.synchronous: normal, sync_interval_ms: " +
                  std::to_string(config.sync_interval_ms) + ")";
    // SQLite's own name for the log: the database's full path, symbolic links resolved.
    const char* wal = sqlite3_filename_wal(sqlite3_db_filename(db_.get(), "main"));
    syncer_ = std::make_unique<WalSyncer>(wal != nullptr ? wal : config.path + "-wal",
                                          std::chrono::milliseconds(config.sync_interval_ms));
  }
  // Commits never checkpoint: a worker does it in Idle(), after its answer has gone out.
  sqlite3_wal_hook(db_.get(), &SqliteConnection::OnWalCommit, this);
  if (sqlite3_db_readonly(db_.get(), "main") == 1) {
    Log(LogLevel::kWarning) << "sqlite: " << config.path
                            << " opened read-only (a read-only file system?): reads are "
                               "served, writes fail";
    return;
  }
  ApplySchema(schema_sql);
}

void SqliteConnection::ApplySchema(std::string_view schema_sql) {
  if (schema_sql.empty()) {
    return;
  }
  const std::string schema(schema_sql);
  BeginWrite();
  try {
    Execute(schema.c_str());
    // Columns added after a table was first released, to databases made before them.
    for (const AddedColumn& added : AddedColumns(schema_sql)) {
      bool present = false;
      {
        StatementScope query(Prepare("SELECT count(*) FROM pragma_table_info(?) WHERE name = ?"));
        query->BindText(0, added.table);
        query->BindText(1, added.column);
        present = query->Step() && query->ColumnInt(0) > 0;
      }
      if (!present) {
        Log(LogLevel::kInfo) << "sqlite: adding column " << added.table << "." << added.column;
        Execute(("ALTER TABLE " + added.table + " ADD COLUMN " + added.definition).c_str());
      }
    }
    Commit();
  } catch (...) {
    Rollback();
    throw;
  }
}

SqliteConnection::~SqliteConnection() {
  statements_.clear();  // finalize statements before the handle closes
  control_.clear();
  if (shm_fd_ >= 0) {
    close(shm_fd_);
  }
}

void SqliteConnection::FinalizeStatement::operator()(sqlite3_stmt* statement) const {
  sqlite3_finalize(statement);
}

void SqliteConnection::Control(const char* sql) {
  auto found = control_.find(sql);
  if (found == control_.end()) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    std::unique_ptr<sqlite3_stmt, FinalizeStatement> statement(raw);
    if (rc != SQLITE_OK) {
      ThrowSqlite(db_.get(), sql);
    }
    found = control_.emplace(sql, std::move(statement)).first;
  }
  sqlite3_stmt* statement = found->second.get();
  const int rc = sqlite3_step(statement);
  sqlite3_reset(statement);
  if (rc != SQLITE_DONE) {
    ThrowSqlite(db_.get(), sql);
  }
}

void SqliteConnection::Execute(const char* sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    const std::string message = error != nullptr ? error : "unknown error";
    sqlite3_free(error);
    ThrowDatabaseError("sqlite: " + message);
  }
}

SqlStatement& SqliteConnection::Prepare(std::string_view sql) {
  auto found = statements_.find(sql);
  if (found == statements_.end()) {
    found = statements_
                .emplace(std::string(sql), std::make_unique<SqliteStatement>(
                                               db_.get(), sql, SqliteStatementOptions{this, false}))
                .first;
  }
  found->second->Reset();
  return *found->second;
}

void SqliteConnection::TrimStatementCache() {
  if (statements_.size() > kMaxCachedStatements) {
    statements_.clear();
  }
}

// Writers first queue on the lock file (woken by the kernel as soon as it is free), then
// BEGIN IMMEDIATE takes SQLite's write lock up front, so two workers never both read and
// then deadlock upgrading. busy_timeout_ms bounds the two waits together: when a process
// outside the server holds SQLite's lock, each queued writer would otherwise wait for the
// ones ahead of it to time out, and then time out in turn.
void SqliteConnection::BeginWrite() {
  EndRead();
  const auto started = std::chrono::steady_clock::now();
  if (write_lock_) {
    write_lock_->Lock();
  }
  const auto queued = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - started)
                          .count();
  // 0 means no waiting at all: one try, which succeeds when the lock is free.
  sqlite3_busy_timeout(db_.get(),
                       static_cast<int>(std::max<int64_t>(0, busy_timeout_ms_ - queued)));
  try {
    Control("BEGIN IMMEDIATE");
  } catch (...) {
    sqlite3_busy_timeout(db_.get(), busy_timeout_ms_);
    if (write_lock_) {
      write_lock_->Unlock();
    }
    throw;
  }
  sqlite3_busy_timeout(db_.get(), busy_timeout_ms_);
}

void SqliteConnection::Commit() {
  Control("COMMIT");
  if (write_lock_) {
    write_lock_->Unlock();
  }
}

void SqliteConnection::Rollback() {
  if (sqlite3_get_autocommit(db_.get()) == 0) {
    Control("ROLLBACK");
  }
  if (write_lock_) {
    write_lock_->Unlock();
  }
}

// Each read transaction costs a shared-memory lock and, when another worker has committed
// since, the whole page cache; a request's reads share one.
void SqliteConnection::BeginRequest() {
  in_request_ = true;
}

void SqliteConnection::EndRequest() {
  in_request_ = false;
  EndRead();
}

void SqliteConnection::BeforeStep(bool read_only) {
  // A transaction that is not the request's read one is a write transaction (BeginWrite).
  if (!in_request_ || (sqlite3_get_autocommit(db_.get()) == 0 && !read_open_)) {
    return;
  }
  if (!read_only) {
    EndRead();  // a lone write runs in autocommit, never upgrading the read snapshot
  } else if (!read_open_) {
    Control("BEGIN");
    read_open_ = true;
  }
}

void SqliteConnection::EndRead() {
  if (read_open_) {
    read_open_ = false;
    if (sqlite3_get_autocommit(db_.get()) == 0) {
      Control("COMMIT");
    }
  }
}

int SqliteConnection::OnWalCommit(void* self, sqlite3* /*db*/, const char* /*name*/, int frames) {
  auto* connection = static_cast<SqliteConnection*>(self);
  if (connection->syncer_) {
    connection->syncer_->NoteCommit();
  }
  connection->wal_frames_ = frames;
  if (frames < connection->checkpointed_frames_) {
    connection->checkpointed_frames_ = 0;  // the log has been restarted since
  }
  return SQLITE_OK;
}

// SQLite up to 3.51.2 has a race between checkpoints and commits (its "WAL-reset bug",
// fixed in 3.51.3): a checkpoint that starts on a fully copied log, while another process
// commits and thereby restarts the log from its start, can record the old log's length as
// copied; the next checkpoint then skips the new frames up to that length, and those
// committed pages are lost when the log restarts again: an acknowledged record goes missing,
// with no error anywhere. So no checkpoint here may overlap a commit that restarts the log.
// Every write in this process holds the writers' lock (transactions from BeginWrite to
// Commit, lone writes for their step). The regular checkpoint (PinnedCheckpoint) copies
// outside that lock, but with a read snapshot that keeps any commit from restarting the log
// meanwhile (see there); the restart's checkpoint (RestartingCheckpoint) holds the lock.
//
// What the lock must not cover is a disk sync or a long copy: SQLite's own checkpoint syncs
// the log before copying and the database file after, and on a busy disk one sync took up
// to 200 ms; a second's worth of commits took 75-160 ms to copy on a loaded machine. Under
// the lock every writer (and soon every worker) waited that long. So the regular checkpoint
// copies without syncing and without the lock, and syncs around the copy, keeping the order
// that makes a copy safe: the log's frames are on disk before any copy of them can be, and
// the copies are on disk before the log can be restarted over them.
//
// Passive checkpoints copy what no reader still needs. Once the log is long, a restart
// makes the next commit write from its start again: otherwise, with readers always
// overlapping, it never would. A restart needs every frame copied, so it follows pinned
// checkpoints, and under the lock it only copies (and syncs) what was committed since the
// last one's snapshot: a few milliseconds of commits instead of a second's. Without a second
// handle (pin) every checkpoint holds the lock and syncs under it, as SQLite's own does.
void SqliteConnection::Idle() {
  if (pin_held_) {
    if (!SyncFile(SQLITE_FCNTL_FILE_POINTER)) {
      return;  // still failing: the snapshot keeps the log from being restarted meanwhile
    }
    sqlite3_exec(pin_.get(), "COMMIT", nullptr, nullptr, nullptr);
    pin_held_ = false;
  }
  if (restart_due_ && !in_request_) {
    // A try of the lock, cheap while it is taken; none once another worker has restarted
    // the log since (its header's sequence number changed).
    restart_due_ = LogGeneration() == pinned_generation_;
    if (restart_due_) {
      RestartingCheckpoint(true);
    }
    return;
  }
  const int pending = wal_frames_ - checkpointed_frames_;
  const auto now = std::chrono::steady_clock::now();
  // By size, and at least once a second after this worker's commits.
  const bool due = pending >= checkpoint_frames_ ||
                   (pending > 0 && now - last_checkpoint_ >= kCheckpointInterval);
  if (!due || in_request_) {
    return;
  }
  int log_frames = wal_frames_;
  const bool pinned = write_lock_ != nullptr && OpenPin();
  if (pinned && (!PinnedCheckpoint(&log_frames, false) || log_frames < restart_frames_)) {
    return;
  }
  // What the restart copies under the lock was committed during the pinned checkpoint's
  // syncs: while that is much, another pinned round (outside the lock) first.
  for (int round = 0; pinned && round < kMaxExtraRounds; ++round) {
    const WalIndex index = ReadWalIndex();
    if (!index.valid || index.frames <= index.backfilled + kRestartCopyFrames) {
      break;
    }
    int frames = log_frames;
    // Queued for the lock, held only for a look: a try would mostly find it taken by writers.
    if (!PinnedCheckpoint(&frames, true)) {
      if (pin_held_) {
        return;  // the database file could not be synced: no restart
      }
      break;  // the restart copies the rest, if it finds the lock free
    }
    log_frames = frames;
  }
  pinned_log_frames_ = log_frames;
  pinned_generation_ = LogGeneration();
  RestartingCheckpoint(pinned);
}

bool SqliteConnection::OpenPin() {
  if (pin_ == nullptr && !pin_failed_) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(sqlite3_db_filename(db_.get(), "main"), &raw,
                                   SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
    pin_.reset(raw);
    if (rc != SQLITE_OK) {
      Log(LogLevel::kWarning) << "sqlite: no second handle for checkpoints (" << sqlite3_errmsg(raw)
                              << "): they sync under the writers' lock";
      pin_.reset();
      pin_failed_ = true;
    }
  }
  return pin_ != nullptr;
}

bool SqliteConnection::SyncFile(int file_op) {
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(db_.get(), "main", file_op, &file) != SQLITE_OK || file == nullptr ||
      file->pMethods == nullptr) {
    return false;
  }
  return file->pMethods->xSync(file, SQLITE_SYNC_NORMAL) == SQLITE_OK;
}

int64_t SqliteConnection::LogGeneration() {
  sqlite3_file* file = nullptr;
  unsigned char header[16] = {};
  if (sqlite3_file_control(db_.get(), "main", SQLITE_FCNTL_JOURNAL_POINTER, &file) != SQLITE_OK ||
      file == nullptr || file->pMethods == nullptr ||
      file->pMethods->xRead(file, header, sizeof header, 0) != SQLITE_OK) {
    return -1;
  }
  return (int64_t{header[12]} << 24) | (int64_t{header[13]} << 16) | (int64_t{header[14]} << 8) |
         int64_t{header[15]};
}

// 1. Under the writers' lock, held only for this: a read snapshot on the pin, and a look at
// the log's index. 2. The lock is released; the log is synced (every frame of the snapshot is
// on disk). 3. A passive checkpoint at synchronous=OFF copies without syncing, while writers
// go on committing. 4. The database file is synced. 5. The snapshot ends. False when it could
// not run or failed.
//
// Why the copy needs no lock: the checkpoint is safe from the WAL-reset bug as long as no
// commit restarts the log while it runs, and a commit restarts the log only when it can lock
// every reader slot of the log (WAL_READ_LOCK 1 to 4): the pin's snapshot holds one of them
// until step 5 whenever the log held frames not yet copied as it began. That is checked
// under the lock, where no commit (so no restart) can come between the snapshot and the look:
// copied frames (nBackfill) below the log's length means SQLite gave the snapshot a slot of
// the log, not slot 0 (the one for a fully copied log, which holds no restart back). The
// same snapshot bounds the copy to the frames the sync in step 2 put on disk, and keeps the
// log from being restarted over the copies before step 4 (a restart waits for every reader).
// A fully copied log leaves nothing to copy: then only the database file is synced (another
// worker's copies may not be on disk yet), for a restart that may follow.
bool SqliteConnection::PinnedCheckpoint(int* log_frames, bool wait_for_lock) {
  const CheckpointClock clock;
  WalIndex index;
  std::chrono::steady_clock::duration held{};
  {
    const WriteLockHold hold = wait_for_lock ? WriteLockHold(write_lock_.get())
                                             : WriteLockHold(write_lock_.get(), std::try_to_lock);
    const auto locked = std::chrono::steady_clock::now();
    last_checkpoint_ = locked;
    if (!hold.Owns()) {
      return false;  // left to a later Idle() (see RestartingCheckpoint)
    }
    if (sqlite3_exec(pin_.get(), "BEGIN; SELECT count(*) FROM sqlite_schema", nullptr, nullptr,
                     nullptr) != SQLITE_OK) {
      sqlite3_exec(pin_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
      return false;
    }
    index = ReadWalIndex();
    held = std::chrono::steady_clock::now() - locked;
  }
  struct EndSnapshot {
    SqliteConnection& self;
    ~EndSnapshot() {
      if (!self.pin_held_) {
        sqlite3_exec(self.pin_.get(), "COMMIT", nullptr, nullptr, nullptr);
      }
    }
  } end_snapshot{*this};
  if (!index.valid) {
    return false;
  }
  int copied_frames = static_cast<int>(index.backfilled);
  *log_frames = static_cast<int>(index.frames);
  const bool fully_copied = index.backfilled >= index.frames;
  if (fully_copied && *log_frames < restart_frames_) {
    checkpointed_frames_ = copied_frames;  // nothing to copy, and no restart to prepare
    return true;
  }
  if (!fully_copied) {
    if (!SyncFile(SQLITE_FCNTL_JOURNAL_POINTER)) {
      return false;
    }
    sqlite3_exec(db_.get(), "PRAGMA synchronous=OFF", nullptr, nullptr, nullptr);
    const int rc = sqlite3_wal_checkpoint_v2(db_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                             log_frames, &copied_frames);
    sqlite3_exec(db_.get(), synchronous_sql_, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
      clock.Report("pinned", *log_frames, copied_frames, held, "another worker was copying");
      return false;
    }
  }
  if (!SyncFile(SQLITE_FCNTL_FILE_POINTER)) {
    Log(LogLevel::kError) << "sqlite: syncing the database file after a checkpoint failed; "
                             "the log is kept until a sync succeeds";
    pin_held_ = true;
    return false;
  }
  checkpointed_frames_ = copied_frames;
  clock.Report("pinned", *log_frames, copied_frames, held, fully_copied ? "nothing to copy" : "");
  return true;
}

SqliteConnection::WalIndex SqliteConnection::ReadWalIndex() {
  if (shm_fd_ < 0) {
    const char* database = sqlite3_db_filename(db_.get(), "main");
    if (database == nullptr) {
      return {};
    }
    shm_fd_ = open((std::string(database) + "-shm").c_str(), O_RDONLY | O_CLOEXEC);
    if (shm_fd_ < 0) {
      return {};
    }
  }
  // The wal-index (https://sqlite.org/walformat.html): the header's first copy at 0, with
  // mxFrame at 16; the checkpoint's record at 96, nBackfill first. Native byte order.
  unsigned char bytes[100] = {};
  if (pread(shm_fd_, bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
    return {};
  }
  WalIndex index;
  std::memcpy(&index.frames, bytes + 16, sizeof index.frames);
  std::memcpy(&index.backfilled, bytes + 96, sizeof index.backfilled);
  index.valid = true;
  return index;
}

// A worker that finds the lock taken leaves the checkpoint to a later Idle() rather than
// queue for it: queued checkpointers (after a log restart every worker's count says one is
// due) and the writers behind them made convoys of 30-50 ms that held up every worker.
//
// After a pinned checkpoint (after_pinned), the log is copied and the database file synced
// up to that checkpoint's snapshot; what remains are the frames committed since, usually a
// few milliseconds' worth. A FULL checkpoint copies them: it waits (briefly, see
// ReaderWait) for the readers of older frames, which would hold a passive one back, and
// syncs the log before copying and the database file after, under the lock, but only when
// something was left to copy. Without a pin, this is also the regular checkpoint: a passive
// one, with SQLite's own syncs.
void SqliteConnection::RestartingCheckpoint(bool after_pinned) {
  const CheckpointClock clock;
  const WriteLockHold hold(write_lock_.get(), std::try_to_lock);
  // Taken (writers hold it most of the time under load): after a pinned checkpoint, tried
  // again at the next Idle(), before the frames to copy under the lock pile up.
  restart_due_ = after_pinned && !hold.Owns();
  if (!hold.Owns()) {
    return;
  }
  const auto locked = std::chrono::steady_clock::now();
  last_checkpoint_ = locked;
  const ReaderWait wait(db_.get(), busy_timeout_ms_);
  const int synced_before = after_pinned ? checkpointed_frames_ : -1;
  int log_frames = 0;
  int copied_frames = 0;
  const int rc = sqlite3_wal_checkpoint_v2(
      db_.get(), nullptr, after_pinned ? SQLITE_CHECKPOINT_FULL : SQLITE_CHECKPOINT_PASSIVE,
      &log_frames, &copied_frames);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
    return;  // another process is checkpointing
  }
  checkpointed_frames_ = copied_frames;
  if (copied_frames < log_frames || log_frames < restart_frames_ || write_lock_ == nullptr) {
    // Readers still need some frames, or the log is short enough.
    clock.Report(after_pinned ? "before restart" : "unpinned", log_frames, copied_frames,
                 std::chrono::steady_clock::now() - locked, "not restarted");
    return;
  }
  // The copies must be on disk before the log is restarted over them. A pass that copied
  // something synced the database file itself; one that found nothing left to copy did
  // not, and frames copied since this worker's own sync (by another worker's checkpoint)
  // may not be on disk yet: only a log untouched since the pinned checkpoint (no commit,
  // no copy) skips the sync (which costs little when nothing is left to write).
  const bool untouched = copied_frames == synced_before && log_frames == pinned_log_frames_;
  if (!untouched && !SyncFile(SQLITE_FCNTL_FILE_POINTER)) {
    return;
  }
  // Waits for the readers of the log (until the same deadline), so that the next commit
  // writes from its start.
  const bool restarted = sqlite3_wal_checkpoint_v2(db_.get(), nullptr, SQLITE_CHECKPOINT_RESTART,
                                                   nullptr, nullptr) == SQLITE_OK;
  if (restarted) {
    checkpointed_frames_ = 0;
  }
  clock.Report("restart", log_frames, copied_frames, std::chrono::steady_clock::now() - locked,
               restarted ? "restarted" : "readers stayed: not restarted");
}

SqliteConnection::ReaderWait::ReaderWait(sqlite3* db, int busy_timeout_ms)
    : db_(db),
      busy_timeout_ms_(busy_timeout_ms),
      deadline_(std::chrono::steady_clock::now() + kRestartWait) {
  sqlite3_busy_handler(db_, &ReaderWait::Retry, this);
}

SqliteConnection::ReaderWait::~ReaderWait() {
  sqlite3_busy_timeout(db_, busy_timeout_ms_);  // SQLite's own handler again
}

int SqliteConnection::ReaderWait::Retry(void* self, int /*count*/) {
  if (std::chrono::steady_clock::now() >= static_cast<ReaderWait*>(self)->deadline_) {
    return 0;
  }
  std::this_thread::sleep_for(kRestartPoll);
  return 1;
}

void SqliteConnection::CountStatements() {
  sqlite3_trace_v2(db_.get(), SQLITE_TRACE_STMT, &SqliteConnection::OnTrace, this);
}

// SQLite reports a trigger's program as it starts too, with the text "-- TRIGGER name".
int SqliteConnection::OnTrace(unsigned type, void* self, void* /*statement*/, void* sql) {
  const auto* text = static_cast<const char*>(sql);
  if (type == SQLITE_TRACE_STMT && (text == nullptr || std::strncmp(text, "--", 2) != 0)) {
    ++static_cast<SqliteConnection*>(self)->statements_run_;
  }
  return 0;
}

int64_t SqliteConnection::LastInsertId() {
  return sqlite3_last_insert_rowid(db_.get());
}

}  // namespace weave
