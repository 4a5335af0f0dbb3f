// weave-admin's commands: their help texts, and the runners that live outside admin_main.cpp.
// Exit codes (README, weave-admin(8)): kExitOk, kExitFailed (the command could not do its
// work: no such user, a database error, ...), kExitUsage (unknown command, bad arguments).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace weave {

class App;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

struct AdminCommand {
  const char* name;
  const char* arguments;  // "USER [EMAIL]"
  const char* summary;    // one line, for the command list
  const char* details;    // more lines for `weave-admin COMMAND --help` ("" for none)
};

// Every command, in the order of the help text.
const std::vector<AdminCommand>& AdminCommands();
// nullptr for an unknown name.
const AdminCommand* FindAdminCommand(std::string_view name);
// "usage: weave-admin [-c CONFIG] NAME ARGUMENTS\n" and the command's help.
std::string CommandHelp(const AdminCommand& command);
// The list of commands for the general usage text.
std::string CommandList();

// The runners below get the command's arguments (args[0] is the command) and return an exit
// code; they throw std::invalid_argument for bad arguments and BackendError for the database.

// wipe USER, delete USER: in batches, with progress.
int RunDataCommand(App& app, const std::vector<std::string>& args);
// purge: every expired row now, in batches, with progress.
int RunPurgeCommand(App& app, const std::vector<std::string>& args);
// usage [USER]: what is stored, per user or per collection of one user.
int RunUsageCommand(App& app, const std::vector<std::string>& args);
// stats: totals over the whole database.
int RunStatsCommand(App& app, const std::vector<std::string>& args);
// export [USER...] [-o FILE]: accounts and records in the portable format.
int RunExportCommand(App& app, const std::vector<std::string>& args);
// import KIND SOURCE [--password-file F] [--on-conflict skip|replace|fail] [--verify].
int RunImportCommand(App& app, const std::vector<std::string>& args);
// drop-unused-indexes [--dry-run]: the records tables' indexes no statement uses.
int RunDropUnusedIndexesCommand(App& app, const std::vector<std::string>& args);

}  // namespace weave
