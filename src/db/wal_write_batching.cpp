// Write-ahead log files that write a commit's frames at once (see the header).
#include "db/wal_write_batching.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstddef>
#include <new>
#include <string>

namespace weave {
namespace {

// A frame header is 24 bytes; bytes 4-7 hold the database's size in pages after a commit,
// and are zero in every frame but a commit's last.
constexpr int kFrameHeaderBytes = 24;
// The unix VFS writes at most this much per call (it keeps 17 bits of the length: a longer
// write came back as a full disk).
constexpr size_t kMaxWriteBytes = 0x1ffff;
// What a log keeps allocated between commits (a larger one's buffer is let go).
constexpr size_t kKeptCapacity = size_t{256} * 1024;

sqlite3_vfs* DefaultVfs() {
  return sqlite3_vfs_find(nullptr);
}

// The file SQLite holds for a log: this, then (at kRealOffset) the default VFS's file.
struct GatheringLog {
  sqlite3_file base{};  // first: SQLite sees a sqlite3_file
  sqlite3_file* real = nullptr;
  std::string gathered;
  sqlite3_int64 gathered_at = 0;  // the log offset of gathered's first byte
  bool commit_page_next = false;  // the last write was a commit's frame header
};

constexpr size_t kRealOffset = (sizeof(GatheringLog) + alignof(std::max_align_t) - 1) /
                               alignof(std::max_align_t) * alignof(std::max_align_t);

GatheringLog* Log(sqlite3_file* file) {
  return reinterpret_cast<GatheringLog*>(file);
}

int Flush(GatheringLog* log) {
  int rc = SQLITE_OK;
  for (size_t done = 0; done < log->gathered.size() && rc == SQLITE_OK;) {
    const size_t piece = std::min(log->gathered.size() - done, kMaxWriteBytes);
    rc =
        log->real->pMethods->xWrite(log->real, log->gathered.data() + done, static_cast<int>(piece),
                                    log->gathered_at + static_cast<sqlite3_int64>(done));
    done += piece;
  }
  log->gathered.clear();
  if (log->gathered.capacity() > kKeptCapacity) {
    std::string().swap(log->gathered);
  }
  log->commit_page_next = false;
  return rc;
}

bool IsCommitFrameHeader(const void* data, int bytes) {
  if (bytes != kFrameHeaderBytes) {
    return false;
  }
  const auto* header = static_cast<const unsigned char*>(data);
  return (header[4] | header[5] | header[6] | header[7]) != 0;
}

int LogClose(sqlite3_file* file) {
  GatheringLog* log = Log(file);
  const int flushed = Flush(log);
  const int closed = log->real->pMethods->xClose(log->real);
  log->~GatheringLog();
  return flushed != SQLITE_OK ? flushed : closed;
}

int LogRead(sqlite3_file* file, void* out, int bytes, sqlite3_int64 offset) {
  GatheringLog* log = Log(file);
  if (const int rc = Flush(log); rc != SQLITE_OK) {
    return rc;
  }
  return log->real->pMethods->xRead(log->real, out, bytes, offset);
}

int LogWrite(sqlite3_file* file, const void* data, int bytes, sqlite3_int64 offset) {
  GatheringLog* log = Log(file);
  const auto gathered = static_cast<sqlite3_int64>(log->gathered.size());
  if (gathered > 0 && offset != log->gathered_at + gathered) {
    if (const int rc = Flush(log); rc != SQLITE_OK) {
      return rc;
    }
  }
  if (log->gathered.empty()) {
    log->gathered_at = offset;
  }
  log->gathered.append(static_cast<const char*>(data), static_cast<size_t>(bytes));
  const bool completes_commit = log->commit_page_next;
  log->commit_page_next = IsCommitFrameHeader(data, bytes);
  if (completes_commit || static_cast<long>(log->gathered.size()) >= kMaxGatheredBytes) {
    return Flush(log);
  }
  return SQLITE_OK;
}

int LogTruncate(sqlite3_file* file, sqlite3_int64 size) {
  GatheringLog* log = Log(file);
  if (const int rc = Flush(log); rc != SQLITE_OK) {
    return rc;
  }
  return log->real->pMethods->xTruncate(log->real, size);
}

int LogSync(sqlite3_file* file, int flags) {
  GatheringLog* log = Log(file);
  if (const int rc = Flush(log); rc != SQLITE_OK) {
    return rc;
  }
  return log->real->pMethods->xSync(log->real, flags);
}

int LogFileSize(sqlite3_file* file, sqlite3_int64* size) {
  GatheringLog* log = Log(file);
  if (const int rc = Flush(log); rc != SQLITE_OK) {
    return rc;
  }
  return log->real->pMethods->xFileSize(log->real, size);
}

int LogLock(sqlite3_file* file, int level) {
  sqlite3_file* real = Log(file)->real;
  return real->pMethods->xLock(real, level);
}

int LogUnlock(sqlite3_file* file, int level) {
  sqlite3_file* real = Log(file)->real;
  return real->pMethods->xUnlock(real, level);
}

int LogCheckReservedLock(sqlite3_file* file, int* reserved) {
  sqlite3_file* real = Log(file)->real;
  return real->pMethods->xCheckReservedLock(real, reserved);
}

// Some controls touch the file (size hints extend it): what is gathered goes first.
int LogFileControl(sqlite3_file* file, int op, void* argument) {
  GatheringLog* log = Log(file);
  if (const int rc = Flush(log); rc != SQLITE_OK) {
    return rc;
  }
  return log->real->pMethods->xFileControl(log->real, op, argument);
}

int LogSectorSize(sqlite3_file* file) {
  sqlite3_file* real = Log(file)->real;
  return real->pMethods->xSectorSize(real);
}

int LogDeviceCharacteristics(sqlite3_file* file) {
  sqlite3_file* real = Log(file)->real;
  return real->pMethods->xDeviceCharacteristics(real);
}

// Version 1: SQLite maps shared memory and pages through the database file, not the log.
const sqlite3_io_methods kLogMethods = {
    1,
    LogClose,
    LogRead,
    LogWrite,
    LogTruncate,
    LogSync,
    LogFileSize,
    LogLock,
    LogUnlock,
    LogCheckReservedLock,
    LogFileControl,
    LogSectorSize,
    LogDeviceCharacteristics,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

int Open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  sqlite3_vfs* underlying = DefaultVfs();
  if ((flags & SQLITE_OPEN_WAL) == 0) {
    return underlying->xOpen(underlying, name, file, flags, out_flags);
  }
  if (static_cast<size_t>(underlying->szOsFile) + kRealOffset >
      static_cast<size_t>(vfs->szOsFile)) {
    return SQLITE_CANTOPEN;  // a default VFS registered later, with larger files
  }
  auto* log = new (file) GatheringLog();
  log->base.pMethods = nullptr;
  log->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kRealOffset);
  log->real->pMethods = nullptr;
  const int rc = underlying->xOpen(underlying, name, log->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    if (log->real->pMethods != nullptr) {
      log->real->pMethods->xClose(log->real);
    }
    log->~GatheringLog();
    file->pMethods = nullptr;
    return rc;
  }
  log->base.pMethods = &kLogMethods;
  return SQLITE_OK;
}

constexpr const char* kVfsName = "weave-gathering-log";

// The default VFS's own methods for everything but opening a file (as the unit tests' VFS
// watches do): they take no state from the VFS beyond what the copy keeps.
sqlite3_vfs* MakeVfs() {
  static sqlite3_vfs vfs = *DefaultVfs();
  // Room for the default VFS's files, and for its "unix" sibling's should the default
  // change to that later (the tests wrap "unix").
  int real_bytes = vfs.szOsFile;
  if (const sqlite3_vfs* unix_vfs = sqlite3_vfs_find("unix")) {
    real_bytes = std::max(real_bytes, unix_vfs->szOsFile);
  }
  vfs.szOsFile = static_cast<int>(kRealOffset) + real_bytes;
  vfs.zName = kVfsName;
  vfs.pNext = nullptr;
  vfs.xOpen = Open;
  sqlite3_vfs_register(&vfs, 0);
  return &vfs;
}

}  // namespace

const char* BatchingVfsName() {
  static const sqlite3_vfs* registered = MakeVfs();
  return registered->zName;
}

}  // namespace weave
