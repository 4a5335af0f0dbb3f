// Accounts in an LDAP directory (OpenLDAP, Active Directory, 389-DS) through libldap:
// readonly mode for enterprise directories, mozilla mode for Mozilla's Sync layout. The back
// end composes the directory policy, the enrolment store and the Mozilla-mode writer.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/account_store.h"
#include "auth/authenticator.h"
#include "auth/ldap/ldap_directory.h"
#include "auth/ldap/ldap_enrolments.h"
#include "auth/ldap/ldap_generations.h"
#include "auth/ldap/ldap_mozilla_writer.h"
#include "core/config.h"
#include "db/sql_connection.h"

namespace weave {

// Logins are checked by binding as the user, never by reading userPassword. A directory
// that does not answer makes every method throw BackendError (a 503), never a "wrong
// password". Each worker owns one object and its connections, opened on first use and
// reopened when the server went away: one bound with the service account, one re-bound for
// each password check, and in mozilla mode one bound with the admin account for writes.
// Every login is checked against the directory: CachingAccountBackend remembers them, and
// asks CredentialStamp (the SQL table ldap_generations, which every account change made
// here bumps) on each cached login and RecheckStamp (one search of the entry) every
// auth.ldap.recheck_seconds. Not thread-safe.
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
// mail, as Mozilla's servers kept them; CreateUser, SetPassword ({CRYPT} yescrypt), SetEmail and
// DeleteUser write the directory with the admin account. With auth.ldap.write_urls (a
// provider whose replicas urls names) writes, and the lookups they start with, go to the
// provider, and a login the replica refuses is tried on the provider before it counts as
// wrong: an account created or a password changed a moment ago works at once, wherever the
// replica's copy is. The uidNumbers of the accounts
// created here are noted in SQL (ldap_created) for CredentialStamp.
class LdapAuthenticator final : public AccountBackend {
 public:
  // Borrows connection, which must outlive this object. Does not connect yet.
  LdapAuthenticator(LdapConfig config, SqlConnection& connection);

  // nullopt for an unknown user, a wrong or empty password, a disabled account or one
  // outside auth.ldap.group_dn. Throws BackendError if no server answers.
  std::optional<UserId> Authenticate(std::string_view username, std::string_view password) override;
  // The user name's generation in ldap_generations: changes with every CreateUser,
  // SetPassword and DeleteUser in any worker.
  std::optional<std::string> CredentialStamp(std::string_view username) override;
  // LdapDirectory::EntryStamp of the entry username logs in as (readonly: the enrolled
  // entry, if any); nullopt for direct binds without a service account.
  std::optional<std::string> RecheckStamp(std::string_view username) override;
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
  // mozilla: the host of the entry's "weave:<host>" primaryNode value; readonly: nullopt
  // (the node is kept in SQL only).
  std::optional<std::string> StoredNodeHost(std::string_view username) override;
  // mozilla: replaces the entry's weave: value of primaryNode (other products' stay) and
  // syncNode; readonly: nothing.
  void StoreNodeHost(std::string_view username, std::string_view host) override;

 private:
  bool IsReadonly() const { return config_.mode != "mozilla"; }
  std::string ManagedElsewhereText(std::string_view what) const;
  // readonly mode: CreateUser.
  CreateResult EnrolDirectoryAccount(std::string_view username, std::string_view password,
                                     std::string_view email);
  std::optional<UserId> Enrol(std::string_view username, const LdapEntry& entry);

  // Mozilla mode with auth.ldap.write_urls: a login the directory refused, checked on the
  // provider (not replicated yet?); nullopt also when the provider cannot answer (the
  // replica's answer stands).
  std::optional<LdapEntry> VerifiedOnProvider(std::string_view username, std::string_view password);
  // Where the lookups before a write go: the provider with write_urls, else directory_.
  LdapDirectory& WriteDirectory() { return provider_ ? *provider_ : directory_; }

  // Set at construction
  const LdapConfig config_;
  // config_ with urls replaced by write_urls when those are set (the writer's connection).
  const LdapConfig provider_config_;
  LdapDirectory directory_;
  std::unique_ptr<LdapDirectory> provider_;  // mozilla mode with write_urls
  LdapEnrolments enrolments_;                // readonly mode
  LdapGenerations generations_;
  std::unique_ptr<LdapMozillaWriter> writer_;  // mozilla mode
};

}  // namespace weave
