// weave-admin purge: the background upkeep's purge, run to the end at once, with progress.
#include <iostream>
#include <stdexcept>

#include "admin/admin_audit.h"
#include "admin/admin_commands.h"
#include "core/progress.h"
#include "server/app.h"
#include "server/upkeep.h"
#include "storage/storage_upkeep.h"

namespace weave {

int RunPurgeCommand(App& app, const std::vector<std::string>& args) {
  if (args.size() != 1) {
    throw std::invalid_argument("purge takes no arguments");
  }
  const PurgeTargets targets{app.Connection(), app.Failures(), app.State(), app.GetConfig(),
                             app.GetClock()};
  // The bar counts records (the bulk); the other rows are in the summary.
  const int64_t expected = CountExpiredRecords(app.Connection(), app.GetClock().NowMs() / 1000);
  Progress progress = Progress::ForStderr("purging expired records", expected);
  const PurgeRun run =
      Purge(targets, app.GetConfig().upkeep.batch_rows, 0,
            [&progress](const PurgeCounts& so_far) { progress.Update(so_far.records); });
  progress.Finish(run.deleted.records);
  std::cout << "purged " << run.deleted.records << " expired records, " << run.deleted.login_rows
            << " lockout rows, " << run.deleted.account_rows << " reset and invite rows\n";
  AuditAdminAction("purge", "",
                   std::to_string(run.deleted.records) + " records, " +
                       std::to_string(run.deleted.login_rows + run.deleted.account_rows) +
                       " other rows");
  return kExitOk;
}

}  // namespace weave
