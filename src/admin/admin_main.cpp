// weave-admin: account administration from the command line.
#include <getopt.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <iostream>
#include <string>
#include <vector>

#include <sys/stat.h>

#include "admin/admin_audit.h"
#include "admin/admin_commands.h"
#include "admin/node_commands.h"
#include "auth/password_hash.h"
#include "auth/sql_user_store.h"
#include "core/config_loader.h"
#include "core/errors.h"
#include "core/security_log.h"
#include "core/user_name.h"
#include "reg/registration_api.h"
#include "server/app.h"
#include "version.h"

namespace {

std::string Usage() {
  return "usage: weave-admin [-c CONFIG] COMMAND [ARGS]\n"
         "       weave-admin COMMAND --help\n"
         "  -c, --config CONFIG  YAML configuration (default: $WEAVE_CONFIG or "
         "/etc/weave/weave.yaml)\n"
         "  -n, --node-config F  a storage node's configuration (users move, nodes evacuate; "
         "repeat)\n"
         "  -h, --help           show this help\n"
         "  -V, --version        show the version\n"
         "Commands:\n" +
         weave::CommandList() +
         "Passwords are read from the first line of standard input (without echo on a "
         "terminal).\n"
         "Exit status: 0 done, 1 failed (no such user, database error, ...), 2 usage error.\n"
         "See weave-admin(8).\n";
}

constexpr option kLongOptions[] = {{"config", required_argument, nullptr, 'c'},
                                   {"node-config", required_argument, nullptr, 'n'},
                                   {"help", no_argument, nullptr, 'h'},
                                   {"version", no_argument, nullptr, 'V'},
                                   {nullptr, 0, nullptr, 0}};

std::string ReadPassword() {
  const bool terminal = isatty(STDIN_FILENO) != 0;
  termios saved{};
  if (terminal) {
    std::cerr << "Password: " << std::flush;
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string password;
  std::getline(std::cin, password);
  if (terminal) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << '\n';
  }
  if (!password.empty() && password.back() == '\r') {
    password.pop_back();
  }
  return password;
}

void NeedArguments(const std::vector<std::string>& args, size_t count) {
  if (args.size() < count) {
    throw std::invalid_argument("missing argument");
  }
}

// A new password from standard input, or "" (after saying why) when it is too short or
// too long to hash.
std::string ReadNewPassword() {
  std::string password = ReadPassword();
  if (password.size() < 8) {
    std::cerr << "password too short (at least 8 bytes)\n";
    return {};
  }
  if (password.size() > weave::kMaxPasswordBytes) {
    std::cerr << "password too long (at most " << weave::kMaxPasswordBytes << " bytes)\n";
    return {};
  }
  return password;
}

int NoSuchUser(const std::string& name) {
  std::cerr << "weave-admin: no such user: " << name << '\n';
  return weave::kExitFailed;
}

int AddUser(weave::SqlUserStore& users, const std::vector<std::string>& args) {
  const std::string& name = args[1];
  if (!weave::IsValidUsername(name)) {
    std::cerr << "invalid user name (letters, digits, '.', '_', '-'; at most 64)\n";
    return 1;
  }
  const std::string password = ReadNewPassword();
  if (password.empty()) {
    return 1;
  }
  const auto created = users.CreateUser(name, password, args.size() > 2 ? args[2] : "");
  if (created.outcome != weave::CreateOutcome::kCreated) {
    std::cerr << "user " << name << " exists\n";
    return 1;
  }
  std::cout << "created " << name << " (id " << created.id << ")\n";
  weave::AuditAdminAction("add", name);
  return 0;
}

// list, add, passwd, enable, disable: the SQL users table. With LDAP the accounts live in
// the directory, and only their Sync data is ours to manage.
int RunSqlAccountCommand(weave::App& app, const std::vector<std::string>& args) {
  const std::string& command = args[0];
  if (app.GetConfig().auth.backend != "sql") {
    std::cerr << "accounts are managed in the LDAP directory (auth.backend: ldap); "
                 "only wipe, delete, invite and invites work here\n";
    return 1;
  }
  weave::SqlUserStore users(app.AccountsConnection(), app.GetConfig().auth);
  if (command == "list") {
    for (const auto& account : users.ListUsers()) {
      std::cout << account.id << '\t' << account.username << '\t' << account.email << '\t'
                << (account.status == 1 ? "enabled" : "disabled") << '\n';
    }
    return 0;
  }
  NeedArguments(args, 2);
  const std::string& name = args[1];
  if (command == "add") {
    return AddUser(users, args);
  }
  if (command == "passwd") {
    const std::string password = ReadNewPassword();
    if (password.empty()) {
      return 1;
    }
    if (users.SetPassword(name, password) != weave::ChangeOutcome::kChanged) {
      return NoSuchUser(name);
    }
  } else if (!users.SetStatus(name, command == "enable" ? 1 : 0)) {
    return NoSuchUser(name);
  }
  weave::AuditAdminAction(command, name);
  return 0;
}

// invite, invites: the registration service's invite codes.
int RunInviteCommand(weave::App& app, const std::vector<std::string>& args) {
  if (args[0] == "invite") {
    int count = 1;
    if (args.size() > 1) {
      const std::string& text = args[1];
      const auto parsed = std::from_chars(text.data(), text.data() + text.size(), count);
      if (parsed.ec != std::errc() || parsed.ptr != text.data() + text.size()) {
        count = 0;
      }
    }
    if (count < 1 || count > 1000) {
      throw std::invalid_argument("COUNT is 1 to 1000");
    }
    for (int i = 0; i < count; ++i) {
      std::cout << app.State().CreateInvite(app.GetConfig().registration.invite_lifetime_seconds)
                << '\n';
    }
    weave::AuditAdminAction("invite", "", std::to_string(count) + " codes");
    return 0;
  }
  for (const auto& invite : app.State().ListInvites()) {
    std::cout << invite.code_hash_prefix << '\t' << invite.created_s << '\t' << invite.expires_s
              << '\t' << (invite.used_by.empty() ? "unused" : invite.used_by) << '\n';
  }
  return 0;
}

int Run(weave::App& app, const std::vector<std::string>& args,
        const std::vector<std::string>& node_configs) {
  const std::string& command = args[0];
  if (weave::IsNodeCommand(command)) {
    return weave::RunNodeCommand(app, args, node_configs);
  }
  if (command == "list" || command == "add" || command == "passwd" || command == "enable" ||
      command == "disable") {
    return RunSqlAccountCommand(app, args);
  }
  if (command == "invite" || command == "invites") {
    return RunInviteCommand(app, args);
  }
  if (command == "wipe" || command == "delete") {
    return weave::RunDataCommand(app, args);
  }
  if (command == "purge") {
    return weave::RunPurgeCommand(app, args);
  }
  if (command == "usage") {
    return weave::RunUsageCommand(app, args);
  }
  if (command == "stats") {
    return weave::RunStatsCommand(app, args);
  }
  if (command == "export") {
    return weave::RunExportCommand(app, args);
  }
  if (command == "import") {
    return weave::RunImportCommand(app, args);
  }
  if (command == "drop-unused-indexes") {
    return weave::RunDropUnusedIndexesCommand(app, args);
  }
  std::cerr << Usage();
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  umask(S_IRWXG | S_IRWXO);  // as weave-server: a database made here is the server's alone
  const char* from_env = std::getenv("WEAVE_CONFIG");
  std::string config_path = from_env != nullptr ? from_env : "/etc/weave/weave.yaml";
  std::vector<std::string> node_configs;
  int option = 0;
  while ((option = getopt_long(argc, argv, "+c:n:hV", kLongOptions, nullptr)) != -1) {
    if (option == 'c') {
      config_path = optarg;
    } else if (option == 'n') {
      node_configs.emplace_back(optarg);
    } else if (option == 'V') {
      std::cout << "weave-admin " << WEAVE_VERSION << '\n';
      return 0;
    } else if (option == 'h') {
      std::cout << Usage();
      return 0;
    } else {
      std::cerr << Usage();
      return 2;
    }
  }
  const std::vector<std::string> args(argv + optind, argv + argc);
  if (args.empty()) {
    std::cerr << Usage();
    return 2;
  }
  // Checked before the configuration is read: a typo must not open (or create) a database.
  const weave::AdminCommand* command = weave::FindAdminCommand(args[0]);
  if (command == nullptr) {
    std::cerr << "weave-admin: unknown command: " << args[0] << '\n' << Usage();
    return weave::kExitUsage;
  }
  if (std::find(args.begin(), args.end(), "--help") != args.end() ||
      (args.size() > 1 && args[1] == "-h")) {
    std::cout << weave::CommandHelp(*command);
    return weave::kExitOk;
  }
  try {
    weave::App app(weave::LoadConfigFile(config_path));
    // Audit events of the changes made (admin/admin_audit.h).
    weave::InitSecurityLog(app.GetConfig().security_log.target, app.GetConfig().security_log.file);
    return Run(app, args, node_configs);
  } catch (const std::invalid_argument& error) {
    std::cerr << "weave-admin " << args[0] << ": " << error.what() << '\n'
              << weave::CommandHelp(*command);
    return weave::kExitUsage;
  } catch (const std::exception& error) {
    std::cerr << "weave-admin: " << error.what() << '\n';
    return 1;
  }
}
