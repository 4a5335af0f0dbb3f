// Opening a migration source by kind: the one place that knows every kind of source that
// weave-admin import reads.
#pragma once

#include <memory>
#include <string>

#include "migrate/migration.h"

namespace weave {

// What some sources need besides their location.
struct SourceOptions {
  // The database password of a mysql:// source (weave-admin import --password-file).
  std::string password;
};

// The source of kind ("weave": this server's export format, source a file or "-" for
// standard input). Throws std::invalid_argument for an unknown kind, and what the source
// throws when it cannot be opened.
std::unique_ptr<MigrationSource> OpenMigrationSource(const std::string& kind,
                                                     const std::string& source,
                                                     const SourceOptions& options);

}  // namespace weave
