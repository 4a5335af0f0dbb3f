// Unit tests of path matching, over the Storage API's route table.
#include <boost/test/unit_test.hpp>

#include "core/errors.h"
#include "http/router.h"
#include "reg/registration_api.h"
#include "storage/storage_api.h"

namespace weave {
namespace {

using Kind = MatchKind;
using StorageMatch = RouteMatch<StorageHandler>;
using Route = RouteRow<StorageHandler>;

StorageMatch MatchRoute(std::string_view method, std::string_view path) {
  return StorageRoutes().Match(method, path);
}

bool Finds(std::string_view method, std::string_view path, StorageHandler handler) {
  const StorageMatch match = MatchRoute(method, path);
  return match.kind == Kind::kFound && match.route != nullptr && match.route->handler == handler &&
         match.route->method == method && match.route->needs_auth;
}

bool NotFound(std::string_view method, std::string_view path) {
  return MatchRoute(method, path).kind == Kind::kNotFound;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(routes)

BOOST_AUTO_TEST_CASE(matches_every_info_route) {
  BOOST_TEST(Finds("GET", "/1.1/alice/info/collections", &GetInfoCollections));
  BOOST_TEST(Finds("GET", "/1.1/alice/info/collection_counts", &GetInfoCollectionCounts));
  BOOST_TEST(Finds("GET", "/1.1/alice/info/collection_usage", &GetInfoCollectionUsage));
  BOOST_TEST(Finds("GET", "/1.1/alice/info/quota", &GetInfoQuota));
}

BOOST_AUTO_TEST_CASE(matches_every_storage_route) {
  BOOST_TEST(Finds("GET", "/1.1/alice/storage/bookmarks", &GetCollection));
  BOOST_TEST(Finds("POST", "/1.1/alice/storage/bookmarks", &PostCollection));
  BOOST_TEST(Finds("PUT", "/1.1/alice/storage/bookmarks", &PutCollection));
  BOOST_TEST(Finds("DELETE", "/1.1/alice/storage/bookmarks", &DeleteCollection));
  BOOST_TEST(Finds("GET", "/1.1/alice/storage/bookmarks/abc", &GetItem));
  BOOST_TEST(Finds("PUT", "/1.1/alice/storage/bookmarks/abc", &PutItem));
  BOOST_TEST(Finds("DELETE", "/1.1/alice/storage/bookmarks/abc", &DeleteItem));
  BOOST_TEST(Finds("DELETE", "/1.1/alice/storage", &DeleteStorage));
}

BOOST_AUTO_TEST_CASE(every_storage_and_info_route_needs_auth) {
  size_t storage_routes = 0;
  for (const Route& route : StorageRoutes().Rows()) {
    if (route.pattern.rfind("/{version}/{user}/", 0) == 0) {
      ++storage_routes;
      BOOST_TEST_INFO("route " << route.method << ' ' << route.pattern);
      BOOST_TEST(route.needs_auth);
    }
  }
  BOOST_TEST(storage_routes == 12U);
}

BOOST_AUTO_TEST_CASE(user_api_paths_are_not_storage_paths) {
  // The two parts' tables never overlap, so a role can leave either out.
  for (const auto& row : RegRoutes().Rows()) {
    BOOST_TEST_INFO("route " << row.method << ' ' << row.pattern);
    BOOST_TEST((StorageRoutes().Match(row.method, row.pattern).kind == Kind::kNotFound));
  }
  const auto match = RegRoutes().Match("GET", "/user/1.0/alice/node/weave");
  BOOST_REQUIRE((match.kind == Kind::kFound));
  BOOST_TEST(!match.route->needs_auth);
  BOOST_TEST((match.route->handler == &GetNode));
}

BOOST_AUTO_TEST_CASE(captures_decoded_path_parameters) {
  const StorageMatch match = MatchRoute("GET", "/1.0/bob.smith/storage/my-coll_1/%7Bid%3F%23%7D");
  BOOST_REQUIRE((match.kind == Kind::kFound));
  BOOST_TEST(match.params.version == "1.0");
  BOOST_TEST(match.params.user == "bob.smith");
  BOOST_TEST(match.params.collection == "my-coll_1");
  BOOST_TEST(match.params.id == "{id?#}");
}

BOOST_AUTO_TEST_CASE(info_routes_capture_no_collection_or_id) {
  const StorageMatch match = MatchRoute("GET", "/1/alice/info/quota");
  BOOST_REQUIRE((match.kind == Kind::kFound));
  BOOST_TEST(match.params.collection == "");
  BOOST_TEST(match.params.id == "");
}

BOOST_AUTO_TEST_CASE(percent_decoding_does_not_turn_plus_into_space) {
  const StorageMatch match = MatchRoute("GET", "/1.1/alice/storage/tabs/a+b%20c");
  BOOST_REQUIRE((match.kind == Kind::kFound));
  BOOST_TEST(match.params.id == "a+b c");
}

BOOST_AUTO_TEST_CASE(encoded_slash_stays_inside_its_segment) {
  const StorageMatch match = MatchRoute("GET", "/1.1/alice/storage/tabs/a%2Fb");
  BOOST_REQUIRE((match.kind == Kind::kFound));
  BOOST_TEST(match.params.id == "a/b");
  BOOST_TEST((MatchRoute("GET", "/1.1/alice/storage/a%2Fb").kind == Kind::kFound));
}

BOOST_AUTO_TEST_CASE(literal_segments_match_after_decoding) {
  BOOST_TEST((MatchRoute("GET", "/1.1/alice/%69nfo/collections").kind == Kind::kFound));
}

BOOST_AUTO_TEST_CASE(accepts_versions_1_1_0_and_1_1_only) {
  for (const char* version : {"1", "1.0", "1.1"}) {
    const StorageMatch match =
        MatchRoute("GET", std::string("/") + version + "/alice/info/collections");
    BOOST_REQUIRE((match.kind == Kind::kFound));
    BOOST_TEST(match.params.version == version);
  }
  for (const char* version : {"2", "1.2", "1.10", "01", "v1", "1.", ".1", "2.0", "1.0.0"}) {
    BOOST_TEST_INFO("version " << version);
    BOOST_TEST(NotFound("GET", std::string("/") + version + "/alice/info/collections"));
  }
}

BOOST_AUTO_TEST_CASE(one_trailing_slash_is_ignored) {
  BOOST_TEST((MatchRoute("GET", "/1.1/alice/info/collections/").kind == Kind::kFound));
  BOOST_TEST((MatchRoute("DELETE", "/1.1/alice/storage/").kind == Kind::kFound));
  BOOST_TEST((MatchRoute("GET", "/1.1/alice/storage/tabs/").kind == Kind::kFound));
  BOOST_TEST(NotFound("GET", "/1.1/alice/info/collections//"));
}

BOOST_AUTO_TEST_CASE(empty_segments_never_match) {
  BOOST_TEST(NotFound("GET", "/1.1//info/collections"));
  BOOST_TEST(NotFound("GET", "//1.1/alice/info/collections"));
  BOOST_TEST(NotFound("GET", "/1.1/alice//collections"));
  BOOST_TEST(NotFound("GET", "/1.1/alice/storage//abc"));
}

BOOST_AUTO_TEST_CASE(unknown_paths_are_not_found) {
  for (const char* path : {"", "/", "/1.1", "/1.1/alice", "/1.1/alice/info", "/1.1/alice/foo",
                           "/1.1/alice/info/unknown", "/1.1/alice/storage/tabs/abc/extra",
                           "/1.1/alice/info/collections/x"}) {
    BOOST_TEST_INFO("path " << path);
    BOOST_TEST(NotFound("GET", path));
  }
}

BOOST_AUTO_TEST_CASE(wrong_method_lists_the_allowed_methods) {
  StorageMatch match = MatchRoute("POST", "/1.1/alice/info/collections");
  BOOST_TEST((match.kind == Kind::kMethodNotAllowed));
  BOOST_TEST(match.allowed_methods == "GET");
  BOOST_TEST((match.route == nullptr));

  match = MatchRoute("HEAD", "/1.1/alice/storage/tabs");
  BOOST_TEST((match.kind == Kind::kMethodNotAllowed));
  BOOST_TEST(match.allowed_methods == "GET, POST, PUT, DELETE");

  match = MatchRoute("POST", "/1.1/alice/storage/tabs/abc");
  BOOST_TEST((match.kind == Kind::kMethodNotAllowed));
  BOOST_TEST(match.allowed_methods == "GET, PUT, DELETE");

  match = MatchRoute("GET", "/1.1/alice/storage");
  BOOST_TEST((match.kind == Kind::kMethodNotAllowed));
  BOOST_TEST(match.allowed_methods == "DELETE");
}

BOOST_AUTO_TEST_CASE(methods_are_case_sensitive) {
  BOOST_TEST((MatchRoute("get", "/1.1/alice/info/collections").kind == Kind::kMethodNotAllowed));
}

BOOST_AUTO_TEST_CASE(malformed_escape_in_path_is_a_bad_request) {
  for (const char* path : {"/1.1/alice/storage/tabs/%zz", "/1.1/alice/storage/tabs/abc%",
                           "/1.1/al%4ice/info/collections", "/%/alice/info/quota"}) {
    BOOST_TEST_INFO("path " << path);
    try {
      MatchRoute("GET", path);
      BOOST_ERROR("no exception");
    } catch (const BadRequest& error) {
      BOOST_TEST((error.Code() == WeaveError::kIllegalMethod));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace weave
