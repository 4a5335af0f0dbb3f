// Mozilla mode's writes to the directory: new entries in Mozilla's Sync layout with a fresh
// uidNumber, password ({CRYPT} yescrypt) and e-mail changes, deletions; all with the admin account.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/ldap/ldap_connection.h"
#include "core/config.h"
#include "core/user_name.h"

namespace weave {

// Every method throws BackendError when the directory cannot answer or refuses. Borrows
// config, which must outlive this object. Does not connect yet. Not thread-safe.
class LdapMozillaWriter {
 public:
  // any_user_filter: the user filter with "*" for {user} (LdapDirectory::AnyUserFilter).
  LdapMozillaWriter(const LdapConfig& config, std::string any_user_filter);

  // Adds the entry of a new account with a freshly allocated uidNumber, and returns that
  // number; nullopt when an entry of that DN exists already.
  std::optional<UserId> AddUser(std::string_view username, std::string_view password,
                                std::string_view email);
  // Replaces the userPassword of dn with a {CRYPT} yescrypt hash of password, which slapd
  // checks through crypt(3).
  void SetPassword(const std::string& dn, std::string_view password);
  // Replaces the e-mail address of dn.
  void SetEmail(const std::string& dn, std::string_view email);
  // Replaces the primaryNode values of dn (the caller keeps other products' values) and its
  // syncNode, the node of a new or moved account.
  void SetNode(const std::string& dn, const std::vector<std::string>& primary_node,
               std::string_view host);
  // Deletes dn; an entry already gone is not an error.
  void DeleteEntry(const std::string& dn);

 private:
  // The next free uidNumber from the counter entry (created on first use).
  UserId AllocateUidNumber();
  std::string NewEntryDn(std::string_view username) const;

  const LdapConfig& config_;
  const std::string any_user_filter_;
  LdapConnection admin_;
};

}  // namespace weave
