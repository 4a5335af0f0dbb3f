// weave-admin wipe and delete: an account's records in batches, with progress.
#include <iostream>
#include <stdexcept>

#include "admin/admin_audit.h"
#include "admin/admin_commands.h"
#include "core/progress.h"
#include "reg/registration_api.h"
#include "server/app.h"
#include "storage/storage_upkeep.h"

namespace weave {
namespace {

// Deletes the user's records batch by batch (no writer waits more than one batch), showing
// progress; returns how many.
int64_t DeleteRecordsInBatches(App& app, UserId user, const std::string& label) {
  int64_t total = 0;
  for (const CollectionUsage& usage : UserUsage(app.Connection(), user)) {
    total += usage.records;
  }
  Progress progress = Progress::ForStderr(label, total);
  int64_t done = 0;
  const int batch_rows = app.GetConfig().upkeep.batch_rows;
  for (;;) {
    const int64_t deleted = DeleteRecordBatch(app.Connection(), user, batch_rows);
    done += deleted;
    progress.Update(done);
    if (deleted < batch_rows) {
      break;
    }
  }
  progress.Finish(done);
  return done;
}

}  // namespace

int RunDataCommand(App& app, const std::vector<std::string>& args) {
  if (args.size() != 2) {
    throw std::invalid_argument("expects USER");
  }
  const std::string& name = args[1];
  const auto account = app.Accounts().FindUser(name);
  if (!account) {
    std::cerr << "weave-admin: no such user: " << name << '\n';
    return kExitFailed;
  }
  const bool remove_account = args[0] == "delete";
  const int64_t records =
      DeleteRecordsInBatches(app, account->id, (remove_account ? "deleting " : "wiping ") + name);
  // What the batches left (collections, totals, a record written meanwhile) goes in one
  // transaction.
  if (remove_account) {
    DeleteAccount(app.Registration(), name, account->id);
    std::cout << "deleted " << name << '\n';
  } else {
    app.StorageBackend().DeleteStorage(account->id);
    std::cout << "wiped " << name << '\n';
  }
  AuditAdminAction(args[0], name, std::to_string(records) + " records");
  return kExitOk;
}

}  // namespace weave
