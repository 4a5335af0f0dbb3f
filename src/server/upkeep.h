// Upkeep without cron: expired records (ttl), old lockout counters and trusted addresses,
// and expired reset codes and invites are deleted in small batches, by idle workers in the
// background and by `weave-admin purge`.
#pragma once

#include <cstdint>
#include <functional>

#include "auth/login_failures.h"
#include "core/clock.h"
#include "core/config.h"
#include "db/sql_connection.h"
#include "fcgi/upkeep_turn.h"
#include "reg/account_state.h"

namespace weave {

class App;

struct PurgeCounts {
  int64_t records = 0;       // expired records
  int64_t login_rows = 0;    // lockout counters and trusted addresses
  int64_t account_rows = 0;  // reset codes and invites
  int64_t Total() const { return records + login_rows + account_rows; }
};

// What a purge deletes from, and when rows are old.
struct PurgeTargets {
  SqlConnection& db;
  LoginFailures& failures;
  AccountState& state;
  const Config& config;
  const Clock& clock;
};

// After each batch: the totals so far.
using PurgeProgress = std::function<void(const PurgeCounts& so_far)>;

struct PurgeRun {
  PurgeCounts deleted;
  bool more_left = false;  // stopped at max_batches with full batches
};

// Runs batches (each kind at most batch_rows rows, each statement its own transaction, so
// no writer waits longer than one batch) until one deletes nothing or max_batches (0: no
// limit) have run. Throws BackendError.
PurgeRun Purge(const PurgeTargets& targets, int batch_rows, int64_t max_batches,
               const PurgeProgress& progress = {});

// One worker's upkeep between requests: when upkeep is on and the turn is due, a purge of
// at most upkeep.batches_per_run batches. Logs and swallows errors (the next run retries).
void RunUpkeepIfDue(App& app, UpkeepTurn& turn);

}  // namespace weave
