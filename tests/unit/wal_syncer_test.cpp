// WalSyncer's lifecycle: stopping never waits out the interval.
#include "db/wal_syncer.h"

#include <chrono>
#include <fstream>

#include <boost/test/unit_test.hpp>

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

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace weave
