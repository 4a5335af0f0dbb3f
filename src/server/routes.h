// The API as one table: method + path pattern -> handler.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/request.h"
#include "http/response.h"

namespace weave {

// The named segments a pattern can capture, percent-decoded.
struct PathParams {
  std::string version;
  std::string user;
  std::string collection;
  std::string id;
};

class SyncService;
using Handler = Response (SyncService::*)(const Request&, const PathParams&);

struct Route {
  std::string_view method;
  std::string_view pattern;  // "/{version}/{user}/storage/{collection}/{id}"
  Handler handler;
  bool needs_auth;  // Basic auth as the {user} of the path
};

// Every endpoint; defined in routes.cpp.
const std::vector<Route>& AllRoutes();

struct RouteMatch {
  enum class Kind { kFound, kNotFound, kMethodNotAllowed } kind = Kind::kNotFound;
  const Route* route = nullptr;
  PathParams params;
  std::string allowed_methods;  // for 405: "GET, DELETE"
};

// Matches a raw path (one trailing slash ignored; segments percent-decoded).
// Throws BadRequest for a malformed percent-escape.
RouteMatch MatchRoute(std::string_view method, std::string_view raw_path);

}  // namespace weave
