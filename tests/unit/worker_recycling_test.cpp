// Worker recycling: each worker's jittered request limit, and the retirement turn that the
// master shares with its workers (one retires at a time).
#include <unistd.h>

#include <cstdint>
#include <set>

#include <boost/test/unit_test.hpp>
#include <sys/wait.h>

#include "fcgi/fcgi_worker.h"
#include "fcgi/retire_gate.h"

namespace weave {
namespace {

BOOST_AUTO_TEST_SUITE(worker_recycling)

BOOST_AUTO_TEST_CASE(limits_are_spread_within_a_quarter_of_the_setting) {
  std::set<int64_t> drawn;
  for (int i = 0; i < 200; ++i) {
    const int64_t limit = JitteredLimit(1000);
    BOOST_TEST(limit >= 750);
    BOOST_TEST(limit <= 1250);
    drawn.insert(limit);
  }
  // Workers started together get different limits, so they do not retire together.
  BOOST_TEST(drawn.size() > 50U);
  BOOST_TEST(JitteredLimit(0) == 0);  // never recycle
  BOOST_TEST(JitteredLimit(1) == 1);
  BOOST_TEST(JitteredLimit(INT64_MAX) >= INT64_MAX - INT64_MAX / 4);
}

BOOST_AUTO_TEST_CASE(one_worker_at_a_time_holds_the_turn) {
  RetireGate gate;
  BOOST_TEST(gate.Holder() == 0);
  BOOST_TEST(gate.TryRetire(101));
  BOOST_TEST(!gate.TryRetire(102));  // keeps serving
  BOOST_TEST(gate.Holder() == 101);
  gate.Release();
  BOOST_TEST(gate.TryRetire(102));
}

BOOST_AUTO_TEST_CASE(the_turn_is_shared_with_forked_workers) {
  RetireGate gate;
  const pid_t child = fork();
  if (child == 0) {
    _exit(gate.TryRetire(getpid()) ? 0 : 1);
  }
  BOOST_REQUIRE(child > 0);
  int status = 0;
  BOOST_REQUIRE(waitpid(child, &status, 0) == child);
  BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  BOOST_TEST(gate.Holder() == child);  // the master sees who took it
  BOOST_TEST(!gate.TryRetire(getpid()));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace weave
