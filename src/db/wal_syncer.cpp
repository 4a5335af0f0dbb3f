// The -wal sync thread of a SQLite connection with synchronous=NORMAL.
#include "db/wal_syncer.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <sys/stat.h>

#include "core/log.h"

namespace weave {
namespace {

std::string FolderOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return slash == 0 ? "/" : path.substr(0, slash);
}

// A new file is only durable once the folder that names it is synced too.
void SyncFolder(const std::string& path) {
  const int fd = open(FolderOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

// Gives the calling thread a descriptor table of its own, a copy, and closes the sockets in
// it (from 3 up: standard error may be a socket to the journal, and the log writes there).
// A worker killed with SIGKILL keeps its descriptors until its last thread has exited, and
// this thread may be stuck for a long time in fdatasync, where no signal reaches it: with a
// shared table, the connection the worker had just accepted stayed open meanwhile, and
// nginx waited for an answer that could not come instead of answering 502 at once. With a
// table of its own, this thread holds no connection (and no listening socket); the main
// thread's table, and every connection in it, closes as soon as the main thread dies. Its
// copies of the database's descriptors keep no lock alive that a close would release:
// SQLite's POSIX locks belong to the main thread's table, and the writers' flock is only
// ever held while the main thread runs. Returns false if the table could not be separated
// (the thread then shares it, as before).
bool UseOwnDescriptorTable() {
  if (unshare(CLONE_FILES) != 0) {
    return false;
  }
  std::vector<int> sockets;
  if (DIR* listing = opendir("/proc/thread-self/fd")) {
    while (const dirent* entry = readdir(listing)) {
      const int fd = std::atoi(entry->d_name);
      struct stat info {};
      if (fd > STDERR_FILENO && fd != dirfd(listing) && fstat(fd, &info) == 0 &&
          S_ISSOCK(info.st_mode)) {
        sockets.push_back(fd);
      }
    }
    closedir(listing);
  }
  for (const int fd : sockets) {
    close(fd);
  }
  return true;
}

}  // namespace

WalSyncer::WalSyncer(std::string wal_path, std::chrono::milliseconds interval)
    : wal_path_(std::move(wal_path)), interval_(interval) {}

WalSyncer::~WalSyncer() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void WalSyncer::NoteCommit() {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (oldest_unsynced_) {
    return;  // the sync already due covers this commit too
  }
  oldest_unsynced_ = std::chrono::steady_clock::now();
  if (!thread_.joinable()) {
    // Created with every signal blocked (a thread inherits the mask): process-directed
    // signals (SIGTERM, SIGHUP) must end the main thread's wait for requests, not land here.
    sigset_t all;
    sigset_t previous;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &previous);
    thread_ = std::thread(&WalSyncer::Run, this);
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  }
  wake_.notify_one();
}

void WalSyncer::Run() {
  pthread_setname_np(pthread_self(), "wal-sync");  // for top -H, ps -L and the tests
  if (!UseOwnDescriptorTable()) {
    Log(LogLevel::kWarning) << "WAL sync thread: cannot have a descriptor table of its own ("
                            << std::strerror(errno)
                            << "); a worker killed during a sync may hold a connection open";
  }
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || oldest_unsynced_.has_value(); });
    if (!oldest_unsynced_) {
      break;  // stopping, nothing pending
    }
    // Commits until then share this sync; stopping syncs at once.
    wake_.wait_until(lock, *oldest_unsynced_ + interval_ / 2, [this] { return stopping_; });
    const TimePoint oldest = *oldest_unsynced_;
    oldest_unsynced_.reset();
    lock.unlock();
    Sync(oldest);
    lock.lock();
  }
  if (fd_ >= 0) {
    close(fd_);  // in this thread's table: the number may mean another file in the main one
    fd_ = -1;
  }
}

bool WalSyncer::OpenLog() {
  struct stat named {};
  if (stat(wal_path_.c_str(), &named) != 0) {
    return false;
  }
  if (fd_ >= 0) {
    struct stat open_file {};
    if (fstat(fd_, &open_file) == 0 && open_file.st_ino == named.st_ino &&
        open_file.st_dev == named.st_dev) {
      return true;
    }
    close(fd_);  // the log was deleted and made again (all connections had closed)
  }
  // Read-only is enough for fdatasync, and works where the file may not be written.
  fd_ = open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    return false;
  }
  SyncFolder(wal_path_);
  return true;
}

void WalSyncer::Sync(TimePoint oldest) {
  const auto started = std::chrono::steady_clock::now();
  if (!OpenLog()) {
    Log(LogLevel::kError) << "WAL sync: cannot open " << wal_path_ << ": " << std::strerror(errno)
                          << "; recent commits are not known to be on stable storage";
    return;
  }
  if (fdatasync(fd_) != 0) {
    Log(LogLevel::kError) << "WAL sync: fdatasync " << wal_path_ << ": " << std::strerror(errno)
                          << "; recent commits are not known to be on stable storage";
    return;
  }
  const auto done = std::chrono::steady_clock::now();
  if (done - oldest > interval_) {
    const auto ms = [](auto duration) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(duration).count();
    };
    Log(LogLevel::kWarning) << "WAL sync took " << ms(done - started) << " ms: a commit waited "
                            << ms(done - oldest) << " ms for stable storage (sync_interval_ms "
                            << interval_.count() << ")";
  }
}

}  // namespace weave
