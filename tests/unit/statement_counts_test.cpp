// How many SQL statements each kind of request costs, counted by the database itself:
// SQLite's statement trace (sqlite3_trace_v2) and MariaDB's Questions status counter. Runs
// the request types of the benchmark's mix (and a few more) through the server's App,
// prints the table and pins every count, so a change that adds a round trip fails here;
// then the same with a shared cache (a real memcached), every read counted when the cache
// answers it; and the round trips to the cache (a real redis-server's command counter).
// The MySQL case runs when WEAVE_TEST_MYSQL_HOST names a server (tests/mysql/run.sh).
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#if WITH_CACHE
#include <hiredis/hiredis.h>
#endif

#include "auth/sql_user_store.h"
#include "cache_servers.h"
#include "core/crypto.h"
#include "core/log.h"
#include "db/make_connection.h"
#include "db/sqlite_connection.h"
#include "server/app.h"
#include "test_support.h"

namespace weave {
namespace {

constexpr int64_t kStartMs = 1300000000250;
constexpr int kRepeats = 3;

// Rows a request wrote, changed and deleted.
struct RowCounts {
  int64_t written = 0;
  int64_t updated = 0;
  int64_t deleted = 0;
  RowCounts operator-(const RowCounts& other) const {
    return {written - other.written, updated - other.updated, deleted - other.deleted};
  }
};

// Counts statements on the database behind an App.
class StatementCounter {
 public:
  StatementCounter() = default;
  StatementCounter(const StatementCounter&) = delete;
  StatementCounter& operator=(const StatementCounter&) = delete;
  virtual ~StatementCounter() = default;
  // Statements run so far, the counter's own reading left out.
  virtual int64_t Read() = 0;
  // Statements the database has parsed and prepared as of the last Read(), where it says.
  virtual std::optional<int64_t> Prepares() const { return std::nullopt; }
  // Rows written, changed and deleted (triggers' included) as of the last Read(), where the
  // database says.
  virtual std::optional<RowCounts> Rows() const { return std::nullopt; }
};

class SqliteCounter final : public StatementCounter {
 public:
  explicit SqliteCounter(SqlConnection& connection)
      : connection_(dynamic_cast<SqliteConnection&>(connection)) {
    connection_.CountStatements();
  }
  int64_t Read() override { return static_cast<int64_t>(connection_.StatementsRun()); }

 private:
  SqliteConnection& connection_;
};

// MariaDB's global Questions (statements clients sent, each execution of a prepared
// statement included) read on a connection of its own; nothing else may use the server
// meanwhile. The reading is itself a statement: its share is measured and taken off.
// Com_stmt_prepare is read with it: once warm, no request should make the server parse.
// Handler_write, _update and _delete (rows, triggers' included) are read too; the
// reading's own (its temporary table) is taken off the same way.
class MysqlCounter final : public StatementCounter {
 public:
  explicit MysqlCounter(const DatabaseConfig& config) : connection_(MakeConnection(config)) {
    Raw();
    const Status first = Raw();
    const Status second = Raw();
    own_ = second.questions - first.questions;
    own_rows_ = second.rows - first.rows;
  }
  int64_t Read() override {
    reads_ += 1;
    const Status status = Raw();
    prepares_ = status.prepares;
    rows_ = status.rows;
    rows_.written -= reads_ * own_rows_.written;
    rows_.updated -= reads_ * own_rows_.updated;
    rows_.deleted -= reads_ * own_rows_.deleted;
    return status.questions - reads_ * own_;
  }
  std::optional<int64_t> Prepares() const override { return prepares_; }
  std::optional<RowCounts> Rows() const override { return rows_; }

