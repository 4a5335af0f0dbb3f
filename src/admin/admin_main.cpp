// weave-admin: account administration from the command line.
#include <getopt.h>
#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include <sys/stat.h>

#include "admin/node_commands.h"
#include "auth/password_hash.h"
#include "auth/sql_user_store.h"
#include "core/config_loader.h"
#include "core/errors.h"
#include "core/user_name.h"
#include "reg/registration_api.h"
#include "server/app.h"
#include "version.h"

namespace {

constexpr const char* kUsage =
    "usage: weave-admin [-c CONFIG] COMMAND [ARGS]\n"
    "  -c, --config CONFIG  YAML configuration (default: $WEAVE_CONFIG or /etc/weave/weave.yaml)\n"
    "  -n, --node-config F  a storage node's configuration (users move, nodes evacuate; repeat)\n"
    "  -h, --help           show this help\n"
    "  -V, --version        show the version\n"
    "Commands:\n"
    "  add USER [EMAIL]     create an account; the password is read from stdin\n"
    "  passwd USER          set a new password, read from stdin\n"
    "  delete USER          delete the account and all its Sync data\n"
    "  disable USER         refuse logins (data is kept)\n"
    "  enable USER          allow logins again\n"
    "  list                 list accounts\n"
    "  wipe USER            delete the account's Sync data, keep the account\n"
    "  invite [COUNT]       print new one-time invite codes (registration.policy: invite)\n"
    "  invites              list invite codes (hash prefix, created, expires, used by)\n"
    "  nodes add URL CAPACITY | list | set-capacity URL N | drain URL | down URL | up URL |\n"
    "        backoff URL SECONDS | evacuate URL       storage nodes (see weave-admin(8))\n"
    "  users move USER URL  move a user and their records to another node\n"
    "Passwords are read from the first line of standard input (without echo on a terminal).\n"
    "See weave-admin(8).\n";

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
    return users.SetPassword(name, password) == weave::ChangeOutcome::kChanged
               ? 0
               : (std::cerr << "no such user\n", 1);
  }
  return users.SetStatus(name, command == "enable" ? 1 : 0) ? 0
                                                            : (std::cerr << "no such user\n", 1);
}

// invite, invites: the registration service's invite codes.
int RunInviteCommand(weave::App& app, const std::vector<std::string>& args) {
  if (args[0] == "invite") {
    const int count = args.size() > 1 ? std::stoi(args[1]) : 1;
    for (int i = 0; i < count; ++i) {
      std::cout << app.State().CreateInvite(app.GetConfig().registration.invite_lifetime_seconds)
                << '\n';
    }
    return 0;
  }
  for (const auto& invite : app.State().ListInvites()) {
    std::cout << invite.code_hash_prefix << '\t' << invite.created_s << '\t' << invite.expires_s
              << '\t' << (invite.used_by.empty() ? "unused" : invite.used_by) << '\n';
  }
  return 0;
}

// wipe, delete: an account's Sync data (and, for delete, the account).
int RunDataCommand(weave::App& app, const std::vector<std::string>& args) {
  NeedArguments(args, 2);
  const std::string& name = args[1];
  const auto account = app.Accounts().FindUser(name);
  if (!account) {
    std::cerr << "no such user\n";
    return 1;
  }
  if (args[0] == "delete") {
    weave::DeleteAccount(app.Registration(), name, account->id);
    std::cout << "deleted " << name << '\n';
  } else {
    app.StorageBackend().DeleteStorage(account->id);
  }
  return 0;
}

bool IsCommand(const std::string& name) {
  for (const char* command :
       {"list", "add", "passwd", "enable", "disable", "invite", "invites", "wipe", "delete"}) {
    if (name == command) {
      return true;
    }
  }
  return weave::IsNodeCommand(name);
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
    return RunDataCommand(app, args);
  }
  std::cerr << kUsage;
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
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << kUsage;
      return 2;
    }
  }
  const std::vector<std::string> args(argv + optind, argv + argc);
  if (args.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  // Checked before the configuration is read: a typo must not open (or create) a database.
  if (!IsCommand(args[0])) {
    std::cerr << "weave-admin: unknown command: " << args[0] << '\n' << kUsage;
    return 2;
  }
  try {
    weave::App app(weave::LoadConfigFile(config_path));
    return Run(app, args, node_configs);
  } catch (const std::invalid_argument&) {
    std::cerr << kUsage;
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "weave-admin: " << error.what() << '\n';
    return 1;
  }
}
