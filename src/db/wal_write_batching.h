// A SQLite VFS whose write-ahead log files write a commit's frames with one system call.
#pragma once

namespace weave {

// The name of a VFS (registered on the first call, never as the default) over the
// process's default VFS at the time each file is opened. Every file but a write-ahead log
// is the default VFS's own. A log file gathers consecutive writes in memory and writes
// them with one pwrite (one per 128 KiB) when SQLite has written a commit's last frame (the frame
// header that carries the database size, then its page), before it publishes the commit in the
// shared index: other connections read only published frames, so they never miss a
// gathered one. It also writes what it holds before any read, sync, truncation, size
// query or close of the log, before a write that does not follow on, and past
// kMaxGatheredBytes. A failed write is reported by the write that triggered it (SQLite
// then rolls the commit back) and what was gathered is dropped with it.
//
// Why: SQLite writes each frame as two writes (its 24-byte header, then the page), and a
// POST of ten records changes 15-25 pages: 30-50 pwrite calls per commit, about a tenth
// of the workers' CPU in the benchmark's mix.
const char* BatchingVfsName();

constexpr long kMaxGatheredBytes = 4L << 20;

}  // namespace weave
