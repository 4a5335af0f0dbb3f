// Handler tests: requests built by hand, run through the server's App (dispatcher, storage
// and registration parts) against SQLite on a temporary file with a manual clock.
#include <memory>
#include <string>

#include <boost/test/unit_test.hpp>

#include "auth/sql_user_store.h"
#include "core/crypto.h"
#include "core/log.h"
#include "server/app.h"
#include "test_support.h"

namespace weave {
namespace {

constexpr int64_t kStartMs = 1300000000250;  // request time 1300000000.25
constexpr const char* kStart = "1300000000.25";

class ServiceFixture {
 public:
  ServiceFixture() {
    InitLog("error", "");  // failed logins and 4xx are expected here
    config.database.sqlite.path = dir.File("weave.db");
    config.log.access_log = false;
  }

  // Builds the server from config on first use, so a test may change config before.
  App& Service() {
    if (!app_) {
      app_ = std::make_unique<App>(config, clock);
      SqlUserStore users(app_->Connection(), config.auth);
      BOOST_REQUIRE((users.CreateUser("alice", "correct horse", "alice@example.com").outcome ==
                     CreateOutcome::kCreated));
      BOOST_REQUIRE((users.CreateUser("bob", "bob's password", "bob@example.com").outcome ==
                     CreateOutcome::kCreated));
    }
    return *app_;
  }

  SqlConnection& Connection() { return Service().Connection(); }

  static Request Make(std::string method, std::string path, std::string body = "",
                      std::string query = "") {
    Request request;
    request.method = std::move(method);
    request.path = std::move(path);
    request.body = std::move(body);
    request.query = std::move(query);
    request.remote_addr = "192.0.2.1";
    request.headers.emplace_back("AUTHORIZATION", "Basic " + Base64Encode("alice:correct horse"));
    return request;
  }

  // As the worker does (App::Serve opens one request scope on the connection).
  Response Send(const Request& request) { return Service().Serve(request); }
  Response Send(std::string method, std::string path, std::string body = "",
                std::string query = "") {
    return Send(Make(std::move(method), std::move(path), std::move(body), std::move(query)));
  }
  Response Get(std::string path, std::string query = "") {
    return Send("GET", std::move(path), "", std::move(query));
  }

  static std::string HeaderOf(const Response& response, std::string_view name) {
    const std::string* value = response.Header(name);
    return value != nullptr ? *value : "<absent>";
  }

  testing::TempDir dir;
  Config config;
  ManualClock clock{kStartMs};

