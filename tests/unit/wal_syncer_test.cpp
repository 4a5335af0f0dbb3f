// WalSyncer's lifecycle: stopping never waits out the interval; its thread holds no socket.
#include "db/wal_syncer.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <sys/socket.h>
#include <sys/stat.h>

#include "test_support.h"

namespace weave {
namespace {

BOOST_AUTO_TEST_SUITE(wal_syncer)

BOOST_AUTO_TEST_CASE(stopping_syncs_what_is_pending_at_once) {
  testing::TempDir dir;
  const std::string wal = dir.File("test.db-wal");
  std::ofstream(wal) << "frames";
  const auto started = std::chrono::steady_clock::now();
  {
    WalSyncer syncer(wal, std::chrono::minutes(1));
    syncer.NoteCommit();
    syncer.NoteCommit();  // shares the pending sync
  }
  // A worker that exits (recycled, reloaded, stopped) syncs its last commits and goes.
  const auto waited_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - started)
                             .count();
  BOOST_TEST(waited_ms < 5000);
}

// The descriptors the thread named "wal-sync" sees, as link targets; empty if none runs.
std::vector<std::string> SyncThreadDescriptors() {
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (!std::getline(comm, name) || name != "wal-sync") {
      continue;
    }
    std::vector<std::string> targets;
    std::error_code ignored;
    for (const auto& fd : std::filesystem::directory_iterator(task.path() / "fd", ignored)) {
      targets.push_back(std::filesystem::read_symlink(fd.path(), ignored).string());
    }
    return targets;
  }
  return {};
}

// A worker killed while this thread waits in fdatasync keeps the descriptors of every thread
// until the last one exits: the thread must not share the one with the FastCGI connection.
BOOST_AUTO_TEST_CASE(sync_thread_holds_no_socket_of_the_process) {
  testing::TempDir dir;
  const std::string wal = dir.File("test.db-wal");
  std::ofstream(wal) << "frames";
  int pair[2];
  BOOST_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
  struct stat info {};
  BOOST_REQUIRE(fstat(pair[0], &info) == 0);
  const std::string connection = "socket:[" + std::to_string(info.st_ino) + "]";
  {
    WalSyncer syncer(wal, std::chrono::minutes(1));
    syncer.NoteCommit();
    std::vector<std::string> seen;
    bool separate = false;
    for (int turn = 0; turn < 250 && !separate; ++turn) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      seen = SyncThreadDescriptors();
      separate = !seen.empty() && std::find(seen.begin(), seen.end(), connection) == seen.end();
    }
    BOOST_TEST(separate, "the sync thread still holds " << connection);
    // The process's own table is untouched.
    BOOST_TEST(fstat(pair[0], &info) == 0);
    BOOST_TEST(S_ISSOCK(info.st_mode));
  }
  close(pair[0]);
  close(pair[1]);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace weave
