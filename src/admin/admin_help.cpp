// weave-admin's command table: names, arguments and help texts.
#include "admin/admin_commands.h"

namespace weave {

const std::vector<AdminCommand>& AdminCommands() {
  static const std::vector<AdminCommand> commands = {
      {"add", "USER [EMAIL]", "create an account; the password is read from stdin",
       "The password is the first line of standard input (read without echo on a terminal),\n"
       "8 bytes at least. SQL accounts only (auth.backend: sql).\n"},
      {"passwd", "USER", "set a new password, read from stdin",
       "The password is the first line of standard input. SQL accounts only.\n"},
      {"delete", "USER", "delete the account and all its Sync data",
       "Records are deleted in batches of upkeep.batch_rows, with progress on standard error;\n"
       "then the account, its reset codes and lockout state.\n"},
      {"disable", "USER", "refuse logins (data is kept)", "SQL accounts only.\n"},
      {"enable", "USER", "allow logins again", "SQL accounts only.\n"},
      {"list", "", "list accounts",
       "One line per account: id, name, e-mail, enabled or disabled. SQL accounts only.\n"},
      {"wipe", "USER", "delete the account's Sync data, keep the account",
       "Records are deleted in batches of upkeep.batch_rows, with progress on standard error.\n"},
      {"invite", "[COUNT]", "print new one-time invite codes (registration.policy: invite)",
       "Prints COUNT (default 1) codes, one a line; each is valid for\n"
       "registration.invite_lifetime_seconds.\n"},
      {"invites", "", "list invite codes (hash prefix, created, expires, used by)", ""},
      {"purge", "", "delete expired records, reset codes, invites and lockout rows now",
       "What idle workers do in the background (upkeep.*), all at once: batches of\n"
       "upkeep.batch_rows rows, each its own short transaction, with progress on standard\n"
       "error, until nothing expired is left. Prints what was deleted.\n"},
      {"usage", "[USER]", "bytes and records stored, per user or per collection of USER",
       "Without USER: one line per user with data (id, name, records, bytes), largest first.\n"
       "With USER: one line per collection (name, records, bytes). Counts include expired\n"
       "records not purged yet, as the quota does.\n"},
      {"stats", "", "accounts, users, records and bytes, in total and per collection", ""},
      {"export", "[USER...] [-o FILE]", "write accounts and records in the portable format",
       "Every account (or the USERs named) with its password hash, collections and records,\n"
       "as JSON lines (the \"weave\" kind of import), to standard output or FILE, in\n"
       "constant memory. SQL accounts only. See the README, \"Moving to this server\".\n"},
      {"import",
       "KIND SOURCE [--password-file F] [--on-conflict skip|replace|fail]\n"
       "        [--table-prefix P] [--verify]",
       "import accounts and records from another server or an export",
       "KIND: weave (an export file, - for standard input), fsyncms, weave-minimal,\n"
       "mozilla-python, mozilla-php (a database file, a folder for weave-minimal, or\n"
       "mysql://user@host[:port]/database; its password from --password-file; an FSyncMS\n"
       "fork's table prefix from --table-prefix). Each user's records are written\n"
       "in one transaction; an import run again after an interruption skips the accounts it\n"
       "finished. An account that exists here is a conflict: fail (default) imports nothing\n"
       "and lists them, skip keeps them, replace overwrites them. --verify then compares\n"
       "the source with this server record by record (exit 1 on a difference).\n"
       "Ends with a summary: accounts, records, bytes, skipped with reasons, and the\n"
       "accounts whose password could not be carried over. SQL accounts only.\n"},
      {"drop-unused-indexes", "[--dry-run]", "MariaDB: drop the records tables' unused indexes",
       "PHP's parentindex, predecessorindex, size_index; no copy, writes go on. --dry-run\n"
       "only names them. See weave-admin(8) and the README, \"Upgrades\".\n"},
      {"nodes",
       "add URL CAPACITY | list | set-capacity URL N | drain URL | down URL | up URL |\n"
       "        backoff URL SECONDS | evacuate URL",
       "storage nodes and their states",
       "See weave-admin(8) and the README, \"Many storage nodes\".\n"},
      {"users", "move USER URL", "move a user and their records to another node",
       "Copies the records while the user keeps syncing, then switches the user's node.\n"
       "Reads the nodes' own configurations from -n (repeat for each node).\n"},
  };
  return commands;
}

const AdminCommand* FindAdminCommand(std::string_view name) {
  for (const AdminCommand& command : AdminCommands()) {
    if (name == command.name) {
      return &command;
    }
  }
  return nullptr;
}

std::string CommandHelp(const AdminCommand& command) {
  std::string help = std::string("usage: weave-admin [-c CONFIG] ") + command.name;
  if (*command.arguments != '\0') {
    help += std::string(" ") + command.arguments;
  }
  return help + "\n" + command.summary + "\n" + command.details;
}

std::string CommandList() {
  std::string list;
  for (const AdminCommand& command : AdminCommands()) {
    std::string left = std::string("  ") + command.name;
    if (*command.arguments != '\0') {
      left += std::string(" ") + command.arguments;
    }
    left.resize(std::max<size_t>(left.size() + 1, 23), ' ');
    list += left + command.summary + "\n";
  }
  return list;
}

}  // namespace weave