 private:
  struct Status {
    int64_t questions = 0;
    int64_t prepares = 0;
    RowCounts rows;
  };
  Status Raw() {
    StatementScope query(connection_->Prepare(
        "SELECT VARIABLE_NAME, VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS"
        " WHERE VARIABLE_NAME IN ('QUESTIONS', 'COM_STMT_PREPARE', 'HANDLER_WRITE',"
        " 'HANDLER_UPDATE', 'HANDLER_DELETE')"));
    Status status;
    const std::map<std::string, int64_t*> fields = {{"QUESTIONS", &status.questions},
                                                    {"COM_STMT_PREPARE", &status.prepares},
                                                    {"HANDLER_WRITE", &status.rows.written},
                                                    {"HANDLER_UPDATE", &status.rows.updated},
                                                    {"HANDLER_DELETE", &status.rows.deleted}};
    while (query->Step()) {
      const auto field = fields.find(std::string(query->ColumnText(0)));
      if (field != fields.end()) {
        *field->second = std::stoll(std::string(query->ColumnText(1)));
      }
    }
    BOOST_REQUIRE(status.questions > 0);
    return status;
  }

  std::unique_ptr<SqlConnection> connection_;
  int64_t own_ = 0;
  RowCounts own_rows_;
  int64_t reads_ = 0;
  int64_t prepares_ = 0;
  RowCounts rows_;
};

#if WITH_CACHE
// Commands a redis-server has run (each a round trip: the server's client sends one at a
// time, a multi-get as one MGET), its own readings (INFO) taken off.
class RedisCommandCounter final : public StatementCounter {
 public:
  explicit RedisCommandCounter(const std::string& socket)
      : context_(redisConnectUnix(socket.c_str())) {
    BOOST_REQUIRE((context_ != nullptr && context_->err == 0));
  }
  RedisCommandCounter(const RedisCommandCounter&) = delete;
  RedisCommandCounter& operator=(const RedisCommandCounter&) = delete;
  ~RedisCommandCounter() override { redisFree(context_); }
  // A reading counts the INFO before it (Redis counts a command once it has run).
  int64_t Read() override { return Raw() - reads_++; }

 private:
  int64_t Raw() {
    auto* reply = static_cast<redisReply*>(redisCommand(context_, "INFO stats"));
    BOOST_REQUIRE(reply != nullptr);
    const std::string text(reply->str != nullptr ? reply->str : "", reply->len);
    freeReplyObject(reply);
    const std::string field = "total_commands_processed:";
    const size_t at = text.find(field);
    BOOST_REQUIRE(at != std::string::npos);
    return std::stoll(text.substr(at + field.size()));
  }

  redisContext* context_;
  int64_t reads_ = 0;
};
#endif

// The benchmark's mix (bench/load/main.cpp, Session): per sync session one info/collections,
// meta/global with probability 0.6, 0.53 collection downloads and 0.56 POSTs of ten records
// on average, and with probability 0.01 each a DELETE of a few ids (then a GET of them) and
// a wipe of a scratch account (then info/collections, and a POST to restock it).
const std::map<std::string, double> kMixWeights = {
    {"info_collections", 1.01}, {"meta_global", 0.6}, {"get_collection", 0.54},
    {"post_collection", 0.57},  {"delete_ids", 0.01}, {"delete_storage", 0.01},
};

class Bench {
 public:
  explicit Bench(Config config) : config_(std::move(config)), clock_(kStartMs) {
    InitLog("error", "");
    config_.log.access_log = false;
    app_ = std::make_unique<App>(config_, clock_);
    user_ = "stmt" + HexEncode(RandomBytes(3));
    SqlUserStore users(app_->Connection(), config_.auth);
    BOOST_REQUIRE((users.CreateUser(user_, "pw-" + user_, "").outcome == CreateOutcome::kCreated));
  }

  App& Service() { return *app_; }

