// weave-admin import's writer: accounts first, then each user's records in one transaction
// (see import_writer.h for the guarantees).
#include "migrate/import_writer.h"

#include <unistd.h>

#include <algorithm>
#include <functional>
#include <iostream>
#include <map>
#include <ostream>
#include <stdexcept>

#include "auth/account_ids.h"
#include "core/errors.h"
#include "core/progress.h"
#include "db/sql_dialect.h"
#include "storage/cache_marks.h"
#include "storage/collection_ids.h"
#include "storage/collection_stats.h"

namespace weave {
namespace {

// A users.password_hash no password matches (VerifyPassword knows no such format): an
// account whose password could not be carried over, until the operator sets one.
constexpr const char* kNoPassword = "!";
// Records per INSERT statement, and payload bytes at most (a statement stays well under
// MariaDB's max_allowed_packet).
constexpr size_t kBatchRecords = 100;
constexpr size_t kBatchBytes = size_t{1024} * 1024;
constexpr size_t kMaxIdBytes = 64;

// What the destination holds of an account.
enum class Existing {
  kNone,     // no account of that name
  kPending,  // made or replaced by an import whose records did not finish
  kDone,     // imported completely by an earlier run
  kForeign,  // an account of this server's own: a conflict
};

struct Destination {
  Existing state = Existing::kNone;
  UserId id = 0;
};

Destination FindDestination(SqlConnection& db, const std::string& name) {
  Destination destination;
  {
    StatementScope query(db.Prepare("SELECT id FROM users WHERE username = ?"));
    query->BindText(0, name);
    if (!query->Step()) {
      return destination;
    }
    destination.id = query->ColumnInt(0);
  }
  StatementScope query(db.Prepare("SELECT state FROM imported_accounts WHERE username = ?"));
  query->BindText(0, name);
  if (!query->Step()) {
    destination.state = Existing::kForeign;
  } else {
    destination.state = query->ColumnText(0) == "done" ? Existing::kDone : Existing::kPending;
  }
  return destination;
}

void MarkImport(SqlConnection& db, const std::string& name, const char* state,
                const std::string& label) {
  StatementScope upsert(db.Prepare(db.Dialect().InsertOrReplaceSql(
      "imported_accounts", "username, state, source", "?, ?, ?", "username", "state, source")));
  upsert->BindText(0, name);
  upsert->BindText(1, state);
  upsert->BindText(2, label);
  upsert->Step();
}

// Creates the account, or (pending, replaced) updates it, and marks it pending; returns
// its storage key.
UserId PrepareAccount(SqlConnection& db, const MigratedAccount& account,
                      const Destination& destination, const std::string& label) {
  SqlTransaction transaction(db);
  const int status = account.disabled ? 0 : 1;
  UserId id = destination.id;
  if (destination.state == Existing::kNone) {
    id = AllocateAccountId(db, "users");
    StatementScope insert(
        db.Prepare("INSERT INTO users (id, username, password_hash, email, status)"
                   " VALUES (?, ?, ?, ?, ?)"));
    insert->BindInt(0, id);
    insert->BindText(1, account.name);
    insert->BindText(2, account.password_hash.empty() ? kNoPassword : account.password_hash);
    insert->BindText(3, account.email);
    insert->BindInt(4, status);
    insert->Step();
  } else {
    // A replaced account's cached logins end (generation); a pending one is this import's
    // own, written the same way before.
    const bool carry = !account.password_hash.empty();
    const bool bump = destination.state != Existing::kPending;
    StatementScope update(db.Prepare(std::string("UPDATE users SET email = ?, status = ?") +
                                     (bump ? ", generation = generation + 1" : "") +
                                     (carry ? ", password_hash = ?" : "") + " WHERE id = ?"));
    update->BindText(0, account.email);
    update->BindInt(1, status);
    if (carry) {
      update->BindText(2, account.password_hash);
    }
    update->BindInt(carry ? 3 : 2, id);
    update->Step();
  }
  MarkImport(db, account.name, "pending", label);
  transaction.Commit();
  return id;
}

bool IsValidCollectionName(std::string_view name) {
  return name.size() <= 32 && IsValidUsername(name);
}

bool IsStorableId(std::string_view id) {
  return !id.empty() && id.size() <= kMaxIdBytes;
}

bool IsStorableRef(const std::optional<std::string>& ref) {
  return !ref || ref->size() <= kMaxIdBytes;
}

// One user's records on their way into the database, in multi-row INSERTs.
class UserWrite {
 public:
  UserWrite(SqlConnection& db, UserId user) : db_(db), user_(user) {}

  void Clear() {
    for (const std::string& sql :
         {"DELETE FROM " + db_.Dialect().WboTable(user_) + " WHERE username = ?",
          std::string("DELETE FROM collection_stats WHERE userid = ?"),
          std::string("DELETE FROM collections WHERE userid = ?")}) {
      StatementScope statement(db_.Prepare(sql));
      statement->BindInt(0, user_);
      statement->Step();
    }
  }

