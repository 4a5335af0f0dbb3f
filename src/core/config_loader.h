// Reads the YAML configuration file into Config; the only user of yaml-cpp.
#pragma once

#include <string>

#include "core/config.h"

namespace weave {

// Throws ConfigError naming the key path for unknown keys, wrong types and bad values.
Config LoadConfigFile(const std::string& path);
Config LoadConfigText(const std::string& yaml_text);

}  // namespace weave
