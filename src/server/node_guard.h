// A storage node of many serves only its own users: wraps each Storage API endpoint with the
// check of the user's node, the node's state and its backoff.
#pragma once

#include <string>
#include <vector>

#include "auth/node_directory.h"
#include "http/request_context.h"
#include "http/router.h"

namespace weave {

// While a move switches a user to another node, their writes are answered 503 with this
// Retry-After: the switch takes seconds.
constexpr int kMoveRetryAfterSeconds = 10;

// Each row's endpoint, run after the dispatcher's login check, first reads (one query on the
// accounts database) this node's row and the user's node:
// - this node not in the nodes table: 503 (a configuration error, logged);
// - this node down: 503 with Retry-After and X-Weave-Backoff (the node's backoff, else
//   retry_after_seconds);
// - the user on another node, or on none yet: 401, which makes Firefox and Pale Moon forget
//   their cluster URL and ask node/weave again (protocol.md §2.2, §6.7);
// - otherwise the endpoint runs; a write refused because the user is being moved
//   (UserFrozen) is answered 503 with kMoveRetryAfterSeconds, and the node's backoff, if
//   any, is added as X-Weave-Backoff.
// Borrows nodes, which must outlive the endpoints.
std::vector<RouteRow<Endpoint>> GuardNodeEndpoints(std::vector<RouteRow<Endpoint>> rows,
                                                   NodeDirectory& nodes, const std::string& own_url,
                                                   int retry_after_seconds);

}  // namespace weave