  Response Send(const std::string& method, const std::string& path, const std::string& body = "",
                const std::string& query = "", bool confirm = false) {
    clock_.AdvanceMs(1000);
    Request request;
    request.method = method;
    request.path = "/1.1/" + user_ + "/" + path;
    request.body = body;
    request.query = query;
    request.remote_addr = "192.0.2.1";
    request.headers.emplace_back("AUTHORIZATION", "Basic " + Base64Encode(user_ + ":pw-" + user_));
    if (confirm) {
      request.headers.emplace_back("X_CONFIRM_DELETE", "1");
    }
    Response response = app_->Serve(request);
    BOOST_TEST_REQUIRE(response.status == 200, method << " " << path << "?" << query << ": "
                                                      << response.status << " " << response.body);
    return response;
  }

  // Ten records: five new ids, five already stored.
  std::string TenRecords() {
    std::string body = "[";
    for (int i = 0; i < 10; ++i) {
      const std::string id = i < 5 ? "new" + std::to_string(next_id_++) : "old" + std::to_string(i);
      body += (i == 0 ? "{" : ",{") + std::string("\"id\":\"") + id +
              "\",\"sortindex\":" + std::to_string(i) + ",\"payload\":\"" + std::string(200, 'x') +
              "\"}";
    }
    return body + "]";
  }

  void Seed() {
    Send("PUT", "storage/meta/global", R"({"payload":"{\"syncID\":\"abc\"}"})");
    Send("PUT", "storage/tabs/t1", R"({"payload":"tab"})");
    for (int i = 0; i < 10; ++i) {
      Send("PUT", "storage/history/old" + std::to_string(i), R"({"payload":"seeded"})");
    }
  }

