// Contract tests of the Storage interface, run against every back end compiled in.
#include <stdlib.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "cached_tabs_backend.h"
#include "db/make_connection.h"
#include "storage/collection_ids.h"
#include "storage/sql_storage.h"
#include "storage/storage_upkeep.h"
#include "test_support.h"

namespace weave {
namespace {

using testing::Full;

// SqlStorage over SQLite on a file in a private temporary directory.
struct SqliteFileBackend {
  static DatabaseConfig MakeConfig(const testing::TempDir& dir) {
    DatabaseConfig config;
    config.driver = "sqlite";
    config.sqlite.path = dir.File("weave.db");
    return config;
  }

  // Always available: the file is made here.
  static std::optional<std::string> Unavailable() { return std::nullopt; }

  SqliteFileBackend()
      : config(MakeConfig(dir)), connection(MakeConnection(config)), storage(*connection) {}

  // Reads one integer with a raw query (for facts the interface does not expose).
  std::optional<int64_t> QueryInt(std::string_view sql, int64_t a, std::string_view b) {
    connection->TrimStatementCache();
    StatementScope query(connection->Prepare(sql));
    query->BindInt(0, a);
    query->BindText(1, b);
    if (!query->Step()) {
      return std::nullopt;
    }
    return query->ColumnInt(0);
  }

  testing::TempDir dir;
  DatabaseConfig config;
  std::unique_ptr<SqlConnection> connection;
  SqlStorage storage;
};

#if WITH_MYSQL
// SqlStorage over the MySQL or MariaDB server named by WEAVE_TEST_MYSQL_HOST, _PORT, _USER,
// _PASSWORD and _DATABASE (tests/mysql/run.sh sets them for the server it starts). Without
// WEAVE_TEST_MYSQL_HOST its cases pass at once with a message, so the normal unit run needs
// no database server. Each case starts from empty tables.
struct MysqlBackend {
  static std::string Env(const char* name, const char* fallback) {
    const char* value = getenv(name);
    return value != nullptr && *value != '\0' ? value : fallback;
  }

  // Why this back end cannot run here, or nothing.
  static std::optional<std::string> Unavailable() {
    if (Env("WEAVE_TEST_MYSQL_HOST", "").empty()) {
      return "no MySQL test server (WEAVE_TEST_MYSQL_HOST is not set)";
    }
    return std::nullopt;
  }

  static DatabaseConfig MakeConfig() {
    DatabaseConfig config;
    config.driver = "mysql";
    config.mysql.host = Env("WEAVE_TEST_MYSQL_HOST", "127.0.0.1");
    config.mysql.port = std::stoi(Env("WEAVE_TEST_MYSQL_PORT", "3306"));
    config.mysql.user = Env("WEAVE_TEST_MYSQL_USER", "weave");
    config.mysql.password = Env("WEAVE_TEST_MYSQL_PASSWORD", "");
    config.mysql.database = Env("WEAVE_TEST_MYSQL_DATABASE", "weave_contract");
    return config;
  }

  MysqlBackend() : config(MakeConfig()), connection(MakeConnection(config)), storage(*connection) {
    for (const char* table : {"wbo", "collections", "collection_stats", "users", "password_resets",
                              "invites", "login_failures", "trusted_addresses"}) {
      StatementScope wipe(connection->Prepare(std::string("DELETE FROM ") + table));
      wipe->Step();
    }
  }

  // Reads one integer with a raw query (for facts the interface does not expose).
  std::optional<int64_t> QueryInt(std::string_view sql, int64_t a, std::string_view b) {
    connection->TrimStatementCache();
    StatementScope query(connection->Prepare(sql));
    query->BindInt(0, a);
    query->BindText(1, b);
    if (!query->Step()) {
      return std::nullopt;
    }
    return query->ColumnInt(0);
  }

