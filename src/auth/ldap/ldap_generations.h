// The LDAP back end's account generations: the SQL table ldap_generations, a counter per
// Sync user name that every account change made through this server bumps, so that the
// login cache of every worker drops a cached login at once.
#pragma once

#include <string>
#include <string_view>

#include "db/sql_connection.h"

namespace weave {

// Every method throws BackendError when the database cannot answer. Borrows the connection,
// which must outlive this object. Not thread-safe.
class LdapGenerations {
 public:
  explicit LdapGenerations(SqlConnection& connection) : db_(connection) {}

  // The user name's generation as text (one indexed read); "0" for a name never changed.
  std::string Current(std::string_view username);
  // Moves the user name's generation on. Rows stay when accounts go, so that a name deleted
  // and created again never comes back to a generation a cached login holds.
  void Bump(std::string_view username);

 private:
  SqlConnection& db_;
};

}  // namespace weave
