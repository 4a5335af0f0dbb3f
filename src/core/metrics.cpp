// The shared metrics table: layout in the mapping, lock-free updates, route slots, the
// Prometheus text exposition, and the process-wide hooks (with their statsd lines).
#include "core/metrics.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <new>
#include <tuple>
#include <vector>

#include <sys/mman.h>

#include "core/errors.h"
#include "core/statsd.h"

namespace weave {
namespace {

static_assert(std::atomic<uint64_t>::is_always_lock_free &&
                  std::atomic<uint32_t>::is_always_lock_free,
              "shared counters must be lock-free atomics (address-free across processes)");

constexpr size_t kStatusSlots = MetricsTable::kStatuses.size() + 1;  // the last: "other"
constexpr size_t kNameBytes = 48;
constexpr size_t kMethodBytes = 16;
constexpr uint32_t kSlotFree = 0;
constexpr uint32_t kSlotWriting = 1;
constexpr uint32_t kSlotReady = 2;

// What each event is called: Prometheus name, its one label (or none), help, statsd name.
struct EventSpec {
  const char* name;
  const char* label;
  const char* help;
  const char* statsd;
};

// Rows of the same name are adjacent (one family, told apart by the label).
constexpr std::array<EventSpec, static_cast<size_t>(MetricEvent::kCount)> kEventSpecs = {{
    {"weave_database_errors_total", "",
     "Database statements, connections or transactions "
     "that failed.",
     "database_errors"},
    {"weave_database_conflicts_total", "",
     "Transactions aborted by a lock conflict "
     "(deadlock, lock wait timeout, lost connection); they may have been retried.",
     "database_conflicts"},
    {"weave_directory_errors_total", "",
     "LDAP directory operations that failed or got no "
     "answer.",
     "directory_errors"},
    {"weave_cache_hits_total", "", "Cached reads answered from the cache.", "cache_hits"},
    {"weave_cache_misses_total", "", "Cached reads computed from the database.", "cache_misses"},
    {"weave_cache_errors_total", "", "Cache operations that failed (the database answered).",
     "cache_errors"},
    {"weave_lockouts_total", "", "Logins refused by the lockout rules.", "lockouts"},
    {"weave_worker_restarts_total", "reason=\"died\"", "Workers replaced by the master.",
     "worker_restarts.died"},
    {"weave_worker_restarts_total", "reason=\"retired\"", "Workers replaced by the master.",
     "worker_restarts.retired"},
}};

// Non-cumulative buckets (the exposition adds them up) and the sum of the observations.
struct Histogram {
  std::atomic<uint64_t> buckets[MetricsTable::kBuckets];
  std::atomic<uint64_t> sum_us;
};

struct RouteSlot {
  std::atomic<uint32_t> state;
  char method[kMethodBytes] = {};
  char name[kNameBytes] = {};
};

size_t BucketOf(int64_t micros) {
  const auto& bounds = MetricsTable::kBucketBoundsUs;
  return static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), micros) -
                             bounds.begin());
}

size_t StatusSlotOf(int status) {
  const auto& statuses = MetricsTable::kStatuses;
  const auto* found = std::find(statuses.begin(), statuses.end(), status);
  return static_cast<size_t>(found - statuses.begin());  // kStatuses.size(): "other"
}

void Observe(Histogram& histogram, int64_t micros) {
  micros = std::max<int64_t>(micros, 0);
  histogram.buckets[BucketOf(micros)].fetch_add(1, std::memory_order_relaxed);
  histogram.sum_us.fetch_add(static_cast<uint64_t>(micros), std::memory_order_relaxed);
}

uint64_t Total(const Histogram& histogram) {
  uint64_t total = 0;
  for (const auto& bucket : histogram.buckets) {
    total += bucket.load(std::memory_order_relaxed);
  }
  return total;
}

// A copy of one histogram, added up over slots that share a label set.
struct HistogramValues {
  std::array<uint64_t, MetricsTable::kBuckets> buckets{};
  uint64_t sum_us = 0;

  void Add(const Histogram& histogram) {
    for (size_t i = 0; i < buckets.size(); ++i) {
      buckets[i] += histogram.buckets[i].load(std::memory_order_relaxed);
    }
    sum_us += histogram.sum_us.load(std::memory_order_relaxed);
  }
  uint64_t Count() const {
    uint64_t total = 0;
    for (const uint64_t bucket : buckets) {
      total += bucket;
    }
    return total;
  }
};

std::string FormatSeconds(uint64_t micros) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6f", static_cast<double>(micros) / 1e6);
  return text;
}

// Label values here are route names and methods ([A-Za-z0-9_]): escaped anyway, as the
// format asks.
std::string EscapeLabel(std::string_view value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void WriteHistogram(std::string& out, const std::string& name, const std::string& labels,
                    const HistogramValues& values) {
  const std::string joined = labels.empty() ? "" : labels + ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < values.buckets.size(); ++i) {
    cumulative += values.buckets[i];
    const std::string le = i < MetricsTable::kBucketBoundsUs.size()
                               ? FormatSeconds(MetricsTable::kBucketBoundsUs[i])
                               : std::string("+Inf");
    out.append(name).append("_bucket{").append(joined).append("le=\"").append(le);
    out.append("\"} ").append(std::to_string(cumulative)).append("\n");
  }
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += name + "_sum" + braces + " " + FormatSeconds(values.sum_us) + "\n";
  out += name + "_count" + braces + " " + std::to_string(cumulative) + "\n";
}

