// The source kinds weave-admin import knows (see sources.h).
#include "migrate/sources.h"

#include <stdexcept>

#include "migrate/weave_source.h"

namespace weave {

std::unique_ptr<MigrationSource> OpenMigrationSource(const std::string& kind,
                                                     const std::string& source,
                                                     const SourceOptions& /*options*/) {
  if (kind == "weave") {
    return std::make_unique<WeaveFileSource>(source);
  }
  throw std::invalid_argument("unknown kind: " + kind);
}

}  // namespace weave
