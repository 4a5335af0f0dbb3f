// The LDAP back end's own SQL tables: the read-only mode's enrolment store (ldap_users), which
// maps a Sync user name to a directory entry (by its stable id) and to the storage key
// allocated here.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/user_name.h"
#include "db/sql_connection.h"

namespace weave {

// A row of ldap_users.
struct LdapEnrolment {
  UserId id = 0;
  std::string entry_id;  // LdapDirectory::EntryIdOf of the entry
  std::string login;     // the entry's login when it was enrolled
};

// Every method throws BackendError when the database cannot answer. Borrows the connection,
// which must outlive this object. Not thread-safe.
class LdapEnrolments {
 public:
  explicit LdapEnrolments(SqlConnection& connection) : db_(connection) {}

  // The enrolment of username, or nullopt.
  std::optional<LdapEnrolment> Find(std::string_view username);
  // Enrols username with a fresh id from account_ids (AllocateAccountId), the SQL back
  // end's sequence too, so that no id is handed out twice and switching back ends never
  // mixes storage. nullopt if username is enrolled already (another worker got there first).
  std::optional<UserId> Add(std::string_view username, std::string_view entry_id,
                            std::string_view login);
  // Forgets the enrolment with that id (the directory entry stays).
  void Remove(UserId id);

 private:
  std::optional<UserId> AddOnce(std::string_view username, std::string_view entry_id,
                                std::string_view login);
  SqlConnection& db_;
};

}  // namespace weave
