// FSyncMS: text user names, REAL-second timestamps, one wbo table.
#include "migrate/source_fsyncms.h"

#include <stdexcept>

namespace weave {
namespace {

std::string Prefixed(const std::string& prefix, const std::string& table) {
  if (prefix.empty()) {
    return table;
  }
  return prefix + (prefix.back() == '_' ? "" : "_") + table;
}

class FsyncmsSource final : public MigrationSource {
 public:
  FsyncmsSource(std::unique_ptr<SourceDatabase> db, const std::string& prefix)
      : db_(std::move(db)), users_(Prefixed(prefix, "users")), wbo_(Prefixed(prefix, "wbo")) {
    for (const std::string& table : {users_, wbo_}) {
      if (!db_->HasTable(table)) {
        throw std::runtime_error(db_->Label() + ": no table " + table +
                                 " (is this an FSyncMS database?)");
      }
    }
    if (db_->Columns(users_).count("md5") == 0) {
      throw std::runtime_error(db_->Label() + ": table " + users_ + " has no md5 column");
    }
  }

  std::vector<std::string> AccountNames() override {
    return db_->Guard("list accounts", [&] {
      std::vector<std::string> names;
      StatementScope query(db_->Connection().Prepare("SELECT username FROM " + db_->Quote(users_) +
                                                     " ORDER BY username"));
      while (query->Step()) {
        names.emplace_back(query->ColumnText(0));
      }
      return names;
    });
  }

  std::optional<MigratedAccount> Account(const std::string& name) override {
    return db_->Guard("read account " + name, [&]() -> std::optional<MigratedAccount> {
      StatementScope query(db_->Connection().Prepare("SELECT md5 FROM " + db_->Quote(users_) +
                                                     " WHERE username = ?"));
      query->BindText(0, name);
      if (!query->Step()) {
        return std::nullopt;
      }
      MigratedAccount account;
      account.name = name;
      CarryPasswordHash(query->IsNull(0) ? std::string_view() : query->ColumnText(0),
                        "FSyncMS writes hex MD5 or bcrypt; a plain password here comes from "
                        "its 2014 password-change bug",
                        account);
      return account;
    });
  }

  std::vector<MigratedCollection> Collections(const std::string& name) override {
    return db_->Guard("read the collections of " + name, [&] {
      std::vector<MigratedCollection> collections;
      StatementScope query(db_->Connection().Prepare(
          "SELECT collection, " + db_->CentisecondsOf("MAX(modified)") + " FROM " +
          db_->Quote(wbo_) + " WHERE username = ? GROUP BY collection ORDER BY collection"));
      query->BindText(0, name);
      while (query->Step()) {
        collections.push_back(
            {std::string(query->ColumnText(0)), query->IsNull(1) ? 0 : query->ColumnInt(1)});
      }
      return collections;
    });
  }

  void ForEachRecord(const std::string& name, const RecordSink& sink) override {
    // The sink's own exceptions pass unchanged; only the source's reads are wrapped.
    const std::string what = "read the records of " + name;
    StatementScope query(db_->Guard(what, [&]() -> SqlStatement& {
      SqlStatement& statement = db_->Connection().Prepare(
          "SELECT collection, id, " + db_->CentisecondsOf("modified") +
          ", sortindex, parentid, predecessorid, payload FROM " + db_->Quote(wbo_) +
          " WHERE username = ? ORDER BY collection, id");
      statement.BindText(0, name);
      return statement;
    }));
    MigratedRecord record;
    while (db_->Guard(what, [&] { return query->Step(); })) {
      record.collection = query->ColumnText(0);
      ReadRecordColumns(*query, 1, record);
      record.expires_s = std::nullopt;  // FSyncMS keeps records forever
      sink(record);
    }
  }

 private:
  std::unique_ptr<SourceDatabase> db_;
  const std::string users_;
  const std::string wbo_;
};

}  // namespace

std::unique_ptr<MigrationSource> MakeFsyncmsSource(std::unique_ptr<SourceDatabase> db,
                                                   const std::string& table_prefix) {
  return std::make_unique<FsyncmsSource>(std::move(db), table_prefix);
}

}  // namespace weave
