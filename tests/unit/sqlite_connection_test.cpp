// SqliteConnection's request scope (one read snapshot per request, ended before any write)
// and its between-request WAL upkeep, with two connections on one file as two workers.
#include "db/sqlite_connection.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include <boost/test/unit_test.hpp>
#include <sys/file.h>

#include "core/errors.h"
#include "test_support.h"

namespace weave {
namespace {

constexpr std::string_view kSchema = "CREATE TABLE IF NOT EXISTS t (v TEXT NOT NULL);";

struct TwoWorkers {
  testing::TempDir dir;
  SqliteConfig config = [this] {
    SqliteConfig sqlite;
    sqlite.path = dir.File("test.db");
    return sqlite;
  }();

  static int64_t Count(SqlConnection& connection) {
    StatementScope query(connection.Prepare("SELECT count(*) FROM t"));
    BOOST_REQUIRE(query->Step());
    return query->ColumnInt(0);
  }
  static void Insert(SqlConnection& connection, std::string_view value) {
    StatementScope insert(connection.Prepare("INSERT INTO t (v) VALUES (?)"));
    insert->BindText(0, value);
    insert->Step();
  }
};

BOOST_AUTO_TEST_SUITE(sqlite_connection)

BOOST_FIXTURE_TEST_CASE(reads_of_one_request_share_a_snapshot, TwoWorkers) {
  SqliteConnection first(config, kSchema);
  SqliteConnection second(config, kSchema);
  first.BeginRequest();
  BOOST_TEST(Count(first) == 0);
  Insert(second, "from the other worker");
  BOOST_TEST(Count(first) == 0);  // still the request's snapshot
  first.EndRequest();
  BOOST_TEST(Count(first) == 1);  // outside a request, every statement reads afresh
}

BOOST_FIXTURE_TEST_CASE(a_write_ends_the_request_snapshot_instead_of_failing, TwoWorkers) {
  SqliteConnection first(config, kSchema);
  SqliteConnection second(config, kSchema);
  first.BeginRequest();
  BOOST_TEST(Count(first) == 0);
  Insert(second, "other");
  // Upgrading the stale snapshot to a writer would fail (SQLITE_BUSY_SNAPSHOT); the lone
  // write runs on its own and later reads see everything.
  Insert(first, "mine");
  BOOST_TEST(Count(first) == 2);
  first.EndRequest();
}

BOOST_FIXTURE_TEST_CASE(a_write_transaction_in_a_request_starts_from_the_latest_data, TwoWorkers) {
  SqliteConnection first(config, kSchema);
  SqliteConnection second(config, kSchema);
  first.BeginRequest();
  BOOST_TEST(Count(first) == 0);
  Insert(second, "other");
  {
    SqlTransaction transaction(first);
    BOOST_TEST(Count(first) == 1);
    Insert(first, "mine");
    transaction.Commit();
  }
  BOOST_TEST(Count(first) == 2);
  first.EndRequest();
  BOOST_TEST(Count(second) == 2);
}

BOOST_FIXTURE_TEST_CASE(idle_upkeep_bounds_the_write_ahead_log, TwoWorkers) {
  config.checkpoint_pages = 4;
  config.wal_restart_pages = 16;
  const std::string page_sized(3000, 'x');
  const auto wal_bytes = [this] {
    return std::filesystem::file_size(config.path + "-wal");
  };
  {
    // Without upkeep the log only grows: commits never checkpoint on their own.
    SqliteConnection writer(config, kSchema);
    for (int i = 0; i < 200; ++i) {
      Insert(writer, page_sized);
    }
    BOOST_TEST(wal_bytes() > 200 * 3000);
  }  // the last connection to close checkpoints and removes the log
  SqliteConnection writer(config, kSchema);
  SqliteConnection reader(config, kSchema);
  for (int i = 0; i < 200; ++i) {
    reader.BeginRequest();  // a reader is active at every commit, as under load
    Count(reader);
    Insert(writer, page_sized);
    reader.EndRequest();
    writer.Idle();
  }
  BOOST_TEST(wal_bytes() < 40 * (4096 + 24));
  BOOST_TEST(Count(writer) == 400);
}

BOOST_FIXTURE_TEST_CASE(idle_upkeep_checkpoints_a_quiet_log_within_a_second, TwoWorkers) {
  config.checkpoint_pages = 100000;  // never due by size here
  const std::string page_sized(3000, 'x');
  SqliteConnection writer(config, kSchema);
  const auto database_bytes = [this] {
    return std::filesystem::file_size(config.path);
  };
  Insert(writer, page_sized);
  writer.Idle();  // too soon after the connection opened
  const auto before = database_bytes();
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  Insert(writer, page_sized);
  writer.Idle();
  // The pages reached the database file: the log was checkpointed (and synced).
  BOOST_TEST(database_bytes() > before);
}

// Another process (here a raw handle) holds SQLite's write lock; two workers want to write.
BOOST_FIXTURE_TEST_CASE(writers_wait_at_most_busy_timeout_in_all_for_the_write_lock, TwoWorkers) {
  using Clock = std::chrono::steady_clock;
  config.busy_timeout_ms = 600;
  SqliteConnection first(config, kSchema);
  SqliteConnection second(config, kSchema);
  sqlite3* outsider = nullptr;
  BOOST_REQUIRE(sqlite3_open(config.path.c_str(), &outsider) == SQLITE_OK);
  BOOST_REQUIRE(sqlite3_exec(outsider, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);
  // The first worker takes the lock file and waits for SQLite's lock in vain...
  bool first_refused = false;
  std::thread waiting([&first, &first_refused] {
    try {
      first.BeginWrite();
    } catch (const BackendError&) {
      first_refused = true;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // ... while the second queues behind it: its wait counts from its own start, not from
  // the moment the first gave up.
  const auto started = Clock::now();
  BOOST_CHECK_THROW(second.BeginWrite(), BackendError);
  const auto waited_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  waiting.join();
  BOOST_TEST(first_refused);
  BOOST_TEST(waited_ms < 900);
  sqlite3_exec(outsider, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(outsider);
  // Released, the lock is there for the taking.
  second.BeginWrite();
  Insert(second, "after");
  second.Commit();
  BOOST_TEST(Count(first) == 1);
}

// Another process holding the writers' lock, as a worker in a write transaction does: flock
// locks belong to the open file, so a second open() in this process competes like one.
class OtherWriter {
 public:
  explicit OtherWriter(const std::string& database_path)
      : fd_(open((database_path + "-writelock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    BOOST_REQUIRE(fd_ >= 0);
    BOOST_REQUIRE(flock(fd_, LOCK_EX) == 0);
  }
  OtherWriter(const OtherWriter&) = delete;
  OtherWriter& operator=(const OtherWriter&) = delete;
  ~OtherWriter() { close(fd_); }
  void Release() { flock(fd_, LOCK_UN); }

 private:
  int fd_;
};

// True when `work` is still running after a while (it waits for something), then lets it end
// by releasing `writer`, and waits for it.
bool WaitsFor(OtherWriter& writer, const std::function<void()>& work) {
  auto running = std::async(std::launch::async, work);
  const bool waited =
      running.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout;
  writer.Release();
  running.get();
  return waited;
}

// While alive, the default VFS is "unix" with its xOpen replaced: a test's way to watch
// or change the files SQLite opens.
class UnixVfsWithOpen {
 public:
  using Open = int (*)(sqlite3_vfs*, sqlite3_filename, sqlite3_file*, int, int*);
  UnixVfsWithOpen(const char* name, Open open) {
    BOOST_REQUIRE(Unix() != nullptr);
    vfs_ = *Unix();
    vfs_.zName = name;
    vfs_.xOpen = open;
    BOOST_REQUIRE(sqlite3_vfs_register(&vfs_, 1) == SQLITE_OK);
  }
  UnixVfsWithOpen(const UnixVfsWithOpen&) = delete;
  UnixVfsWithOpen& operator=(const UnixVfsWithOpen&) = delete;
  ~UnixVfsWithOpen() {
    sqlite3_vfs_unregister(&vfs_);
    sqlite3_vfs_register(Unix(), 1);
  }
  // The real "unix" VFS (found by its name also while the replacement is the default),
  // whose xOpen the replacement calls.
  static sqlite3_vfs* Unix() { return sqlite3_vfs_find("unix"); }

 private:
  sqlite3_vfs vfs_{};
};

// While alive, the default VFS is "unix" with every file's sync counted, and counted apart
// when the writers' lock of lock_path is held at that moment (a worker checkpointing). Each
// sync is also noted in Events(), in order: 'w' for the log, 'd' for the database file,
// in capitals under the lock. OnSync() runs a function before the next sync outside the
// lock (another worker at work meanwhile).
class SyncWatch {
 public:
  explicit SyncWatch(std::string path) {
    lock_path = std::move(path);
    Reset();
  }
  SyncWatch(const SyncWatch&) = delete;
  SyncWatch& operator=(const SyncWatch&) = delete;
  ~SyncWatch() { on_sync = nullptr; }
  static void Reset() {
    syncs = syncs_under_lock = 0;
    events.clear();
  }
  static int Syncs() { return syncs; }
  static int SyncsUnderLock() { return syncs_under_lock; }
  static const std::string& Events() { return events; }
  static void OnSync(std::function<void()> work) { on_sync = std::move(work); }

 private:
  // The lock is held when another open file cannot take it (flock locks belong to the file).
  static bool LockHeld() {
    const int fd = open(lock_path.c_str(), O_RDWR | O_CLOEXEC);
    const bool held = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0;
    if (fd >= 0) {
      close(fd);  // releases it if this took it
    }
    return held;
  }
  // SQLite's unix files come with several method tables (the database file's locks, none
  // for the log): each gets a copy whose xSync counts, then calls the original.
  static constexpr int kTables = 4;
  static int Sync(sqlite3_file* file, int flags) {
    const bool held = LockHeld();
    if (!held && on_sync) {
      const std::function<void()> work = std::move(on_sync);
      on_sync = nullptr;
      work();
    }
    ++syncs;
    syncs_under_lock += held ? 1 : 0;
    const char kind = kinds.count(file) > 0 ? kinds[file] : '?';
    events += held ? static_cast<char>(std::toupper(kind)) : kind;
    for (int i = 0; i < kTables; ++i) {
      if (file->pMethods == &copies[i]) {
        return originals[i]->xSync(file, flags);
      }
    }
    return SQLITE_IOERR_FSYNC;
  }
  static int Open(sqlite3_vfs* /*vfs*/, sqlite3_filename name, sqlite3_file* file, int flags,
                  int* out_flags) {
    sqlite3_vfs* unix_vfs = UnixVfsWithOpen::Unix();
    const int rc = unix_vfs->xOpen(unix_vfs, name, file, flags, out_flags);
    kinds[file] = (flags & SQLITE_OPEN_WAL) != 0       ? 'w'
                  : (flags & SQLITE_OPEN_MAIN_DB) != 0 ? 'd'
                                                       : '?';
    for (int i = 0; rc == SQLITE_OK && file->pMethods != nullptr && i < kTables; ++i) {
      if (originals[i] == nullptr) {
        originals[i] = file->pMethods;
        copies[i] = *file->pMethods;
        copies[i].xSync = &Sync;
      }
      if (originals[i] == file->pMethods) {
        file->pMethods = &copies[i];
        break;
      }
    }
    return rc;
  }

  const UnixVfsWithOpen vfs_{"sync-watch", &Open};
  static inline std::string lock_path;
  static inline const sqlite3_io_methods* originals[kTables] = {};
  static inline sqlite3_io_methods copies[kTables] = {};
  static inline std::map<const sqlite3_file*, char> kinds;
  static inline int syncs = 0;
  static inline int syncs_under_lock = 0;
  static inline std::string events;
  static inline std::function<void()> on_sync;
};

// The log's checkpoint sequence number (its header's bytes 12-15): it grows by one each
// time the log is restarted and written from its start again.
uint32_t LogRestarts(const std::string& database_path) {
  std::ifstream wal(database_path + "-wal", std::ios::binary);
  unsigned char header[16] = {};
  wal.read(reinterpret_cast<char*>(header), sizeof header);
  BOOST_REQUIRE(wal.gcount() == sizeof header);
  return (uint32_t{header[12]} << 24) | (uint32_t{header[13]} << 16) | (uint32_t{header[14]} << 8) |
         uint32_t{header[15]};
}

// A sync under the writers' lock holds up every writer for as long as the disk takes (up to
// 200 ms seen under load): the checkpoint that runs a second after a commit syncs the log
// before taking the lock and the database file after releasing it.
BOOST_FIXTURE_TEST_CASE(checkpoints_sync_outside_the_writers_lock, TwoWorkers) {
  config.checkpoint_pages = 1;  // due after any commit
  const SyncWatch watch(config.path + "-writelock");
  SqliteConnection worker(config, kSchema);
  SqliteConnection reader(config, kSchema);
  Insert(worker, std::string(3000, 'x'));
  const auto before = std::filesystem::file_size(config.path);
  SyncWatch::Reset();
  worker.Idle();
  // It checkpointed: the pages reached the database file ...
  BOOST_TEST(std::filesystem::file_size(config.path) > before);
  // ... with the log synced before and the database file after, both outside the lock.
  BOOST_TEST(SyncWatch::Syncs() >= 2);
  BOOST_TEST(SyncWatch::SyncsUnderLock() == 0);
  BOOST_TEST(Count(reader) == 1);
}

// Copying a second's commits took 75-160 ms on a loaded machine, and under the writers' lock
// every writer waited that long: the checkpoint copies while another worker holds the lock
// (here from the log's sync on, before the copy), its read snapshot keeping the log from
// being restarted meanwhile.
BOOST_FIXTURE_TEST_CASE(checkpoints_copy_while_another_worker_holds_the_writers_lock, TwoWorkers) {
  config.checkpoint_pages = 1;  // due after any commit
  const SyncWatch watch(config.path + "-writelock");
  SqliteConnection worker(config, kSchema);
  SqliteConnection reader(config, kSchema);
  Insert(worker, std::string(3000, 'x'));
  const auto before = std::filesystem::file_size(config.path);
  std::optional<OtherWriter> other;
  SyncWatch::Reset();
  SyncWatch::OnSync([&other, this] { other.emplace(config.path); });
  worker.Idle();
  SyncWatch::OnSync(nullptr);
  BOOST_REQUIRE(other.has_value());  // taken at the log's sync, held from then on
  BOOST_TEST(std::filesystem::file_size(config.path) > before);
  BOOST_TEST(SyncWatch::SyncsUnderLock() == 1);  // the database file's, after the copy
  other.reset();
  BOOST_TEST(Count(reader) == 1);
}

// A restart of the log needs all of it copied. The copying, with its syncs, runs as in the
// checkpoint above, outside the lock; under it, a restart copies only what was committed
// since: here nothing, so nothing is synced under the lock (before, the whole log was
// copied there, with a sync of each file and one more of the database file).
BOOST_FIXTURE_TEST_CASE(restarts_of_the_log_sync_outside_the_writers_lock, TwoWorkers) {
  config.checkpoint_pages = 1;  // due after any commit
  config.wal_restart_pages = 8;
  const SyncWatch watch(config.path + "-writelock");
  SqliteConnection worker(config, kSchema);
  SqliteConnection reader(config, kSchema);
  for (int i = 0; i < 12; ++i) {
    Insert(worker, std::string(3000, 'x'));
  }
  const uint32_t restarts = LogRestarts(config.path);
  SyncWatch::Reset();
  worker.Idle();
  BOOST_TEST(SyncWatch::Events() == "wd");  // the log, then the database file, unlocked
  BOOST_TEST(SyncWatch::SyncsUnderLock() == 0);
  Insert(worker, "after");  // the next commit writes the log from its start
  BOOST_TEST(LogRestarts(config.path) == restarts + 1);
  BOOST_TEST(Count(reader) == 13);
}

// Frames committed after the copy outside the lock (another worker's, while this one synced)
// are not known to be on disk: under the lock, the restart syncs the log before copying them
// and the database file before the log is restarted over them.
BOOST_FIXTURE_TEST_CASE(restarts_sync_what_was_committed_since_before_copying_it, TwoWorkers) {
  config.checkpoint_pages = 1;
  config.wal_restart_pages = 8;
  const SyncWatch watch(config.path + "-writelock");
  SqliteConnection worker(config, kSchema);
  SqliteConnection other(config, kSchema);
  for (int i = 0; i < 12; ++i) {
    Insert(worker, std::string(3000, 'x'));
  }
  const uint32_t restarts = LogRestarts(config.path);
  SyncWatch::Reset();
  SyncWatch::OnSync([&other] { Insert(other, std::string(3000, 'y')); });
  worker.Idle();
  SyncWatch::OnSync(nullptr);  // not left for a later sync, if none ran outside the lock
  const std::string events = SyncWatch::Events();
  BOOST_TEST_INFO("syncs: " << events);
  const size_t locked = events.find_first_of("WD");
  BOOST_REQUIRE(locked != std::string::npos);
  BOOST_TEST(events.substr(0, locked) == "wd");
  BOOST_TEST(events.substr(locked, 2) == "WD");  // the log before the copy, then the file
  BOOST_TEST(events.find_first_of("wd", locked) == std::string::npos);
  Insert(worker, "after");
  BOOST_TEST(LogRestarts(config.path) == restarts + 1);
  BOOST_TEST(Count(other) == 14);
}

// SQLite up to 3.51.2 loses committed frames when a checkpoint overlaps a commit that
// restarts the log (the "WAL-reset bug"); checkpoints therefore run under the writers' lock.
// A worker that finds it taken does not queue for it (queued checkpointers made convoys):
// it copies nothing and checkpoints at a later Idle().
BOOST_FIXTURE_TEST_CASE(checkpoints_leave_a_taken_writers_lock_for_later, TwoWorkers) {
  config.checkpoint_pages = 1;  // due after any commit
  SqliteConnection worker(config, kSchema);
  Insert(worker, std::string(3000, 'x'));
  const auto before = std::filesystem::file_size(config.path);
  {
    OtherWriter other(config.path);
    BOOST_TEST(!WaitsFor(other, [&worker] { worker.Idle(); }));
    BOOST_TEST(std::filesystem::file_size(config.path) == before);
  }
  worker.Idle();
  // The lock was free: the pages reached the database file.
  BOOST_TEST(std::filesystem::file_size(config.path) > before);
}

// A lone write commits by itself, so it may restart the log like a transaction's commit:
// it queues on the same lock, inside a request and outside one.
BOOST_FIXTURE_TEST_CASE(lone_writes_take_the_writers_lock, TwoWorkers) {
  SqliteConnection worker(config, kSchema);
  {
    OtherWriter other(config.path);
    worker.BeginRequest();
    BOOST_TEST(Count(worker) == 0);
    BOOST_TEST(WaitsFor(other, [&worker] { Insert(worker, "in a request"); }));
    worker.EndRequest();
  }
  {
    OtherWriter other(config.path);
    BOOST_TEST(WaitsFor(other, [&worker] { Insert(worker, "between requests"); }));
  }
  BOOST_TEST(Count(worker) == 2);
  // Reads never wait for writers.
  OtherWriter other(config.path);
  BOOST_TEST(!WaitsFor(other, [&worker] { Count(worker); }));
}

// While alive, the default VFS is "unix" with the files SQLite opens for statement journals
// counted.
class StatementJournalWatch {
 public:
  StatementJournalWatch() { opened = 0; }
  static int Opened() { return opened; }

 private:
  static int Open(sqlite3_vfs* /*vfs*/, sqlite3_filename name, sqlite3_file* file, int flags,
                  int* out_flags) {
    opened += (flags & SQLITE_OPEN_SUBJOURNAL) != 0 ? 1 : 0;
    sqlite3_vfs* unix_vfs = UnixVfsWithOpen::Unix();
    return unix_vfs->xOpen(unix_vfs, name, file, flags, out_flags);
  }
  const UnixVfsWithOpen vfs_{"statement-journal-watch", &Open};
  static inline int opened = 0;
};

// A statement that changes several rows inside a transaction keeps the pages it changes in
// a statement journal. SQLite moves that journal to a temporary file past 64 KiB, which a
// POST of ten records passes: creating, writing and unlinking the file took about a tenth
// of a worker's CPU in the benchmark's mix. It stays in memory.
BOOST_FIXTURE_TEST_CASE(statement_journals_stay_in_memory, TwoWorkers) {
  const StatementJournalWatch watch;
  SqliteConnection worker(config, kSchema);
  worker.BeginWrite();
  for (int row = 0; row < 200; ++row) {
    Insert(worker, std::string(1000, 'a'));  // about 50 pages
  }
  worker.Commit();
  worker.BeginWrite();
  Insert(worker, "the transaction's first statement");
  StatementScope update(worker.Prepare("UPDATE t SET v = upper(v)"));  // every page again
  update->Step();
  worker.Commit();
  BOOST_TEST(Count(worker) == 201);
  BOOST_TEST(StatementJournalWatch::Opened() == 0);
}

// While alive, the default VFS is "unix" with the writes to write-ahead log files counted.
class LogWriteWatch {
 public:
  LogWriteWatch() { writes = 0; }
  static int Writes() { return writes; }

 private:
  static int Write(sqlite3_file* file, const void* data, int bytes, sqlite3_int64 offset) {
    ++writes;
    return original->xWrite(file, data, bytes, offset);
  }
  static int Open(sqlite3_vfs* /*vfs*/, sqlite3_filename name, sqlite3_file* file, int flags,
                  int* out_flags) {
    sqlite3_vfs* unix_vfs = UnixVfsWithOpen::Unix();
    const int rc = unix_vfs->xOpen(unix_vfs, name, file, flags, out_flags);
    if (rc == SQLITE_OK && (flags & SQLITE_OPEN_WAL) != 0 && file->pMethods != nullptr) {
      if (original == nullptr) {
        original = file->pMethods;
        counting = *file->pMethods;
        counting.xWrite = &Write;
      }
      if (file->pMethods == original) {
        file->pMethods = &counting;
      }
    }
    return rc;
  }
  const UnixVfsWithOpen vfs_{"log-write-watch", &Open};
  static inline const sqlite3_io_methods* original = nullptr;
  static inline sqlite3_io_methods counting = {};
  static inline int writes = 0;
};

// SQLite writes each log frame as two writes (header, then page): a POST of ten records
// made 30-50 pwrite calls at its commit. A commit's frames now reach the log in one write,
// and another connection reads them as soon as the commit returns.
BOOST_FIXTURE_TEST_CASE(a_commit_writes_its_log_frames_at_once, TwoWorkers) {
  const LogWriteWatch watch;
  SqliteConnection worker(config, kSchema);
  SqliteConnection other(config, kSchema);
  BOOST_TEST(Count(other) == 0);
  int64_t rows = 0;
  for (int round = 0; round < 3; ++round) {
    const int before = LogWriteWatch::Writes();
    worker.BeginWrite();
    for (int row = 0; row < 20; ++row) {  // about 6 pages, 25 KiB of frames
      Insert(worker, std::string(1000, static_cast<char>('a' + round)));
    }
    worker.Commit();
    rows += 20;
    BOOST_TEST(LogWriteWatch::Writes() - before == 1);
    BOOST_TEST(Count(other) == rows);
  }
  // A large commit, one write per 128 KiB: about 60 pages, 250 KiB.
  int before = LogWriteWatch::Writes();
  worker.BeginWrite();
  for (int row = 0; row < 240; ++row) {
    Insert(worker, std::string(1000, 'z'));
  }
  worker.Commit();
  rows += 240;
  BOOST_TEST(LogWriteWatch::Writes() - before == 2);
  BOOST_TEST(Count(other) == rows);
  // A lone statement (autocommit) too.
  before = LogWriteWatch::Writes();
  Insert(worker, "lone");
  BOOST_TEST(LogWriteWatch::Writes() - before == 1);
  BOOST_TEST(Count(other) == rows + 1);
}

// A column added to a table after its release reaches databases made before it, once, and
// keeps the rows they hold.
BOOST_AUTO_TEST_CASE(added_column_reaches_an_older_database) {
  testing::TempDir dir;
  SqliteConfig config;
  config.path = dir.File("old.db");
  {
    SqliteConnection old(config, kSchema);
    StatementScope insert(old.Prepare("INSERT INTO t (v) VALUES ('kept')"));
    insert->Step();
  }
  const std::string newer =
      "CREATE TABLE IF NOT EXISTS t (v TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 0);\n"
      "-- add-column: t n INTEGER NOT NULL DEFAULT 0\n";
  for (int start = 0; start < 2; ++start) {  // the second start finds the column there
    SqliteConnection connection(config, newer);
    StatementScope query(connection.Prepare("SELECT v, n FROM t"));
    BOOST_REQUIRE(query->Step());
    BOOST_TEST(query->ColumnText(0) == "kept");
    BOOST_TEST(query->ColumnInt(1) == 0);
  }
  // A database made with the newer schema gets the column from CREATE TABLE.
  config.path = dir.File("new.db");
  SqliteConnection fresh(config, newer);
  StatementScope query(fresh.Prepare("SELECT count(*) FROM t WHERE n = 0"));
  BOOST_TEST(query->Step());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace weave
