// The node check in front of a storage node's endpoints (see node_guard.h).
#include "server/node_guard.h"

#include <utility>

#include "core/errors.h"
#include "core/log.h"
#include "storage/storage.h"

namespace weave {
namespace {

Response GuardedCall(const Endpoint& inner, NodeDirectory& nodes, const std::string& own_url,
                     int retry_after_seconds, const RequestContext& context) {
  const Placement placement = nodes.PlacementOf(own_url, context.params.user);
  if (!placement.own) {
    Log(LogLevel::kError) << "server.node_url " << own_url
                          << " is not in the nodes table (weave-admin nodes add)";
    return UnavailableResponse("\"server issue: node not configured\"", retry_after_seconds);
  }
  const NodeInfo& own = *placement.own;
  const int backoff = static_cast<int>(own.backoff_seconds);
  if (own.state == kNodeDown) {
    return UnavailableResponse("\"server issue: node down\"",
                               backoff > 0 ? backoff : retry_after_seconds);
  }
  if (placement.user_node != own.url) {
    // Not a failed login: no lockout counting, and the password is right.
    throw HttpError(401, "User is served by another node");
  }
  Response response;
  try {
    response = inner(context);
  } catch (const UserFrozen& error) {
    Log(LogLevel::kInfo) << error.what();
    return UnavailableResponse("\"server issue: moving to another node\"", kMoveRetryAfterSeconds);
  }
  if (backoff > 0 && response.Header("X-Weave-Backoff") == nullptr) {
    response.SetHeader("X-Weave-Backoff", std::to_string(backoff));
  }
  return response;
}

}  // namespace

std::vector<RouteRow<Endpoint>> GuardNodeEndpoints(std::vector<RouteRow<Endpoint>> rows,
                                                   NodeDirectory& nodes, const std::string& own_url,
                                                   int retry_after_seconds) {
  for (auto& row : rows) {
    if (!row.needs_auth) {
      continue;
    }
    row.handler = [inner = std::move(row.handler), &nodes, own_url,
                   retry_after_seconds](const RequestContext& context) {
      return GuardedCall(inner, nodes, own_url, retry_after_seconds, context);
    };
  }
  return rows;
}

}  // namespace weave
