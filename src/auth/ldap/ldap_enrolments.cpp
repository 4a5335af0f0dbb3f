// The ldap_users table: which directory entry each read-only-mode Sync account is.
#include "auth/ldap/ldap_enrolments.h"

#include "auth/account_ids.h"
#include "db/conflict_retry.h"
#include "db/sql_dialect.h"

namespace weave {

std::optional<LdapEnrolment> LdapEnrolments::Find(std::string_view username) {
  StatementScope query(
      db_.Prepare("SELECT id, entry_id, login FROM ldap_users WHERE username = ?"));
  query->BindText(0, username);
  if (!query->Step()) {
    return std::nullopt;
  }
  return LdapEnrolment{query->ColumnInt(0), std::string(query->ColumnText(1)),
                       std::string(query->ColumnText(2))};
}

std::optional<UserId> LdapEnrolments::Add(std::string_view username, std::string_view entry_id,
                                          std::string_view login) {
  // A conflicting enrolment on another Galera node fails certification: run it again.
  return RetryConflicts("enrolling a directory account",
                        [&] { return AddOnce(username, entry_id, login); });
}

std::optional<UserId> LdapEnrolments::AddOnce(std::string_view username, std::string_view entry_id,
                                              std::string_view login) {
  SqlTransaction transaction(db_);
  // From the sequence the SQL back end uses too, so switching back ends never mixes storage.
  const UserId id = AllocateAccountId(db_, "ldap_users");
  int64_t inserted = 0;
  {
    StatementScope insert(db_.Prepare(db_.Dialect().InsertIgnoreSql(
        "INTO ldap_users (id, username, entry_id, login) VALUES (?, ?, ?, ?)")));
    insert->BindInt(0, id);
    insert->BindText(1, username);
    insert->BindText(2, entry_id);
    insert->BindText(3, login);
    insert->Step();
    inserted = insert->AffectedRows();
  }
  if (inserted == 0) {
    return std::nullopt;  // rolled back, the id with it
  }
  transaction.Commit();
  return id;
}

void LdapEnrolments::Remove(UserId id) {
  StatementScope remove(db_.Prepare("DELETE FROM ldap_users WHERE id = ?"));
  remove->BindInt(0, id);
  remove->Step();
}

}  // namespace weave
