// Accounts in an LDAP directory (OpenLDAP, Active Directory, 389-DS) through libldap:
// readonly mode for enterprise directories, mozilla mode for Mozilla's Sync layout.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/account_store.h"
#include "auth/authenticator.h"
#include "core/config.h"
#include "db/sql_connection.h"
#include "core/clock.h"

namespace weave {

class LdapLink;  // one libldap connection (ldap_authenticator.cpp)

// A directory entry as read: its DN and the values of the requested attributes.
struct LdapEntry {
  std::string dn;
  std::vector<std::pair<std::string, std::vector<std::string>>> attributes;

  // The first value of the attribute (names compare case-insensitively); nullopt if absent.
  std::optional<std::string> First(std::string_view name) const;
  bool Has(std::string_view name, std::string_view value) const;
};

// Logins are checked by binding as the user, never by reading userPassword. A directory
// that does not answer makes every method throw BackendError (a 503), never a "wrong
// password". Each worker owns one object and its connections, opened on first use and
// reopened when the server went away: one bound with the service account, one re-bound for
// each password check, and in mozilla mode one bound with the admin account for writes.
// Not thread-safe.
//
// readonly mode: the directory is never written. Sync's numeric ids live in the SQL table
// ldap_users, which maps a Sync user name to the entry (by its stable id attribute) and to
// the storage key allocated there. A plain user name equal to an entry's login enrols itself
// on its first successful login; Firefox's hashed user names (base32 of SHA-1 of the e-mail)
// are enrolled by CreateUser (PUT /user/1.0/<hash>), which finds the entry by e-mail and
// checks the password with a bind. Password and e-mail changes are refused
// (kManagedElsewhere); ExternalPasswordNotice points to auth.ldap.password_change_url.
//
// mozilla mode: entries carry uidNumber (the storage key), primaryNode, account-enabled and
// mail, as Mozilla's servers kept them; CreateUser, SetPassword ({SSHA}), SetEmail and
// DeleteUser write the directory with the admin account.
class LdapAuthenticator final : public AccountBackend {
 public:
  // Borrows connection and clock, which must outlive this object. Does not connect yet.
  LdapAuthenticator(LdapConfig config, SqlConnection& connection, const Clock& clock);
  ~LdapAuthenticator() override;

  // nullopt for an unknown user, a wrong or empty password, a disabled account or one
  // outside auth.ldap.group_dn. A success is remembered for auth.ldap.cache_seconds (only a
  // salted digest of the password is kept). Throws BackendError if no server answers.
  std::optional<UserId> Authenticate(std::string_view username, std::string_view password) override;
  // Reads the root DSE over the service connection; throws BackendError if that fails.
  void CheckHealth() override;

  // readonly: enrolled accounts only (the e-mail is read from the directory when it can be).
  // mozilla: the entry whose login is username.
  std::optional<AccountInfo> FindUser(std::string_view username) override;
  // readonly: enrols a directory account (see above); kNotInDirectory when no entry
  // matches or the password is wrong, kNotEmailHash when a hashed user name is not the
  // e-mail's hash. mozilla: adds a new entry with a fresh uidNumber.
  CreateResult CreateUser(std::string_view username, std::string_view password,
                          std::string_view email) override;
  // readonly: kManagedElsewhere. mozilla: kNoSuchUser if there is no such entry.
  ChangeOutcome SetPassword(std::string_view username, std::string_view password) override;
  ChangeOutcome SetEmail(std::string_view username, std::string_view email) override;
  // readonly: forgets the enrolment (the directory entry stays). mozilla: deletes the entry.
  std::optional<UserId> DeleteUser(std::string_view username) override;
  // readonly: where to change the password; mozilla: none.
  std::optional<std::string> ExternalPasswordNotice() const override;

 private:
  // A readonly-mode row of ldap_users.
  struct Enrolment {
    UserId id = 0;
    std::string entry_id;
    std::string login;
  };
  struct CachedLogin {
    std::string password_digest;
    UserId id = 0;
    int64_t expires_ms = 0;
  };

  bool IsReadonly() const { return config_.mode != "mozilla"; }
  std::string ManagedElsewhereText(std::string_view what) const;
  bool UsesDirectBind() const { return !config_.user_dn_template.empty(); }
  std::string DigestPassword(std::string_view password) const;
  void Forget(std::string_view username) { cache_.erase(std::string(username)); }
  void Remember(std::string_view username, std::string_view password, UserId id);

  // The entry a login or an enrolment designates, with the password checked by a bind and
  // the enabled flag and group checked; nullopt if any of that fails.
  std::optional<LdapEntry> VerifiedEntry(std::string_view login, const Enrolment* enrolment,
                                         std::string_view password);
  // Search-then-bind lookups over the service connection; nullopt unless exactly one.
  std::optional<LdapEntry> FindByLogin(std::string_view login);
  std::optional<LdapEntry> FindByEmail(std::string_view email);
  std::optional<LdapEntry> FindByEntryId(std::string_view entry_id);
  std::optional<LdapEntry> FindOne(std::string_view filter);
  // True if the directory accepts password for dn (invalid credentials: false).
  bool CheckPassword(const std::string& dn, std::string_view password);
  bool IsEnabled(const LdapEntry& entry) const;
  bool IsInGroup(LdapLink& link, const LdapEntry& entry);
  // The filter with "*" for {user}: any user entry.
  std::string AnyUserFilter() const;
  std::string EntryIdOf(const LdapEntry& entry) const;
  std::vector<std::string> UserAttributes() const;

  // readonly mode
  std::optional<Enrolment> FindEnrolment(std::string_view username);
  std::optional<UserId> Enrol(std::string_view username, const LdapEntry& entry);
  CreateResult EnrolDirectoryAccount(std::string_view username, std::string_view password,
                                     std::string_view email);

  // mozilla mode
  UserId UidNumberOf(const LdapEntry& entry) const;
  UserId AllocateUidNumber();
  std::string NewEntryDn(std::string_view username) const;

  // Set at construction
  const LdapConfig config_;
  SqlConnection& db_;
  const Clock& clock_;
  const std::string cache_salt_;
  const std::unique_ptr<LdapLink> service_;  // service account (mozilla: admin if none)
  const std::unique_ptr<LdapLink> user_;     // re-bound as each user to check passwords
  const std::unique_ptr<LdapLink> admin_;    // mozilla mode writes

  std::unordered_map<std::string, CachedLogin> cache_;
};

}  // namespace weave