 private:
  std::unique_ptr<App> app_;
};

Request WithHeader(Request request, std::string name, std::string value) {
  for (auto& [existing, old] : request.headers) {
    if (existing == name) {
      old = std::move(value);
      return request;
    }
  }
  request.headers.emplace_back(std::move(name), std::move(value));
  return request;
}

Request WithoutAuth(Request request) {
  std::erase_if(request.headers,
                [](const auto& header) { return header.first == "AUTHORIZATION"; });
  return request;
}

const char* const kBookmarks = "/1.1/alice/storage/bookmarks";

}  // namespace

BOOST_FIXTURE_TEST_SUITE(sync_service, ServiceFixture)

// --- authentication

BOOST_AUTO_TEST_CASE(missing_authorization_gets_401_with_basic_challenge) {
  const Response response = Send(WithoutAuth(Make("GET", "/1.1/alice/info/collections")));
  BOOST_TEST(response.status == 401);
  BOOST_TEST(HeaderOf(response, "WWW-Authenticate") == "Basic realm=\"Sync\"");
  BOOST_TEST(HeaderOf(response, "X-Weave-Timestamp") == kStart);
}

BOOST_AUTO_TEST_CASE(wrong_password_gets_401) {
  const Response response =
      Send(WithHeader(Make("GET", "/1.1/alice/info/collections"), "AUTHORIZATION",
                      "Basic " + Base64Encode("alice:wrong")));
  BOOST_TEST(response.status == 401);
  BOOST_TEST(HeaderOf(response, "WWW-Authenticate") == "Basic realm=\"Sync\"");
}

BOOST_AUTO_TEST_CASE(unknown_user_gets_401) {
  const Response response =
      Send(WithHeader(Make("GET", "/1.1/carol/info/collections"), "AUTHORIZATION",
                      "Basic " + Base64Encode("carol:whatever")));
  BOOST_TEST(response.status == 401);
}

BOOST_AUTO_TEST_CASE(path_user_other_than_the_authenticated_one_gets_401) {
  BOOST_TEST(Get("/1.1/bob/info/collections").status == 401);
  // Byte for byte: another case is another user.
  const Response response =
      Send(WithHeader(Make("GET", "/1.1/Alice/info/collections"), "AUTHORIZATION",
                      "Basic " + Base64Encode("Alice:correct horse")));
  BOOST_TEST(response.status == 401);
}

BOOST_AUTO_TEST_CASE(malformed_or_non_basic_authorization_gets_401) {
  for (const char* value : {"Bearer abc", "Basic", "Basic !!!!", "Basic YWxpY2U=", ""}) {
    BOOST_TEST_INFO("Authorization: " << value);
    BOOST_TEST(Send(WithHeader(Make("GET", "/1.1/alice/info/collections"), "AUTHORIZATION", value))
                   .status == 401);
  }
}

BOOST_AUTO_TEST_CASE(password_with_colon_and_non_ascii_authenticates) {
  Service();
  // Created through the store so the password reaches the hash unchanged.
  SqlUserStore users(Connection(), config.auth);
  BOOST_REQUIRE((users.CreateUser("dave", "p\xc3\xa4ss:w:rd", "d@example.com").outcome ==
                 CreateOutcome::kCreated));
  const Response response =
      Send(WithHeader(Make("GET", "/1.1/dave/info/collections"), "AUTHORIZATION",
                      "Basic " + Base64Encode("dave:p\xc3\xa4ss:w:rd")));
  BOOST_TEST(response.status == 200);
}

BOOST_AUTO_TEST_CASE(invalid_username_in_path_gets_400_code_3) {
  const Response response = Get("/1.1/al!ce/info/collections");
  BOOST_TEST(response.status == 400);
  BOOST_TEST(response.body == "3");
}

// --- routing

BOOST_AUTO_TEST_CASE(unknown_path_gets_404_with_timestamp) {
  const Response response = Get("/1.1/alice/info/nothing");
  BOOST_TEST(response.status == 404);
  BOOST_TEST(HeaderOf(response, "X-Weave-Timestamp") == kStart);
}

BOOST_AUTO_TEST_CASE(wrong_method_gets_405_with_allow_header) {
  const Response response = Send("POST", "/1.1/alice/info/collections");
  BOOST_TEST(response.status == 405);
  BOOST_TEST(HeaderOf(response, "Allow") == "GET");
  BOOST_TEST(HeaderOf(response, "X-Weave-Timestamp") == kStart);
}

BOOST_AUTO_TEST_CASE(malformed_escape_in_path_gets_400_code_1) {
  const Response response = Get("/1.1/alice/storage/bookmarks/%zz");
  BOOST_TEST(response.status == 400);
  BOOST_TEST(response.body == "1");
}

BOOST_AUTO_TEST_CASE(versions_1_and_1_0_and_a_trailing_slash_work) {
  BOOST_TEST(Get("/1.0/alice/info/collections").status == 200);
  BOOST_TEST(Get("/1/alice/info/collections").status == 200);
  BOOST_TEST(Get("/1.1/alice/info/collections/").status == 200);
  BOOST_TEST(Get("/2.0/alice/info/collections").status == 404);
}

BOOST_AUTO_TEST_CASE(invalid_collection_name_gets_400_code_13) {
  BOOST_TEST(Get("/1.1/alice/storage/" + std::string(33, 'c')).body == "13");
  BOOST_TEST(Get("/1.1/alice/storage/a%24b").body == "13");
  BOOST_TEST(Get("/1.1/alice/storage/" + std::string(32, 'c')).status == 200);
}

BOOST_AUTO_TEST_CASE(invalid_id_in_path_gets_400_code_8) {
  const Response too_long = Get("/1.1/alice/storage/bookmarks/" + std::string(65, 'x'));
  BOOST_TEST(too_long.status == 400);
  BOOST_TEST(too_long.body == "8");
  BOOST_TEST(Get("/1.1/alice/storage/bookmarks/a%2Fb").body == "8");
  BOOST_TEST(Get("/1.1/alice/storage/bookmarks/a%2Cb").body == "8");
}

BOOST_AUTO_TEST_CASE(path_ids_may_hold_url_escaped_punctuation) {
  BOOST_TEST(Send("PUT", "/1.1/alice/storage/bookmarks/a%3Fb%23c~", R"({"payload":"x"})").status ==
             200);
  const Response response = Get("/1.1/alice/storage/bookmarks/a%3Fb%23c~");
  BOOST_TEST(response.status == 200);
  BOOST_TEST(response.body.find(R"("id":"a?b#c~")") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(oversized_body_gets_413_and_truncated_body_400_code_6) {
  Request request = Make("PUT", "/1.1/alice/storage/bookmarks/a");
  request.body_state = BodyState::kTooLarge;
  const Response too_large = Send(request);
  BOOST_TEST(too_large.status == 413);
  BOOST_TEST(too_large.body == "17");
  request.body_state = BodyState::kTruncated;
  const Response truncated = Send(request);
  BOOST_TEST(truncated.status == 400);
  BOOST_TEST(truncated.body == "6");
}

BOOST_AUTO_TEST_CASE(heartbeat_answers_without_auth) {
  const Response response = Send(WithoutAuth(Make("GET", "/__heartbeat__")));
  BOOST_TEST(response.status == 200);
}

// --- info

BOOST_AUTO_TEST_CASE(empty_account_has_empty_info_collections) {
  const Response response = Get("/1.1/alice/info/collections");
  BOOST_TEST(response.status == 200);
  BOOST_TEST(response.body == "{}");
  BOOST_TEST(response.content_type == "application/json");
  BOOST_TEST(HeaderOf(response, "X-Weave-Records") == "0");
  BOOST_TEST(HeaderOf(response, "X-Weave-Timestamp") == kStart);
}

BOOST_AUTO_TEST_CASE(info_collections_ignores_unknown_query_parameters) {
  BOOST_TEST(Get("/1.1/alice/info/collections", "v=1.5.0").status == 200);
}

BOOST_AUTO_TEST_CASE(info_endpoints_report_written_collections) {
  Send("POST", kBookmarks, R"([{"id":"a","payload":"12345"},{"id":"b","payload":"123"}])");
  clock.AdvanceMs(1000);
  Send("PUT", "/1.1/alice/storage/history/h", R"({"payload":"1"})");
  const Response collections = Get("/1.1/alice/info/collections");
  BOOST_TEST(collections.body.find(R"("bookmarks":1300000000.25)") != std::string::npos);
  BOOST_TEST(collections.body.find(R"("history":1300000001.25)") != std::string::npos);
  BOOST_TEST(HeaderOf(collections, "X-Weave-Records") == "2");
  const Response counts = Get("/1.1/alice/info/collection_counts");
  BOOST_TEST(counts.body.find(R"("bookmarks":2)") != std::string::npos);
  BOOST_TEST(counts.body.find(R"("history":1)") != std::string::npos);
  const Response usage = Get("/1.1/alice/info/collection_usage");
  BOOST_TEST(usage.body.find(R"("bookmarks":0.0078125)") != std::string::npos);
  BOOST_TEST(usage.body.find(R"("history":0.0009765625)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(info_quota_reports_used_kib_and_quota) {
  config.limits.quota_kib = 5120;
  Send("PUT", "/1.1/alice/storage/bookmarks/a", R"({"payload":")" + std::string(512, 'x') + "\"}");
  const Response response = Get("/1.1/alice/info/quota");
  BOOST_TEST(response.status == 200);
  BOOST_TEST(response.body == "[0.5,5120]");
}

BOOST_AUTO_TEST_CASE(info_quota_without_quota_reports_null) {
  config.limits.quota_kib = 0;
  BOOST_TEST(Get("/1.1/alice/info/quota").body == "[0.0,null]");
}

// --- PUT and GET of one record

BOOST_AUTO_TEST_CASE(put_item_returns_the_timestamp_in_body_and_header) {
  const Response response = Send("PUT", "/1.1/alice/storage/bookmarks/abc", R"({"payload":"x"})");
  BOOST_TEST(response.status == 200);
  BOOST_TEST(response.body == kStart);
  BOOST_TEST(HeaderOf(response, "X-Weave-Timestamp") == kStart);
}

BOOST_AUTO_TEST_CASE(get_item_returns_only_the_non_null_fields) {
  Send("PUT", "/1.1/alice/storage/bookmarks/abc", R"({"payload":"hello","ttl":100})");
  const Response response = Get("/1.1/alice/storage/bookmarks/abc");
  BOOST_TEST(response.status == 200);
  BOOST_TEST(response.content_type == "application/json");
  BOOST_TEST(response.body == R"({"id":"abc","modified":1300000000.25,"payload":"hello"})");
}

BOOST_AUTO_TEST_CASE(get_item_returns_every_stored_field) {
  Send("PUT", "/1.1/alice/storage/bookmarks/abc",
       R"({"id":"abc","payload":"p","sortindex":5,"parentid":"x","predecessorid":"y"})");
  BOOST_TEST(
      Get("/1.1/alice/storage/bookmarks/abc").body ==
      R"({"id":"abc","modified":1300000000.25,"sortindex":5,"payload":"p","parentid":"x","predecessorid":"y"})");
}

BOOST_AUTO_TEST_CASE(put_uses_the_url_id_and_ignores_client_modified) {
  Send("PUT", "/1.1/alice/storage/bookmarks/url-id",
       R"({"id":"body-id","payload":"p","modified":1.5})");
  BOOST_TEST(Get("/1.1/alice/storage/bookmarks/url-id").body ==
             R"({"id":"url-id","modified":1300000000.25,"payload":"p"})");
  BOOST_TEST(Get("/1.1/alice/storage/bookmarks/body-id").status == 404);
}

BOOST_AUTO_TEST_CASE(get_missing_item_gets_404) {
  const Response response = Get("/1.1/alice/storage/bookmarks/nothing");
  BOOST_TEST(response.status == 404);
  BOOST_TEST(response.body == "\"record not found\"");
}

BOOST_AUTO_TEST_CASE(put_rejects_bad_bodies_with_weave_codes) {
  const std::string item = "/1.1/alice/storage/bookmarks/a";
  BOOST_TEST(Send("PUT", item, "{not json").body == "6");
  BOOST_TEST(Send("PUT", item, "").body == "6");
  BOOST_TEST(Send("PUT", item, "{\"payload\":\"caf\xe9\"}").body == "6");
  BOOST_TEST(Send("PUT", item, "[]").body == "8");
  BOOST_TEST(Send("PUT", item, R"({"payload":1})").body == "8");
  BOOST_TEST(Send("PUT", item, R"({"sortindex":"high"})").body == "8");
  BOOST_TEST(Send("PUT", item, R"({"ttl":31536001})").body == "8");
  BOOST_TEST(Send("PUT", item, R"({"payload":{}})").body == "8");
  BOOST_TEST(Send("PUT", item, R"({"id":")" + std::string(65, 'x') + R"(","payload":"x"})").body ==
             "8");
  const Response response = Send("PUT", item, R"({"payload":1})");
  BOOST_TEST(response.status == 400);
  BOOST_TEST(HeaderOf(response, "X-Weave-Timestamp") == kStart);
  BOOST_TEST(Get(item).status == 404);
}

BOOST_AUTO_TEST_CASE(put_rejects_payload_over_the_configured_limit) {
  config.limits.max_payload_bytes = 10;
  BOOST_TEST(Send("PUT", "/1.1/alice/storage/bookmarks/a", R"({"payload":"0123456789"})").status ==
             200);
  const Response response =
      Send("PUT", "/1.1/alice/storage/bookmarks/b", R"({"payload":"0123456789X"})");
  BOOST_TEST(response.status == 400);
  BOOST_TEST(response.body == "8");
}

BOOST_AUTO_TEST_CASE(two_puts_in_the_same_centisecond_get_increasing_timestamps) {
  BOOST_TEST(Send("PUT", "/1.1/alice/storage/bookmarks/a", R"({"payload":"1"})").body == kStart);
  const Response second = Send("PUT", "/1.1/alice/storage/bookmarks/b", R"({"payload":"2"})");
  BOOST_TEST(second.body == "1300000000.26");
  BOOST_TEST(HeaderOf(second, "X-Weave-Timestamp") == "1300000000.26");
}

// The clock stepping back (NTP, a VM restored) must not move a collection back: a client
// that synced up to the last change would never see writes stamped before it.
BOOST_AUTO_TEST_CASE(a_clock_stepping_back_a_minute_never_moves_a_collection_back) {
  const Response first = Send("POST", kBookmarks, R"([{"id":"a","payload":"1"}])");
  BOOST_TEST(HeaderOf(first, "X-Weave-Timestamp") == kStart);
  clock.AdvanceMs(-60000);
  const Response second = Send("POST", kBookmarks, R"([{"id":"b","payload":"2"}])");
  BOOST_TEST(HeaderOf(second, "X-Weave-Timestamp") == "1300000000.26");
  const Response put = Send("PUT", "/1.1/alice/storage/bookmarks/c", R"({"payload":"3"})");
  BOOST_TEST(put.body == "1300000000.27");
  const Response deleted = Send("DELETE", "/1.1/alice/storage/bookmarks/a");
  BOOST_TEST(deleted.body == "1300000000.28");
  // A client that synced up to the first write sees everything after it.
  const Response newer = Get(kBookmarks, std::string("sort=oldest&newer=") + kStart);
  BOOST_TEST(newer.body == R"(["b","c"])");
  BOOST_TEST(Get("/1.1/alice/info/collections").body == R"({"bookmarks":1300000000.28})");
  // Responses that write nothing carry the (stepped back) time of the request.
  BOOST_TEST(HeaderOf(newer, "X-Weave-Timestamp") == "1299999940.25");
}

BOOST_AUTO_TEST_CASE(expired_record_disappears_after_its_ttl) {
  Send("PUT", "/1.1/alice/storage/tabs/t", R"({"payload":"x","ttl":10})");
  clock.AdvanceMs(9000);
  BOOST_TEST(Get("/1.1/alice/storage/tabs/t").status == 200);
  clock.AdvanceMs(1000);
  BOOST_TEST(Get("/1.1/alice/storage/tabs/t").status == 404);
  BOOST_TEST(Get("/1.1/alice/storage/tabs").body == "[]");
  BOOST_TEST(Get("/1.1/alice/info/collection_counts").body == "{}");
}

// --- POST

BOOST_AUTO_TEST_CASE(post_reports_success_failed_and_modified) {
  const Response response =
      Send("POST", kBookmarks,
           R"([{"id":"a","payload":"1"},{"id":"bad/id","payload":"2"},{"payload":"3"},)"
           R"({"id":"b","payload":"4","sortindex":"x"},{"id":"c","payload":"5"}])");
  BOOST_TEST(response.status == 200);
  BOOST_TEST(response.body ==
             R"({"modified":1300000000.25,"success":["a","c"],"failed":{"bad/id":["invalid id"],)"
             R"("":["invalid id"],"b":["invalid sortindex"]}})");
  BOOST_TEST(HeaderOf(response, "X-Weave-Timestamp") == kStart);
  BOOST_TEST(Get(kBookmarks, "sort=oldest").body == R"(["a","c"])");
}

BOOST_AUTO_TEST_CASE(post_records_share_the_header_timestamp) {
  Send("PUT", "/1.1/alice/storage/bookmarks/first", R"({"payload":"x"})");
  const Response response =
      Send("POST", kBookmarks, R"([{"id":"a","payload":"1"},{"id":"b","payload":"2"}])");
  const std::string stamp = HeaderOf(response, "X-Weave-Timestamp");
  BOOST_TEST(stamp == "1300000000.26");
  const Response items = Get(kBookmarks, "full=1&ids=a,b&sort=oldest");
  BOOST_TEST(items.body == R"([{"id":"a","modified":1300000000.26,"payload":"1"},)"
                           R"({"id":"b","modified":1300000000.26,"payload":"2"}])");
}

BOOST_AUTO_TEST_CASE(post_past_the_count_cap_fails_with_retry_wbo) {
  config.limits.batch_max_count = 2;
  const Response response =
      Send("POST", kBookmarks,
           R"([{"id":"a","payload":"1"},{"id":"b","payload":"2"},{"id":"c","payload":"3"}])");
  BOOST_TEST(response.body ==
             R"({"modified":1300000000.25,"success":["a","b"],"failed":{"c":["retry wbo"]}})");
}

BOOST_AUTO_TEST_CASE(post_past_the_byte_cap_fails_with_retry_bytes) {
  config.limits.batch_max_bytes = 10;
  const Response response = Send(
      "POST", kBookmarks,
      R"([{"id":"a","payload":"123456"},{"id":"b","payload":"123456"},{"id":"c","payload":"1"}])");
  BOOST_TEST(response.body == R"({"modified":1300000000.25,"success":["a"],)"
                              R"("failed":{"b":["retry bytes"],"c":["retry bytes"]}})");
}

BOOST_AUTO_TEST_CASE(post_of_one_object_is_a_put_of_its_id) {
  const Response response = Send("POST", kBookmarks, R"({"id":"solo","payload":"x"})");
  BOOST_TEST(response.body == "1300000000.25");
  BOOST_TEST(Get("/1.1/alice/storage/bookmarks/solo").status == 200);
  BOOST_TEST(Send("POST", kBookmarks, R"({"payload":"x"})").body == "8");
}

BOOST_AUTO_TEST_CASE(put_on_a_collection_is_a_batch_upload) {
  const Response response = Send("PUT", kBookmarks, R"([{"id":"a","payload":"x"}])");
  BOOST_TEST(response.body == R"({"modified":1300000000.25,"success":["a"],"failed":{}})");
}

BOOST_AUTO_TEST_CASE(post_rejects_scalars_and_non_json) {
  BOOST_TEST(Send("POST", kBookmarks, "42").body == "8");
  BOOST_TEST(Send("POST", kBookmarks, "\"x\"").body == "8");
  BOOST_TEST(Send("POST", kBookmarks, "[").body == "6");
  BOOST_TEST(Send("POST", kBookmarks, std::string("[]\0", 3)).body == "6");
}

BOOST_AUTO_TEST_CASE(empty_post_writes_nothing) {
  const Response response = Send("POST", kBookmarks, "[]");
  BOOST_TEST(response.body == R"({"modified":1300000000.25,"success":[],"failed":{}})");
  BOOST_TEST(Get("/1.1/alice/info/collections").body == "{}");
}

// --- GET collection

BOOST_AUTO_TEST_CASE(get_of_an_empty_collection_is_an_empty_list) {
  const Response response = Get("/1.1/alice/storage/nothing");
  BOOST_TEST(response.status == 200);
  BOOST_TEST(response.body == "[]");
  BOOST_TEST(HeaderOf(response, "X-Weave-Records") == "0");
}

BOOST_AUTO_TEST_CASE(get_collection_lists_ids_or_full_records) {
  Send("POST", kBookmarks, R"([{"id":"a","payload":"1","sortindex":2},{"id":"b","payload":"2"}])");
  const Response ids = Get(kBookmarks, "sort=index");
  BOOST_TEST(ids.body == R"(["a","b"])");
  BOOST_TEST(HeaderOf(ids, "X-Weave-Records") == "2");
  const Response full = Get(kBookmarks, "full=1&sort=index&limit=1");
  BOOST_TEST(full.body == R"([{"id":"a","modified":1300000000.25,"sortindex":2,"payload":"1"}])");
  BOOST_TEST(HeaderOf(full, "X-Weave-Records") == "1");
}

BOOST_AUTO_TEST_CASE(newer_returns_only_later_records) {
  Send("PUT", "/1.1/alice/storage/history/old", R"({"payload":"1"})");
  clock.AdvanceMs(1000);
  Send("PUT", "/1.1/alice/storage/history/new", R"({"payload":"2"})");
  BOOST_TEST(Get("/1.1/alice/storage/history", "newer=1300000000.25").body == R"(["new"])");
  BOOST_TEST(Get("/1.1/alice/storage/history", "newer=1300000000.24").body.size() ==
             std::string(R"(["old","new"])").size());
  BOOST_TEST(Get("/1.1/alice/storage/history", "older=1300000001.25").body == R"(["old"])");
}

BOOST_AUTO_TEST_CASE(newlines_format_ends_every_record_with_a_line_feed) {
  Send("POST", kBookmarks, R"([{"id":"a","payload":"line1\nline2"},{"id":"b","payload":"x"}])");
  Request request = Make("GET", kBookmarks, "", "sort=oldest");
  request.headers.emplace_back("ACCEPT", "application/newlines");
  const Response ids = Send(request);
  BOOST_TEST(ids.content_type == "application/newlines");
  BOOST_TEST(ids.body == "\"a\"\n\"b\"\n");
  request.query = "sort=oldest&full=1";
  const Response full = Send(request);
  BOOST_TEST(full.body ==
             "{\"id\":\"a\",\"modified\":1300000000.25,\"payload\":\"line1\\nline2\"}\n"
             "{\"id\":\"b\",\"modified\":1300000000.25,\"payload\":\"x\"}\n");
  BOOST_TEST(HeaderOf(full, "X-Weave-Records") == "2");
}

BOOST_AUTO_TEST_CASE(newlines_format_of_nothing_is_empty) {
  Request request = Make("GET", kBookmarks);
  request.headers.emplace_back("ACCEPT", "application/newlines");
  BOOST_TEST(Send(request).body == "");
}

BOOST_AUTO_TEST_CASE(whoisi_format_prefixes_each_record_with_its_length) {
  Send("POST", kBookmarks, R"([{"id":"a","payload":"x"},{"id":"bb","payload":"y"}])");
  Request request = Make("GET", kBookmarks, "", "sort=oldest");
  request.headers.emplace_back("ACCEPT", "application/whoisi");
  const Response response = Send(request);
  BOOST_TEST(response.content_type == "application/whoisi");
  BOOST_TEST(response.body == std::string("\0\0\0\x03\"a\"\0\0\0\x04\"bb\"", 15));
}

BOOST_AUTO_TEST_CASE(browser_accept_header_gets_json) {
  Request request = Make("GET", kBookmarks);
  request.headers.emplace_back("ACCEPT",
                               "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
  const Response response = Send(request);
  BOOST_TEST(response.content_type == "application/json");
  BOOST_TEST(response.body == "[]");
}

BOOST_AUTO_TEST_CASE(bad_query_parameters_get_400_code_1) {
  for (const char* query : {"limit=1.5", "newer=abc", "offset=x", "index_above=", "newer=%zz"}) {
    BOOST_TEST_INFO("query " << query);
    const Response response = Get(kBookmarks, query);
    BOOST_TEST(response.status == 400);
    BOOST_TEST(response.body == "1");
  }
}

BOOST_AUTO_TEST_CASE(record_ids_are_case_sensitive) {
  Send("PUT", "/1.1/alice/storage/bookmarks/abc", R"({"payload":"lower"})");
  Send("PUT", "/1.1/alice/storage/bookmarks/ABC", R"({"payload":"upper"})");
  BOOST_TEST(Get("/1.1/alice/storage/bookmarks/ABC").body.find("upper") != std::string::npos);
  BOOST_TEST(Get("/1.1/alice/storage/bookmarks/abc").body.find("lower") != std::string::npos);
  BOOST_TEST(HeaderOf(Get(kBookmarks), "X-Weave-Records") == "2");
}

// --- X-If-Unmodified-Since

BOOST_AUTO_TEST_CASE(if_unmodified_since_before_the_last_change_gets_412) {
  Send("PUT", "/1.1/alice/storage/bookmarks/a", R"({"payload":"1"})");
  clock.AdvanceMs(1000);
  for (const char* method : {"PUT", "POST", "DELETE"}) {
    const bool item = std::string(method) != "POST";
    Request request = Make(method, item ? "/1.1/alice/storage/bookmarks/a" : kBookmarks,
                           item ? R"({"payload":"2"})" : R"([{"id":"a","payload":"2"}])");
    request.headers.emplace_back("X_IF_UNMODIFIED_SINCE", "1300000000.24");
    const Response response = Send(request);
    BOOST_TEST_INFO("method " << method);
    BOOST_TEST(response.status == 412);
    BOOST_TEST(response.body == "4");
  }
  Request delete_collection = Make("DELETE", kBookmarks);
  delete_collection.headers.emplace_back("X_IF_UNMODIFIED_SINCE", "1300000000");
  BOOST_TEST(Send(delete_collection).status == 412);
  BOOST_TEST(Get("/1.1/alice/storage/bookmarks/a").body.find("\"payload\":\"1\"") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(if_unmodified_since_at_the_last_change_passes) {
  Send("PUT", "/1.1/alice/storage/bookmarks/a", R"({"payload":"1"})");
  clock.AdvanceMs(1000);
  Request request = Make("PUT", "/1.1/alice/storage/bookmarks/a", R"({"payload":"2"})");
  request.headers.emplace_back("X_IF_UNMODIFIED_SINCE", kStart);
  BOOST_TEST(Send(request).status == 200);
}

BOOST_AUTO_TEST_CASE(if_unmodified_since_on_an_empty_collection_passes) {
  Request request = Make("PUT", "/1.1/alice/storage/bookmarks/a", R"({"payload":"2"})");
  request.headers.emplace_back("X_IF_UNMODIFIED_SINCE", "0");
  BOOST_TEST(Send(request).status == 200);
}

BOOST_AUTO_TEST_CASE(unparsable_if_unmodified_since_gets_400) {
  Request request = Make("PUT", "/1.1/alice/storage/bookmarks/a", R"({"payload":"2"})");
  request.headers.emplace_back("X_IF_UNMODIFIED_SINCE", "yesterday");
  const Response response = Send(request);
  BOOST_TEST(response.status == 400);
  BOOST_TEST(response.body == "1");
}

BOOST_AUTO_TEST_CASE(get_ignores_if_unmodified_since) {
  Send("PUT", "/1.1/alice/storage/bookmarks/a", R"({"payload":"1"})");
  Request request = Make("GET", kBookmarks);
  request.headers.emplace_back("X_IF_UNMODIFIED_SINCE", "1");
  BOOST_TEST(Send(request).status == 200);
}

// --- DELETE

BOOST_AUTO_TEST_CASE(delete_collection_returns_a_timestamp_and_empties_it) {
  Send("POST", kBookmarks, R"([{"id":"a","payload":"1"},{"id":"b","payload":"2"}])");
  clock.AdvanceMs(1000);
  const Response response = Send("DELETE", kBookmarks);
  BOOST_TEST(response.status == 200);
  BOOST_TEST(response.body == "1300000001.25");
  BOOST_TEST(HeaderOf(response, "X-Weave-Timestamp") == "1300000001.25");
  BOOST_TEST(Get(kBookmarks).body == "[]");
  BOOST_TEST(Get("/1.1/alice/info/collections").body == "{}");
}

BOOST_AUTO_TEST_CASE(delete_collection_with_ids_deletes_only_those) {
  Send("POST", kBookmarks,
       R"([{"id":"a","payload":"1"},{"id":"b","payload":"2"},{"id":"c","payload":"3"}])");
  BOOST_TEST(Send("DELETE", kBookmarks, "", "ids=a,c").status == 200);
  BOOST_TEST(Get(kBookmarks).body == R"(["b"])");
}

BOOST_AUTO_TEST_CASE(storage_1_0_deletes_the_children_of_a_parentid) {
  // Old clients deleted a folder's children with ?parentid= (Storage 1.0).
  Send("POST", "/1.0/alice/storage/bookmarks",
       R"([{"id":"a","payload":"1","parentid":"folder"},{"id":"b","payload":"2","parentid":7},)"
       R"({"id":"c","payload":"3","parentid":"folder"},{"id":"folder","payload":"f"}])");
  BOOST_TEST(Send("DELETE", "/1.0/alice/storage/bookmarks", "", "parentid=folder").status == 200);
  BOOST_TEST(Get("/1.0/alice/storage/bookmarks", "ids=a,c").body == "[]");
  BOOST_TEST(Get("/1.0/alice/storage/bookmarks", "ids=b,folder&limit=1").status == 200);
  BOOST_TEST(Get("/1.0/alice/storage/bookmarks", "parentid=7").body == R"(["b"])");
  BOOST_TEST(Send("DELETE", "/1.0/alice/storage/bookmarks", "", "parentid=7").status == 200);
  BOOST_TEST(Get("/1.0/alice/storage/bookmarks").body == R"(["folder"])");
}

BOOST_AUTO_TEST_CASE(delete_of_missing_targets_still_succeeds) {
  BOOST_TEST(Send("DELETE", "/1.1/alice/storage/nothing").status == 200);
  BOOST_TEST(Send("DELETE", "/1.1/alice/storage/nothing/none").status == 200);
  BOOST_TEST(Send("DELETE", "/1.1/alice/storage/nothing").body == kStart);
}

BOOST_AUTO_TEST_CASE(delete_item_removes_one_record) {
  Send("POST", kBookmarks, R"([{"id":"a","payload":"1"},{"id":"b","payload":"2"}])");
  clock.AdvanceMs(10);
  const Response response = Send("DELETE", "/1.1/alice/storage/bookmarks/a");
  BOOST_TEST(response.status == 200);
  BOOST_TEST(response.body == "1300000000.26");
  BOOST_TEST(Get(kBookmarks).body == R"(["b"])");
}

BOOST_AUTO_TEST_CASE(delete_storage_needs_x_confirm_delete) {
  Send("PUT", "/1.1/alice/storage/bookmarks/a", R"({"payload":"1"})");
  const Response refused = Send("DELETE", "/1.1/alice/storage");
  BOOST_TEST(refused.status == 400);
  BOOST_TEST(refused.body == "4");
  BOOST_TEST(Get("/1.1/alice/storage/bookmarks/a").status == 200);

  Request request = Make("DELETE", "/1.1/alice/storage");
  request.headers.emplace_back("X_CONFIRM_DELETE", "1");
  const Response deleted = Send(request);
  BOOST_TEST(deleted.status == 200);
  BOOST_TEST(deleted.body == kStart);
  BOOST_TEST(Get("/1.1/alice/info/collections").body == "{}");
  BOOST_TEST(Get("/1.1/alice/storage/bookmarks/a").status == 404);
}

BOOST_AUTO_TEST_CASE(delete_storage_with_trailing_slash_works) {
  Request request = Make("DELETE", "/1.1/alice/storage/");
  request.headers.emplace_back("X_CONFIRM_DELETE", "");
  BOOST_TEST(Send(request).status == 200);
}

// --- quota

BOOST_AUTO_TEST_CASE(writes_past_the_quota_get_400_code_14) {
  config.limits.quota_kib = 1;
  const Response first = Send("PUT", "/1.1/alice/storage/bookmarks/a",
                              R"({"payload":")" + std::string(1100, 'x') + "\"}");
  BOOST_TEST(first.status == 200);
  BOOST_TEST(HeaderOf(first, "X-Weave-Quota-Remaining") != "<absent>");
  const Response refused = Send("PUT", "/1.1/alice/storage/bookmarks/b", R"({"payload":"x"})");
  BOOST_TEST(refused.status == 400);
  BOOST_TEST(refused.body == "14");
  const Response post = Send("POST", kBookmarks, R"([{"id":"c","payload":"x"}])");
  BOOST_TEST(post.status == 400);
  BOOST_TEST(post.body == "14");
  BOOST_TEST(Get("/1.1/alice/storage/bookmarks/b").status == 404);
  // Deleting frees the space again.
  BOOST_TEST(Send("DELETE", "/1.1/alice/storage/bookmarks/a").status == 200);
  BOOST_TEST(Send("PUT", "/1.1/alice/storage/bookmarks/b", R"({"payload":"x"})").status == 200);
}

BOOST_AUTO_TEST_CASE(quota_remaining_header_appears_only_near_the_quota) {
  config.limits.quota_kib = 2048;
  config.limits.max_payload_bytes = 2 * 1024 * 1024;
  config.limits.batch_max_bytes = 2 * 1024 * 1024;
  const Response far = Send("PUT", "/1.1/alice/storage/bookmarks/a",
                            R"({"payload":")" + std::string(1000, 'x') + "\"}");
  BOOST_TEST(HeaderOf(far, "X-Weave-Quota-Remaining") == "<absent>");
  const std::string big(1024 * 1024, 'y');
  const Response near =
      Send("PUT", "/1.1/alice/storage/bookmarks/b", R"({"payload":")" + big + "\"}");
  BOOST_TEST(near.status == 200);
  // 2048 KiB - 1 MiB - 1000 bytes = 1023.0234375 KiB
  BOOST_TEST(HeaderOf(near, "X-Weave-Quota-Remaining") == "1023.02");
}

// --- failures and maintenance

BOOST_AUTO_TEST_CASE(database_failure_gets_503_with_retry_after_and_no_detail) {
  Send("PUT", "/1.1/alice/storage/bookmarks/a", R"({"payload":"1"})");
  {
    StatementScope drop(Connection().Prepare("DROP TABLE wbo"));
    drop->Step();
  }
  const Response response = Get("/1.1/alice/storage/bookmarks/a");
  BOOST_TEST(response.status == 503);
  BOOST_TEST(HeaderOf(response, "Retry-After") == "1800");
  BOOST_TEST(HeaderOf(response, "X-Weave-Backoff") == "1800");
  BOOST_TEST(HeaderOf(response, "X-Weave-Timestamp") == kStart);
  BOOST_TEST(response.body.find("wbo") == std::string::npos);
  BOOST_TEST(response.body.find("sqlite") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(read_only_maintenance_refuses_writes_with_503) {
  config.maintenance.read_only = true;
  config.server.retry_after_seconds = 600;
  const Response put = Send("PUT", "/1.1/alice/storage/bookmarks/a", R"({"payload":"1"})");
  BOOST_TEST(put.status == 503);
  BOOST_TEST(HeaderOf(put, "Retry-After") == "600");
  BOOST_TEST(HeaderOf(put, "X-Weave-Backoff") == "600");
  BOOST_TEST(Send("DELETE", kBookmarks).status == 503);
  BOOST_TEST(Send("POST", kBookmarks, "[]").status == 503);
  BOOST_TEST(Get(kBookmarks).status == 200);
}

BOOST_AUTO_TEST_CASE(maintenance_alert_is_sent_on_every_response) {
  config.maintenance.alert = R"({"code":"soft-eol","url":"https://example.org/","message":"m"})";
  BOOST_TEST(HeaderOf(Get("/1.1/alice/info/collections"), "X-Weave-Alert") ==
             config.maintenance.alert);
  BOOST_TEST(HeaderOf(Get("/1.1/alice/info/none"), "X-Weave-Alert") == config.maintenance.alert);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace weave
