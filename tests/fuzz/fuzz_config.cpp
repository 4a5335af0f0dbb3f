// Fuzz target: YAML text through LoadConfigText. Invariant: only ConfigError escapes.
#include <cstdint>
#include <string>

#include "core/config_loader.h"
#include "core/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    weave::LoadConfigText(text);
  } catch (const weave::ConfigError&) {
  }
  return 0;
}
