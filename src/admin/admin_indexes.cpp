// weave-admin drop-unused-indexes: removes the records tables' indexes no statement uses.
#include <iostream>
#include <stdexcept>

#include "admin/admin_audit.h"
#include "admin/admin_commands.h"
#include "server/app.h"
#include "storage/record_indexes.h"

namespace weave {
namespace {

// How long each ALTER TABLE may wait for the transactions using its table; statements that
// arrive meanwhile wait behind it, so a busy node sees at most this pause.
constexpr int kLockWaitSeconds = 5;

std::string Joined(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) {
    text += (text.empty() ? "" : ", ") + name;
  }
  return text;
}

}  // namespace

int RunDropUnusedIndexesCommand(App& app, const std::vector<std::string>& args) {
  const bool dry_run = args.size() == 2 && args[1] == "--dry-run";
  if (args.size() > 2 || (args.size() == 2 && !dry_run)) {
    throw std::invalid_argument("the only option is --dry-run");
  }
  const std::vector<TableIndexes> found = FindUnusedRecordIndexes(app.Connection());
  if (found.empty()) {
    std::cout << "no unused indexes\n";
    return kExitOk;
  }
  int dropped = 0;
  for (const TableIndexes& table : found) {
    if (!dry_run) {
      DropRecordIndexes(app.Connection(), table, kLockWaitSeconds);
      dropped += static_cast<int>(table.indexes.size());
    }
    std::cout << table.table << (dry_run ? ": would drop " : ": dropped ") << Joined(table.indexes)
              << '\n';
  }
  if (dropped > 0) {
    AuditAdminAction("drop-unused-indexes", "", std::to_string(dropped) + " indexes");
  }
  return kExitOk;
}

}  // namespace weave
