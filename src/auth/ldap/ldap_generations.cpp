// The ldap_generations table: one counter per Sync user name, bumped by account changes.
#include "auth/ldap/ldap_generations.h"

#include "db/sql_dialect.h"

namespace weave {

std::string LdapGenerations::Current(std::string_view username) {
  StatementScope query(db_.Prepare("SELECT generation FROM ldap_generations WHERE username = ?"));
  query->BindText(0, username);
  if (!query->Step()) {
    return "0";
  }
  return std::to_string(query->ColumnInt(0));
}

void LdapGenerations::Bump(std::string_view username) {
  // Two plain statements instead of a dialect's upsert: the row exists afterwards whoever
  // created it, and the increment is a single atomic UPDATE.
  {
    StatementScope insert(db_.Prepare(db_.Dialect().InsertIgnoreSql(
        "INTO ldap_generations (username, generation) VALUES (?, 0)")));
    insert->BindText(0, username);
    insert->Step();
  }
  StatementScope update(
      db_.Prepare("UPDATE ldap_generations SET generation = generation + 1 WHERE username = ?"));
  update->BindText(0, username);
  update->Step();
}

}  // namespace weave
