// What every handler gets besides its part's back ends: the request, its route parameters,
// the request's own time and who sent it. Built once per request by the server's dispatcher.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

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

}  // namespace weave
