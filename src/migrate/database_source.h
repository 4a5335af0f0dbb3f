// This server's own database read as a MigrationSource: what weave-admin export writes, and
// what weave-admin import --verify compares the source with. SQL accounts (auth.backend:
// sql) only: the password hashes are read from the users table.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/user_name.h"
#include "db/sql_connection.h"
#include "migrate/migration.h"

namespace weave {

class DatabaseSource final : public MigrationSource {
 public:
  // Borrows the accounts database (users) and the records database (may be the same
  // connection); both must outlive this object.
  DatabaseSource(SqlConnection& accounts, SqlConnection& records);

  // Every account, ordered by name.
  std::vector<std::string> AccountNames() override;
  std::optional<MigratedAccount> Account(const std::string& name) override;
  // Every collection_stats row of the user (empty collections included), by name.
  std::vector<MigratedCollection> Collections(const std::string& name) override;
  // In batches (one short read each), ordered by collection id and record id; expired
  // records included. A stored NULL payload (rows from Mozilla's PHP server) reads as "".
  void ForEachRecord(const std::string& name, const RecordSink& sink) override;

  // One record as ForEachRecord gives it, or nullopt.
  std::optional<MigratedRecord> FindRecord(const std::string& name, const std::string& collection,
                                           const std::string& id);
  // How many records the user has (expired ones included).
  int64_t CountUserRecords(const std::string& name);

 private:
  std::optional<UserId> FindId(const std::string& name);
  // collection id -> name for the user (standard and custom).
  std::map<int64_t, std::string> CollectionNames(UserId user);

  SqlConnection& accounts_;
  SqlConnection& records_;
  // FindRecord's user, looked up once for the many records of one user.
  std::string cached_name_;
  std::optional<UserId> cached_id_;
  std::map<std::string, int64_t> cached_collections_;  // name -> id
};

}  // namespace weave
