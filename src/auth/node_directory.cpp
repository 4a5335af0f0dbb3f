// The nodes and user_nodes tables: node states, capacity and load, and assignments.
#include "auth/node_directory.h"

#include "db/sql_dialect.h"

namespace weave {
namespace {

constexpr const char* kNodeColumns =
    "SELECT url, state, capacity, current_load, backoff FROM nodes";

NodeInfo ReadNode(SqlStatement& row) {
  return NodeInfo{std::string(row.ColumnText(0)), std::string(row.ColumnText(1)), row.ColumnInt(2),
                  row.ColumnInt(3), row.ColumnInt(4)};
}

}  // namespace

bool IsNodeState(std::string_view state) {
  return state == kNodeActive || state == kNodeDraining || state == kNodeDown;
}

std::string NodeHost(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme != std::string_view::npos) {
    url.remove_prefix(scheme + 3);
  }
  return std::string(url.substr(0, url.find('/')));
}

bool NodeDirectory::Any() {
  StatementScope query(db_.Prepare("SELECT 1 FROM nodes LIMIT 1"));
  return query->Step();
}

std::vector<NodeInfo> NodeDirectory::List() {
  StatementScope query(db_.Prepare(std::string(kNodeColumns) + " ORDER BY url"));
  std::vector<NodeInfo> nodes;
  while (query->Step()) {
    nodes.push_back(ReadNode(*query));
  }
  return nodes;
}

std::optional<NodeInfo> NodeDirectory::Find(std::string_view url) {
  StatementScope query(db_.Prepare(std::string(kNodeColumns) + " WHERE url = ?"));
  query->BindText(0, url);
  if (!query->Step()) {
    return std::nullopt;
  }
  return ReadNode(*query);
}

bool NodeDirectory::Add(std::string_view url, int64_t capacity) {
  StatementScope insert(db_.Prepare(db_.Dialect().InsertIgnoreSql(
      "INTO nodes (url, state, capacity, current_load, backoff) VALUES (?, 'active', ?, 0, 0)")));
  insert->BindText(0, url);
  insert->BindInt(1, capacity);
  insert->Step();
  return insert->AffectedRows() > 0;
}

bool NodeDirectory::SetCapacity(std::string_view url, int64_t capacity) {
  StatementScope update(db_.Prepare("UPDATE nodes SET capacity = ? WHERE url = ?"));
  update->BindInt(0, capacity);
  update->BindText(1, url);
  update->Step();
  return update->AffectedRows() > 0 || Find(url).has_value();
}

bool NodeDirectory::SetState(std::string_view url, std::string_view state) {
  StatementScope update(db_.Prepare("UPDATE nodes SET state = ? WHERE url = ?"));
  update->BindText(0, state);
  update->BindText(1, url);
  update->Step();
  return update->AffectedRows() > 0 || Find(url).has_value();
}

bool NodeDirectory::SetBackoff(std::string_view url, int64_t seconds) {
  StatementScope update(db_.Prepare("UPDATE nodes SET backoff = ? WHERE url = ?"));
  update->BindInt(0, seconds);
  update->BindText(1, url);
  update->Step();
  return update->AffectedRows() > 0 || Find(url).has_value();
}

std::optional<std::string> NodeDirectory::NodeOf(std::string_view username) {
  StatementScope query(db_.Prepare("SELECT node FROM user_nodes WHERE username = ?"));
  query->BindText(0, username);
  if (!query->Step()) {
    return std::nullopt;
  }
  return std::string(query->ColumnText(0));
}

std::optional<std::string> NodeDirectory::Assign(std::string_view username) {
  // Each failed try means another server took the last place on a node, or assigned this
  // very user: both end within a few rounds.
  constexpr int kTries = 20;
  for (int attempt = 0; attempt < kTries; ++attempt) {
    if (auto node = NodeOf(username)) {
      return node;
    }
    std::optional<std::string> candidate;
    {
      StatementScope query(
          db_.Prepare("SELECT url FROM nodes WHERE state = 'active' AND current_load < capacity"
                      " ORDER BY current_load * 1.0 / capacity, url LIMIT 1"));
      if (!query->Step()) {
        return std::nullopt;
      }
      candidate = std::string(query->ColumnText(0));
    }
    if (TryAssign(username, *candidate)) {
      return candidate;
    }
  }
  return NodeOf(username);
}

