// The batched purge of expired rows, and when a worker runs it.
#include "server/upkeep.h"

#include <algorithm>

#include "core/log.h"
#include "server/app.h"
#include "storage/storage_upkeep.h"

namespace weave {
namespace {

// Lockout counters live at least an hour (and a lockout window), whatever the settings.
int64_t LockoutKeepSeconds(const AccountsConfig& accounts) {
  return std::max<int64_t>(accounts.lockout_window_seconds, 3600);
}

// One batch of each kind.
PurgeCounts PurgeBatch(const PurgeTargets& targets, int batch_rows) {
  PurgeCounts batch;
  const int64_t now_s = targets.clock.NowMs() / 1000;
  int64_t room = batch_rows;
  for (const std::string& table : targets.db.Dialect().WboTables()) {
    if (room <= 0) {
      break;
    }
    const int64_t deleted = PurgeExpiredRecords(targets.db, table, now_s, static_cast<int>(room));
    batch.records += deleted;
    room -= deleted;
  }
  const AccountsConfig& accounts = targets.config.accounts;
  batch.login_rows = targets.failures.ExpireOldRows(
      LockoutKeepSeconds(accounts), int64_t{accounts.trusted_address_days} * 86400, batch_rows);
  batch.account_rows =
      targets.state.ExpireOldRows(targets.config.registration.invite_lifetime_seconds, batch_rows);
  return batch;
}

}  // namespace

PurgeRun Purge(const PurgeTargets& targets, int batch_rows, int64_t max_batches,
               const PurgeProgress& progress) {
  PurgeRun run;
  for (int64_t batches = 0; max_batches <= 0 || batches < max_batches; ++batches) {
    const PurgeCounts batch = PurgeBatch(targets, batch_rows);
    run.deleted.records += batch.records;
    run.deleted.login_rows += batch.login_rows;
    run.deleted.account_rows += batch.account_rows;
    if (progress) {
      progress(run.deleted);
    }
    // Each kind deletes fewer than a full batch once it has nothing more.
    run.more_left = batch.records >= batch_rows || batch.login_rows >= batch_rows ||
                    batch.account_rows >= batch_rows;
    if (!run.more_left) {
      break;
    }
  }
  return run;
}

void RunUpkeepIfDue(App& app, UpkeepTurn& turn) {
  const UpkeepConfig& upkeep = app.GetConfig().upkeep;
  const int64_t now_ms = app.GetClock().NowMs();
  if (!upkeep.enabled || !turn.TryTake(now_ms, int64_t{upkeep.interval_seconds} * 1000)) {
    return;
  }
  bool more_left = false;
  try {
    const PurgeTargets targets{app.Connection(), app.Failures(), app.State(), app.GetConfig(),
                               app.GetClock()};
    const PurgeRun run = Purge(targets, upkeep.batch_rows, upkeep.batches_per_run);
    more_left = run.more_left;
    if (run.deleted.Total() > 0) {
      Log(LogLevel::kInfo) << "upkeep: purged " << run.deleted.records << " expired records, "
                           << run.deleted.login_rows << " lockout rows, "
                           << run.deleted.account_rows << " reset and invite rows"
                           << (more_left ? " (more left)" : "");
    }
  } catch (const std::exception& error) {
    Log(LogLevel::kWarning) << "upkeep: " << error.what();
  }
  turn.Done(app.GetClock().NowMs(), more_left);
}

}  // namespace weave
