// weave-server: the pre-forked FastCGI Sync server.
#include <getopt.h>
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <memory>

#include <sys/stat.h>

#include "auth/auth_config_check.h"
#include "auth/shared_login_table.h"
#include "core/config_loader.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/security_log.h"
#include "core/statsd.h"
#include "db/make_connection.h"
#include "fcgi/fcgi_worker.h"
#include "fcgi/prefork_master.h"
#include "server/app.h"
#include "server/upkeep.h"
#include "version.h"

namespace {

constexpr const char* kUsage =
    "usage: weave-server [-c CONFIG] [-t]\n"
    "  -c, --config CONFIG  YAML configuration (default: $WEAVE_CONFIG or /etc/weave/weave.yaml)\n"
    "  -t, --test           check the configuration and the database, then exit\n"
    "  -h, --help           show this help\n"
    "  -V, --version        show the version\n"
    "See weave-server(8) and weave.yaml(5).\n";

constexpr option kLongOptions[] = {{"config", required_argument, nullptr, 'c'},
                                   {"test", no_argument, nullptr, 't'},
                                   {"help", no_argument, nullptr, 'h'},
                                   {"version", no_argument, nullptr, 'V'},
                                   {nullptr, 0, nullptr, 0}};

std::string DefaultConfigPath() {
  const char* from_env = std::getenv("WEAVE_CONFIG");
  return from_env != nullptr ? from_env : "/etc/weave/weave.yaml";
}

// upkeep is the workers' shared schedule (server/upkeep.h), kept across reloads; logins are
// the verified logins every worker shares, made by the master before it forks.
weave::WorkerMain MakeWorkerMain(const weave::Config& config, int listen_fd,
                                 const std::shared_ptr<weave::UpkeepTurn>& upkeep,
                                 weave::VerifiedLogins* logins) {
  // Read once here, in the master (at start and on each reload), not by each worker.
  auto pages = std::make_shared<const weave::PageTemplates>(config.pages.templates_dir);
  return [config, listen_fd, upkeep, logins, pages](const weave::WorkerHooks& hooks) {
    try {
      weave::InitLog(config.log.level, config.log.file, config.log.format);
      weave::InitSecurityLog(config.security_log.target, config.security_log.file);
      weave::App app(config, logins, pages);  // each worker owns its own database connection
      weave::WorkerOptions options{config.server.path_prefix, config.limits.max_body_bytes,
                                   config.server.max_requests_per_worker, hooks.retire_gate};
      options.on_ready = hooks.ready;
      // Well inside the master's grace, after which a stopping worker is killed.
      options.drain_ms = int64_t{config.server.shutdown_timeout_seconds} * 1000 / 2;
      // Wakes up for upkeep even when no request comes.
      options.idle_wakeup_ms =
          config.upkeep.enabled ? int64_t{config.upkeep.interval_seconds} * 1000 : 0;
      return weave::RunWorker(
          listen_fd, options, [&app](const weave::Request& request) { return app.Serve(request); },
          [&app, &upkeep]() {
            app.Idle();
            weave::RunUpkeepIfDue(app, *upkeep);
          });
    } catch (const std::exception& error) {
      weave::Log(weave::LogLevel::kError) << "worker cannot start: " << error.what();
      return 3;
    }
  };
}

// Loads and checks the configuration and creates or upgrades the schema once, before any
// worker exists; logs (and with -t prints) what the operator should hear about.
weave::Config LoadAndPrepare(const std::string& config_path, bool check_only) {
  weave::Config config = weave::LoadConfigFile(config_path);
  // Before anything starts, so that -t reports a bad auth section too.
  weave::CheckAuthConfig(config.auth);
  weave::InitLog(config.log.level, config.log.file, config.log.format);
  for (const std::string& warning : weave::ConfigWarnings(config, config_path)) {
    weave::Log(weave::LogLevel::kWarning) << warning;
    if (check_only) {
      std::cerr << "warning: " << warning << '\n';
    }
  }
  const auto connection = weave::MakeConnection(config.database);
  if (check_only) {
    std::vector<std::string> problems;
    weave::PageTemplates pages(config.pages.templates_dir, &problems);
    for (const std::string& problem : problems) {
      std::cerr << "warning: " << problem << '\n';
    }
    std::cout << "durability: an acknowledged write is on stable storage "
              << connection->DescribeDurability() << '\n';
  }
  return config;
}

// What a SIGHUP does: the fresh configuration's options and workers on the same socket.
weave::Reloader MakeReloader(const std::string& config_path, int listen_fd,
                             const weave::ServerConfig& started_with,
                             const std::shared_ptr<weave::UpkeepTurn>& upkeep,
                             weave::VerifiedLogins* logins) {
  return [config_path, listen_fd, started_with, upkeep, logins]() {
    const weave::Config fresh = LoadAndPrepare(config_path, false);
    // The socket stays open across a reload: say so rather than ignore a change silently.
    if (fresh.server.listen != started_with.listen ||
        fresh.server.socket_mode != started_with.socket_mode) {
      weave::Log(weave::LogLevel::kWarning)
          << "reload: server.listen and server.socket_mode take effect only after a "
             "restart; still listening as before";
    }
    return std::make_pair(
        weave::MasterOptions{fresh.server.workers, fresh.server.shutdown_timeout_seconds},
        MakeWorkerMain(fresh, listen_fd, upkeep, logins));
  };
}

int Serve(const weave::Config& config, const std::string& config_path) {
  bool inherited = false;
  const int listen_fd =
      weave::OpenListenSocket(config.server.listen, config.server.socket_mode, &inherited);
  // Mapped before any fork, so every worker, also those started later, shares them. The
  // login table's size stays until a restart (a reload keeps the table and its logins).
  const auto upkeep = std::make_shared<weave::UpkeepTurn>();
  weave::SharedLoginTable logins(static_cast<size_t>(config.auth.shared_logins));
  // Counters every worker adds to, and the statsd target (both kept across reloads).
  weave::MetricsTable metrics;
  std::unique_ptr<weave::StatsdClient> statsd;
  if (!config.metrics.statsd.empty()) {
    statsd =
        std::make_unique<weave::StatsdClient>(config.metrics.statsd, config.metrics.statsd_prefix);
  }
  weave::InstallMetrics(&metrics, statsd.get());
  const struct Uninstall {
    ~Uninstall() { weave::InstallMetrics(nullptr, nullptr); }
  } uninstall;
  if (inherited && listen_fd == 0 && config.server.workers == 1) {
    // Under mod_fcgid the web server runs one process per concurrent request itself.
    return MakeWorkerMain(config, listen_fd, upkeep, &logins)(weave::WorkerHooks{});
  }
  const weave::MasterOptions options{config.server.workers, config.server.shutdown_timeout_seconds};
  return weave::RunMaster(options, MakeWorkerMain(config, listen_fd, upkeep, &logins),
                          MakeReloader(config_path, listen_fd, config.server, upkeep, &logins));
}

}  // namespace

int main(int argc, char** argv) {
  // The database, its WAL and lock files and the logs hold accounts and data: no other local
  // user may read them. The Unix socket gets server.socket_mode explicitly.
  umask(S_IRWXG | S_IRWXO);
  std::string config_path = DefaultConfigPath();
  bool check_only = false;
  int option = 0;
  while ((option = getopt_long(argc, argv, "c:thV", kLongOptions, nullptr)) != -1) {
    if (option == 'c') {
      config_path = optarg;
    } else if (option == 't') {
      check_only = true;
    } else if (option == 'V') {
      std::cout << "weave-server " << WEAVE_VERSION << '\n';
      return 0;
    } else if (option == 'h') {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << kUsage;
      return 2;
    }
  }
  if (optind < argc) {
    std::cerr << "weave-server: unexpected argument: " << argv[optind] << '\n' << kUsage;
    return 2;
  }
  try {
    const weave::Config config = LoadAndPrepare(config_path, check_only);
    if (check_only) {
      std::cout << "configuration and database OK\n";
      return 0;
    }
    return Serve(config, config_path);
  } catch (const std::exception& error) {
    std::cerr << "weave-server: " << error.what() << '\n';
    return 1;
  }
}
