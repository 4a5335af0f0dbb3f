// Reads the YAML configuration file into Config; the only user of yaml-cpp.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"

namespace weave {

// Throws ConfigError naming the key path for unknown keys, wrong types and bad values.
// Every secret (database.mysql.password, auth.ldap.bind_password and admin_password,
// mail.password, registration.shared_secret, registration.captcha.secret) may instead be
// read from a file: KEY_file names a file whose first line is the secret, and wins over KEY.
Config LoadConfigFile(const std::string& path);
Config LoadConfigText(const std::string& yaml_text);

// What the operator should hear about at start (weave-server logs it; -t prints it): a
// configuration file at config_path that other local users can read while it holds inline
// secrets, and settings that send passwords in clear text (SMTP login without TLS, LDAP
// without TLS, an http:// captcha verification URL). config_path may be empty.
std::vector<std::string> ConfigWarnings(const Config& config, const std::string& config_path);

}  // namespace weave
