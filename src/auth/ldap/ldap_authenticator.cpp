// The LDAP back end: readonly and mozilla modes over the directory policy, the enrolment
// store and the Mozilla-mode writer.
#include "auth/ldap/ldap_authenticator.h"

#include <utility>

#include "core/errors.h"
#include "core/log.h"
#include "core/text.h"
#include "core/user_name.h"

namespace weave {

namespace {

LdapConfig ProviderConfig(const LdapConfig& config) {
  LdapConfig provider = config;
  if (!config.write_urls.empty()) {
    provider.urls = config.write_urls;
  }
  return provider;
}

}  // namespace

LdapAuthenticator::LdapAuthenticator(LdapConfig config, SqlConnection& connection)
    : config_(std::move(config)),
      provider_config_(ProviderConfig(config_)),
      directory_(config_),
      provider_(config_.mode == "mozilla" && !config_.write_urls.empty()
                    ? std::make_unique<LdapDirectory>(provider_config_)
                    : nullptr),
      enrolments_(connection),
      generations_(connection),
      writer_(config_.mode == "mozilla" ? std::make_unique<LdapMozillaWriter>(
                                              provider_config_, directory_.AnyUserFilter())
                                        : nullptr) {}

std::optional<LdapEntry> LdapAuthenticator::VerifiedOnProvider(std::string_view username,
                                                               std::string_view password) {
  try {
    return provider_->VerifiedEntry(username, std::nullopt, password);
  } catch (const BackendError& error) {
    Log(LogLevel::kWarning) << "ldap: login of " << username
                            << " refused by the directory, and its writable server cannot check"
                            << " it again: " << error.what();
    return std::nullopt;
  }
}

std::optional<UserId> LdapAuthenticator::Authenticate(std::string_view username,
                                                      std::string_view password) {
  // An empty password would be an "unauthenticated bind", which servers accept as success
  // (RFC 4513 5.1.2); a NUL would cut the password short.
  if (username.empty() || password.empty() || password.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  std::optional<LdapEnrolment> enrolment;
  if (IsReadonly()) {
    enrolment = enrolments_.Find(username);
  }
  auto entry = enrolment ? directory_.VerifiedEntry(enrolment->login, enrolment->entry_id, password)
                         : directory_.VerifiedEntry(username, std::nullopt, password);
  if (!entry && provider_) {
    entry = VerifiedOnProvider(username, password);
  }
  if (!entry) {
    return std::nullopt;
  }
  if (!IsReadonly()) {
    return directory_.UidNumberOf(*entry);
  }
  if (enrolment) {
    return enrolment->id;
  }
  // A plain user name equal to a directory login enrols itself on its first login.
  if (const auto id = Enrol(username, *entry)) {
    Log(LogLevel::kInfo) << "ldap: enrolled " << username << " as " << entry->dn;
    return id;
  }
  // Another worker enrolled the name meanwhile (a first sync logs in from several requests
  // at once): the login is good if that enrolment is this entry.
  const auto enrolled = enrolments_.Find(username);
  if (enrolled && enrolled->entry_id == directory_.EntryIdOf(*entry)) {
    return enrolled->id;
  }
  return std::nullopt;
}

std::optional<std::string> LdapAuthenticator::CredentialStamp(std::string_view username) {
  return generations_.Current(username);
}

std::optional<std::string> LdapAuthenticator::RecheckStamp(std::string_view username) {
  if (username.empty() || username.find('\0') != std::string_view::npos) {
    return std::string("none");  // Authenticate refuses such names without asking
  }
  if (IsReadonly()) {
    if (const auto enrolment = enrolments_.Find(username)) {
      return directory_.EntryStamp(enrolment->login, enrolment->entry_id);
    }
  }
  return directory_.EntryStamp(username, std::nullopt);
}

void LdapAuthenticator::CheckHealth() {
  directory_.CheckHealth();
}

// --- readonly mode

std::optional<UserId> LdapAuthenticator::Enrol(std::string_view username, const LdapEntry& entry) {
  const std::string entry_id = directory_.EntryIdOf(entry);
  const std::string login = entry.First(config_.login_attribute).value_or(std::string(username));
  return enrolments_.Add(username, entry_id, login);
}

CreateResult LdapAuthenticator::EnrolDirectoryAccount(std::string_view username,
                                                      std::string_view password,
                                                      std::string_view email) {
  if (enrolments_.Find(username)) {
    return {CreateOutcome::kNameTaken, 0};
  }
  std::optional<LdapEntry> entry;
  if (!email.empty() && HashedUsername(email) == username) {
    // Firefox's name for an e-mail login: the entry is found by its address, and the
    // password must be that entry's.
    entry = directory_.FindByEmail(email);
    if (entry && !directory_.AcceptsLogin(*entry, password)) {
      entry.reset();
    }
  } else if (LooksHashed(username) && !email.empty()) {
    return {CreateOutcome::kNotEmailHash, 0};
  } else {
    entry = directory_.VerifiedEntry(username, std::nullopt, password);
  }
  if (!entry) {
    // One answer for "no such account", "wrong password" and "not allowed": the User API
    // must not tell which addresses the directory holds.
    return {CreateOutcome::kNotInDirectory, 0};
  }
  const auto id = Enrol(username, *entry);
  if (!id) {
    return {CreateOutcome::kNameTaken, 0};
  }
  generations_.Bump(username);
  Log(LogLevel::kInfo) << "ldap: enrolled " << username << " as " << entry->dn;
  return {CreateOutcome::kCreated, *id};
}

std::string LdapAuthenticator::ManagedElsewhereText(std::string_view what) const {
  std::string text = std::string(what) + " is managed by your organisation's directory";
  text += config_.password_change_url.empty()
              ? "; please ask your administrator.\n"
              : "; change it at " + config_.password_change_url + "\n";
  return text;
}

std::optional<std::string> LdapAuthenticator::ExternalPasswordNotice() const {
  if (!IsReadonly()) {
    return std::nullopt;
  }
  return ManagedElsewhereText("Your password");
}

// --- AccountStore

std::optional<AccountInfo> LdapAuthenticator::FindUser(std::string_view username) {
  if (!IsReadonly()) {
    const auto entry = directory_.FindByLogin(username);
    if (!entry) {
      return std::nullopt;
    }
    return AccountInfo{directory_.UidNumberOf(*entry), std::string(username),
                       entry->First(config_.email_attribute).value_or(""),
                       directory_.IsEnabled(*entry) ? 1 : 0};
  }
  const auto enrolment = enrolments_.Find(username);
  if (!enrolment) {
    return std::nullopt;
  }
  AccountInfo account{enrolment->id, std::string(username), "", 1};
  // With direct binds and no service account, nobody may read the directory for us.
  if (!directory_.UsesDirectBind() || !config_.bind_dn.empty()) {
    const auto entry = directory_.FindByEntryId(enrolment->entry_id);
    account.email = entry ? entry->First(config_.email_attribute).value_or("") : "";
    account.status = entry && directory_.IsEnabled(*entry) ? 1 : 0;
  }
  return account;
}

CreateResult LdapAuthenticator::CreateUser(std::string_view username, std::string_view password,
                                           std::string_view email) {
  if (IsReadonly()) {
    return EnrolDirectoryAccount(username, password, email);
  }
  if (WriteDirectory().FindByLogin(username)) {
    return {CreateOutcome::kNameTaken, 0};
  }
  const auto id = writer_->AddUser(username, password, email);
  if (!id) {
    return {CreateOutcome::kNameTaken, 0};
  }
  generations_.Bump(username);
  return {CreateOutcome::kCreated, *id};
}

ChangeOutcome LdapAuthenticator::SetPassword(std::string_view username, std::string_view password) {
  if (IsReadonly()) {
    return ChangeOutcome::kManagedElsewhere;
  }
  const auto entry = WriteDirectory().FindByLogin(username);
  if (!entry) {
    return ChangeOutcome::kNoSuchUser;
  }
  writer_->SetPassword(entry->dn, password);
  // After the write: a worker that reads the new generation checks the new password.
  generations_.Bump(username);
  return ChangeOutcome::kChanged;
}

ChangeOutcome LdapAuthenticator::SetEmail(std::string_view username, std::string_view email) {
  if (IsReadonly()) {
    return ChangeOutcome::kManagedElsewhere;
  }
  const auto entry = WriteDirectory().FindByLogin(username);
  if (!entry) {
    return ChangeOutcome::kNoSuchUser;
  }
  writer_->SetEmail(entry->dn, email);
  return ChangeOutcome::kChanged;
}

std::optional<std::string> LdapAuthenticator::StoredNodeHost(std::string_view username) {
  if (IsReadonly()) {
    return std::nullopt;
  }
  const auto entry = directory_.FindByLogin(username);
  if (!entry) {
    return std::nullopt;
  }
  for (const auto& [name, values] : entry->attributes) {
    if (LowerAscii(name) != "primarynode") {
      continue;
    }
    for (const std::string& value : values) {
      // "weave:" alone means "no node yet" (protocol.md 4.4).
      if (value.rfind("weave:", 0) == 0 && value.size() > 6) {
        return value.substr(6);
      }
    }
  }
  return std::nullopt;
}

void LdapAuthenticator::StoreNodeHost(std::string_view username, std::string_view host) {
  if (IsReadonly()) {
    return;
  }
  const auto entry = directory_.FindByLogin(username);
  if (!entry) {
    return;
  }
  std::vector<std::string> values;
  for (const auto& [name, stored] : entry->attributes) {
    if (LowerAscii(name) == "primarynode") {
      for (const std::string& value : stored) {
        if (value.rfind("weave:", 0) != 0) {
          values.push_back(value);  // another product's node
        }
      }
    }
  }
  values.push_back("weave:" + std::string(host));
  writer_->SetNode(entry->dn, values, host);
}

std::optional<UserId> LdapAuthenticator::DeleteUser(std::string_view username) {
  if (IsReadonly()) {
    const auto enrolment = enrolments_.Find(username);
    if (!enrolment) {
      return std::nullopt;
    }
    enrolments_.Remove(enrolment->id);
    generations_.Bump(username);
    return enrolment->id;
  }
  const auto entry = WriteDirectory().FindByLogin(username);
  if (!entry) {
    return std::nullopt;
  }
  const UserId id = directory_.UidNumberOf(*entry);
  writer_->DeleteEntry(entry->dn);
  generations_.Bump(username);
  return id;
}

}  // namespace weave