  DatabaseConfig config;
  std::unique_ptr<SqlConnection> connection;
  SqlStorage storage;
};

#define MYSQL_BACKEND , MysqlBackend
#else
#define MYSQL_BACKEND
#endif
#if WITH_CACHE
// One collection in a real cache (storage/cached_tabs.h): cached_tabs_backend.h.
#define CACHED_BACKENDS , testing::CachedBookmarksInMemcached, testing::CachedHistoryInRedis
#else
#define CACHED_BACKENDS
#endif
using Backends = std::tuple<SqliteFileBackend MYSQL_BACKEND CACHED_BACKENDS>;

// Declares the case's back end as NAME, or ends the case (passed, with a message) when that
// back end has no server here.
#define CONTRACT_BACKEND(NAME)                                            \
  if (const std::optional<std::string> reason = Backend::Unavailable()) { \
    BOOST_TEST_MESSAGE("skipped: " << *reason);                           \
    return;                                                               \
  }                                                                       \
  Backend NAME

constexpr UserId kAlice = 1;
constexpr UserId kBob = 2;
constexpr int64_t kT0 = 130000000000;  // 1300000000.00 s in centiseconds
constexpr int64_t kNow = kT0 / 100;    // the same instant in seconds

// A record as read back, owning its text.
struct Stored {
  std::string id;
  int64_t modified_cs = 0;
  std::optional<int64_t> sortindex;
  std::optional<std::string> payload;
  std::optional<std::string> parentid;
  std::optional<std::string> predecessorid;
};

std::optional<std::string> Own(std::optional<std::string_view> text) {
  return text ? std::optional<std::string>(std::string(*text)) : std::nullopt;
}

Stored Copy(const ItemView& item) {
  return Stored{std::string(item.id), item.modified_cs,   item.sortindex,
                Own(item.payload),    Own(item.parentid), Own(item.predecessorid)};
}

std::optional<Stored> Get(Storage& storage, UserId user, std::string_view collection,
                          std::string_view id, int64_t now_s = kNow) {
  std::optional<Stored> found;
  const bool visited = storage.GetItem(user, collection, id, now_s,
                                       [&found](const ItemView& item) { found = Copy(item); });
  BOOST_TEST(visited == found.has_value());
  return found;
}

std::vector<Stored> GetAll(Storage& storage, UserId user, std::string_view collection,
                           const CollectionFilter& filter = {}, int64_t now_s = kNow) {
  std::vector<Stored> items;
  const int64_t count =
      storage.GetItems(user, collection, filter, true, now_s,
                       [&items](const ItemView& item) { items.push_back(Copy(item)); });
  BOOST_TEST(count == static_cast<int64_t>(items.size()));
  return items;
}

std::vector<std::string> Ids(Storage& storage, UserId user, std::string_view collection,
                             const CollectionFilter& filter = {}, int64_t now_s = kNow) {
  std::vector<std::string> ids;
  const int64_t count =
      storage.GetItems(user, collection, filter, false, now_s,
                       [&ids](const ItemView& item) { ids.emplace_back(item.id); });
  BOOST_TEST(count == static_cast<int64_t>(ids.size()));
  return ids;
}

using Names = std::vector<std::string>;

// Ids in a stable order, for filters without a sort.
Names Sorted(Names ids) {
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::map<std::string, int64_t> AsMap(const std::vector<std::pair<std::string, int64_t>>& rows) {
  return {rows.begin(), rows.end()};
}

WriteContext At(int64_t request_time_cs, std::optional<int64_t> since = std::nullopt,
                int64_t quota_bytes = 0) {
  WriteContext context;
  context.request_time_cs = request_time_cs;
  context.if_unmodified_since_cs = since;
  context.quota_bytes = quota_bytes;
  return context;
}

ItemWrite WithIndex(std::string_view id, int64_t sortindex, std::string_view payload = "x") {
  ItemWrite write = Full(id, payload);
  write.sortindex = sortindex;
  return write;
}

ItemWrite WithTtl(std::string_view id, int64_t ttl_seconds, std::string_view payload = "x") {
  ItemWrite write = Full(id, payload);
  write.ttl_seconds = ttl_seconds;
  return write;
}

WriteResult Put(Storage& storage, UserId user, std::string_view collection,
                std::vector<ItemWrite> items, const WriteContext& context) {
  return storage.PutItems(user, collection, items, context);
}

WriteResult PutOne(Storage& storage, UserId user, std::string_view collection, ItemWrite item,
                   int64_t time_cs) {
  return Put(storage, user, collection, {item}, At(time_cs));
}

CollectionFilter IdsFilter(Names ids) {
  CollectionFilter filter;
  filter.ids = std::move(ids);
  return filter;
}

// Five records written at kT0 + 100*i (i = 0..4) with sortindex 10*i, parent "p<i%2>".
void WriteFive(Storage& storage, UserId user = kAlice, std::string_view collection = "history") {
  static const char* const kIds[] = {"a", "b", "c", "d", "e"};
  static const char* const kParents[] = {"p0", "p1"};
  for (int i = 0; i < 5; ++i) {
    ItemWrite write = WithIndex(kIds[i], 10 * i, "payload");
    write.parentid = kParents[i % 2];
    write.predecessorid = i > 0 ? std::optional<std::string_view>(kIds[i - 1]) : std::nullopt;
    BOOST_REQUIRE(
        (PutOne(storage, user, collection, write, kT0 + 100 * i).status == WriteStatus::kDone));
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(storage_contract)

BOOST_AUTO_TEST_CASE_TEMPLATE(new_user_has_no_collections_items_or_usage, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  BOOST_TEST(storage.GetCollectionTimestamps(kAlice).empty());
  BOOST_TEST(storage.GetCollectionCounts(kAlice, kNow).empty());
  BOOST_TEST(storage.GetCollectionUsage(kAlice, kNow).empty());
  BOOST_TEST(storage.GetTotalUsage(kAlice, kNow) == 0);
  BOOST_TEST(!storage.GetCollectionTimestamp(kAlice, "bookmarks").has_value());
  BOOST_TEST(!Get(storage, kAlice, "bookmarks", "x").has_value());
  BOOST_TEST(Ids(storage, kAlice, "bookmarks").empty());
  BOOST_TEST(Ids(storage, kAlice, "custom").empty());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(put_items_stamps_every_record_with_the_request_time, Backend,
                              Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  const WriteResult result = Put(storage, kAlice, "bookmarks",
                                 {Full("a", "1"), Full("b", "22"), Full("c", "333")}, At(kT0 + 25));
  BOOST_TEST((result.status == WriteStatus::kDone));
  BOOST_TEST(result.timestamp_cs == kT0 + 25);
  for (const Stored& item : GetAll(storage, kAlice, "bookmarks")) {
    BOOST_TEST(item.modified_cs == kT0 + 25);
  }
  BOOST_TEST(storage.GetCollectionTimestamp(kAlice, "bookmarks").value() == kT0 + 25);
  const auto stamps = AsMap(storage.GetCollectionTimestamps(kAlice));
  BOOST_TEST(stamps.size() == 1U);
  BOOST_TEST(stamps.at("bookmarks") == kT0 + 25);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(stores_every_field_and_reads_it_back, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  ItemWrite write = WithIndex("rec", -42, "{\"ciphertext\":\"x\"}");
  write.parentid = "parent";
  write.predecessorid = "pred";
  PutOne(storage, kAlice, "bookmarks", write, kT0);
  const auto item = Get(storage, kAlice, "bookmarks", "rec");
  BOOST_REQUIRE(item.has_value());
  BOOST_TEST(item->id == "rec");
  BOOST_TEST(item->modified_cs == kT0);
  BOOST_TEST(item->sortindex.value() == -42);
  BOOST_TEST(item->payload.value() == "{\"ciphertext\":\"x\"}");
  BOOST_TEST(item->parentid.value() == "parent");
  BOOST_TEST(item->predecessorid.value() == "pred");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(absent_optional_fields_read_back_as_absent, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  PutOne(backend.storage, kAlice, "tabs", Full("t", "p"), kT0);
  const auto item = Get(backend.storage, kAlice, "tabs", "t");
  BOOST_REQUIRE(item.has_value());
  BOOST_TEST(!item->sortindex.has_value());
  BOOST_TEST(!item->parentid.has_value());
  BOOST_TEST(!item->predecessorid.has_value());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(payload_bytes_round_trip_exactly, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  const std::string payload("a\0b\xc3\xa4\n\"\\", 8);
  PutOne(backend.storage, kAlice, "forms", Full("f", payload), kT0);
  BOOST_TEST(Get(backend.storage, kAlice, "forms", "f")->payload.value() == payload);
  BOOST_TEST(backend.storage.GetTotalUsage(kAlice, kNow) == 8);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(put_result_reports_the_users_usage_bytes, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  BOOST_TEST(PutOne(storage, kAlice, "bookmarks", Full("a", "12345"), kT0).usage_bytes == 5);
  BOOST_TEST(PutOne(storage, kAlice, "history", Full("b", "123"), kT0 + 1).usage_bytes == 8);
  BOOST_TEST(PutOne(storage, kAlice, "history", Full("b", "1"), kT0 + 2).usage_bytes == 6);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(second_write_in_the_same_centisecond_gets_a_later_timestamp, Backend,
                              Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  const WriteResult first = PutOne(storage, kAlice, "bookmarks", Full("a", "1"), kT0);
  const WriteResult second = PutOne(storage, kAlice, "bookmarks", Full("b", "2"), kT0);
  BOOST_TEST(first.timestamp_cs == kT0);
  BOOST_TEST(second.timestamp_cs == kT0 + 1);
  BOOST_TEST(Get(storage, kAlice, "bookmarks", "b")->modified_cs == kT0 + 1);
  BOOST_TEST(storage.GetCollectionTimestamp(kAlice, "bookmarks").value() == kT0 + 1);
  // A client that synced up to the first write still sees the second one.
  CollectionFilter newer;
  newer.newer_cs = first.timestamp_cs;
  BOOST_TEST((Ids(storage, kAlice, "bookmarks", newer) == Names{"b"}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(write_with_clock_behind_last_change_still_moves_forward, Backend,
                              Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  PutOne(storage, kAlice, "bookmarks", Full("a", "1"), kT0 + 500);
  BOOST_TEST(PutOne(storage, kAlice, "bookmarks", Full("b", "2"), kT0).timestamp_cs == kT0 + 501);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(other_collections_keep_the_request_time, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  PutOne(storage, kAlice, "bookmarks", Full("a", "1"), kT0);
  BOOST_TEST(PutOne(storage, kAlice, "history", Full("a", "1"), kT0).timestamp_cs == kT0);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(delete_in_the_same_centisecond_as_a_write_gets_a_later_timestamp,
                              Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  PutOne(storage, kAlice, "bookmarks", Full("a", "1"), kT0);
  PutOne(storage, kAlice, "bookmarks", Full("b", "1"), kT0);
  const WriteResult deleted = storage.DeleteItems(kAlice, "bookmarks", IdsFilter({"a"}), At(kT0));
  BOOST_TEST((deleted.status == WriteStatus::kDone));
  BOOST_TEST(deleted.timestamp_cs == kT0 + 2);
  BOOST_TEST(storage.GetCollectionTimestamp(kAlice, "bookmarks").value() == kT0 + 2);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(rewrite_with_payload_replaces_payload_and_keeps_unsent_metadata,
                              Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  ItemWrite first = WithIndex("a", 7, "old");
  first.parentid = "p";
  PutOne(storage, kAlice, "bookmarks", first, kT0);
  PutOne(storage, kAlice, "bookmarks", Full("a", "new"), kT0 + 100);
  const auto item = Get(storage, kAlice, "bookmarks", "a");
  BOOST_REQUIRE(item.has_value());
  BOOST_TEST(item->payload.value() == "new");
  BOOST_TEST(item->sortindex.value() == 7);
  BOOST_TEST(item->parentid.value() == "p");
  BOOST_TEST(item->modified_cs == kT0 + 100);
  BOOST_TEST(Ids(storage, kAlice, "bookmarks").size() == 1U);
}

// Records are written in multi-row statements of 64, 32, ... 1 rows: every size is used
// here, an id sent twice is written in order, and a metadata update in the same request
// as the record it changes keeps the payload.
BOOST_AUTO_TEST_CASE_TEMPLATE(one_write_of_many_records_keeps_each_and_their_order, Backend,
                              Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  std::vector<std::string> ids;
  for (int i = 0; i < 124; ++i) {  // with the three below, 127 = 64 + 32 + ... + 1
    ids.push_back("id" + std::to_string(i));
  }
  std::vector<std::string> payloads;  // ItemWrite only views its text
  for (const std::string& id : ids) {
    payloads.push_back("payload of " + id);
  }
  std::vector<ItemWrite> items;
  for (size_t i = 0; i < ids.size(); ++i) {
    items.push_back(WithIndex(ids[i], static_cast<int64_t>(i), payloads[i]));
  }
  items.push_back(Full("id5", "second payload of id5"));  // the same id, later in the batch
  ItemWrite metadata;
  metadata.id = "id7";
  metadata.sortindex = 700;
  items.push_back(metadata);
  items.push_back(WithTtl("id9", 60, "short-lived"));
  const WriteResult result = Put(storage, kAlice, "history", items, At(kT0));
  BOOST_TEST((result.status == WriteStatus::kDone));
  BOOST_TEST(Ids(storage, kAlice, "history").size() == 124U);
  BOOST_TEST(Get(storage, kAlice, "history", "id0")->payload.value() == "payload of id0");
  BOOST_TEST(Get(storage, kAlice, "history", "id123")->sortindex.value() == 123);
  BOOST_TEST(Get(storage, kAlice, "history", "id5")->payload.value() == "second payload of id5");
  BOOST_TEST(Get(storage, kAlice, "history", "id5")->sortindex.value() == 5);
  BOOST_TEST(Get(storage, kAlice, "history", "id7")->payload.value() == "payload of id7");
  BOOST_TEST(Get(storage, kAlice, "history", "id7")->sortindex.value() == 700);
  // The ttl of the last write counts; the record expires 60 s after the request.
  BOOST_TEST(!Get(storage, kAlice, "history", "id9", (kT0 / 100) + 61).has_value());
  BOOST_TEST(Get(storage, kAlice, "history", "id9", (kT0 / 100) + 59).has_value());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(metadata_only_update_keeps_modified_and_payload, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  PutOne(storage, kAlice, "bookmarks", WithIndex("a", 1, "body"), kT0);
  ItemWrite update;
  update.id = "a";
  update.sortindex = 99;
  update.predecessorid = "z";
  BOOST_TEST(
      (PutOne(storage, kAlice, "bookmarks", update, kT0 + 100).status == WriteStatus::kDone));
  const auto item = Get(storage, kAlice, "bookmarks", "a");
  BOOST_REQUIRE(item.has_value());
  BOOST_TEST(item->sortindex.value() == 99);
  BOOST_TEST(item->predecessorid.value() == "z");
  BOOST_TEST(item->payload.value() == "body");
  BOOST_TEST(item->modified_cs == kT0);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(parentid_only_update_bumps_modified, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  PutOne(storage, kAlice, "bookmarks", Full("a", "body"), kT0);
  ItemWrite update;
  update.id = "a";
  update.parentid = "newparent";
  PutOne(storage, kAlice, "bookmarks", update, kT0 + 100);
  const auto item = Get(storage, kAlice, "bookmarks", "a");
  BOOST_TEST(item->modified_cs == kT0 + 100);
  BOOST_TEST(item->parentid.value() == "newparent");
  BOOST_TEST(item->payload.value() == "body");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(metadata_only_write_of_a_new_id_creates_a_record_without_payload,
                              Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  ItemWrite write;
  write.id = "meta";
  write.sortindex = 11;
  PutOne(storage, kAlice, "bookmarks", write, kT0);
  const auto item = Get(storage, kAlice, "bookmarks", "meta");
  BOOST_REQUIRE(item.has_value());
  BOOST_TEST(!item->payload.has_value());
  BOOST_TEST(item->sortindex.value() == 11);
  BOOST_TEST(storage.GetTotalUsage(kAlice, kNow) == 0);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(ttl_expires_records_at_write_time_plus_ttl, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  Put(storage, kAlice, "clients", {WithTtl("short", 10, "12345"), Full("forever", "123")}, At(kT0));
  const int64_t live = kNow + 9;
  const int64_t dead = kNow + 10;
  BOOST_TEST(Get(storage, kAlice, "clients", "short", live).has_value());
  BOOST_TEST(!Get(storage, kAlice, "clients", "short", dead).has_value());
  BOOST_TEST((Sorted(Ids(storage, kAlice, "clients", {}, live)) == Names{"forever", "short"}));
  BOOST_TEST((Ids(storage, kAlice, "clients", {}, dead) == Names{"forever"}));
  BOOST_TEST(AsMap(storage.GetCollectionCounts(kAlice, live)).at("clients") == 2);
  BOOST_TEST(AsMap(storage.GetCollectionCounts(kAlice, dead)).at("clients") == 1);
  BOOST_TEST(AsMap(storage.GetCollectionUsage(kAlice, live)).at("clients") == 8);
  BOOST_TEST(AsMap(storage.GetCollectionUsage(kAlice, dead)).at("clients") == 3);
  BOOST_TEST(storage.GetTotalUsage(kAlice, live) == 8);
  BOOST_TEST(storage.GetTotalUsage(kAlice, dead) == 3);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(ttl_is_counted_from_the_request_time_in_whole_seconds, Backend,
                              Backends) {
  CONTRACT_BACKEND(backend);
  // Written at 1300000000.99: expiry is 1300000000 + 10.
  PutOne(backend.storage, kAlice, "tabs", WithTtl("t", 10), kT0 + 99);
  BOOST_TEST(Get(backend.storage, kAlice, "tabs", "t", kNow + 9).has_value());
  BOOST_TEST(!Get(backend.storage, kAlice, "tabs", "t", kNow + 10).has_value());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(ttl_zero_hides_the_record_at_once, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  PutOne(backend.storage, kAlice, "tabs", WithTtl("gone", 0), kT0);
  BOOST_TEST(!Get(backend.storage, kAlice, "tabs", "gone").has_value());
  BOOST_TEST(Ids(backend.storage, kAlice, "tabs").empty());
  BOOST_TEST(backend.storage.GetCollectionCounts(kAlice, kNow).empty());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(rewriting_an_expired_record_with_payload_revives_it, Backend,
                              Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  PutOne(storage, kAlice, "tabs", WithTtl("t", 1, "old"), kT0);
  PutOne(storage, kAlice, "tabs", Full("t", "new"), kT0 + 500);
  const auto item = Get(storage, kAlice, "tabs", "t", kNow + 1000);
  BOOST_REQUIRE(item.has_value());
  BOOST_TEST(item->payload.value() == "new");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(new_ttl_replaces_the_old_expiry, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  PutOne(storage, kAlice, "tabs", WithTtl("t", 5), kT0);
  PutOne(storage, kAlice, "tabs", WithTtl("t", 100), kT0 + 100);
  BOOST_TEST(Get(storage, kAlice, "tabs", "t", kNow + 100).has_value());
  BOOST_TEST(!Get(storage, kAlice, "tabs", "t", kNow + 101).has_value());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(metadata_update_keeps_the_expiry, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  PutOne(storage, kAlice, "tabs", WithTtl("t", 10), kT0);
  ItemWrite update;
  update.id = "t";
  update.sortindex = 3;
  PutOne(storage, kAlice, "tabs", update, kT0 + 100);
  BOOST_TEST(Get(storage, kAlice, "tabs", "t", kNow + 9).has_value());
  BOOST_TEST(!Get(storage, kAlice, "tabs", "t", kNow + 10).has_value());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(refuses_writes_once_usage_reaches_the_quota, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  const int64_t quota = 100;
  const std::string sixty(60, 'x');
  BOOST_TEST(
      (Put(storage, kAlice, "history", {Full("a", sixty)}, At(kT0, std::nullopt, quota)).status ==
       WriteStatus::kDone));
  // Usage (60) is below the quota, so this write may overshoot it.
  const WriteResult overshoot =
      Put(storage, kAlice, "history", {Full("b", sixty)}, At(kT0 + 1, std::nullopt, quota));
  BOOST_TEST((overshoot.status == WriteStatus::kDone));
  BOOST_TEST(overshoot.usage_bytes == 120);
  const WriteResult refused =
      Put(storage, kAlice, "bookmarks", {Full("c", "x")}, At(kT0 + 2, std::nullopt, quota));
  BOOST_TEST((refused.status == WriteStatus::kOverQuota));
  BOOST_TEST(!Get(storage, kAlice, "bookmarks", "c").has_value());
  BOOST_TEST(storage.GetTotalUsage(kAlice, kNow) == 120);
  BOOST_TEST(!storage.GetCollectionTimestamp(kAlice, "bookmarks").has_value());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(usage_exactly_at_the_quota_is_over_quota, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  Put(storage, kAlice, "history", {Full("a", std::string(100, 'x'))}, At(kT0));
  BOOST_TEST(
      (Put(storage, kAlice, "history", {Full("b", "x")}, At(kT0 + 1, std::nullopt, 100)).status ==
       WriteStatus::kOverQuota));
  BOOST_TEST(
      (Put(storage, kAlice, "history", {Full("b", "x")}, At(kT0 + 1, std::nullopt, 101)).status ==
       WriteStatus::kDone));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(quota_is_per_user, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  Put(storage, kAlice, "history", {Full("a", std::string(100, 'x'))}, At(kT0));
  BOOST_TEST(
      (Put(storage, kBob, "history", {Full("b", "x")}, At(kT0 + 1, std::nullopt, 100)).status ==
       WriteStatus::kDone));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(quota_check_purges_expired_records_first, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  const std::string big(100, 'x');
  Put(storage, kAlice, "tabs", {WithTtl("old", 1, big)}, At(kT0));
  Put(storage, kAlice, "history", {Full("keep", "12345")}, At(kT0));
  // Two seconds later the tab has expired: the quota counts only live data.
  const WriteResult result =
      Put(storage, kAlice, "bookmarks", {Full("new", "abc")}, At(kT0 + 200, std::nullopt, 100));
  BOOST_TEST((result.status == WriteStatus::kDone));
  BOOST_TEST(result.usage_bytes == 8);
  if (testing::CachedCollectionOf<Backend>() == "bookmarks") {
    return;  // a write that never reaches the database does not purge its rows
  }
  BOOST_TEST(storage.GetTotalUsage(kAlice, 0) == 8);  // the expired row is gone, not hidden
  BOOST_TEST(!AsMap(storage.GetCollectionTimestamps(kAlice)).contains("tabs"));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(quota_zero_means_unlimited, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  Put(storage, kAlice, "history", {Full("a", std::string(1000, 'x'))}, At(kT0));
  BOOST_TEST(
      (Put(storage, kAlice, "history", {Full("b", "x")}, At(kT0 + 1, std::nullopt, 0)).status ==
       WriteStatus::kDone));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(deletes_work_when_over_quota, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  Put(storage, kAlice, "history", {Full("a", std::string(200, 'x'))}, At(kT0));
  const WriteResult deleted =
      storage.DeleteItems(kAlice, "history", IdsFilter({"a"}), At(kT0 + 1, std::nullopt, 100));
  BOOST_TEST((deleted.status == WriteStatus::kDone));
  BOOST_TEST(deleted.usage_bytes == 0);
  BOOST_TEST(
      (Put(storage, kAlice, "history", {Full("b", "x")}, At(kT0 + 2, std::nullopt, 100)).status ==
       WriteStatus::kDone));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(if_unmodified_since_refuses_a_write_after_a_later_change, Backend,
                              Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  PutOne(storage, kAlice, "bookmarks", Full("a", "1"), kT0 + 50);
  const WriteResult refused =
      Put(storage, kAlice, "bookmarks", {Full("a", "2"), Full("b", "2")}, At(kT0 + 100, kT0 + 49));
  BOOST_TEST((refused.status == WriteStatus::kModifiedSince));
  BOOST_TEST(Get(storage, kAlice, "bookmarks", "a")->payload.value() == "1");
  BOOST_TEST(!Get(storage, kAlice, "bookmarks", "b").has_value());
  BOOST_TEST(storage.GetCollectionTimestamp(kAlice, "bookmarks").value() == kT0 + 50);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(if_unmodified_since_equal_to_the_last_change_passes, Backend,
                              Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  PutOne(storage, kAlice, "bookmarks", Full("a", "1"), kT0 + 50);
  BOOST_TEST((Put(storage, kAlice, "bookmarks", {Full("a", "2")}, At(kT0 + 100, kT0 + 50)).status ==
              WriteStatus::kDone));
  BOOST_TEST(Get(storage, kAlice, "bookmarks", "a")->payload.value() == "2");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(if_unmodified_since_is_checked_per_collection, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  PutOne(storage, kAlice, "history", Full("a", "1"), kT0 + 500);
  PutOne(storage, kAlice, "bookmarks", Full("a", "1"), kT0);
  BOOST_TEST((Put(storage, kAlice, "bookmarks", {Full("b", "2")}, At(kT0 + 600, kT0)).status ==
              WriteStatus::kDone));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(if_unmodified_since_never_fails_on_an_empty_collection, Backend,
                              Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  BOOST_TEST((Put(storage, kAlice, "bookmarks", {Full("a", "1")}, At(kT0, 0)).status ==
              WriteStatus::kDone));
  storage.DeleteItems(kAlice, "bookmarks", {}, At(kT0 + 100));
  BOOST_TEST((Put(storage, kAlice, "bookmarks", {Full("a", "1")}, At(kT0 + 200, 0)).status ==
              WriteStatus::kDone));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(if_unmodified_since_refuses_a_delete_after_a_later_change, Backend,
                              Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  PutOne(storage, kAlice, "bookmarks", Full("a", "1"), kT0 + 50);
  const WriteResult refused = storage.DeleteItems(kAlice, "bookmarks", {}, At(kT0 + 100, kT0));
  BOOST_TEST((refused.status == WriteStatus::kModifiedSince));
  BOOST_TEST(Get(storage, kAlice, "bookmarks", "a").has_value());
  BOOST_TEST((storage.DeleteItems(kAlice, "bookmarks", {}, At(kT0 + 100, kT0 + 50)).status ==
              WriteStatus::kDone));
  BOOST_TEST(!Get(storage, kAlice, "bookmarks", "a").has_value());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(filters_by_ids, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  WriteFive(storage);
  BOOST_TEST(
      (Sorted(Ids(storage, kAlice, "history", IdsFilter({"a", "c", "zz"}))) == Names{"a", "c"}));
  BOOST_TEST((Sorted(Ids(storage, kAlice, "history", IdsFilter({"e", "d", "c", "b", "a"}))) ==
              Names{"a", "b", "c", "d", "e"}));
  BOOST_TEST((Ids(storage, kAlice, "history", IdsFilter({"b", "b"})) == Names{"b"}));
  BOOST_TEST(Ids(storage, kAlice, "history", IdsFilter({})).empty());
  BOOST_TEST(Ids(storage, kAlice, "history", IdsFilter({"A"})).empty());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(filters_by_a_long_id_list, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  WriteFive(storage);
  Names many;
  for (int i = 0; i < 1000; ++i) {
    many.push_back("id" + std::to_string(i));
  }
  many.push_back("e");
  BOOST_TEST((Ids(storage, kAlice, "history", IdsFilter(many)) == Names{"e"}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(newer_and_older_are_strict_bounds, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  WriteFive(storage);  // modified kT0, +100, +200, +300, +400
  CollectionFilter filter;
  filter.newer_cs = kT0 + 100;
  BOOST_TEST((Sorted(Ids(storage, kAlice, "history", filter)) == Names{"c", "d", "e"}));
  filter.older_cs = kT0 + 400;
  BOOST_TEST((Sorted(Ids(storage, kAlice, "history", filter)) == Names{"c", "d"}));
  filter.newer_cs.reset();
  filter.older_cs = kT0 + 100;
  BOOST_TEST((Ids(storage, kAlice, "history", filter) == Names{"a"}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(index_above_and_below_are_strict_bounds, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  WriteFive(storage);  // sortindex 0, 10, 20, 30, 40
  CollectionFilter filter;
  filter.index_above = 10;
  BOOST_TEST((Sorted(Ids(storage, kAlice, "history", filter)) == Names{"c", "d", "e"}));
  filter.index_below = 40;
  BOOST_TEST((Sorted(Ids(storage, kAlice, "history", filter)) == Names{"c", "d"}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(index_bounds_skip_records_without_sortindex, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  PutOne(storage, kAlice, "history", Full("none", "x"), kT0);
  PutOne(storage, kAlice, "history", WithIndex("five", 5), kT0);
  CollectionFilter filter;
  filter.index_below = 100;
  BOOST_TEST((Ids(storage, kAlice, "history", filter) == Names{"five"}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(filters_by_parentid_and_predecessorid, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  WriteFive(storage);
  CollectionFilter filter;
  filter.parentid = "p1";
  BOOST_TEST((Sorted(Ids(storage, kAlice, "history", filter)) == Names{"b", "d"}));
  filter.parentid.reset();
  filter.predecessorid = "c";
  BOOST_TEST((Ids(storage, kAlice, "history", filter) == Names{"d"}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(sorts_oldest_newest_and_by_index, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  WriteFive(storage);
  CollectionFilter filter;
  filter.sort = SortOrder::kOldest;
  BOOST_TEST((Ids(storage, kAlice, "history", filter) == Names{"a", "b", "c", "d", "e"}));
  filter.sort = SortOrder::kNewest;
  BOOST_TEST((Ids(storage, kAlice, "history", filter) == Names{"e", "d", "c", "b", "a"}));
  filter.sort = SortOrder::kIndex;  // highest sortindex first
  BOOST_TEST((Ids(storage, kAlice, "history", filter) == Names{"e", "d", "c", "b", "a"}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(equal_sort_keys_are_ordered_by_id, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  Put(storage, kAlice, "history", {WithIndex("b", 1), WithIndex("c", 1), WithIndex("a", 1)},
      At(kT0));
  CollectionFilter filter;
  filter.sort = SortOrder::kOldest;
  BOOST_TEST((Ids(storage, kAlice, "history", filter) == Names{"a", "b", "c"}));
  filter.sort = SortOrder::kNewest;
  BOOST_TEST((Ids(storage, kAlice, "history", filter) == Names{"c", "b", "a"}));
  filter.sort = SortOrder::kIndex;
  BOOST_TEST((Ids(storage, kAlice, "history", filter) == Names{"c", "b", "a"}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(limit_and_offset_page_through_sorted_results, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  WriteFive(storage);
  CollectionFilter filter;
  filter.sort = SortOrder::kOldest;
  filter.limit = 2;
  BOOST_TEST((Ids(storage, kAlice, "history", filter) == Names{"a", "b"}));
  filter.offset = 2;
  BOOST_TEST((Ids(storage, kAlice, "history", filter) == Names{"c", "d"}));
  filter.offset = 4;
  BOOST_TEST((Ids(storage, kAlice, "history", filter) == Names{"e"}));
  filter.offset = 5;
  BOOST_TEST(Ids(storage, kAlice, "history", filter).empty());
  filter.limit = 100;
  filter.offset = 0;
  BOOST_TEST(Ids(storage, kAlice, "history", filter).size() == 5U);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(offset_without_limit_is_ignored, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  WriteFive(storage);
  CollectionFilter filter;
  filter.offset = 3;
  BOOST_TEST(Ids(storage, kAlice, "history", filter).size() == 5U);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(filters_combine_with_sort_and_limit, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  WriteFive(storage);
  CollectionFilter filter;
  filter.newer_cs = kT0;
  filter.parentid = "p0";
  filter.sort = SortOrder::kNewest;
  filter.limit = 1;
  BOOST_TEST((Ids(storage, kAlice, "history", filter) == Names{"e"}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(ids_only_read_returns_just_the_ids, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  WriteFive(storage);
  int64_t visits = 0;
  const int64_t count =
      storage.GetItems(kAlice, "history", {}, false, kNow, [&visits](const ItemView& item) {
        ++visits;
        BOOST_TEST(!item.id.empty());
        BOOST_TEST(!item.payload.has_value());
      });
  BOOST_TEST(count == 5);
  BOOST_TEST(visits == 5);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(delete_with_filters_removes_only_matching_records, Backend,
                              Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  WriteFive(storage);
  CollectionFilter filter;
  filter.parentid = "p0";
  filter.older_cs = kT0 + 400;
  const WriteResult result = storage.DeleteItems(kAlice, "history", filter, At(kT0 + 1000));
  BOOST_TEST((result.status == WriteStatus::kDone));
  BOOST_TEST(result.timestamp_cs == kT0 + 1000);
  BOOST_TEST((Sorted(Ids(storage, kAlice, "history")) == Names{"b", "d", "e"}));
  BOOST_TEST(storage.GetCollectionTimestamp(kAlice, "history").value() == kT0 + 1000);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(delete_by_ids_removes_those_records, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  WriteFive(storage);
  storage.DeleteItems(kAlice, "history", IdsFilter({"a", "e", "missing"}), At(kT0 + 1000));
  BOOST_TEST((Sorted(Ids(storage, kAlice, "history")) == Names{"b", "c", "d"}));
  storage.DeleteItems(kAlice, "history", IdsFilter({}), At(kT0 + 1100));
  BOOST_TEST(Ids(storage, kAlice, "history").size() == 3U);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(delete_with_limit_removes_the_first_records_in_sort_order, Backend,
                              Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  WriteFive(storage);
  CollectionFilter filter;
  filter.sort = SortOrder::kOldest;
  filter.limit = 2;
  storage.DeleteItems(kAlice, "history", filter, At(kT0 + 1000));
  BOOST_TEST((Sorted(Ids(storage, kAlice, "history")) == Names{"c", "d", "e"}));
  filter.sort = SortOrder::kIndex;
  filter.limit = 1;
  filter.offset = 1;
  storage.DeleteItems(kAlice, "history", filter, At(kT0 + 1100));
  BOOST_TEST((Sorted(Ids(storage, kAlice, "history")) == Names{"c", "e"}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(delete_without_filters_empties_the_collection, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  WriteFive(storage);
  PutOne(storage, kAlice, "bookmarks", Full("keep", "x"), kT0);
  BOOST_TEST(
      (storage.DeleteItems(kAlice, "history", {}, At(kT0 + 1000)).status == WriteStatus::kDone));
  BOOST_TEST(Ids(storage, kAlice, "history").empty());
  BOOST_TEST(!storage.GetCollectionTimestamp(kAlice, "history").has_value());
  const auto stamps = AsMap(storage.GetCollectionTimestamps(kAlice));
  BOOST_TEST(!stamps.contains("history"));
  BOOST_TEST(stamps.contains("bookmarks"));
  BOOST_TEST(!AsMap(storage.GetCollectionCounts(kAlice, kNow)).contains("history"));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(delete_removes_expired_records_too, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  PutOne(storage, kAlice, "tabs", WithTtl("t", 0, "12345"), kT0);
  storage.DeleteItems(kAlice, "tabs", IdsFilter({"t"}), At(kT0 + 100));
  BOOST_TEST(storage.GetTotalUsage(kAlice, 0) == 0);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(delete_of_an_unknown_collection_is_done_and_creates_nothing, Backend,
                              Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  const WriteResult result = storage.DeleteItems(kAlice, "nothing", {}, At(kT0));
  BOOST_TEST((result.status == WriteStatus::kDone));
  BOOST_TEST(result.timestamp_cs == kT0);
  BOOST_TEST(storage.GetCollectionTimestamps(kAlice).empty());
  BOOST_TEST(!backend
                  .QueryInt("SELECT count(*) FROM collections WHERE userid = ? AND name = ?",
                            kAlice, "nothing")
                  .value_or(0));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(delete_that_removes_nothing_keeps_the_collection_timestamp, Backend,
                              Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  PutOne(storage, kAlice, "bookmarks", Full("a", "x"), kT0);
  storage.DeleteItems(kAlice, "bookmarks", IdsFilter({"missing"}), At(kT0 + 100));
  BOOST_TEST(storage.GetCollectionTimestamp(kAlice, "bookmarks").value() == kT0);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(delete_storage_removes_only_that_users_data, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  WriteFive(storage, kAlice, "history");
  WriteFive(storage, kAlice, "custom1");
  WriteFive(storage, kBob, "history");
  storage.DeleteStorage(kAlice);
  BOOST_TEST(storage.GetCollectionTimestamps(kAlice).empty());
  BOOST_TEST(storage.GetTotalUsage(kAlice, kNow) == 0);
  BOOST_TEST(Ids(storage, kAlice, "history").empty());
  BOOST_TEST(Ids(storage, kAlice, "custom1").empty());
  BOOST_TEST(Ids(storage, kBob, "history").size() == 5U);
  BOOST_TEST(storage.GetCollectionTimestamps(kBob).size() == 1U);
  // The account can be used again at once.
  BOOST_TEST(
      (PutOne(storage, kAlice, "history", Full("a", "x"), kT0).status == WriteStatus::kDone));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(custom_collections_get_ids_from_101_per_user, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  PutOne(storage, kAlice, "first", Full("a", "x"), kT0);
  PutOne(storage, kAlice, "second", Full("a", "x"), kT0);
  PutOne(storage, kAlice, "first", Full("b", "x"), kT0 + 1);
  PutOne(storage, kBob, "other", Full("a", "x"), kT0);
  constexpr const char* kQuery =
      "SELECT collectionid FROM collections WHERE userid = ? AND name = ?";
  BOOST_TEST(backend.QueryInt(kQuery, kAlice, "first").value() == kFirstCustomCollectionId);
  BOOST_TEST(backend.QueryInt(kQuery, kAlice, "second").value() == kFirstCustomCollectionId + 1);
  BOOST_TEST(backend.QueryInt(kQuery, kBob, "other").value() == kFirstCustomCollectionId);
  const auto stamps = AsMap(storage.GetCollectionTimestamps(kAlice));
  BOOST_TEST(stamps.at("first") == kT0 + 1);
  BOOST_TEST(stamps.at("second") == kT0);
  BOOST_TEST(AsMap(storage.GetCollectionCounts(kAlice, kNow)).at("first") == 2);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(standard_collections_use_the_fixed_ids, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  for (const char* name : {"clients", "crypto", "forms", "history", "keys", "meta", "bookmarks",
                           "prefs", "tabs", "passwords", "addons"}) {
    PutOne(storage, kAlice, name, Full(name, "x"), kT0);
    if (name == testing::CachedCollectionOf<Backend>()) {
      continue;  // not in the database at all
    }
    BOOST_TEST_INFO("collection " << name);
    BOOST_TEST((backend.QueryInt("SELECT collection FROM wbo WHERE username = ? AND id = ?", kAlice,
                                 name) == StandardCollectionId(name)));
  }
  BOOST_TEST(StandardCollectionId("bookmarks").value() == 7);
  BOOST_TEST(
      !backend
           .QueryInt("SELECT count(*) FROM collections WHERE userid = ? AND ? <> ''", kAlice, "x")
           .value_or(1));
  BOOST_TEST(storage.GetCollectionTimestamps(kAlice).size() == 11U);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(custom_collection_ids_restart_after_delete_storage, Backend,
                              Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  PutOne(storage, kAlice, "first", Full("a", "x"), kT0);
  PutOne(storage, kAlice, "second", Full("a", "x"), kT0);
  storage.DeleteStorage(kAlice);
  PutOne(storage, kAlice, "second", Full("a", "x"), kT0 + 100);
  BOOST_TEST(backend
                 .QueryInt("SELECT collectionid FROM collections WHERE userid = ? AND name = ?",
                           kAlice, "second")
                 .value() == kFirstCustomCollectionId);
  BOOST_TEST((Ids(storage, kAlice, "second") == Names{"a"}));
  BOOST_TEST(Ids(storage, kAlice, "first").empty());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(item_ids_and_collection_names_are_case_sensitive, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  Put(storage, kAlice, "bookmarks", {Full("abc", "lower"), Full("ABC", "upper")}, At(kT0));
  PutOne(storage, kAlice, "Bookmarks", Full("abc", "other collection"), kT0);
  BOOST_TEST(Get(storage, kAlice, "bookmarks", "abc")->payload.value() == "lower");
  BOOST_TEST(Get(storage, kAlice, "bookmarks", "ABC")->payload.value() == "upper");
  BOOST_TEST(!Get(storage, kAlice, "bookmarks", "Abc").has_value());
  BOOST_TEST(Get(storage, kAlice, "Bookmarks", "abc")->payload.value() == "other collection");
  BOOST_TEST(!Get(storage, kAlice, "Bookmarks", "ABC").has_value());
  const auto counts = AsMap(storage.GetCollectionCounts(kAlice, kNow));
  BOOST_TEST(counts.at("bookmarks") == 2);
  BOOST_TEST(counts.at("Bookmarks") == 1);
  storage.DeleteItems(kAlice, "bookmarks", IdsFilter({"ABC"}), At(kT0 + 100));
  BOOST_TEST((Ids(storage, kAlice, "bookmarks") == Names{"abc"}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(stats_stay_exact_after_inserts_updates_and_deletes, Backend,
                              Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  Put(storage, kAlice, "history", {Full("a", "1234"), Full("b", "12"), Full("c", "")}, At(kT0));
  Put(storage, kAlice, "forms", {Full("f", "123456")}, At(kT0 + 10));
  auto counts = AsMap(storage.GetCollectionCounts(kAlice, kNow));
  auto usage = AsMap(storage.GetCollectionUsage(kAlice, kNow));
  BOOST_TEST(counts.at("history") == 3);
  BOOST_TEST(counts.at("forms") == 1);
  BOOST_TEST(usage.at("history") == 6);
  BOOST_TEST(usage.at("forms") == 6);
  BOOST_TEST(storage.GetTotalUsage(kAlice, kNow) == 12);

  // Updates change sizes but not counts; a metadata update changes neither.
  Put(storage, kAlice, "history", {Full("a", "1"), Full("c", "123")}, At(kT0 + 20));
  ItemWrite meta;
  meta.id = "b";
  meta.sortindex = 5;
  Put(storage, kAlice, "history", {meta}, At(kT0 + 30));
  counts = AsMap(storage.GetCollectionCounts(kAlice, kNow));
  usage = AsMap(storage.GetCollectionUsage(kAlice, kNow));
  BOOST_TEST(counts.at("history") == 3);
  BOOST_TEST(usage.at("history") == 6);
  BOOST_TEST(storage.GetTotalUsage(kAlice, kNow) == 12);

  storage.DeleteItems(kAlice, "history", IdsFilter({"c"}), At(kT0 + 40));
  counts = AsMap(storage.GetCollectionCounts(kAlice, kNow));
  usage = AsMap(storage.GetCollectionUsage(kAlice, kNow));
  BOOST_TEST(counts.at("history") == 2);
  BOOST_TEST(usage.at("history") == 3);
  BOOST_TEST(storage.GetTotalUsage(kAlice, kNow) == 9);
  auto stamps = AsMap(storage.GetCollectionTimestamps(kAlice));
  BOOST_TEST(stamps.at("history") == kT0 + 40);
  BOOST_TEST(stamps.at("forms") == kT0 + 10);

  storage.DeleteItems(kAlice, "history", {}, At(kT0 + 50));
  BOOST_TEST(!AsMap(storage.GetCollectionCounts(kAlice, kNow)).contains("history"));
  BOOST_TEST(!AsMap(storage.GetCollectionUsage(kAlice, kNow)).contains("history"));
  BOOST_TEST(!AsMap(storage.GetCollectionTimestamps(kAlice)).contains("history"));
  BOOST_TEST(storage.GetTotalUsage(kAlice, kNow) == 6);

  // Refilling the collection brings it back with the new time.
  PutOne(storage, kAlice, "history", Full("z", "1"), kT0 + 60);
  BOOST_TEST(AsMap(storage.GetCollectionTimestamps(kAlice)).at("history") == kT0 + 60);
  BOOST_TEST(AsMap(storage.GetCollectionCounts(kAlice, kNow)).at("history") == 1);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(users_are_isolated, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  PutOne(storage, kAlice, "bookmarks", Full("a", "alice"), kT0);
  PutOne(storage, kBob, "bookmarks", Full("a", "bob"), kT0 + 1);
  BOOST_TEST(Get(storage, kAlice, "bookmarks", "a")->payload.value() == "alice");
  BOOST_TEST(Get(storage, kBob, "bookmarks", "a")->payload.value() == "bob");
  storage.DeleteItems(kBob, "bookmarks", {}, At(kT0 + 100));
  BOOST_TEST(Get(storage, kAlice, "bookmarks", "a").has_value());
  BOOST_TEST(AsMap(storage.GetCollectionTimestamps(kAlice)).at("bookmarks") == kT0);
  BOOST_TEST(storage.GetCollectionTimestamps(kBob).empty());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(empty_write_changes_nothing, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  const WriteResult result = Put(storage, kAlice, "bookmarks", {}, At(kT0));
  BOOST_TEST((result.status == WriteStatus::kDone));
  BOOST_TEST(storage.GetCollectionTimestamps(kAlice).empty());
  BOOST_TEST(!storage.GetCollectionTimestamp(kAlice, "bookmarks").has_value());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(data_survives_reopening_the_database, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  if (testing::CachedCollectionOf<Backend>() == "bookmarks") {
    return;  // the collection is not in the database at all
  }
  PutOne(backend.storage, kAlice, "bookmarks", Full("a", "persisted"), kT0);
  const std::unique_ptr<SqlConnection> second = MakeConnection(backend.config);
  SqlStorage reopened(*second);
  BOOST_TEST(Get(reopened, kAlice, "bookmarks", "a")->payload.value() == "persisted");
  BOOST_TEST(reopened.GetCollectionTimestamp(kAlice, "bookmarks").value() == kT0);
}

// collection_stats against the records themselves: the server changes a collection's row once
// per write, from what its statements did, so a wrong delta shows here. "forms" is in SQL on
// every back end (the cached ones hold bookmarks or history).
template <typename Backend>
void CheckStats(Backend& backend, UserId user, int64_t items, int64_t bytes,
                std::string_view collection = "forms") {
  const std::string id = std::to_string(StandardCollectionId(collection).value());
  const std::string table = backend.connection->Dialect().WboTable(user);
  const auto records = [&](const std::string& column) {
    return backend
        .QueryInt("SELECT " + column + " FROM " + table + " WHERE username = ? AND collection = ?",
                  user, id)
        .value_or(0);
  };
  const auto stats = [&](const std::string& column) {
    return backend
        .QueryInt("SELECT " + column + " FROM collection_stats WHERE userid = ? AND collection = ?",
                  user, id)
        .value_or(0);
  };
  BOOST_TEST(records("count(*)") == items);
  BOOST_TEST(records("coalesce(sum(payload_size), 0)") == bytes);
  BOOST_TEST(stats("item_count") == items);
  BOOST_TEST(stats("payload_bytes") == bytes);
}

ItemWrite MetadataOnly(std::string_view id, int64_t sortindex) {
  ItemWrite write;
  write.id = id;
  write.sortindex = sortindex;
  return write;
}

BOOST_AUTO_TEST_CASE_TEMPLATE(stats_follow_new_records_and_replacements_of_other_sizes, Backend,
                              Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  Put(storage, kAlice, "forms", {Full("a", "12345"), Full("b", "1")}, At(kT0));
  CheckStats(backend, kAlice, 2, 6);
  // a grows, c is new.
  Put(storage, kAlice, "forms", {Full("a", "1234567890"), Full("c", "xy")}, At(kT0 + 100));
  CheckStats(backend, kAlice, 3, 13);
  // a shrinks; b's metadata changes, its payload stays.
  Put(storage, kAlice, "forms", {Full("a", "1"), MetadataOnly("b", 7)}, At(kT0 + 200));
  CheckStats(backend, kAlice, 3, 4);
  // A new record without payload counts, with no bytes.
  Put(storage, kAlice, "forms", {MetadataOnly("d", 1)}, At(kT0 + 300));
  CheckStats(backend, kAlice, 4, 4);
  CheckStats(backend, kBob, 0, 0);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(stats_count_an_id_written_twice_in_one_write_once, Backend,
                              Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  Put(storage, kAlice, "forms", {Full("a", "123"), Full("a", "12345678")}, At(kT0));
  CheckStats(backend, kAlice, 1, 8);
  // The metadata-only second write of b keeps the first one's payload.
  Put(storage, kAlice, "forms", {Full("b", "1234"), MetadataOnly("b", 3)}, At(kT0 + 100));
  CheckStats(backend, kAlice, 2, 12);
  Put(storage, kAlice, "forms", {MetadataOnly("a", 1), Full("a", "12"), MetadataOnly("a", 2)},
      At(kT0 + 200));
  CheckStats(backend, kAlice, 2, 6);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(stats_follow_deletes_of_ids_present_or_missing, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  Put(storage, kAlice, "forms", {Full("a", "1"), Full("b", "22"), Full("c", "333")}, At(kT0));
  Put(storage, kAlice, "forms", {Full("d", "4444")}, At(kT0 + 100));
  storage.DeleteItems(kAlice, "forms", IdsFilter({"b", "missing", "other"}), At(kT0 + 200));
  CheckStats(backend, kAlice, 3, 8);
  const WriteResult none = storage.DeleteItems(kAlice, "forms", IdsFilter({"zz"}), At(kT0 + 300));
  BOOST_TEST((none.status == WriteStatus::kDone));
  CheckStats(backend, kAlice, 3, 8);
  // With a limit (MySQL: DELETE ... ORDER BY ... LIMIT): the oldest goes.
  CollectionFilter oldest;
  oldest.sort = SortOrder::kOldest;
  oldest.limit = 2;
  storage.DeleteItems(kAlice, "forms", oldest, At(kT0 + 400));
  CheckStats(backend, kAlice, 1, 4);
  storage.DeleteItems(kAlice, "forms", {}, At(kT0 + 500));
  CheckStats(backend, kAlice, 0, 0);
  BOOST_TEST(storage.GetCollectionTimestamps(kAlice).empty());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(stats_count_expired_records_until_purged, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  Put(storage, kAlice, "forms", {WithTtl("short", 60, "12345"), Full("kept", "1")}, At(kT0));
  Put(storage, kBob, "forms", {WithTtl("short", 60, "123")}, At(kT0));
  // Expired but not purged: still counted (the quota's totals overstate, never understate).
  BOOST_TEST(Ids(storage, kAlice, "forms", {}, kNow + 61) == Names{"kept"});
  CheckStats(backend, kAlice, 2, 6);
  const std::string table = backend.connection->Dialect().WboTable(kAlice);
  BOOST_TEST(PurgeExpiredRecords(*backend.connection, table, kNow + 61, 100) == 2);
  CheckStats(backend, kAlice, 1, 1);
  CheckStats(backend, kBob, 0, 0);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(stats_stay_exact_when_the_quota_check_purges_a_rewritten_id, Backend,
                              Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  Put(storage, kAlice, "forms", {WithTtl("a", 60, "1234567890")}, At(kT0));
  // Usage 10 reaches the quota: the expired a is purged, then written again as new.
  const WriteResult result =
      Put(storage, kAlice, "forms", {Full("a", "12"), Full("b", "3")}, At(kT0 + 6100, {}, 10));
  BOOST_TEST((result.status == WriteStatus::kDone));
  CheckStats(backend, kAlice, 2, 3);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(stats_follow_a_wipe_and_batched_deletes, Backend, Backends) {
  CONTRACT_BACKEND(backend);
  Storage& storage = backend.storage;
  Put(storage, kAlice, "forms", {Full("a", "1"), Full("b", "22"), Full("c", "333")}, At(kT0));
  Put(storage, kAlice, "prefs", {Full("p", "55555")}, At(kT0));
  BOOST_TEST(DeleteRecordBatch(*backend.connection, kAlice, 2) == 2);
  const int64_t left =
      backend
          .QueryInt("SELECT count(*) FROM " + backend.connection->Dialect().WboTable(kAlice) +
                        " WHERE username = ? AND ? <> ''",
                    kAlice, "x")
          .value_or(-1);
  BOOST_TEST(left == 2);
  const int64_t counted =
      backend
          .QueryInt("SELECT sum(item_count) FROM collection_stats WHERE userid = ? AND ? <> ''",
                    kAlice, "x")
          .value_or(-1);
  BOOST_TEST(counted == 2);
  storage.DeleteStorage(kAlice);
  CheckStats(backend, kAlice, 0, 0);
  CheckStats(backend, kAlice, 0, 0, "prefs");
  Put(storage, kAlice, "forms", {Full("a", "1234")}, At(kT0 + 100));
  CheckStats(backend, kAlice, 1, 4);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace weave
