// How the database drivers report a failure: counted for the metrics (core/metrics.h) where
// it happens, then thrown.
#pragma once

#include <string>

#include "core/errors.h"

namespace weave {

// Counts a database error and throws BackendError(detail).
[[noreturn]] void ThrowDatabaseError(const std::string& detail);

// Counts a transaction conflict and throws TransactionConflict(kind, detail).
[[noreturn]] void ThrowTransactionConflict(TransactionConflict::Kind kind,
                                           const std::string& detail);

}  // namespace weave
