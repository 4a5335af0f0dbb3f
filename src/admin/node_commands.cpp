// weave-admin nodes and users move: the operator's side of many storage nodes.
#include "admin/node_commands.h"

#include <unistd.h>

#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>

#include "admin/admin_audit.h"
#include "core/config_loader.h"
#include "core/progress.h"
#include "db/make_connection.h"
#include "storage/user_move.h"

namespace weave {
namespace {

constexpr const char* kNodeUsage =
    "  nodes add URL CAPACITY    list a storage node (active) that may hold CAPACITY users\n"
    "  nodes list                nodes with state, load against capacity, backoff\n"
    "  nodes set-capacity URL N  change a node's capacity\n"
    "  nodes drain|down|up URL   draining: no new users; down: its users get 503; up: active\n"
    "  nodes backoff URL SECONDS X-Weave-Backoff the node adds to its answers (0: none)\n"
    "  nodes evacuate URL        drain the node and move each of its users to another node\n"
    "  users move USER URL       move a user and their records to another node\n"
    "users move and nodes evacuate read each node's own configuration (-n FILE, once per\n"
    "node) for its database.\n";

int64_t ParseCount(const std::string& text) {
  size_t used = 0;
  const long long value = std::stoll(text, &used);
  if (used != text.size() || value < 0) {
    throw std::invalid_argument("not a count: " + text);
  }
  return value;
}

// A node URL as node/weave hands it out: http(s), ending in '/'.
std::string NodeUrl(std::string url) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    throw std::invalid_argument("a node URL starts with http:// or https://");
  }
  if (url.back() != '/') {
    url.push_back('/');
  }
  return url;
}

void Need(const std::vector<std::string>& args, size_t count) {
  if (args.size() < count) {
    throw std::invalid_argument("missing argument");
  }
}

int NoSuchNode(const std::string& url) {
  std::cerr << "no node " << url << " (weave-admin nodes list)\n";
  return 1;
}

void PrintNodes(NodeDirectory& nodes) {
  for (const NodeInfo& node : nodes.List()) {
    const int64_t percent = node.capacity > 0 ? node.load * 100 / node.capacity : 100;
    std::cout << node.url << '\t' << node.state << '\t' << node.load << '/' << node.capacity
              << " users (" << percent << " %)\tbackoff " << node.backoff_seconds << " s\n";
  }
}

// The nodes' record databases, opened from their configuration files when first needed.
class NodeDatabases {
 public:
  explicit NodeDatabases(const std::vector<std::string>& files) {
    for (const std::string& file : files) {
      Config config = LoadConfigFile(file);
      if (config.server.node_url.empty()) {
        throw std::runtime_error(file + ": server.node_url is not set");
      }
      configs_.emplace(config.server.node_url, config.database);
    }
  }

  SqlConnection& For(const std::string& url) {
    auto open = connections_.find(url);
    if (open == connections_.end()) {
      const auto config = configs_.find(url);
      if (config == configs_.end()) {
        throw std::runtime_error("no configuration for node " + url +
                                 " (give each node's file with -n FILE)");
      }
      open = connections_.emplace(url, MakeConnection(config->second)).first;
    }
    return *open->second;
  }

 private:
  std::map<std::string, DatabaseConfig> configs_;
  std::map<std::string, std::unique_ptr<SqlConnection>> connections_;
};

int MoveOne(App& app, NodeDatabases& databases, const std::string& username,
            const std::string& to_url) {
  const auto account = app.Accounts().FindUser(username);
  if (!account) {
    std::cerr << "no such user\n";
    return 1;
  }
  if (!app.Nodes().Find(to_url)) {
    return NoSuchNode(to_url);
  }
  const auto from_url = app.Nodes().NodeOf(username);
  if (!from_url) {
    // Nothing stored anywhere yet: pointing the user there is the whole move.
    app.Nodes().Reassign(username, to_url);
    app.Accounts().StoreNodeHost(username, NodeHost(to_url));
    std::cout << username << " had no node; now on " << to_url << '\n';
    AuditAdminAction("users-move", username, "to " + to_url + ", no records");
    return 0;
  }
  if (*from_url == to_url) {
    std::cout << username << " is on " << to_url << " already\n";
    return 0;
  }
  MoveRequest move{
      username, account->id, *from_url, to_url, &databases.For(*from_url), &databases.For(to_url)};
  // The steps on standard output, the copy's progress on standard error (as the other
  // long commands show theirs).
  const MoveResult result =
      MoveUser(move, app.Nodes(), {std::cout, std::cerr, isatty(STDERR_FILENO) != 0});
  app.Accounts().StoreNodeHost(username, NodeHost(to_url));
  std::cout << "moved " << username << ": " << result.records << " records, " << result.caught_up
            << " changes caught up\n";
  AuditAdminAction(
      "users-move", username,
      "from " + *from_url + " to " + to_url + ", " + std::to_string(result.records) + " records");
  return 0;
}

