// weave-admin usage and stats: what is stored, per user, per collection and in total.
#include <iomanip>
#include <iostream>
#include <stdexcept>

#include "admin/admin_commands.h"
#include "server/app.h"
#include "storage/storage_upkeep.h"

namespace weave {
namespace {

struct UserTotals {
  int64_t id = 0;
  std::string name;  // "-" when neither accounts table knows the id (a deleted account)
  int64_t records = 0;
  int64_t bytes = 0;
};

// Every user with stored data, largest first; names from the SQL or the LDAP accounts table.
std::vector<UserTotals> UsageByUser(SqlConnection& db) {
  StatementScope query(db.Prepare(
      "SELECT s.userid, coalesce(u.username, l.username, '-'), sum(s.item_count), "
      "sum(s.payload_bytes) FROM collection_stats s LEFT JOIN users u ON u.id = s.userid "
      "LEFT JOIN ldap_users l ON l.id = s.userid GROUP BY s.userid, u.username, l.username "
      "HAVING sum(s.item_count) > 0 ORDER BY sum(s.payload_bytes) DESC, s.userid"));
  std::vector<UserTotals> users;
  while (query->Step()) {
    users.push_back({query->ColumnInt(0), std::string(query->ColumnText(1)), query->ColumnInt(2),
                     query->ColumnInt(3)});
  }
  return users;
}

int64_t CountAccounts(SqlConnection& db) {
  StatementScope query(
      db.Prepare("SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM ldap_users)"));
  return query->Step() ? query->ColumnInt(0) : 0;
}

void PrintCollections(const std::vector<CollectionUsage>& collections) {
  std::cout << std::left << std::setw(20) << "collection" << std::right << std::setw(12)
            << "records" << std::setw(16) << "bytes" << '\n';
  for (const CollectionUsage& usage : collections) {
    std::cout << std::left << std::setw(20) << usage.collection << std::right << std::setw(12)
              << usage.records << std::setw(16) << usage.bytes << '\n';
  }
}

// Per storage node, when accounts are spread over nodes: users assigned against capacity.
// (Records and bytes are in each node's own database: weave-admin -c NODE.yaml stats.)
void PrintNodes(NodeDirectory& nodes) {
  const std::vector<NodeInfo> list = nodes.List();
  if (list.empty()) {
    return;
  }
  std::cout << '\n'
            << std::left << std::setw(40) << "node" << std::setw(10) << "state" << std::right
            << std::setw(10) << "users" << std::setw(10) << "capacity" << std::setw(7) << "used"
            << '\n';
  for (const NodeInfo& node : list) {
    const int64_t percent = node.capacity > 0 ? node.load * 100 / node.capacity : 100;
    std::cout << std::left << std::setw(40) << node.url << std::setw(10) << node.state << std::right
              << std::setw(10) << node.load << std::setw(10) << node.capacity << std::setw(6)
              << percent << "%\n";
  }
}

}  // namespace

int RunUsageCommand(App& app, const std::vector<std::string>& args) {
  if (args.size() > 2) {
    throw std::invalid_argument("usage takes at most one user");
  }
  if (args.size() == 1) {
    for (const UserTotals& user : UsageByUser(app.Connection())) {
      std::cout << user.id << '\t' << user.name << '\t' << user.records << '\t' << user.bytes
                << '\n';
    }
    return kExitOk;
  }
  const auto account = app.Accounts().FindUser(args[1]);
  if (!account) {
    std::cerr << "weave-admin: no such user: " << args[1] << '\n';
    return kExitFailed;
  }
  PrintCollections(UserUsage(app.Connection(), account->id));
  return kExitOk;
}

int RunStatsCommand(App& app, const std::vector<std::string>& args) {
  if (args.size() != 1) {
    throw std::invalid_argument("stats takes no arguments");
  }
  SqlConnection& db = app.Connection();
  const std::vector<CollectionUsage> collections = AllUsersUsage(db);
  int64_t records = 0;
  int64_t bytes = 0;
  for (const CollectionUsage& usage : collections) {
    records += usage.records;
    bytes += usage.bytes;
  }
  std::cout << "accounts        " << CountAccounts(db) << '\n'
            << "users with data " << UsersWithData(db) << '\n'
            << "records         " << records << '\n'
            << "bytes           " << bytes << '\n'
            << '\n';
  PrintCollections(collections);
  PrintNodes(app.Nodes());
  return kExitOk;
}

}  // namespace weave
