// What every handler gets besides its part's back ends: the request, its route parameters,
// the request's own time and who sent it. Built once per request by the server's dispatcher.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "core/user_name.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"

namespace weave {

// Borrowed views: valid for the duration of one request.
struct RequestContext {
  const Request& request;
  const PathParams& params;
  int64_t request_time_cs = 0;      // the server's time for this request, in centiseconds
  std::string_view client_address;  // the client's address (after trusted proxies)
  UserId user_id = 0;               // the authenticated user on routes that need auth, else 0
};

// A handler bound to the back ends of its part: what the composed route table holds.
using Endpoint = std::function<Response(const RequestContext&)>;

// A part's rows with each handler turned into an Endpoint by bind(handler); methods,
// patterns and auth flags stay as they are.
template <typename Handler, typename Bind>
std::vector<RouteRow<Endpoint>> BindRoutes(const RouteTable<Handler>& table, Bind bind) {
  std::vector<RouteRow<Endpoint>> endpoints;
  endpoints.reserve(table.Rows().size());
  for (const RouteRow<Handler>& row : table.Rows()) {
    endpoints.push_back(
        {row.method, row.pattern, bind(row.handler), row.needs_auth, row.reads_only});
  }
  return endpoints;
}

}  // namespace weave
