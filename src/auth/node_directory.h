// Storage nodes and which node holds each account: the nodes and user_nodes tables of the
// accounts database, shared by the registration server, the storage nodes and weave-admin.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/sql_connection.h"

namespace weave {

// A node's states: active nodes take new users, draining ones keep theirs but take no new
// ones, down ones answer their users 503.
inline constexpr std::string_view kNodeActive = "active";
inline constexpr std::string_view kNodeDraining = "draining";
inline constexpr std::string_view kNodeDown = "down";

// True for active, draining and down.
bool IsNodeState(std::string_view state);

// The host (and port) of a node URL, as a Mozilla-layout directory names the node in
// primaryNode: "https://node1.example.org/" -> "node1.example.org".
std::string NodeHost(std::string_view url);

struct NodeInfo {
  std::string url;  // ends in '/'
  std::string state;
  int64_t capacity = 0;
  int64_t load = 0;             // users assigned to it
  int64_t backoff_seconds = 0;  // X-Weave-Backoff on its answers (0: none)
};

// What a storage node needs to know about one request, in one read.
struct Placement {
  std::optional<NodeInfo> own;           // this node's row; nullopt if it is not listed
  std::optional<std::string> user_node;  // the user's node; nullopt if none yet
};

// Every method throws BackendError when the database cannot answer. Borrows the accounts
// connection, which must outlive it. One per worker; not thread-safe.
class NodeDirectory {
 public:
  explicit NodeDirectory(SqlConnection& accounts) : db_(accounts) {}

  // True once at least one node is listed: node/weave then hands out nodes instead of
  // server.public_url.
  bool Any();
  std::vector<NodeInfo> List();
  std::optional<NodeInfo> Find(std::string_view url);
  // False if the node is listed already.
  bool Add(std::string_view url, int64_t capacity);
  // False if there is no such node.
  bool SetCapacity(std::string_view url, int64_t capacity);
  bool SetState(std::string_view url, std::string_view state);
  bool SetBackoff(std::string_view url, int64_t seconds);

  std::optional<std::string> NodeOf(std::string_view username);
  // The user's node, assigning one first if the user has none: the active node with the
  // lowest load relative to its capacity, among those below it. Atomic: two servers
  // assigning at once never take a node past its capacity, and a user gets one node. nullopt
  // when every active node is full (or none is active).
  std::optional<std::string> Assign(std::string_view username);
  // Points the user at url (an operator's move; capacity is not enforced), moving one unit
  // of load from the old node to the new one.
  void Reassign(std::string_view username, std::string_view url);
  // Forgets the user's node (the account is gone), freeing its unit of load.
  void Release(std::string_view username);
  // The users assigned to url, in name order.
  std::vector<std::string> UsersOf(std::string_view url);

  Placement PlacementOf(std::string_view own_url, std::string_view username);

 private:
  // One try at assigning url; false when the node filled up or the user got a node meanwhile.
  bool TryAssign(std::string_view username, std::string_view url);
  void AddLoad(std::string_view url, int64_t delta);

  SqlConnection& db_;
};

}  // namespace weave