void CopyName(char* target, size_t size, std::string_view text) {
  const size_t length = std::min(text.size(), size - 1);
  std::memcpy(target, text.data(), length);
  target[length] = '\0';
}

}  // namespace

struct MetricsTable::Shared {
  std::atomic<uint64_t> events[static_cast<size_t>(MetricEvent::kCount)];
  RouteSlot routes[kMaxRoutes];
  Histogram requests[kMaxRoutes][kStatusSlots];
  Histogram queue_wait;
};

MetricsTable::MetricsTable() : mapping_bytes_(sizeof(Shared)) {
  void* mapping =
      mmap(nullptr, mapping_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mapping == MAP_FAILED) {
    throw BackendError(std::string("metrics table: mmap: ") + std::strerror(errno));
  }
  shared_ = new (mapping) Shared();  // zeroed counters, free slots
  CopyName(shared_->routes[0].method, kMethodBytes, "other");
  CopyName(shared_->routes[0].name, kNameBytes, "other");
  shared_->routes[0].state.store(kSlotReady, std::memory_order_release);
}

MetricsTable::~MetricsTable() {
  munmap(shared_, mapping_bytes_);
}

int MetricsTable::RegisterRoute(std::string_view method, std::string_view name) {
  method = method.substr(0, kMethodBytes - 1);
  name = name.substr(0, kNameBytes - 1);
  for (int slot = 1; slot < kMaxRoutes; ++slot) {
    RouteSlot& route = shared_->routes[slot];
    uint32_t state = route.state.load(std::memory_order_acquire);
    if (state == kSlotReady && route.method == method && route.name == name) {
      return slot;
    }
    if (state == kSlotFree &&
        route.state.compare_exchange_strong(state, kSlotWriting, std::memory_order_acq_rel)) {
      CopyName(route.method, kMethodBytes, method);
      CopyName(route.name, kNameBytes, name);
      route.state.store(kSlotReady, std::memory_order_release);
      return slot;
    }
  }
  return 0;
}

void MetricsTable::Count(MetricEvent event, uint64_t n) {
  shared_->events[static_cast<size_t>(event)].fetch_add(n, std::memory_order_relaxed);
}

void MetricsTable::ObserveRequest(int route, int status, int64_t micros) {
  if (route < 0 || route >= kMaxRoutes) {
    route = 0;
  }
  Observe(shared_->requests[route][StatusSlotOf(status)], micros);
}

void MetricsTable::ObserveQueueWait(int64_t micros) {
  Observe(shared_->queue_wait, micros);
}

uint64_t MetricsTable::EventTotal(MetricEvent event) const {
  return shared_->events[static_cast<size_t>(event)].load(std::memory_order_relaxed);
}

uint64_t MetricsTable::RequestTotal(int route, int status) const {
  return route < 0 || route >= kMaxRoutes ? 0
                                          : Total(shared_->requests[route][StatusSlotOf(status)]);
}

uint64_t MetricsTable::QueueWaitTotal() const {
  return Total(shared_->queue_wait);
}

std::string_view MetricsTable::RouteName(int route) const {
  const RouteSlot& slot = shared_->routes[route];
  return slot.state.load(std::memory_order_acquire) == kSlotReady ? slot.name : "";
}

std::string_view MetricsTable::RouteMethod(int route) const {
  const RouteSlot& slot = shared_->routes[route];
  return slot.state.load(std::memory_order_acquire) == kSlotReady ? slot.method : "";
}

