// Database failures: counted, then thrown.
#include "db/db_errors.h"

#include "core/metrics.h"

namespace weave {

void ThrowDatabaseError(const std::string& detail) {
  CountMetric(MetricEvent::kDatabaseError);
  throw BackendError(detail);
}

void ThrowTransactionConflict(TransactionConflict::Kind kind, const std::string& detail) {
  CountMetric(MetricEvent::kDatabaseConflict);
  throw TransactionConflict(kind, detail);
}

}  // namespace weave
