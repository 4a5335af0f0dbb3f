// Runs a write transaction again when the database aborted it over a lock conflict.
#pragma once

#include <string_view>

#include "core/errors.h"

namespace weave {

// Called with the conflict that ended a run and the number of retries so far: true (after
// logging it and a short jittered pause) if the transaction should run again.
bool PauseBeforeRetry(std::string_view what, const TransactionConflict& conflict, int retries);

// Runs body, which opens and commits its own SqlTransaction, and runs it again when it
// throws TransactionConflict (the database rolled it back): after a deadlock (on Galera also
// a certification failure at commit) up to three more times, after a lock wait timeout once
// more (that run already waited the whole lock_wait_timeout_seconds), after a connection
// lost before the commit once more (on a new connection), each time after a pause of a few
// milliseconds, growing and jittered so that the two sides of a deadlock do not meet again
// in step. Each retry is logged at warning. The last conflict, like every other error,
// propagates (a 503). Body must give the same result when run again: what it did was rolled
// back.
template <typename Body>
auto RetryConflicts(std::string_view what, Body&& body) -> decltype(body()) {
  for (int retries = 0;; ++retries) {
    try {
      return body();
    } catch (const TransactionConflict& conflict) {
      if (!PauseBeforeRetry(what, conflict, retries)) {
        throw;
      }
    }
  }
}

}  // namespace weave
