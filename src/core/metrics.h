// Server metrics shared by every worker: a fixed-size table of atomic counters in anonymous
// shared memory, made by the master before it forks (like auth/shared_login_table.h), so that
// any worker can report the totals of all; its Prometheus text exposition; and the
// process-wide hooks the layers call to count (no-ops until InstallMetrics).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/statsd.h"

namespace weave {

// Counted events besides requests. The Prometheus name (and label) of each is in metrics.cpp.
enum class MetricEvent : uint8_t {
  kDatabaseError,     // a database statement, connection or transaction failed
  kDatabaseConflict,  // a transaction was aborted by a lock conflict (it may be retried)
  kDirectoryError,    // the LDAP directory failed or did not answer
  kCacheHit,          // a cached read answered from the cache
  kCacheMiss,         // a cached read computed from the database
  kCacheError,        // the cache did not answer (the database answered instead)
  kLockout,           // a login refused by the lockout rules (the password not tried)
  kWorkerDied,        // a worker died (crash, kill, failed start) and was replaced
  kWorkerRetired,     // a worker retired after max_requests_per_worker and was replaced
  kCount
};

// The table. Every update is one or two relaxed atomic adds: no lock, no allocation, no
// system call. Route names are registered once per worker (at start-up) into a fixed number
// of slots; requests then count under the slot's number.
class MetricsTable {
 public:
  static constexpr int kMaxRoutes = 64;  // slot 0 is "other": routes past the table's room
  // Upper bounds of the latency buckets, in microseconds (+Inf follows).
  static constexpr std::array<int64_t, 13> kBucketBoundsUs = {
      1000,   2500,   5000,    10000,   25000,   50000,   100000,
      250000, 500000, 1000000, 2500000, 5000000, 10000000};
  static constexpr size_t kBuckets = kBucketBoundsUs.size() + 1;
  // The statuses counted under their own number; any other is counted as "other".
  static constexpr std::array<int, 18> kStatuses = {200, 201, 204, 304, 400, 401, 403, 404, 405,
                                                    409, 411, 412, 413, 415, 429, 500, 502, 503};

  // Maps the table (zeroed). Throws BackendError when the mapping cannot be made.
  MetricsTable();
  ~MetricsTable();
  MetricsTable(const MetricsTable&) = delete;
  MetricsTable& operator=(const MetricsTable&) = delete;

  // The slot of a route (method and a name of [a-z0-9_]), registered on first use: the same
  // pair gets the same slot in every process sharing the table (two processes registering
  // one pair at the same moment may get two slots; the exposition adds them up). 0 ("other")
  // when the table is full. Not for the request path: a scan of the slots.
  int RegisterRoute(std::string_view method, std::string_view name);

  void Count(MetricEvent event, uint64_t n = 1);
  // One answered request: its route slot, HTTP status and time to answer.
  void ObserveRequest(int route, int status, int64_t micros);
  // How long a request waited for a worker (see ObserveQueueStart in fcgi/fcgi_worker.cpp).
  void ObserveQueueWait(int64_t micros);

  // The totals of every process, in the Prometheus text format (version 0.0.4).
  std::string Exposition() const;

  // For tests and statsd: the current totals.
  uint64_t EventTotal(MetricEvent event) const;
  uint64_t RequestTotal(int route, int status) const;
  uint64_t QueueWaitTotal() const;
  // The route slot's name and method; empty when the slot is unused.
  std::string_view RouteName(int route) const;
  std::string_view RouteMethod(int route) const;

 private:
  struct Shared;

  Shared* shared_ = nullptr;
  size_t mapping_bytes_ = 0;
};

// --- Process-wide hooks. The master installs the table (and the statsd client, if any)
// before it forks; every layer then counts through these functions, which do nothing while
// none is installed (tools, tests). Set once, before any worker runs; never changed.
void InstallMetrics(MetricsTable* table, const StatsdClient* statsd);
MetricsTable* InstalledMetrics();

void CountMetric(MetricEvent event);
// Registers with the installed table (0 without one).
int RegisterRouteMetric(std::string_view method, std::string_view name);
void ObserveRequestMetric(int route, int status, int64_t micros);
void ObserveQueueWaitMetric(int64_t micros);

// While one lives (a worker's request), this process's statsd lines are gathered and sent
// together when it ends, in datagrams of at most kStatsdMaxDatagram bytes (core/statsd.h),
// instead of one datagram per line. Does nothing without a statsd client, or inside
// another batch (whose end sends them).
class MetricsBatch {
 public:
  MetricsBatch();
  ~MetricsBatch();
  MetricsBatch(const MetricsBatch&) = delete;
  MetricsBatch& operator=(const MetricsBatch&) = delete;

 private:
  std::optional<StatsdBatch> batch_;
};

// A route pattern's metric name: the literal segments joined by '_', variables other than
// {version} and {user} kept by name, everything outside [a-z0-9] folded to '_'
// ("/{version}/{user}/storage/{collection}" -> "storage_collection",
// "/__heartbeat__" -> "heartbeat").
std::string RouteMetricName(std::string_view pattern);

}  // namespace weave
