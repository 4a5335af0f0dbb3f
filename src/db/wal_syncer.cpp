// The -wal sync thread of a SQLite connection with synchronous=NORMAL.
#include "db/wal_syncer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

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
  if (fd_ >= 0) {
    close(fd_);
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
    // signals (SIGTERM, SIGHUP) must interrupt the main thread's accept(), not land here.
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
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || oldest_unsynced_.has_value(); });
    if (!oldest_unsynced_) {
      return;  // stopping, nothing pending
    }
    // Commits until then share this sync; stopping syncs at once.
    wake_.wait_until(lock, *oldest_unsynced_ + interval_ / 2, [this] { return stopping_; });
    const TimePoint oldest = *oldest_unsynced_;
    oldest_unsynced_.reset();
    lock.unlock();
    Sync(oldest);
    lock.lock();
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