// The active node other than `except` with the lowest load against capacity, below it.
std::optional<std::string> EvacuationTarget(NodeDirectory& nodes, const std::string& except) {
  std::optional<NodeInfo> best;
  for (NodeInfo& node : nodes.List()) {
    if (node.url == except || node.state != kNodeActive || node.load >= node.capacity) {
      continue;
    }
    if (!best || node.load * best->capacity < best->load * node.capacity) {
      best = std::move(node);
    }
  }
  return best ? std::optional<std::string>(best->url) : std::nullopt;
}

int Evacuate(App& app, NodeDatabases& databases, const std::string& url) {
  if (!app.Nodes().SetState(url, kNodeDraining)) {
    return NoSuchNode(url);
  }
  const std::vector<std::string> users = app.Nodes().UsersOf(url);
  const auto total = static_cast<int64_t>(users.size());
  std::cout << "evacuating " << url << ": " << total << " users\n";
  int64_t done = 0;
  // Written when the evacuation ends, however it ends: the users moved so far are moved.
  const auto audit = [&url, &done, total] {
    AuditAdminAction("nodes-evacuate", "",
                     url + ": " + std::to_string(done) + " of " + std::to_string(total) + " users");
  };
  Progress progress = Progress::ForStderr("evacuating " + url, total);
  for (const std::string& username : users) {
    const auto target = EvacuationTarget(app.Nodes(), url);
    if (!target) {
      std::cerr << "no other active node has room; " << total - done << " users stay on " << url
                << '\n';
      audit();
      return 1;
    }
    if (MoveOne(app, databases, username, *target) != 0) {
      audit();
      return 1;
    }
    progress.Update(++done);
  }
  progress.Finish(done);
  std::cout << "evacuated " << done << " of " << total << " users\n";
  audit();
  return 0;
}

int RunNodes(App& app, const std::vector<std::string>& args,
             const std::vector<std::string>& node_configs) {
  Need(args, 2);
  const std::string& verb = args[1];
  NodeDirectory& nodes = app.Nodes();
  if (verb == "list") {
    PrintNodes(nodes);
    return 0;
  }
  Need(args, 3);
  const std::string url = NodeUrl(args[2]);
  if (verb == "add") {
    Need(args, 4);
    if (!nodes.Add(url, ParseCount(args[3]))) {
      std::cerr << "node " << url << " is listed already\n";
      return 1;
    }
    AuditAdminAction("nodes-add", "", url + " capacity " + args[3]);
    return 0;
  }
  bool found = false;
  std::string detail = url;
  if (verb == "set-capacity" || verb == "backoff") {
    Need(args, 4);
    const int64_t value = ParseCount(args[3]);
    found = verb == "backoff" ? nodes.SetBackoff(url, value) : nodes.SetCapacity(url, value);
    detail += (verb == "backoff" ? " backoff " : " capacity ") + std::to_string(value);
  } else if (verb == "drain" || verb == "down" || verb == "up") {
    found = nodes.SetState(url, verb == "drain"  ? kNodeDraining
                                : verb == "down" ? kNodeDown
                                                 : kNodeActive);
  } else if (verb == "evacuate") {
    NodeDatabases databases(node_configs);
    return Evacuate(app, databases, url);
  } else {
    throw std::invalid_argument("unknown nodes command");
  }
  if (!found) {
    return NoSuchNode(url);
  }
  AuditAdminAction("nodes-" + verb, "", detail);
  return 0;
}

}  // namespace

bool IsNodeCommand(const std::string& name) {
  return name == "nodes" || name == "users";
}

int RunNodeCommand(App& app, const std::vector<std::string>& args,
                   const std::vector<std::string>& node_configs) {
  try {
    if (args[0] == "nodes") {
      return RunNodes(app, args, node_configs);
    }
    Need(args, 4);
    if (args[1] != "move") {
      throw std::invalid_argument("unknown users command");
    }
    NodeDatabases databases(node_configs);
    return MoveOne(app, databases, args[2], NodeUrl(args[3]));
  } catch (const std::invalid_argument& error) {
    std::cerr << "weave-admin: " << error.what() << '\n' << kNodeUsage;
    return 2;
  }
}

}  // namespace weave
