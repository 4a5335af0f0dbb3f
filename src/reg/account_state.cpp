// Reset codes and invites of the registration service, in SQL.
#include "reg/account_state.h"

#include "core/crypto.h"
#include "db/conflict_retry.h"
#include "db/sql_dialect.h"

namespace weave {
namespace {

// Codes are stored only as hashes: a copy of the database does not hand out resets.
std::string HashCode(std::string_view code) {
  return HexEncode(Sha256(NormalizeCode(code)));
}

std::string RandomCode() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string code;
  while (code.size() < 19) {
    for (const unsigned char byte : RandomBytes(32)) {
      if (code.size() == 4 || code.size() == 9 || code.size() == 14) {
        code.push_back('-');
      }
      // 252 = 7 * 36: rejecting bytes past it keeps every character equally likely.
      if (byte < 252 && code.size() < 19) {
        code.push_back(kAlphabet[byte % 36]);
      }
    }
  }
  return code;
}

}  // namespace

std::string NormalizeCode(std::string_view code) {
  std::string out;
  for (const char c : code) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      continue;
    }
    out.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  }
  return out;
}

AccountState::AccountState(SqlConnection& connection, const Clock& clock)
    : db_(connection), clock_(clock) {}

std::string AccountState::CreateResetCode(std::string_view username, int64_t lifetime_seconds) {
  std::string code = RandomCode();
  RetryConflicts("storing a reset code",
                 [&] { StoreResetCode(username, HashCode(code), lifetime_seconds); });
  return code;
}

void AccountState::StoreResetCode(std::string_view username, const std::string& code_hash,
                                  int64_t lifetime_seconds) {
  SqlTransaction transaction(db_);
  {
    StatementScope insert(
        db_.Prepare("INSERT INTO password_resets (username, code_hash, expires) VALUES (?, ?, ?)"));
    insert->BindText(0, username);
    insert->BindText(1, code_hash);
    insert->BindInt(2, NowSeconds() + lifetime_seconds);
    insert->Step();
  }
  // Earlier codes stay valid (a request by someone else must not void the owner's mail),
  // up to the newest few.
  StatementScope trim(
      db_.Prepare("DELETE FROM password_resets WHERE username = ? AND expires < ("
                  "SELECT expires FROM (SELECT expires FROM password_resets WHERE username = ? "
                  "ORDER BY expires DESC LIMIT 1 OFFSET ?) AS newest)"));
  trim->BindText(0, username);
  trim->BindText(1, username);
  trim->BindInt(2, kMaxPendingResetCodes - 1);
  trim->Step();
  transaction.Commit();
}

bool AccountState::IsValidResetCode(std::string_view username, std::string_view code) {
  StatementScope query(
      db_.Prepare("SELECT code_hash FROM password_resets WHERE username = ? AND expires > ?"));
  query->BindText(0, username);
  query->BindInt(1, NowSeconds());
  const std::string hash = HashCode(code);
  bool found = false;
  while (query->Step()) {
    found = ConstantTimeEquals(query->ColumnText(0), hash) || found;
  }
  return found;
}

bool AccountState::ConsumeResetCode(std::string_view username, std::string_view code) {
  // Deleting by (user, hash) makes the code single-use even with two racing requests.
  StatementScope remove(db_.Prepare(
      "DELETE FROM password_resets WHERE username = ? AND code_hash = ? AND expires > ?"));
  remove->BindText(0, username);
  remove->BindText(1, HashCode(code));
  remove->BindInt(2, NowSeconds());
  remove->Step();
  return remove->AffectedRows() == 1;
}

void AccountState::ClearResetCode(std::string_view username) {
  StatementScope remove(db_.Prepare("DELETE FROM password_resets WHERE username = ?"));
  remove->BindText(0, username);
  remove->Step();
}

int64_t AccountState::ExpireOldRows(int64_t keep_used_invites_seconds, int batch_rows) {
  const int64_t now = NowSeconds();
  StatementScope codes(db_.Prepare(
      "DELETE FROM password_resets WHERE (username, code_hash) IN (SELECT username, code_hash "
      "FROM (SELECT username, code_hash FROM password_resets WHERE expires < ? LIMIT ?) AS old)"));
  codes->BindInt(0, now);
  codes->BindInt(1, batch_rows);
  codes->Step();
  int64_t deleted = codes->AffectedRows();
  StatementScope invites(db_.Prepare(
      "DELETE FROM invites WHERE code_hash IN (SELECT code_hash FROM (SELECT code_hash FROM "
      "invites WHERE expires < ? LIMIT ?) AS old)"));
  invites->BindInt(0, now - keep_used_invites_seconds);
  invites->BindInt(1, batch_rows);
  invites->Step();
  return deleted + invites->AffectedRows();
}

std::string AccountState::CreateInvite(int64_t lifetime_seconds) {
  std::string code = RandomCode();
  StatementScope insert(
      db_.Prepare("INSERT INTO invites (code_hash, created, expires) VALUES (?, ?, ?)"));
  insert->BindText(0, HashCode(code));
  insert->BindInt(1, NowSeconds());
  insert->BindInt(2, NowSeconds() + lifetime_seconds);
  insert->Step();
  return code;
}

bool AccountState::ConsumeInvite(std::string_view code, std::string_view username) {
  StatementScope update(db_.Prepare(
      "UPDATE invites SET used_by = ?, used_at = ? WHERE code_hash = ? AND used_by IS NULL"
      " AND expires > ?"));
  update->BindText(0, username);
  update->BindInt(1, NowSeconds());
  update->BindText(2, HashCode(code));
  update->BindInt(3, NowSeconds());
  update->Step();
  return update->AffectedRows() == 1;
}

std::vector<InviteInfo> AccountState::ListInvites() {
  std::vector<InviteInfo> invites;
  StatementScope query(db_.Prepare(
      "SELECT code_hash, created, expires, coalesce(used_by, '') FROM invites ORDER BY created"));
  while (query->Step()) {
    invites.push_back(InviteInfo{std::string(query->ColumnText(0).substr(0, 8)),
                                 query->ColumnInt(1), query->ColumnInt(2),
                                 std::string(query->ColumnText(3))});
  }
  return invites;
}

}  // namespace weave
