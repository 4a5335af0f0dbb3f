// Picks the reader for a kind of foreign server and opens its database.
#include "migrate/sources.h"

#include <stdexcept>

#include "core/errors.h"
#include "db/make_connection.h"
#include "http/query_string.h"
#include "migrate/source_fsyncms.h"
#include "migrate/source_mozilla.h"
#include "migrate/source_sql.h"
#include "migrate/source_weave_minimal.h"
#include "migrate/weave_source.h"

namespace weave {
namespace {

constexpr std::string_view kMysqlScheme = "mysql://";

[[noreturn]] void BadUrl(const std::string& source, const std::string& why) {
  throw std::runtime_error(source + ": " + why + " (expected mysql://user@host[:port]/database)");
}

// text with its %XX escapes decoded ('+' stays: this is a URL's path, not a query).
std::string DecodeUrlPart(const std::string& source, std::string_view text) {
  std::optional<std::string> decoded = PercentDecode(text, false);
  if (!decoded) {
    BadUrl(source, "a % not followed by two hex digits");
  }
  return *std::move(decoded);
}

std::unique_ptr<SourceDatabase> OpenDatabase(const std::string& source,
                                             const SourceOptions& options) {
  DatabaseConfig config;
  std::string label = source;
  if (std::optional<MysqlConfig> mysql = ParseMysqlSourceUrl(source)) {
    config.driver = "mysql";
    config.mysql = *mysql;
    config.mysql.password = options.password;
  } else {
    config.driver = "sqlite";
    config.sqlite.path = source;
  }
  std::unique_ptr<SqlConnection> connection;
  try {
    connection = ConnectToForeignDatabase(config);
  } catch (const ConfigError&) {
    throw;
  } catch (const std::exception& error) {
    throw std::runtime_error(label + ": cannot open the source database: " + error.what());
  }
  return std::make_unique<SourceDatabase>(std::move(connection), config.driver == "mysql", label);
}

}  // namespace

std::string MigrationSourceKinds() {
  return "weave, fsyncms, weave-minimal, mozilla-python, mozilla-php";
}

std::optional<MysqlConfig> ParseMysqlSourceUrl(const std::string& source) {
  if (source.compare(0, kMysqlScheme.size(), kMysqlScheme) != 0) {
    return std::nullopt;
  }
  std::string_view rest = source;
  rest.remove_prefix(kMysqlScheme.size());
  const size_t at = rest.find('@');
  const size_t slash = rest.find('/');
  if (at == std::string_view::npos || slash == std::string_view::npos || at > slash) {
    BadUrl(source, "no user@ or no /database");
  }
  const std::string_view user = rest.substr(0, at);
  if (user.find(':') != std::string_view::npos) {
    BadUrl(source, "a password in the URL; give it with --password-file");
  }
  std::string_view host = rest.substr(at + 1, slash - at - 1);
  const std::string_view database = rest.substr(slash + 1);
  MysqlConfig config;
  config.port = 3306;
  std::optional<std::string_view> port;
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string_view::npos) {
      BadUrl(source, "an unclosed [ in the host");
    }
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') {
        BadUrl(source, "text after the ] of the host");
      }
      port = host.substr(close + 2);
    }
    host = host.substr(1, close - 1);
  } else if (const size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  if (user.empty() || host.empty() || database.empty() ||
      database.find_first_of("/?#") != std::string_view::npos) {
    BadUrl(source, "an empty user, host or database");
  }
  if (port) {
    const bool digits = !port->empty() && port->size() <= 5 &&
                        port->find_first_not_of("0123456789") == std::string_view::npos;
    config.port = digits ? std::stoi(std::string(*port)) : 0;
    if (config.port < 1 || config.port > 65535) {
      BadUrl(source, "a port that is not a number from 1 to 65535");
    }
  }
  config.user = DecodeUrlPart(source, user);
  config.host = std::string(host);
  config.database = DecodeUrlPart(source, database);
  return config;
}

std::unique_ptr<MigrationSource> OpenMigrationSource(const std::string& kind,
                                                     const std::string& source,
                                                     const SourceOptions& options) {
  if (kind == "weave") {
    return std::make_unique<WeaveFileSource>(source);
  }
  if (kind == "weave-minimal") {
    if (source.compare(0, kMysqlScheme.size(), kMysqlScheme) == 0) {
      throw std::runtime_error(source +
                               ": weave-minimal keeps its data in a folder of SQLite "
                               "files; give that folder's path");
    }
    return MakeWeaveMinimalSource(source);
  }
  if (kind == "fsyncms") {
    return MakeFsyncmsSource(OpenDatabase(source, options), options.table_prefix);
  }
  if (kind == "mozilla-python") {
    return MakeMozillaSource(OpenDatabase(source, options), MozillaServer::kPython);
  }
  if (kind == "mozilla-php") {
    return MakeMozillaSource(OpenDatabase(source, options), MozillaServer::kPhp);
  }
  throw std::invalid_argument("unknown kind \"" + kind + "\" (kinds: " + MigrationSourceKinds() +
                              ")");
}

}  // namespace weave
