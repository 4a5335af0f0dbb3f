// Reading this server's accounts and records for export and verification (see
// database_source.h).
#include "migrate/database_source.h"

#include "db/sql_dialect.h"
#include "storage/collection_ids.h"

namespace weave {
namespace {

constexpr int kBatchRows = 1000;
constexpr const char* kRecordColumns =
    "collection, id, modified, sortindex, parentid, predecessorid, ttl, payload";

MigratedRecord ReadRecord(SqlStatement& row, const std::string& collection) {
  MigratedRecord record;
  record.collection = collection;
  record.id = row.ColumnText(1);
  record.modified_cs = row.IsNull(2) ? 0 : row.ColumnInt(2);
  if (!row.IsNull(3)) {
    record.sortindex = row.ColumnInt(3);
  }
  if (!row.IsNull(4)) {
    record.parentid = std::string(row.ColumnText(4));
  }
  if (!row.IsNull(5)) {
    record.predecessorid = std::string(row.ColumnText(5));
  }
  const int64_t ttl = row.ColumnInt(6);
  if (ttl != kNoExpiry) {
    record.expires_s = ttl;
  }
  if (!row.IsNull(7)) {
    record.payload = row.ColumnText(7);
  }
  return record;
}

std::string NameOf(const std::map<int64_t, std::string>& names, int64_t id) {
  const auto found = names.find(id);
  return found != names.end() ? found->second : std::to_string(id);
}

}  // namespace

DatabaseSource::DatabaseSource(SqlConnection& accounts, SqlConnection& records)
    : accounts_(accounts), records_(records) {}

std::vector<std::string> DatabaseSource::AccountNames() {
  std::vector<std::string> names;
  StatementScope query(accounts_.Prepare("SELECT username FROM users ORDER BY username"));
  while (query->Step()) {
    names.emplace_back(query->ColumnText(0));
  }
  return names;
}

std::optional<UserId> DatabaseSource::FindId(const std::string& name) {
  StatementScope query(accounts_.Prepare("SELECT id FROM users WHERE username = ?"));
  query->BindText(0, name);
  if (!query->Step()) {
    return std::nullopt;
  }
  return query->ColumnInt(0);
}

std::optional<MigratedAccount> DatabaseSource::Account(const std::string& name) {
  StatementScope query(accounts_.Prepare(
      "SELECT username, password_hash, email, status FROM users WHERE username = ?"));
  query->BindText(0, name);
  if (!query->Step()) {
    return std::nullopt;
  }
  MigratedAccount account;
  account.name = query->ColumnText(0);
  account.password_hash = query->ColumnText(1);
  account.email = query->IsNull(2) ? "" : std::string(query->ColumnText(2));
  account.disabled = query->ColumnInt(3) != 1;
  // A hash no login can match (weave-admin import stores "!" for an account whose password
  // could not be carried): the next import reports it again.
  if (account.password_hash.empty() || account.password_hash.front() == '!') {
    account.password_hash.clear();
    account.unusable_hash_reason = "no password set";
  }
  return account;
}

std::map<int64_t, std::string> DatabaseSource::CollectionNames(UserId user) {
  std::map<int64_t, std::string> names;
  for (int id = 1; StandardCollectionName(id); ++id) {
    names.emplace(id, std::string(*StandardCollectionName(id)));
  }
  StatementScope query(
      records_.Prepare("SELECT collectionid, name FROM collections WHERE userid = ?"));
  query->BindInt(0, user);
  while (query->Step()) {
    names.emplace(query->ColumnInt(0), query->ColumnText(1));
  }
  return names;
}

std::vector<MigratedCollection> DatabaseSource::Collections(const std::string& name) {
  std::vector<MigratedCollection> collections;
  const auto user = FindId(name);
  if (!user) {
    return collections;
  }
  const auto names = CollectionNames(*user);
  StatementScope query(records_.Prepare(
      "SELECT collection, modified FROM collection_stats WHERE userid = ? ORDER BY collection"));
  query->BindInt(0, *user);
  while (query->Step()) {
    collections.push_back({NameOf(names, query->ColumnInt(0)), query->ColumnInt(1)});
  }
  return collections;
}

void DatabaseSource::ForEachRecord(const std::string& name, const RecordSink& sink) {
  const auto user = FindId(name);
  if (!user) {
    return;
  }
  const auto names = CollectionNames(*user);
  const std::string sql = "SELECT " + std::string(kRecordColumns) + " FROM " +
                          records_.Dialect().WboTable(*user) +
                          " WHERE username = ? AND (collection > ? OR (collection = ? AND id > ?))"
                          " ORDER BY collection, id LIMIT " +
                          std::to_string(kBatchRows);
  int64_t after_collection = -1;
  std::string after_id;
  for (;;) {
    std::vector<MigratedRecord> batch;
    int64_t last_collection = after_collection;
    {
      StatementScope query(records_.Prepare(sql));
      query->BindInt(0, *user);
      query->BindInt(1, after_collection);
      query->BindInt(2, after_collection);
      query->BindText(3, after_id);
      while (query->Step()) {
        last_collection = query->ColumnInt(0);
        batch.push_back(ReadRecord(*query, NameOf(names, last_collection)));
      }
    }
    for (const MigratedRecord& record : batch) {
      sink(record);
    }
    if (batch.size() < static_cast<size_t>(kBatchRows)) {
      return;
    }
    after_collection = last_collection;
    after_id = batch.back().id;
  }
}

std::optional<MigratedRecord> DatabaseSource::FindRecord(const std::string& name,
                                                         const std::string& collection,
                                                         const std::string& id) {
  if (cached_name_ != name || cached_name_.empty()) {
    cached_name_ = name;
    cached_id_ = FindId(name);
    cached_collections_.clear();
    if (cached_id_) {
      for (const auto& [number, known] : CollectionNames(*cached_id_)) {
        cached_collections_.emplace(known, number);
      }
    }
  }
  const auto collection_id = cached_collections_.find(collection);
  if (!cached_id_ || collection_id == cached_collections_.end()) {
    return std::nullopt;
  }
  StatementScope query(records_.Prepare("SELECT " + std::string(kRecordColumns) + " FROM " +
                                        records_.Dialect().WboTable(*cached_id_) +
                                        " WHERE username = ? AND collection = ? AND id = ?"));
  query->BindInt(0, *cached_id_);
  query->BindInt(1, collection_id->second);
  query->BindText(2, id);
  if (!query->Step()) {
    return std::nullopt;
  }
  return ReadRecord(*query, collection);
}

int64_t DatabaseSource::CountUserRecords(const std::string& name) {
  const auto user = FindId(name);
  if (!user) {
    return 0;
  }
  StatementScope query(records_.Prepare(
      "SELECT COUNT(*) FROM " + records_.Dialect().WboTable(*user) + " WHERE username = ?"));
  query->BindInt(0, *user);
  return query->Step() ? query->ColumnInt(0) : 0;
}

}  // namespace weave
