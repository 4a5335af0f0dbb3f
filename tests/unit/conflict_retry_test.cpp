// RetryConflicts: transactions aborted over a lock conflict run again, a bounded number of
// times; other errors are never retried.
#include "db/conflict_retry.h"

#include <boost/test/unit_test.hpp>

namespace weave {
namespace {

using Kind = TransactionConflict::Kind;

// A body that fails with `failure` the first `failures` times it runs, then returns 42.
struct FlakyBody {
  int failures;
  Kind kind;
  int runs = 0;

  int operator()() {
    ++runs;
    if (runs <= failures) {
      throw TransactionConflict(kind, "conflict " + std::to_string(runs));
    }
    return 42;
  }
};

BOOST_AUTO_TEST_SUITE(conflict_retry)

BOOST_AUTO_TEST_CASE(a_deadlocked_transaction_runs_again_up_to_three_times) {
  FlakyBody body{3, Kind::kDeadlock};
  BOOST_TEST(RetryConflicts("test", [&] { return body(); }) == 42);
  BOOST_TEST(body.runs == 4);

  FlakyBody hopeless{4, Kind::kDeadlock};
  BOOST_CHECK_THROW(RetryConflicts("test", [&] { return hopeless(); }), TransactionConflict);
  BOOST_TEST(hopeless.runs == 4);
}

BOOST_AUTO_TEST_CASE(a_lock_wait_timeout_runs_again_once) {
  FlakyBody body{1, Kind::kLockWaitTimeout};
  BOOST_TEST(RetryConflicts("test", [&] { return body(); }) == 42);
  BOOST_TEST(body.runs == 2);

  FlakyBody hopeless{2, Kind::kLockWaitTimeout};
  BOOST_CHECK_THROW(RetryConflicts("test", [&] { return hopeless(); }), BackendError);
  BOOST_TEST(hopeless.runs == 2);
}

BOOST_AUTO_TEST_CASE(other_database_errors_are_not_retried) {
  int runs = 0;
  BOOST_CHECK_THROW(RetryConflicts("test",
                                   [&]() -> int {
                                     ++runs;
                                     throw BackendError("disk full");
                                   }),
                    BackendError);
  BOOST_TEST(runs == 1);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace weave
