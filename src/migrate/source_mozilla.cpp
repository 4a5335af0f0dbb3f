// Mozilla's Python and PHP servers: numeric user ids, numeric collections, hundredths.
#include "migrate/source_mozilla.h"

#include <algorithm>
#include <initializer_list>
#include <map>
#include <stdexcept>

#include "storage/collection_ids.h"

namespace weave {
namespace {

// The first of candidates that columns has, or "".
std::string FirstOf(const std::set<std::string>& columns,
                    std::initializer_list<const char*> candidates) {
  for (const char* name : candidates) {
    if (columns.count(name) > 0) {
      return name;
    }
  }
  return {};
}

bool IsShardName(const std::string& table) {
  if (table.size() < 4 || table.compare(0, 3, "wbo") != 0) {
    return false;
  }
  return table.find_first_not_of("0123456789", 3) == std::string::npos;
}

// Where a database keeps its accounts.
struct UsersTable {
  std::string table;
  std::string id;
  std::string hash;
  std::string email;   // "" when the table has none
  std::string status;  // "" when the table has none
};

class MozillaSource final : public MigrationSource {
 public:
  MozillaSource(std::unique_ptr<SourceDatabase> db, MozillaServer server)
      : db_(std::move(db)), server_(server) {
    FindUsersTable();
    FindRecordTables();
    has_collections_ = db_->HasTable("collections");
  }

  std::vector<std::string> AccountNames() override {
    return db_->Guard("list accounts", [&] {
      std::vector<std::string> names;
      StatementScope query(db_->Connection().Prepare(
          "SELECT username FROM " + db_->Quote(users_.table) + " ORDER BY username"));
      while (query->Step()) {
        names.emplace_back(query->ColumnText(0));
      }
      return names;
    });
  }

  std::optional<MigratedAccount> Account(const std::string& name) override {
    return db_->Guard("read account " + name, [&]() -> std::optional<MigratedAccount> {
      StatementScope query(db_->Connection().Prepare(
          "SELECT " + db_->Quote(users_.hash) + ", " +
          (users_.email.empty() ? "''" : db_->Quote(users_.email)) + ", " +
          (users_.status.empty() ? "1" : db_->Quote(users_.status)) + " FROM " +
          db_->Quote(users_.table) + " WHERE username = ?"));
      query->BindText(0, name);
      if (!query->Step()) {
        return std::nullopt;
      }
      MigratedAccount account;
      account.name = name;
      const std::string_view stored = query->IsNull(0) ? std::string_view() : query->ColumnText(0);
      CarryPasswordHash(stored, HashHint(stored), account);
      account.email = query->IsNull(1) ? std::string() : std::string(query->ColumnText(1));
      account.disabled = query->IsNull(2) || query->ColumnInt(2) != 1;
      return account;
    });
  }

  std::vector<MigratedCollection> Collections(const std::string& name) override {
    return db_->Guard("read the collections of " + name, [&] {
      std::vector<MigratedCollection> collections;
      const std::optional<int64_t> user = UserId(name);
      if (!user) {
        return collections;
      }
      const std::map<int64_t, std::string> names = CollectionNames(*user);
      std::map<std::string, int64_t> newest;
      StatementScope query(db_->Connection().Prepare("SELECT collection, MAX(modified) FROM " +
                                                     db_->Quote(RecordTable(*user)) +
                                                     " WHERE username = ? GROUP BY collection"));
      query->BindInt(0, *user);
      while (query->Step()) {
        const std::string collection = NameOf(names, name, query->ColumnInt(0));
        const int64_t modified = query->IsNull(1) ? 0 : query->ColumnInt(1);
        auto [slot, added] = newest.emplace(collection, modified);
        if (!added && modified > slot->second) {
          slot->second = modified;
        }
      }
      for (const auto& [collection, modified] : newest) {
        collections.push_back({collection, modified});
      }
      return collections;
    });
  }

  void ForEachRecord(const std::string& name, const RecordSink& sink) override {
    // The sink's own exceptions pass unchanged; only the source's reads are wrapped.
    const std::string what = "read the records of " + name;
    const std::optional<int64_t> user = db_->Guard(what, [&] { return UserId(name); });
    if (!user) {
      return;
    }
    const std::map<int64_t, std::string> names =
        db_->Guard(what, [&] { return CollectionNames(*user); });
    StatementScope query(db_->Guard(what, [&]() -> SqlStatement& {
      SqlStatement& statement = db_->Connection().Prepare(
          "SELECT collection, id, modified, sortindex, parentid, predecessorid, payload, " +
          std::string(has_ttl_ ? "ttl" : "NULL") + " FROM " + db_->Quote(RecordTable(*user)) +
          " WHERE username = ? ORDER BY collection, id");
      statement.BindInt(0, *user);
      return statement;
    }));
    MigratedRecord record;
    while (db_->Guard(what, [&] { return query->Step(); })) {
      record.collection =
          db_->Guard(what, [&] { return NameOf(names, name, query->ColumnInt(0)); });
      ReadRecordColumns(*query, 1, record);
      record.expires_s = query->IsNull(7) ? std::nullopt : ExpiryOrNone(query->ColumnInt(7));
      sink(record);
    }
  }

