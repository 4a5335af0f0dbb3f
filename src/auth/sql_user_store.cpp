// The SQL back end: the users table, with crypt(3) password hashes.
#include "auth/sql_user_store.h"

#include <utility>

#include "auth/account_ids.h"
#include "auth/password_hash.h"
#include "core/errors.h"
#include "core/log.h"
#include "db/conflict_retry.h"
#include "db/sql_dialect.h"

namespace weave {

SqlUserStore::SqlUserStore(SqlConnection& connection, AuthConfig config)
    : db_(connection), config_(std::move(config)) {}

void SqlUserStore::UseReadAhead(std::string_view username, std::optional<AccountRow> row) {
  read_ahead_ = ReadAhead{std::string(username), std::move(row)};
}

void SqlUserStore::ForgetReadAhead() {
  read_ahead_.reset();
}

std::optional<AccountRow> SqlUserStore::ReadAccount(std::string_view username) {
  if (read_ahead_ && read_ahead_->username == username) {
    return read_ahead_->row;
  }
  StatementScope query(
      db_.Prepare("SELECT id, password_hash, status, generation FROM users WHERE username = ?"));
  query->BindText(0, username);
  if (!query->Step()) {
    return std::nullopt;
  }
  return AccountRow{query->ColumnInt(0), std::string(query->ColumnText(1)), query->ColumnInt(2),
                    query->ColumnInt(3)};
}

std::optional<UserId> SqlUserStore::Authenticate(std::string_view username,
                                                 std::string_view password) {
  const std::optional<AccountRow> account = ReadAccount(username);
  if (!account || account->status != 1) {
    return std::nullopt;
  }
  const UserId id = account->id;
  const std::string& stored_hash = account->password_hash;
  if (!VerifyPassword(password, stored_hash)) {
    return std::nullopt;
  }
  if (IsLegacyHash(stored_hash)) {
    // Imported MD5/SSHA hashes are replaced by a strong one on first successful login.
    const std::string upgraded =
        HashPassword(password, config_.password_hash, config_.password_hash_cost);
    try {
      StatementScope update(
          db_.Prepare("UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?"));
      update->BindText(0, upgraded);
      update->BindInt(1, id);
      update->BindText(2, stored_hash);
      update->Step();
    } catch (const BackendError& error) {
      // A database that takes no writes now (full disk, read-only) must not refuse a right
      // password: the hash is upgraded at a later login.
      Log(LogLevel::kWarning) << "login of " << username
                              << " accepted, its legacy hash not upgraded: " << error.what();
    }
  }
  return id;
}

std::optional<std::string> SqlUserStore::CredentialStamp(std::string_view username) {
  const std::optional<AccountRow> account = ReadAccount(username);
  if (!account) {
    return std::string("users:none");
  }
  // The id too: an account created again under the same name is another account (ids are
  // never reused). The status and hash as well, for edits made to the table by hand.
  return "users:" + std::to_string(account->id) + ":" + std::to_string(account->generation) + ":" +
         std::to_string(account->status) + ":" + account->password_hash;
}

void SqlUserStore::CheckHealth() {
  StatementScope query(db_.Prepare("SELECT count(*) FROM users WHERE id = 0"));
  query->Step();
}

CreateResult SqlUserStore::CreateUser(std::string_view username, std::string_view password,
                                      std::string_view email) {
  // The slow hash first: the write transaction below holds the database's write lock.
  const std::string hash =
      HashPassword(password, config_.password_hash, config_.password_hash_cost);
  // On a Galera cluster a registration of the same name on another node, or any write set
  // touching the same rows, fails this one's certification: run it again (the name is then
  // taken, or the id another).
  return RetryConflicts("creating an account",
                        [&] { return CreateUserOnce(username, hash, email); });
}

CreateResult SqlUserStore::CreateUserOnce(std::string_view username, const std::string& hash,
                                          std::string_view email) {
  SqlTransaction transaction(db_);
  const UserId id = AllocateAccountId(db_, "users");
  int64_t inserted = 0;
  {
    StatementScope insert(db_.Prepare(db_.Dialect().InsertIgnoreSql(
        "INTO users (id, username, password_hash, email) VALUES (?, ?, ?, ?)")));
    insert->BindInt(0, id);
    insert->BindText(1, username);
    insert->BindText(2, hash);
    insert->BindText(3, email);
    insert->Step();
    inserted = insert->AffectedRows();
  }
  if (inserted == 0) {
    return {CreateOutcome::kNameTaken, 0};  // rolled back, the id with it
  }
  transaction.Commit();
  return {CreateOutcome::kCreated, id};
}

ChangeOutcome SqlUserStore::SetPassword(std::string_view username, std::string_view password) {
  const std::string hash =
      HashPassword(password, config_.password_hash, config_.password_hash_cost);
  StatementScope update(db_.Prepare(
      "UPDATE users SET password_hash = ?, generation = generation + 1 WHERE username = ?"));
  update->BindText(0, hash);
  update->BindText(1, username);
  update->Step();
  return update->AffectedRows() > 0 ? ChangeOutcome::kChanged : ChangeOutcome::kNoSuchUser;
}

ChangeOutcome SqlUserStore::SetEmail(std::string_view username, std::string_view email) {
  StatementScope update(db_.Prepare("UPDATE users SET email = ? WHERE username = ?"));
  update->BindText(0, email);
  update->BindText(1, username);
  update->Step();
  return update->AffectedRows() > 0 ? ChangeOutcome::kChanged : ChangeOutcome::kNoSuchUser;
}

bool SqlUserStore::SetStatus(std::string_view username, int status) {
  StatementScope update(
      db_.Prepare("UPDATE users SET status = ?, generation = generation + 1 WHERE username = ?"));
  update->BindInt(0, status);
  update->BindText(1, username);
  update->Step();
  return update->AffectedRows() > 0;
}

std::optional<UserId> SqlUserStore::DeleteUser(std::string_view username) {
  const auto account = FindUser(username);
  if (!account) {
    return std::nullopt;
  }
  StatementScope remove(db_.Prepare("DELETE FROM users WHERE id = ?"));
  remove->BindInt(0, account->id);
  remove->Step();
  return account->id;
}

std::optional<AccountInfo> SqlUserStore::FindUser(std::string_view username) {
  StatementScope query(
      db_.Prepare("SELECT id, username, email, status FROM users WHERE username = ?"));
  query->BindText(0, username);
  if (!query->Step()) {
    return std::nullopt;
  }
  return AccountInfo{query->ColumnInt(0), std::string(query->ColumnText(1)),
                     std::string(query->ColumnText(2)), static_cast<int>(query->ColumnInt(3))};
}

std::vector<AccountInfo> SqlUserStore::ListUsers() {
  std::vector<AccountInfo> accounts;
  StatementScope query(
      db_.Prepare("SELECT id, username, email, status FROM users ORDER BY username"));
  while (query->Step()) {
    accounts.push_back(AccountInfo{query->ColumnInt(0), std::string(query->ColumnText(1)),
                                   std::string(query->ColumnText(2)),
                                   static_cast<int>(query->ColumnInt(3))});
  }
  return accounts;
}

}  // namespace weave