bool NodeDirectory::TryAssign(std::string_view username, std::string_view url) {
  SqlTransaction transaction(db_);
  {
    // The condition is checked on the row as it is now (SQLite: writers take turns; MySQL:
    // the row is locked), so the load never passes the capacity.
    StatementScope take(
        db_.Prepare("UPDATE nodes SET current_load = current_load + 1"
                    " WHERE url = ? AND state = 'active' AND current_load < capacity"));
    take->BindText(0, url);
    take->Step();
    if (take->AffectedRows() == 0) {
      return false;
    }
  }
  StatementScope insert(
      db_.Prepare(db_.Dialect().InsertIgnoreSql("INTO user_nodes (username, node) VALUES (?, ?)")));
  insert->BindText(0, username);
  insert->BindText(1, url);
  insert->Step();
  if (insert->AffectedRows() == 0) {
    return false;  // assigned meanwhile: the rollback gives the place back
  }
  transaction.Commit();
  return true;
}

void NodeDirectory::AddLoad(std::string_view url, int64_t delta) {
  StatementScope update(
      db_.Prepare("UPDATE nodes SET current_load = current_load + ? WHERE url = ?"));
  update->BindInt(0, delta);
  update->BindText(1, url);
  update->Step();
}

void NodeDirectory::Reassign(std::string_view username, std::string_view url) {
  SqlTransaction transaction(db_);
  std::optional<std::string> old_node;
  {
    StatementScope query(db_.Prepare("SELECT node FROM user_nodes WHERE username = ?" +
                                     std::string(db_.Dialect().LockingReadSuffix())));
    query->BindText(0, username);
    if (query->Step()) {
      old_node = std::string(query->ColumnText(0));
    }
  }
  if (old_node == url) {
    return;
  }
  if (old_node) {
    StatementScope update(db_.Prepare("UPDATE user_nodes SET node = ? WHERE username = ?"));
    update->BindText(0, url);
    update->BindText(1, username);
    update->Step();
    AddLoad(*old_node, -1);
  } else {
    StatementScope insert(db_.Prepare("INSERT INTO user_nodes (username, node) VALUES (?, ?)"));
    insert->BindText(0, username);
    insert->BindText(1, url);
    insert->Step();
  }
  AddLoad(url, 1);
  transaction.Commit();
}

void NodeDirectory::Release(std::string_view username) {
  SqlTransaction transaction(db_);
  const auto node = NodeOf(username);
  if (!node) {
    return;
  }
  {
    StatementScope remove(db_.Prepare("DELETE FROM user_nodes WHERE username = ?"));
    remove->BindText(0, username);
    remove->Step();
  }
  AddLoad(*node, -1);
  transaction.Commit();
}

std::vector<std::string> NodeDirectory::UsersOf(std::string_view url) {
  StatementScope query(
      db_.Prepare("SELECT username FROM user_nodes WHERE node = ? ORDER BY username"));
  query->BindText(0, url);
  std::vector<std::string> users;
  while (query->Step()) {
    users.emplace_back(query->ColumnText(0));
  }
  return users;
}

Placement NodeDirectory::PlacementOf(std::string_view own_url, std::string_view username) {
  StatementScope query(
      db_.Prepare("SELECT url, state, capacity, current_load, backoff,"
                  " (SELECT node FROM user_nodes WHERE username = ?) FROM nodes WHERE url = ?"));
  query->BindText(0, username);
  query->BindText(1, own_url);
  Placement placement;
  if (query->Step()) {
    placement.own = ReadNode(*query);
    if (!query->IsNull(5)) {
      placement.user_node = std::string(query->ColumnText(5));
    }
  }
  return placement;
}

}  // namespace weave