 private:
  void FindUsersTable() {
    for (const char* table : {"users", "user"}) {
      if (!db_->HasTable(table)) {
        continue;
      }
      const std::set<std::string> columns = db_->Columns(table);
      users_ = {table, FirstOf(columns, {"id", "userid"}),
                FirstOf(columns, {"password_hash", "password", "md5"}),
                FirstOf(columns, {"email", "mail"}), FirstOf(columns, {"status", "accountStatus"})};
      if (columns.count("username") == 0 || users_.id.empty() || users_.hash.empty()) {
        throw std::runtime_error(db_->Label() + ": table " + table +
                                 " lacks the username, id or password column of a Mozilla "
                                 "Sync server's accounts");
      }
      return;
    }
    throw std::runtime_error(
        db_->Label() + ": no users table" +
        (server_ == MozillaServer::kPhp
             ? " (the PHP server's accounts may live in another database, or in LDAP)"
             : std::string(" (is this a Mozilla Sync server's database?)")));
  }

  void FindRecordTables() {
    int64_t highest = -1;
    for (const std::string& table : db_->Tables()) {
      if (IsShardName(table) && table.size() < 10) {
        highest = std::max<int64_t>(highest, std::stoll(table.substr(3)));
      }
    }
    shards_ = highest + 1;
    const std::string first = shards_ > 0 ? "wbo0" : "wbo";
    if (!db_->HasTable(first)) {
      throw std::runtime_error(db_->Label() + ": no table " + first +
                               " (is this a Mozilla Sync server's database?)");
    }
    has_ttl_ = db_->Columns(first).count("ttl") > 0;
  }

  std::string RecordTable(int64_t user) const {
    if (shards_ == 0) {
      return "wbo";
    }
    std::string table = "wbo" + std::to_string(((user % shards_) + shards_) % shards_);
    if (!db_->HasTable(table)) {
      throw std::runtime_error("no table " + table + " among the shards wbo0 ... wbo" +
                               std::to_string(shards_ - 1));
    }
    return table;
  }

  std::optional<int64_t> UserId(const std::string& name) {
    StatementScope query(db_->Connection().Prepare("SELECT " + db_->Quote(users_.id) + " FROM " +
                                                   db_->Quote(users_.table) +
                                                   " WHERE username = ?"));
    query->BindText(0, name);
    if (!query->Step()) {
      return std::nullopt;
    }
    return query->ColumnInt(0);
  }

  // The user's own collection ids (the collections table), which win over the standard list.
  std::map<int64_t, std::string> CollectionNames(int64_t user) {
    std::map<int64_t, std::string> names;
    if (!has_collections_) {
      return names;
    }
    StatementScope query(
        db_->Connection().Prepare("SELECT collectionid, name FROM collections WHERE userid = ?"));
    query->BindInt(0, user);
    while (query->Step()) {
      names.emplace(query->ColumnInt(0), std::string(query->ColumnText(1)));
    }
    return names;
  }

  static std::string NameOf(const std::map<int64_t, std::string>& names, const std::string& user,
                            int64_t id) {
    if (const auto found = names.find(id); found != names.end()) {
      return found->second;
    }
    if (id >= 1 && id <= kFirstCustomCollectionId) {
      if (const auto name = StandardCollectionName(static_cast<int>(id))) {
        return std::string(*name);
      }
    }
    throw std::runtime_error("collection id " + std::to_string(id) + " of " + user +
                             " is neither standard nor in the collections table");
  }

  std::string HashHint(std::string_view stored) const {
    const bool hex64 = stored.size() == 64 &&
                       stored.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
    if (server_ == MozillaServer::kPhp && hex64) {
      return "PHP's legacy salted SHA-256, which needs that server's WEAVE_SHA_SALT";
    }
    return {};
  }

  std::unique_ptr<SourceDatabase> db_;
  const MozillaServer server_;
  UsersTable users_;
  int64_t shards_ = 0;  // 0: one wbo table
  bool has_ttl_ = false;
  bool has_collections_ = false;
};

}  // namespace

std::unique_ptr<MigrationSource> MakeMozillaSource(std::unique_ptr<SourceDatabase> db,
                                                   MozillaServer server) {
  return std::make_unique<MozillaSource>(std::move(db), server);
}

}  // namespace weave
