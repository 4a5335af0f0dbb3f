// weave-admin's node commands: nodes add|list|set-capacity|drain|down|up|backoff|evacuate and
// users move.
#pragma once

#include <string>
#include <vector>

#include "server/app.h"

namespace weave {

// True for the commands RunNodeCommand runs ("nodes", "users").
bool IsNodeCommand(const std::string& name);

// Runs args (args[0] is "nodes" or "users") on app's accounts database. node_configs are the
// storage nodes' own configuration files (weave-admin -n), read for users move and nodes
// evacuate: each names its node (server.node_url) and its records' database. Returns the
// exit status; throws std::invalid_argument for a malformed command line.
int RunNodeCommand(App& app, const std::vector<std::string>& args,
                   const std::vector<std::string>& node_configs);

}  // namespace weave
