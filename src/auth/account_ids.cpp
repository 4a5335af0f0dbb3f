// The account_ids sequence: one insert per new account, never a delete.
#include "auth/account_ids.h"

namespace weave {

UserId AllocateAccountId(SqlConnection& connection, std::string_view used_for) {
  {
    StatementScope insert(connection.Prepare("INSERT INTO account_ids (used_for) VALUES (?)"));
    insert->BindText(0, used_for);
    insert->Step();
  }
  return connection.LastInsertId();
}

}  // namespace weave
