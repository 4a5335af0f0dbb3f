// Puts commits that SQLite leaves unsynced (synchronous=NORMAL in WAL mode) on stable
// storage within a bound, from a thread of their own.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace weave {

// With synchronous=NORMAL a commit only appends to the -wal file; SQLite syncs it at the
// next checkpoint, which may never come once requests stop. A WalSyncer, told of each
// commit, fdatasyncs the -wal file at most interval/2 after the oldest commit not yet synced
// (several commits share one sync), whatever the worker is doing meanwhile: waiting
// for requests or busy with a long request. The other half of the interval is the disk's. It
// works on a descriptor of its own: SQLite holds no locks on the -wal file, so opening and
// closing one cannot drop SQLite's locks. Syncs that fail or overrun the interval are
// logged. The thread starts at the first commit (a connection that only reads has none) and
// runs with every signal blocked, so signals keep reaching the worker's main thread. It has
// a descriptor table of its own without the process's sockets, so that a worker killed
// while this thread waits in fdatasync does not keep its FastCGI connection open.
class WalSyncer {
 public:
  WalSyncer(std::string wal_path, std::chrono::milliseconds interval);
  // Syncs what is still pending, then stops the thread.
  ~WalSyncer();
  WalSyncer(const WalSyncer&) = delete;
  WalSyncer& operator=(const WalSyncer&) = delete;

  // A commit has been appended to the log. Cheap: a lock and, for the first commit since
  // the last sync, a wake-up.
  void NoteCommit();

 private:
  using TimePoint = std::chrono::steady_clock::time_point;
  void Run();
  // Syncs the log file; oldest is the commit the sync must cover.
  void Sync(TimePoint oldest);
  // Opens the -wal file, or opens it again when SQLite has replaced it; false on failure.
  bool OpenLog();

  const std::string wal_path_;
  const std::chrono::milliseconds interval_;
  int fd_ = -1;  // in the thread's own descriptor table: used and closed by it only
  std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<TimePoint> oldest_unsynced_;  // guarded by mutex_
  bool stopping_ = false;                     // guarded by mutex_
  std::thread thread_;                        // guarded by mutex_ until started
};

}  // namespace weave