std::string MetricsTable::Exposition() const {
  // Slots registered twice for one route (a race between workers) are added up here.
  std::map<std::tuple<std::string, std::string, std::string>, HistogramValues> requests;
  for (int route = 0; route < kMaxRoutes; ++route) {
    const std::string name(RouteName(route));
    if (name.empty()) {
      continue;
    }
    for (size_t status = 0; status < kStatusSlots; ++status) {
      const Histogram& histogram = shared_->requests[route][status];
      if (Total(histogram) == 0) {
        continue;
      }
      const std::string code =
          status < kStatuses.size() ? std::to_string(kStatuses[status]) : std::string("other");
      requests[{name, std::string(RouteMethod(route)), code}].Add(histogram);
    }
  }
  std::string out;
  out +=
      "# HELP weave_requests_total Requests answered, by route, method and status.\n"
      "# TYPE weave_requests_total counter\n";
  std::vector<std::pair<std::string, const HistogramValues*>> labelled;
  for (const auto& [key, values] : requests) {
    const auto& [route, method, status] = key;
    std::string labels = "route=\"" + EscapeLabel(route) + "\",method=\"" + EscapeLabel(method) +
                         "\",status=\"" + status + "\"";
    out += "weave_requests_total{" + labels + "} " + std::to_string(values.Count()) + "\n";
    labelled.emplace_back(std::move(labels), &values);
  }
  out +=
      "# HELP weave_request_duration_seconds Time from a parsed request to its answer, by "
      "route, method and status.\n# TYPE weave_request_duration_seconds histogram\n";
  for (const auto& [labels, values] : labelled) {
    WriteHistogram(out, "weave_request_duration_seconds", labels, *values);
  }
  out +=
      "# HELP weave_queue_wait_seconds Time a request waited for a free worker (from the "
      "web server's WEAVE_QUEUE_START).\n# TYPE weave_queue_wait_seconds histogram\n";
  HistogramValues queue;
  queue.Add(shared_->queue_wait);
  WriteHistogram(out, "weave_queue_wait_seconds", "", queue);
  const char* family = "";
  for (size_t i = 0; i < kEventSpecs.size(); ++i) {
    const EventSpec& spec = kEventSpecs[i];
    if (std::strcmp(family, spec.name) != 0) {
      family = spec.name;
      out += std::string("# HELP ") + spec.name + " " + spec.help + "\n# TYPE " + spec.name +
             " counter\n";
    }
    const std::string labels = *spec.label != '\0' ? std::string("{") + spec.label + "}" : "";
    out +=
        spec.name + labels + " " + std::to_string(EventTotal(static_cast<MetricEvent>(i))) + "\n";
  }
  return out;
}

// --- process-wide hooks

namespace {

MetricsTable* g_table = nullptr;
const StatsdClient* g_statsd = nullptr;
// The MetricsBatch that lives now, if any.
StatsdBatch* g_batch = nullptr;

// Formats into a stack buffer and sends it (or adds it to the batch): no allocation on the
// request path.
template <typename... Args>
void SendStatsd(const char* format, Args... args) {
  if (g_statsd == nullptr) {
    return;
  }
  char line[256];
  const int length = std::snprintf(line, sizeof line, format, g_statsd->Prefix().c_str(), args...);
  if (length > 0 && static_cast<size_t>(length) < sizeof line) {
    const std::string_view text(line, static_cast<size_t>(length));
    if (g_batch != nullptr) {
      g_batch->Add(text);
    } else {
      g_statsd->Send(text);
    }
  }
}

}  // namespace

void InstallMetrics(MetricsTable* table, const StatsdClient* statsd) {
  g_table = table;
  g_statsd = statsd;
}

MetricsBatch::MetricsBatch() {
  if (g_statsd != nullptr && g_batch == nullptr) {
    g_batch = &batch_.emplace(*g_statsd);
  }
}

MetricsBatch::~MetricsBatch() {
  if (batch_) {
    g_batch = nullptr;
    batch_->Flush();
  }
}

MetricsTable* InstalledMetrics() {
  return g_table;
}

void CountMetric(MetricEvent event) {
  if (g_table != nullptr) {
    g_table->Count(event);
  }
  SendStatsd("%s.%s:1|c", kEventSpecs[static_cast<size_t>(event)].statsd);
}

int RegisterRouteMetric(std::string_view method, std::string_view name) {
  return g_table != nullptr ? g_table->RegisterRoute(method, name) : 0;
}

void ObserveRequestMetric(int route, int status, int64_t micros) {
  if (g_table == nullptr) {
    return;
  }
  g_table->ObserveRequest(route, status, micros);
  if (g_statsd != nullptr) {
    // Views into the shared slot: its text never changes once the slot is ready.
    const std::string_view name = g_table->RouteName(route);
    const std::string_view method = g_table->RouteMethod(route);
    const int name_length = static_cast<int>(name.size());
    const int method_length = static_cast<int>(method.size());
    const char* prefix = g_statsd->Prefix().c_str();
    SendStatsd("%s.requests.%.*s.%.*s.%d:1|c\n%s.request_time.%.*s.%.*s:%.3f|ms", name_length,
               name.data(), method_length, method.data(), status, prefix, name_length, name.data(),
               method_length, method.data(), static_cast<double>(micros) / 1000.0);
  }
}

void ObserveQueueWaitMetric(int64_t micros) {
  if (g_table != nullptr) {
    g_table->ObserveQueueWait(micros);
  }
  SendStatsd("%s.queue_wait:%.3f|ms", static_cast<double>(micros) / 1000.0);
}

std::string RouteMetricName(std::string_view pattern) {
  std::string name;
  size_t start = 0;
  while (start <= pattern.size()) {
    size_t end = pattern.find('/', start);
    end = end == std::string_view::npos ? pattern.size() : end;
    const std::string_view segment = pattern.substr(start, end - start);
    start = end + 1;
    if (segment.empty() || segment == "{version}" || segment == "{user}") {
      continue;
    }
    for (const char c : segment) {
      const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      const bool keep = (lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9');
      if (keep) {
        name += lower;
      } else if (!name.empty() && name.back() != '_') {
        name += '_';
      }
    }
    if (!name.empty() && name.back() != '_') {
      name += '_';
    }
  }
  while (!name.empty() && name.back() == '_') {
    name.pop_back();
  }
  return name.empty() ? "root" : name;
}

}  // namespace weave
