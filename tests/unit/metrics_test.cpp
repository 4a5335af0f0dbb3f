// Unit tests of the metrics: the shared counter table (counts from forked processes add up,
// route slots, the exposition), route names, the allow-list, the queue-wait parameter, the
// statsd lines and the metrics configuration keys.
#include "core/metrics.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "core/address_list.h"
#include "core/config_loader.h"
#include "core/errors.h"
#include "core/statsd.h"
#include "db/make_connection.h"
#include "db/sql_connection.h"
#include "fcgi/fcgi_worker.h"
#include "test_support.h"

namespace weave {
namespace {

int ExitCodeOf(pid_t child) {
  int status = 0;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status)) {
    return -1;
  }
  return WEXITSTATUS(status);
}

// A UDP socket on a free loopback port, for statsd datagrams.
class UdpSink {
 public:
  UdpSink() : fd_(socket(AF_INET, SOCK_DGRAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t size = sizeof address;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
  }
  ~UdpSink() { close(fd_); }
  UdpSink(const UdpSink&) = delete;
  UdpSink& operator=(const UdpSink&) = delete;

  std::string Target() const { return "127.0.0.1:" + std::to_string(port_); }
  // The next datagram, or "" after a second without one.
  std::string Receive() const {
    pollfd watch{fd_, POLLIN, 0};
    if (poll(&watch, 1, 1000) != 1) {
      return "";
    }
    char buffer[2048];
    const ssize_t got = recv(fd_, buffer, sizeof buffer, 0);
    return got > 0 ? std::string(buffer, static_cast<size_t>(got)) : "";
  }

 private:
  int fd_;
  int port_ = 0;
};

// Installs a table (and statsd client) for one test; uninstalls at the end.
struct Installed {
  Installed(MetricsTable* table, const StatsdClient* statsd) { InstallMetrics(table, statsd); }
  ~Installed() { InstallMetrics(nullptr, nullptr); }
  Installed(const Installed&) = delete;
  Installed& operator=(const Installed&) = delete;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics)

BOOST_AUTO_TEST_CASE(counts_from_forked_workers_add_up) {
  MetricsTable table;
  const Installed installed(&table, nullptr);
  constexpr int kWorkers = 4;
  constexpr int kRequests = 2500;
  std::vector<pid_t> children;
  for (int worker = 0; worker < kWorkers; ++worker) {
    const pid_t child = fork();
    BOOST_REQUIRE(child >= 0);
    if (child == 0) {
      // As a worker does: registers its routes after the fork, then counts.
      const int get = RegisterRouteMetric("GET", "storage_collection");
      const int put = RegisterRouteMetric("PUT", "storage_collection_id");
      for (int i = 0; i < kRequests; ++i) {
        ObserveRequestMetric(get, 200, 1500);
        ObserveRequestMetric(put, i % 5 == 0 ? 503 : 200, 30000);
        CountMetric(MetricEvent::kCacheHit);
        ObserveQueueWaitMetric(200);
      }
      CountMetric(MetricEvent::kDatabaseError);
      _exit(0);
    }
    children.push_back(child);
  }
  for (const pid_t child : children) {
    BOOST_CHECK_EQUAL(ExitCodeOf(child), 0);
  }
  const int get = table.RegisterRoute("GET", "storage_collection");
  const int put = table.RegisterRoute("PUT", "storage_collection_id");
  BOOST_CHECK_EQUAL(table.RequestTotal(get, 200), uint64_t{kWorkers} * kRequests);
  BOOST_CHECK_EQUAL(table.RequestTotal(put, 503), uint64_t{kWorkers} * kRequests / 5);
  BOOST_CHECK_EQUAL(table.RequestTotal(put, 200), uint64_t{kWorkers} * kRequests * 4 / 5);
  BOOST_CHECK_EQUAL(table.EventTotal(MetricEvent::kCacheHit), uint64_t{kWorkers} * kRequests);
  BOOST_CHECK_EQUAL(table.EventTotal(MetricEvent::kDatabaseError), uint64_t{kWorkers});
  BOOST_CHECK_EQUAL(table.QueueWaitTotal(), uint64_t{kWorkers} * kRequests);
  const std::string text = table.Exposition();
  BOOST_CHECK_NE(text.find("weave_requests_total{route=\"storage_collection\",method=\"GET\","
                           "status=\"200\"} 10000\n"),
                 std::string::npos);
  // 1.5 ms falls in the 2.5 ms bucket (cumulative), not in the 1 ms one.
  BOOST_CHECK_NE(text.find("weave_request_duration_seconds_bucket{route=\"storage_collection\","
                           "method=\"GET\",status=\"200\",le=\"0.001000\"} 0\n"),
                 std::string::npos);
  BOOST_CHECK_NE(text.find("weave_request_duration_seconds_bucket{route=\"storage_collection\","
                           "method=\"GET\",status=\"200\",le=\"0.002500\"} 10000\n"),
                 std::string::npos);
  BOOST_CHECK_NE(text.find("weave_request_duration_seconds_sum{route=\"storage_collection\","
                           "method=\"GET\",status=\"200\"} 15.000000\n"),
                 std::string::npos);
  BOOST_CHECK_NE(text.find("weave_database_errors_total 4\n"), std::string::npos);
  BOOST_CHECK_NE(text.find("weave_queue_wait_seconds_count 10000\n"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(route_slots_are_shared_and_bounded) {
  MetricsTable table;
  const int first = table.RegisterRoute("GET", "info_collections");
  BOOST_CHECK_GT(first, 0);
  BOOST_CHECK_EQUAL(table.RegisterRoute("GET", "info_collections"), first);
  BOOST_CHECK_NE(table.RegisterRoute("DELETE", "info_collections"), first);
  const pid_t child = fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    _exit(table.RegisterRoute("GET", "info_collections") == first ? 0 : 1);
  }
  BOOST_CHECK_EQUAL(ExitCodeOf(child), 0);
  std::set<int> slots;
  for (int i = 0; i < MetricsTable::kMaxRoutes + 5; ++i) {
    slots.insert(table.RegisterRoute("GET", "route" + std::to_string(i)));
  }
  // Past the table's room every route shares slot 0, "other".
  BOOST_CHECK(slots.count(0) == 1);
  BOOST_CHECK_EQUAL(table.RouteName(0), "other");
  table.ObserveRequest(0, 599, 10);  // an unlisted status counts as "other"
  BOOST_CHECK_NE(table.Exposition().find("route=\"other\",method=\"other\",status=\"other\"} 1\n"),
                 std::string::npos);
}

BOOST_AUTO_TEST_CASE(hooks_do_nothing_without_a_table) {
  InstallMetrics(nullptr, nullptr);
  BOOST_CHECK_EQUAL(RegisterRouteMetric("GET", "x"), 0);
  ObserveRequestMetric(0, 200, 5);
  CountMetric(MetricEvent::kLockout);
  BOOST_CHECK(InstalledMetrics() == nullptr);
}

BOOST_AUTO_TEST_CASE(database_errors_are_counted_where_they_happen) {
  MetricsTable table;
  const Installed installed(&table, nullptr);
  testing::TempDir dir;
  DatabaseConfig database;
  database.sqlite.path = dir.File("weave.db");
  const auto connection = MakeConnection(database);
  BOOST_CHECK_EQUAL(table.EventTotal(MetricEvent::kDatabaseError), 0U);
  {
    const RequestScope scope(*connection);
    BOOST_CHECK_THROW(connection->Prepare("SELECT no_such_column FROM wbo"), BackendError);
  }
  BOOST_CHECK_EQUAL(table.EventTotal(MetricEvent::kDatabaseError), 1U);
}

BOOST_AUTO_TEST_CASE(route_names_leave_out_user_and_version) {
  BOOST_CHECK_EQUAL(RouteMetricName("/{version}/{user}/storage/{collection}/{id}"),
                    "storage_collection_id");
  BOOST_CHECK_EQUAL(RouteMetricName("/{version}/{user}/info/collection_counts"),
                    "info_collection_counts");
  BOOST_CHECK_EQUAL(RouteMetricName("/user/{version}/{user}"), "user");
  BOOST_CHECK_EQUAL(RouteMetricName("/user/{version}/{user}/node/weave"), "user_node_weave");
  BOOST_CHECK_EQUAL(RouteMetricName("/__heartbeat__"), "heartbeat");
  BOOST_CHECK_EQUAL(RouteMetricName("/weave-password-reset"), "weave_password_reset");
  BOOST_CHECK_EQUAL(RouteMetricName("/"), "root");
}

BOOST_AUTO_TEST_CASE(allow_list_matches_addresses_and_networks) {
  const AddressList list({"127.0.0.1", "10.1.0.0/16", "fd00::/8", "::1", "192.168.7.5/31"});
  BOOST_CHECK(list.Contains("127.0.0.1"));
  BOOST_CHECK(!list.Contains("127.0.0.2"));
  BOOST_CHECK(list.Contains("10.1.255.3"));
  BOOST_CHECK(!list.Contains("10.2.0.1"));
  BOOST_CHECK(list.Contains("::ffff:10.1.2.3"));  // IPv4 written as IPv6
  BOOST_CHECK(list.Contains("fd12:3456::1"));
  BOOST_CHECK(!list.Contains("fe80::1"));
  BOOST_CHECK(list.Contains("::1"));
  BOOST_CHECK(list.Contains("192.168.7.4"));
  BOOST_CHECK(!list.Contains("192.168.7.6"));
  for (const char* other : {"", "unix:", "127.0.0.1 ", "localhost", "1.2.3.4/8"}) {
    BOOST_CHECK_MESSAGE(!list.Contains(other), other);
  }
  BOOST_CHECK(!AddressList().Contains("127.0.0.1"));
  for (const char* bad : {"localhost", "10.0.0.0/33", "10.0.0.0/", "::/129", "1.2.3.4/x", ""}) {
    BOOST_CHECK_THROW(AddressList({bad}), std::invalid_argument);
  }
}

BOOST_AUTO_TEST_CASE(queue_wait_from_the_web_servers_start_time) {
  const int64_t now_us = int64_t{1700000000} * 1000000 + 250000;  // ...000.25
  BOOST_CHECK_EQUAL(QueueWaitUs("1700000000.123", now_us).value_or(-1), 127000);
  BOOST_CHECK_EQUAL(QueueWaitUs("1700000000", now_us).value_or(-1), 250000);
  BOOST_CHECK_EQUAL(QueueWaitUs("1700000000.25", now_us).value_or(-1), 0);
  BOOST_CHECK_EQUAL(QueueWaitUs("1700000000.300", now_us).value_or(-1), 0);  // clock skew
  for (const char* bad : {"", "abc", "-5.0", "1700000000.1x", "1.2.3", "99999999999999999999",
                          "1600000000.0", "1800000000.0", " 1700000000"}) {
    BOOST_CHECK_MESSAGE(!QueueWaitUs(bad, now_us), bad);
  }
}

BOOST_AUTO_TEST_CASE(statsd_lines_reach_the_target) {
  const UdpSink sink;
  const StatsdClient statsd(sink.Target(), "sync");
  MetricsTable table;
  const Installed installed(&table, &statsd);
  const int route = RegisterRouteMetric("GET", "info_collections");
  ObserveRequestMetric(route, 200, 12345);
  BOOST_CHECK_EQUAL(sink.Receive(),
                    "sync.requests.info_collections.GET.200:1|c\n"
                    "sync.request_time.info_collections.GET:12.345|ms");
  CountMetric(MetricEvent::kLockout);
  BOOST_CHECK_EQUAL(sink.Receive(), "sync.lockouts:1|c");
  CountMetric(MetricEvent::kWorkerDied);
  BOOST_CHECK_EQUAL(sink.Receive(), "sync.worker_restarts.died:1|c");
  ObserveQueueWaitMetric(1500);
  BOOST_CHECK_EQUAL(sink.Receive(), "sync.queue_wait:1.500|ms");
  BOOST_CHECK_EQUAL(table.RequestTotal(route, 200), 1U);
}

BOOST_AUTO_TEST_CASE(statsd_lines_of_a_batch_leave_in_one_datagram) {
  const UdpSink sink;
  const StatsdClient statsd(sink.Target(), "sync");
  MetricsTable table;
  const Installed installed(&table, &statsd);
  const int route = RegisterRouteMetric("GET", "info_collections");
  {
    const MetricsBatch batch;  // one request
    ObserveQueueWaitMetric(1500);
    CountMetric(MetricEvent::kLockout);
    ObserveRequestMetric(route, 200, 12345);
  }
  BOOST_CHECK_EQUAL(sink.Receive(),
                    "sync.queue_wait:1.500|ms\n"
                    "sync.lockouts:1|c\n"
                    "sync.requests.info_collections.GET.200:1|c\n"
                    "sync.request_time.info_collections.GET:12.345|ms");
  CountMetric(MetricEvent::kLockout);  // outside a batch: at once, alone
  BOOST_CHECK_EQUAL(sink.Receive(), "sync.lockouts:1|c");
}

BOOST_AUTO_TEST_CASE(statsd_batches_split_at_the_datagram_bound_and_lose_nothing) {
  const UdpSink sink;
  const StatsdClient statsd(sink.Target(), "sync");
  std::vector<std::string> sent;
  {
    StatsdBatch batch(statsd);
    for (int i = 0; i < 300; ++i) {
      sent.push_back("sync.requests.storage_collection.GET." + std::to_string(i) + ":1|c");
      batch.Add(sent.back());
    }
    sent.push_back(std::string(kStatsdMaxDatagram + 10, 'x'));  // too long: alone
    batch.Add(sent.back());
    sent.emplace_back("sync.last:1|c");
    batch.Add(sent.back());
  }
  std::vector<std::string> received;
  int datagrams = 0;
  while (received.size() < sent.size()) {
    const std::string datagram = sink.Receive();
    if (datagram.empty()) {
      break;  // a second without one: something was lost
    }
    ++datagrams;
    if (datagram.front() != 'x') {
      BOOST_CHECK_LE(datagram.size(), kStatsdMaxDatagram);
    }
    BOOST_CHECK(datagram.front() != '\n' && datagram.back() != '\n');
    size_t start = 0;
    while (start <= datagram.size()) {
      const size_t end = std::min(datagram.find('\n', start), datagram.size());
      received.push_back(datagram.substr(start, end - start));
      start = end + 1;
    }
  }
  BOOST_CHECK(received == sent);
  // 300 lines of 40-odd bytes fill about nine datagrams; a datagram per line would be 302.
  BOOST_CHECK_LT(datagrams, 15);
  BOOST_CHECK_GT(datagrams, 9);
}

BOOST_AUTO_TEST_CASE(statsd_never_blocks_on_a_dead_target) {
  uint16_t port = 0;
  {
    const UdpSink closed;  // a port nobody listens on once it is closed
    port = static_cast<uint16_t>(std::stoi(closed.Target().substr(10)));
  }
  const StatsdClient statsd("127.0.0.1:" + std::to_string(port), "weave");
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) {
    statsd.Send("weave.x:1|c");  // refused (ICMP) or dropped: never an exception
  }
  BOOST_TEST_MESSAGE("1000 sends to a closed port: "
                     << std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count()
                     << " us");
}

BOOST_AUTO_TEST_CASE(statsd_targets) {
  std::string host;
  std::string port;
  BOOST_CHECK(SplitStatsdTarget("localhost:8125", &host, &port));
  BOOST_CHECK_EQUAL(host, "localhost");
  BOOST_CHECK_EQUAL(port, "8125");
  BOOST_CHECK(SplitStatsdTarget("[::1]:8125", &host, &port));
  BOOST_CHECK_EQUAL(host, "::1");
  for (const char* bad :
       {"", "localhost", ":8125", "host:0", "host:65536", "host:x", "::1:8125", "[]:1", "host:"}) {
    BOOST_CHECK_MESSAGE(!SplitStatsdTarget(bad, &host, &port), bad);
  }
  BOOST_CHECK_THROW(StatsdClient("no-such-host.invalid:8125", "weave"), ConfigError);
}

BOOST_AUTO_TEST_CASE(metrics_configuration_keys) {
  const Config defaults = LoadConfigText("");
  BOOST_CHECK(!defaults.metrics.enabled);
  BOOST_CHECK_EQUAL(defaults.metrics.allow.size(), 2U);
  BOOST_CHECK(defaults.metrics.statsd.empty());
  const Config set = LoadConfigText(
      "metrics:\n  enabled: true\n  allow: [\"10.0.0.0/8\"]\n  statsd: \"127.0.0.1:8125\"\n"
      "  statsd_prefix: \"sync.node1\"\n");
  BOOST_CHECK(set.metrics.enabled);
  BOOST_CHECK_EQUAL(set.metrics.allow.front(), "10.0.0.0/8");
  BOOST_CHECK_EQUAL(set.metrics.statsd, "127.0.0.1:8125");
  BOOST_CHECK_EQUAL(set.metrics.statsd_prefix, "sync.node1");
  for (const char* bad : {"metrics:\n  allow: [\"example.org\"]\n", "metrics:\n  statsd: \"x\"\n",
                          "metrics:\n  statsd_prefix: \"a b\"\n", "metrics:\n  nonsense: 1\n"}) {
    BOOST_CHECK_THROW(LoadConfigText(bad), ConfigError);
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace weave