  // The collection's id for this user, adding a custom one the first time.
  int64_t CollectionId(const std::string& name) {
    if (!IsValidCollectionName(name)) {
      throw std::runtime_error("collection name \"" + name + "\" is not accepted here");
    }
    if (auto standard = StandardCollectionId(name)) {
      return *standard;
    }
    const auto found = custom_.find(name);
    if (found != custom_.end()) {
      return found->second;
    }
    const int64_t id = next_custom_++;
    StatementScope insert(
        db_.Prepare("INSERT INTO collections (userid, collectionid, name) VALUES (?, ?, ?)"));
    insert->BindInt(0, user_);
    insert->BindInt(1, id);
    insert->BindText(2, name);
    insert->Step();
    custom_.emplace(name, id);
    return id;
  }

  void Add(const MigratedRecord& record) {
    if (!IsStorableId(record.id) || !IsStorableRef(record.parentid) ||
        !IsStorableRef(record.predecessorid)) {
      throw std::runtime_error("record " + record.collection + "/" + record.id.substr(0, 80) +
                               ": an id longer than 64 bytes (or empty)");
    }
    const int64_t collection = CollectionId(record.collection);
    auto& newest = newest_[record.collection];
    newest = std::max(newest, record.modified_cs);
    batch_.push_back(record);
    batch_collections_.push_back(collection);
    batch_bytes_ += record.payload.size();
    records_ += 1;
    bytes_ += static_cast<int64_t>(record.payload.size());
    if (batch_.size() >= kBatchRecords || batch_bytes_ >= kBatchBytes) {
      Flush();
    }
  }

  void Flush() {
    if (batch_.empty()) {
      return;
    }
    const SqlDialect& dialect = db_.Dialect();
    StatementScope insert(
        db_.Prepare(dialect.UpsertItemsSql(dialect.WboTable(user_), batch_.size())));
    for (size_t i = 0; i < batch_.size(); ++i) {
      const MigratedRecord& record = batch_[i];
      UpsertRow row;
      row.user = user_;
      row.collection = batch_collections_[i];
      row.id = record.id;
      if (record.parentid) {
        row.parentid = *record.parentid;
      }
      if (record.predecessorid) {
        row.predecessorid = *record.predecessorid;
      }
      row.sortindex = record.sortindex;
      row.modified_cs = record.modified_cs;
      row.payload = record.payload;
      row.ttl_expiry_s = record.expires_s;
      dialect.BindUpsertItem(*insert, i, row);
    }
    insert->Step();
    batch_.clear();
    batch_collections_.clear();
    batch_bytes_ = 0;
  }

  // Sets every collection's time: the source's, else its newest record's.
  void StampCollections(const std::vector<MigratedCollection>& collections) {
    std::map<std::string, int64_t> stamps(newest_.begin(), newest_.end());
    for (const MigratedCollection& collection : collections) {
      stamps[collection.name] = collection.modified_cs;
    }
    for (const auto& [name, modified] : stamps) {
      const int64_t id = CollectionId(name);
      StatementScope stamp(db_.Prepare(db_.Dialect().StampCollectionSql()));
      stamp->BindInt(0, user_);
      stamp->BindInt(1, id);
      stamp->BindInt(2, modified);
      stamp->Step();
    }
  }

  int64_t Records() const { return records_; }
  int64_t Bytes() const { return bytes_; }

