// The directory policy of the LDAP back end: which entry a login, an e-mail or a stored entry
// id designates, the password check by bind, the enabled flag and group membership.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/ldap/ldap_connection.h"
#include "core/config.h"
#include "core/user_name.h"

namespace weave {

// A decimal number of up to 18 digits (uidNumber values); nullopt for anything else.
std::optional<int64_t> ParseUidNumber(std::string_view text);

// Reads the directory over two connections: the service account's (mozilla mode: the admin
// account when there is no service account) for searches, and one re-bound as each user to
// check passwords. Logins are checked by binding as the user, never by reading userPassword.
// Every method throws BackendError when the directory cannot answer, never a "no". Borrows
// config, which must outlive this object. Does not connect yet. Not thread-safe.
class LdapDirectory {
 public:
  explicit LdapDirectory(const LdapConfig& config);

  // The entry whose login is login (the user filter, then the login attribute compared as
  // stored or lower-cased); nullopt unless exactly one.
  std::optional<LdapEntry> FindByLogin(std::string_view login);
  // The user entry with that e-mail address; nullopt unless exactly one.
  std::optional<LdapEntry> FindByEmail(std::string_view email);
  // The user entry a stored entry id (EntryIdOf) designates; nullopt unless exactly one.
  std::optional<LdapEntry> FindByEntryId(std::string_view entry_id);

  // The entry a login designates, with the password checked by a bind and the enabled flag
  // and group checked; nullopt if any of that fails. With enrolled_entry_id (readonly mode,
  // an enrolled user) the entry must be that one: a login that now belongs to another entry
  // must not inherit the old one's data.
  std::optional<LdapEntry> VerifiedEntry(std::string_view login,
                                         std::optional<std::string_view> enrolled_entry_id,
                                         std::string_view password);
  // An entry found by the service connection (FindByEmail) that is enabled, accepts the
  // password and is in the group.
  bool AcceptsLogin(const LdapEntry& entry, std::string_view password);

  // What the directory says about the entry a login designates (with enrolled_entry_id:
  // that entry, as VerifiedEntry), as a digest that changes when the entry does: its DN,
  // stable id, enabled flag, e-mail, change stamps (modifyTimestamp, entryCSN),
  // userPassword where the service account may read it, and membership of group_dn. One search over
  // the service connection (two with group_dn), no bind. "none" when no single entry matches.
  // nullopt when the directory cannot be searched (direct binds without a service account).
  std::optional<std::string> EntryStamp(std::string_view login,
                                        std::optional<std::string_view> enrolled_entry_id);

  // True if enabled_attribute is unset or holds enabled_value.
  bool IsEnabled(const LdapEntry& entry) const;
  // The stable id stored in SQL: id_attribute's value (binary ones as "hex:" + hex), or the DN
  // when id_attribute is empty. Throws BackendError when the entry lacks the attribute.
  std::string EntryIdOf(const LdapEntry& entry) const;
  // Mozilla mode: the entry's uidNumber (the storage key). Throws BackendError if invalid.
  UserId UidNumberOf(const LdapEntry& entry) const;
  // The user filter with "*" for {user}: any user entry.
  std::string AnyUserFilter() const;
  // True when logins bind to user_dn_template instead of searching first.
  bool UsesDirectBind() const { return !config_.user_dn_template.empty(); }

  // Reads the root DSE over the service connection.
  void CheckHealth();

 private:
  std::optional<LdapEntry> FindOne(std::string_view filter, std::vector<std::string> attributes);
  std::optional<LdapEntry> FindByLoginReading(std::string_view login,
                                              std::vector<std::string> attributes);
  std::optional<LdapEntry> FindByEntryIdReading(std::string_view entry_id,
                                                std::vector<std::string> attributes);
  bool CheckPassword(const std::string& dn, std::string_view password);
  // as_user: over the user connection, as the user just bound (direct binds).
  bool IsInGroup(bool as_user, const LdapEntry& entry);
  std::vector<std::string> UserAttributes() const;

  const LdapConfig& config_;
  const std::string service_dn_;  // bind_dn (mozilla: admin_dn if none); empty: anonymous
  LdapConnection service_;        // bound as service_dn_
  LdapConnection user_;           // re-bound as each user to check passwords
};

}  // namespace weave