 private:
  Config config_;
  ManualClock clock_;
  std::unique_ptr<App> app_;
  std::string user_;
  int next_id_ = 0;
};

struct RequestType {
  std::string name;
  std::function<void(Bench&)> send;
  std::function<void(Bench&)> after;  // restocks what the request removed (not counted)
  bool read = false;                  // a GET: with a cache, sent once more before counting
};

std::vector<RequestType> RequestTypes() {
  const auto get = [](std::string path, std::string query = "") {
    return [path, query](Bench& bench) {
      bench.Send("GET", path, "", query);
    };
  };
  // The wipe comes last: after it, the restock leaves every collection as the first round
  // found it (a collection's first write costs more, see SqlStorage::LockCollection).
  return {
      {"info_collections", get("info/collections"), {}, true},
      {"meta_global", get("storage/meta/global"), {}, true},
      {"get_collection", get("storage/history", "full=1&newer=1300000005.00"), {}, true},
      {"get_collection_ids", get("storage/history"), {}, true},
      {"post_collection",
       [](Bench& bench) { bench.Send("POST", "storage/history", bench.TenRecords()); },
       {},
       false},
      {"put_record",
       [](Bench& bench) { bench.Send("PUT", "storage/tabs/t1", R"({"payload":"tab"})"); },
       {},
       false},
      {"delete_ids",
       [](Bench& bench) { bench.Send("DELETE", "storage/history", "", "ids=old5,old6,old7"); },
       [](Bench& bench) { bench.Send("POST", "storage/history", bench.TenRecords()); }, false},
      {"info_quota", get("info/quota"), {}, true},
      {"info_collection_counts", get("info/collection_counts"), {}, true},
      {"delete_storage", [](Bench& bench) { bench.Send("DELETE", "storage", "", "", true); },
       [](Bench& bench) { bench.Seed(); }, false},
  };
}

// Before each counted read, with a cache: nothing, the same read (so the cache holds its
// answer: the counted one is a hit), or a write (the user's token changes: a miss).
enum class Before { kNothing, kSameRead, kWrite };

// Runs every request type once to warm up (prepared statements, the password check, the
// trusted address), then kRepeats times counted; returns statements per request by type.
// prelude: what is sent, uncounted, right before each counted read.
std::map<std::string, int64_t> Measure(Bench& bench, StatementCounter& counter,
                                       Before prelude = Before::kNothing) {
  bench.Seed();
  const std::vector<RequestType> types = RequestTypes();
  for (const RequestType& type : types) {
    type.send(bench);
    if (type.after) {
      type.after(bench);
    }
  }
  std::map<std::string, int64_t> counts;
  std::map<std::string, RowCounts> rows;
  counter.Read();
  const std::optional<int64_t> prepares = counter.Prepares();
  for (const RequestType& type : types) {
    for (int repeat = 0; repeat < kRepeats; ++repeat) {
      if (prelude == Before::kSameRead && type.read) {
        type.send(bench);
      } else if (prelude == Before::kWrite && type.read) {
        bench.Send("PUT", "storage/tabs/t1", R"({"payload":"tab"})");
      }
      const int64_t before = counter.Read();
      const std::optional<RowCounts> rows_before = counter.Rows();
      type.send(bench);
      const int64_t statements = counter.Read() - before;
      if (repeat == 0) {
        counts[type.name] = statements;
        if (rows_before) {
          rows[type.name] = *counter.Rows() - *rows_before;
        }
      }
      BOOST_TEST(statements == counts[type.name], type.name << ": not the same count each time");
      if (type.after) {
        type.after(bench);
      }
    }
  }
  // Once warm, requests reuse the statements prepared on the server: none is parsed again.
  counter.Read();
  BOOST_TEST((counter.Prepares() == prepares), "statements prepared again after the warm-up");
  if (!rows.empty()) {
    // Informative only: InnoDB's handler counts move with page splits and purges.
    std::printf("rows per request (Handler_write, Handler_update, Handler_delete):\n");
    for (const auto& [name, counted] : rows) {
      std::printf("  %-24s %lld %lld %lld\n", name.c_str(), static_cast<long long>(counted.written),
                  static_cast<long long>(counted.updated), static_cast<long long>(counted.deleted));
    }
  }
  return counts;
}

// Prints the table, with the mix's weighted average, and compares with the pinned counts.
void Report(const std::string& database, const std::map<std::string, int64_t>& counts,
            const std::map<std::string, int64_t>& expected,
            const char* what = "statements per request") {
  double weighted = 0;
  double weights = 0;
  std::printf("%s, %s:\n", what, database.c_str());
  for (const auto& [name, count] : counts) {
    std::printf("  %-24s %lld\n", name.c_str(), static_cast<long long>(count));
    if (const auto weight = kMixWeights.find(name); weight != kMixWeights.end()) {
      weighted += weight->second * static_cast<double>(count);
      weights += weight->second;
    }
  }
  std::printf("  %-24s %.2f\n", "mix average", weighted / weights);
  std::fflush(stdout);
  for (const auto& [name, count] : expected) {
    const auto found = counts.find(name);
    BOOST_TEST_REQUIRE((found != counts.end()), name);
    BOOST_TEST(found->second == count, database << " " << name);
  }
}

#if WITH_CACHE
// The configuration with a shared cache in front of the database, verified logins in it too.
Config WithCache(Config config, const testing::MemcachedServer& memcached) {
  config.cache.servers = {memcached.Url()};
  config.cache.prefix = "stmt" + HexEncode(RandomBytes(4)) + ":";
  config.cache.login_secret = "statement-counts-login-secret-0123456789";
  return config;
}
#endif

}  // namespace

BOOST_AUTO_TEST_SUITE(statement_counts)

BOOST_AUTO_TEST_CASE(sqlite_statements_per_request_type) {
  testing::TempDir dir;
  Config config;
  config.database.sqlite.path = dir.File("weave.db");
  Bench bench(config);
  SqliteCounter counter(bench.Service().Connection());
  Report("SQLite", Measure(bench, counter),
         {{"info_collections", 3},
          {"meta_global", 3},
          {"get_collection", 3},
          {"post_collection", 8},
          {"delete_ids", 8},
          {"delete_storage", 8},
          {"get_collection_ids", 3},
          {"put_record", 8},
          {"info_quota", 3},
          {"info_collection_counts", 3}});
#if WITH_CACHE
  // With the cache: a read it answers is the login's statement, which carries the read of
  // the user's cache token (info/collections and meta/global: the login's statement carries
  // the read itself, as without a cache); a write gives the user a new token
  // (storage/caching_storage.h).
  const testing::MemcachedServer memcached;
  Config cached = WithCache(config, memcached);
  cached.database.sqlite.path = dir.File("cached.db");
  Bench cached_bench(cached);
  SqliteCounter cached_counter(cached_bench.Service().Connection());
  Report("SQLite with memcached", Measure(cached_bench, cached_counter, Before::kSameRead),
         {{"info_collections", 3},
          {"meta_global", 3},
          {"get_collection", 3},
          {"post_collection", 9},
          {"delete_ids", 9},
          {"delete_storage", 9},
          {"get_collection_ids", 3},
          {"put_record", 9},
          {"info_quota", 3},
          {"info_collection_counts", 3}});
#endif
}

#if WITH_CACHE
// Round trips to the cache per request type, each read counted when the cache answers it:
// one multi-get holds the entry and the verified login; a write only looks up the login.
BOOST_AUTO_TEST_CASE(cache_round_trips_per_request_type) {
  testing::TempDir dir;
  const testing::RedisServer redis;
  Config config;
  config.database.sqlite.path = dir.File("weave.db");
  config.cache.servers = {redis.Url()};
  config.cache.login_secret = "statement-counts-login-secret-0123456789";
  Bench bench(config);
  RedisCommandCounter counter(redis.socket);
  Report("SQLite with Redis", Measure(bench, counter, Before::kSameRead),
         {{"info_collections", 1},
          {"meta_global", 1},
          {"get_collection", 1},
          {"post_collection", 1},
          {"delete_ids", 1},
          {"delete_storage", 1},
          {"get_collection_ids", 1},
          {"put_record", 1},
          {"info_quota", 1},
          {"info_collection_counts", 1}},
         "cache round trips per request");
}
#endif

BOOST_AUTO_TEST_CASE(mysql_statements_per_request_type) {
  const auto database = testing::MysqlTestConfig("weave_statements");
  if (!database) {
    BOOST_TEST_MESSAGE("skipped: no MySQL test server (WEAVE_TEST_MYSQL_HOST is not set)");
    return;
  }
  Config config;
  config.database = *database;
  Bench bench(config);
  MysqlCounter counter(*database);
  Report("MariaDB", Measure(bench, counter),
         {{"info_collections", 1},
          {"meta_global", 1},
          {"get_collection", 1},
          // A write changes its collection_stats row itself (once, with the stamp), where
          // the triggers did it per record before.
          {"post_collection", 6},
          {"delete_ids", 6},
          {"delete_storage", 6},
          {"get_collection_ids", 1},
          {"put_record", 6},
          {"info_quota", 1},
          {"info_collection_counts", 1}});
#if WITH_CACHE
  const testing::MemcachedServer memcached;
  Bench cached_bench(WithCache(config, memcached));
  // A write: the uncached statements, plus the user's new cache token.
  Report("MariaDB with memcached", Measure(cached_bench, counter, Before::kSameRead),
         {{"info_collections", 1},
          {"meta_global", 1},
          {"get_collection", 1},
          {"post_collection", 7},
          {"delete_ids", 7},
          {"delete_storage", 7},
          {"get_collection_ids", 1},
          {"put_record", 7},
          {"info_quota", 1},
          {"info_collection_counts", 1}});
  // A read right after a write finds an entry under an older token: the token's statement
  // (with the login), then the uncached read, and the next expiry among the user's records.
  // info/collections and meta/global have no entry: the uncached read, as always.
  Report("MariaDB with memcached, reads after a write",
         Measure(cached_bench, counter, Before::kWrite),
         {{"info_collections", 1},
          {"meta_global", 1},
          {"get_collection", 1},
          {"get_collection_ids", 1},
          {"info_quota", 3},
          {"info_collection_counts", 3}});
#endif
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace weave
