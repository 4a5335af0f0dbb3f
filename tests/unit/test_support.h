// Helpers shared by the unit tests: a private temporary directory per test, the test
// MySQL server's settings, and a record to write.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/config.h"
#include "storage/storage.h"

namespace weave::testing {

// A record write that sets its payload and nothing else (no sortindex, no ttl).
inline ItemWrite Full(std::string_view id, std::string_view payload) {
  ItemWrite write;
  write.id = id;
  write.payload = payload;
  return write;
}

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it at scope end.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/weave-unit-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed for " + pattern);
    }
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  const std::string& Path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The MySQL or MariaDB server named by WEAVE_TEST_MYSQL_HOST, _PORT, _USER, _PASSWORD and
// _DATABASE (tests/mysql/run.sh sets them for the server it starts), or nullopt without
// WEAVE_TEST_MYSQL_HOST: the normal unit run needs no database server.
inline std::optional<DatabaseConfig> MysqlTestConfig(const std::string& default_database) {
  const auto env = [](const char* name, const std::string& fallback) {
    const char* value = getenv(name);
    return value != nullptr && *value != '\0' ? std::string(value) : fallback;
  };
  if (env("WEAVE_TEST_MYSQL_HOST", "").empty()) {
    return std::nullopt;
  }
  DatabaseConfig config;
  config.driver = "mysql";
  config.mysql.host = env("WEAVE_TEST_MYSQL_HOST", "127.0.0.1");
  config.mysql.port = std::stoi(env("WEAVE_TEST_MYSQL_PORT", "3306"));
  config.mysql.user = env("WEAVE_TEST_MYSQL_USER", "weave");
  config.mysql.password = env("WEAVE_TEST_MYSQL_PASSWORD", "");
  config.mysql.database = env("WEAVE_TEST_MYSQL_DATABASE", default_database);
  return config;
}

}  // namespace weave::testing