 private:
  SqlConnection& db_;
  const UserId user_;
  std::map<std::string, int64_t> custom_;
  int64_t next_custom_ = kFirstCustomCollectionId;
  std::map<std::string, int64_t> newest_;
  std::vector<MigratedRecord> batch_;
  std::vector<int64_t> batch_collections_;
  size_t batch_bytes_ = 0;
  int64_t records_ = 0;
  int64_t bytes_ = 0;
};

struct Counters {
  int64_t records = 0;
  int64_t bytes = 0;
};

// The user's records, collections and times in one transaction; returns what was written.
Counters WriteUser(MigrationSource& source, SqlConnection& db, UserId user, const std::string& name,
                   const ImportOptions& options, const std::function<void(int64_t)>& on_records) {
  SqlTransaction transaction(db);
  UserWrite write(db, user);
  write.Clear();
  const std::vector<MigratedCollection> collections = source.Collections(name);
  int64_t reported = 0;
  source.ForEachRecord(name, [&](const MigratedRecord& record) {
    write.Add(record);
    if (write.Records() - reported >= 1000) {
      on_records(write.Records() - reported);
      reported = write.Records();
    }
  });
  write.Flush();
  // The counts from what was written (a source may name a record twice), then the times.
  RecountCollectionStats(db, user);
  write.StampCollections(collections);
  if (options.renew_cache_token) {
    CacheMarks(db).Renew(user);
  }
  transaction.Commit();
  on_records(write.Records() - reported);
  return {write.Records(), write.Bytes()};
}

std::string ConflictReason(ConflictRule rule) {
  switch (rule) {
    case ConflictRule::kSkip:
      return "exists here (--on-conflict skip: kept as it is)";
    case ConflictRule::kReplace:
      return "exists here (--on-conflict replace: replaced)";
    case ConflictRule::kFail:
      break;
  }
  return "exists here (--on-conflict fail: nothing imported)";
}

// Whether the account should be written, noting in summary why not.
bool ShouldImport(const std::string& name, const Destination& destination,
                  const ImportOptions& options, ImportSummary& summary) {
  if (destination.state == Existing::kDone && options.on_conflict != ConflictRule::kReplace) {
    ++summary.already_imported;
    return false;
  }
  if (destination.state == Existing::kForeign) {
    summary.conflicts.push_back({name, ConflictReason(options.on_conflict)});
    if (options.on_conflict == ConflictRule::kSkip) {
      summary.skipped.push_back({name, "exists here"});
      return false;
    }
  }
  return true;
}

// What every account of one import shares.
struct ImportRun {
  MigrationSource& source;
  SqlConnection& accounts;
  SqlConnection& records;
  const ImportOptions& options;
  ImportSummary& summary;
  std::function<void(int64_t)> on_records;
};

// One account from start to end; throws what the databases or the source throw.
void ImportOne(ImportRun& run, const std::string& name) {
  const Destination destination = FindDestination(run.accounts, name);
  if (!ShouldImport(name, destination, run.options, run.summary)) {
    return;
  }
  const auto account = run.source.Account(name);
  if (!account) {
    run.summary.skipped.push_back({name, "no longer in the source"});
    return;
  }
  const UserId user = PrepareAccount(run.accounts, *account, destination, run.options.source_label);
  const Counters written =
      WriteUser(run.source, run.records, user, name, run.options, run.on_records);
  MarkImport(run.accounts, name, "done", run.options.source_label);
  run.accounts.TrimStatementCache();
  run.records.TrimStatementCache();
  ++run.summary.accounts;
  run.summary.records += written.records;
  run.summary.bytes += written.bytes;
  if (account->password_hash.empty()) {
    run.summary.passwords_not_carried.push_back({name, account->unusable_hash_reason.empty()
                                                           ? "no password hash in the source"
                                                           : account->unusable_hash_reason});
  }
}

void PrintIssues(const char* title, const std::vector<ImportIssue>& issues, std::ostream& out) {
  if (issues.empty()) {
    return;
  }
  out << title << " (" << issues.size() << "):\n";
  for (const ImportIssue& issue : issues) {
    out << "  " << issue.account << ": " << issue.reason << '\n';
  }
}

}  // namespace

ConflictRule ParseConflictRule(const std::string& text) {
  if (text == "fail") {
    return ConflictRule::kFail;
  }
  if (text == "skip") {
    return ConflictRule::kSkip;
  }
  if (text == "replace") {
    return ConflictRule::kReplace;
  }
  throw std::invalid_argument("--on-conflict is skip, replace or fail");
}

ImportSummary ImportAccounts(MigrationSource& source, SqlConnection& accounts,
                             SqlConnection& records, const ImportOptions& options) {
  ImportSummary summary;
  const std::vector<std::string> names = source.AccountNames();
  if (options.on_conflict == ConflictRule::kFail) {
    for (const std::string& name : names) {
      if (IsValidUsername(name) && FindDestination(accounts, name).state == Existing::kForeign) {
        summary.conflicts.push_back({name, ConflictReason(ConflictRule::kFail)});
      }
    }
    if (!summary.conflicts.empty()) {
      summary.failed = true;
      return summary;
    }
  }
  const int64_t total_records = source.CountRecords();
  std::ostream quiet(nullptr);
  Progress progress("importing", total_records > 0 ? total_records : 0,
                    options.show_progress ? std::cerr : quiet,
                    options.show_progress && isatty(2) != 0);
  int64_t done = 0;
  ImportRun run{source, accounts, records, options, summary, [&](int64_t more) {
                  done += more;
                  progress.Update(done);
                }};
  for (const std::string& name : names) {
    if (!IsValidUsername(name)) {
      summary.skipped.push_back({name, "not a valid user name here"});
      summary.failed = true;
      continue;
    }
    try {
      ImportOne(run, name);
    } catch (const std::exception& error) {
      summary.skipped.push_back({name, error.what()});
      summary.failed = true;
    }
  }
  progress.Finish(done);
  return summary;
}

void PrintImportSummary(const ImportSummary& summary, std::ostream& out) {
  out << "imported " << summary.accounts << " accounts, " << summary.records << " records, "
      << summary.bytes << " payload bytes";
  if (summary.already_imported > 0) {
    out << "; " << summary.already_imported << " accounts were imported by an earlier run";
  }
  out << '\n';
  PrintIssues("conflicts: accounts that exist here", summary.conflicts, out);
  PrintIssues("skipped", summary.skipped, out);
  PrintIssues("passwords not carried over (set one with weave-admin passwd, or send a reset)",
              summary.passwords_not_carried, out);
}

}  // namespace weave
