// Finding and checking user entries in the directory (search-then-bind or direct bind).
#include "auth/ldap/ldap_directory.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "auth/ldap/ldap_text.h"
#include "core/crypto.h"
#include "core/errors.h"
#include "core/log.h"

namespace weave {
namespace {

bool IsPrintableAscii(std::string_view text) {
  for (const char c : text) {
    if (c < 0x20 || c > 0x7e) {
      return false;
    }
  }
  return true;
}

// The stable id as stored in SQL: printable values as they are (entryUUID, uidNumber),
// binary ones (objectGUID) as "hex:" + hex.
std::string EncodeEntryId(std::string_view value) {
  return IsPrintableAscii(value) ? std::string(value) : "hex:" + HexEncode(value);
}

std::string EntryIdFilterValue(std::string_view stored) {
  if (stored.rfind("hex:", 0) != 0) {
    return EscapeFilterValue(stored);
  }
  std::string raw;
  for (size_t i = 4; i + 1 < stored.size(); i += 2) {
    raw.push_back(static_cast<char>(std::stoi(std::string(stored.substr(i, 2)), nullptr, 16)));
  }
  return EscapeFilterBytes(raw);
}

// A Sync user name names an entry if it is the entry's login as stored, or that login in
// lower case (Firefox lower-cases what the user types). Directories match case-insensitively,
// so without this "ALICE" would be a second Sync account of alice's entry.
bool IsLoginOf(const LdapEntry& entry, std::string_view attribute, std::string_view login) {
  for (const auto& [name, values] : entry.attributes) {
    if (!EqualsIgnoreCase(name, attribute)) {
      continue;
    }
    for (const std::string& value : values) {
      std::string lower = value;
      for (char& c : lower) {
        if (c >= 'A' && c <= 'Z') {
          c = static_cast<char>(c - 'A' + 'a');
        }
      }
      if (login == value || login == lower) {
        return true;
      }
    }
  }
  return false;
}

bool IsMozilla(const LdapConfig& config) {
  return config.mode == "mozilla";
}

const std::string& ServiceDn(const LdapConfig& config) {
  return config.bind_dn.empty() && IsMozilla(config) ? config.admin_dn : config.bind_dn;
}

const std::string& ServicePassword(const LdapConfig& config) {
  return config.bind_dn.empty() && IsMozilla(config) ? config.admin_password : config.bind_password;
}

// Read for EntryStamp besides the user attributes: values that change with the entry's
// password or state. modifyTimestamp (RFC 4512; Active Directory's whenChanged) changes with
// every write, a password change included; entryCSN is OpenLDAP's finer one. Names a schema
// lacks are ignored (RFC 4511 4.5.1.8) but not free: each one cost slapd about a millisecond
// per search here, more than the search itself, so the list stays short.
constexpr const char* kChangeAttributes[] = {"modifyTimestamp", "entryCSN", "userPassword"};

// An unambiguous text of an entry's DN and attributes, in an order that does not depend on
// the server's: names lower-cased and sorted, values sorted, every piece length-prefixed.
std::string CanonicalEntryText(const LdapEntry& entry) {
  std::vector<std::pair<std::string, std::vector<std::string>>> attributes = entry.attributes;
  for (auto& [name, values] : attributes) {
    for (char& c : name) {
      if (c >= 'A' && c <= 'Z') {
        c = static_cast<char>(c - 'A' + 'a');
      }
    }
    std::sort(values.begin(), values.end());
  }
  std::sort(attributes.begin(), attributes.end());
  std::string text = std::to_string(entry.dn.size()) + ":" + entry.dn;
  for (const auto& [name, values] : attributes) {
    text += ";" + name + "=" + std::to_string(values.size());
    for (const std::string& value : values) {
      text += "," + std::to_string(value.size()) + ":" + value;
    }
  }
  return text;
}

}  // namespace

std::optional<int64_t> ParseUidNumber(std::string_view text) {
  if (text.empty() || text.size() > 18) {
    return std::nullopt;
  }
  int64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = value * 10 + (c - '0');
  }
  return value;
}

LdapDirectory::LdapDirectory(const LdapConfig& config)
    : config_(config),
      service_dn_(ServiceDn(config_)),
      service_(config_, "service", service_dn_, ServicePassword(config_)),
      user_(config_, "user", "", "") {}

std::optional<LdapEntry> LdapDirectory::VerifiedEntry(
    std::string_view login, std::optional<std::string_view> enrolled_entry_id,
    std::string_view password) {
  if (UsesDirectBind()) {
    const std::string dn = FillTemplate(config_.user_dn_template, "{user}", EscapeDnValue(login));
    // A DN that does not exist answers "invalid credentials" too.
    if (!CheckPassword(dn, password)) {
      return std::nullopt;
    }
    // The user reads their own entry: no service account is needed.
    const LdapSearch request{dn, LdapScope::kBase, AnyUserFilter(), UserAttributes(), 2};
    std::vector<LdapEntry> entries = user_.SearchAsBound("read own entry", request);
    if (entries.size() != 1) {
      Log(LogLevel::kInfo) << "ldap: " << dn << " does not match auth.ldap.user_filter";
      return std::nullopt;
    }
    if (!enrolled_entry_id && !IsLoginOf(entries.front(), config_.login_attribute, login)) {
      Log(LogLevel::kInfo) << "ldap: the " << config_.login_attribute << " of " << dn << " is not "
                           << login;
      return std::nullopt;
    }
    if (enrolled_entry_id && EntryIdOf(entries.front()) != *enrolled_entry_id) {
      // The login now belongs to another entry: it must not inherit the old one's data.
      Log(LogLevel::kWarning) << "ldap: " << dn << " is not the entry enrolled as " << login;
      return std::nullopt;
    }
    if (!IsEnabled(entries.front()) || !IsInGroup(true, entries.front())) {
      return std::nullopt;
    }
    return std::move(entries.front());
  }
  auto entry = enrolled_entry_id ? FindByEntryId(*enrolled_entry_id) : FindByLogin(login);
  if (!entry || !AcceptsLogin(*entry, password)) {
    return std::nullopt;
  }
  return entry;
}

bool LdapDirectory::AcceptsLogin(const LdapEntry& entry, std::string_view password) {
  return IsEnabled(entry) && CheckPassword(entry.dn, password) && IsInGroup(false, entry);
}

std::optional<std::string> LdapDirectory::EntryStamp(
    std::string_view login, std::optional<std::string_view> enrolled_entry_id) {
  if (UsesDirectBind() && service_dn_.empty()) {
    return std::nullopt;  // only the user may read the entry, and only after a bind
  }
  std::vector<std::string> attributes = UserAttributes();
  attributes.insert(attributes.end(), std::begin(kChangeAttributes), std::end(kChangeAttributes));
  const auto entry = enrolled_entry_id ? FindByEntryIdReading(*enrolled_entry_id, attributes)
                                       : FindByLoginReading(login, attributes);
  if (!entry) {
    return std::string("none");
  }
  std::string text = CanonicalEntryText(*entry);
  text += IsInGroup(false, *entry) ? ";member" : ";not a member";
  return "entry:" + HexEncode(Sha256(text));
}

bool LdapDirectory::CheckPassword(const std::string& dn, std::string_view password) {
  if (password.empty()) {
    // An empty password would be an "unauthenticated bind", which servers accept as success
    // (RFC 4513 5.1.2).
    return false;
  }
  return user_.BindAs(dn, password);
}

bool LdapDirectory::IsEnabled(const LdapEntry& entry) const {
  if (config_.enabled_attribute.empty() ||
      entry.Has(config_.enabled_attribute, config_.enabled_value)) {
    return true;
  }
  Log(LogLevel::kInfo) << "ldap: " << entry.dn << " is disabled";
  return false;
}

bool LdapDirectory::IsInGroup(bool as_user, const LdapEntry& entry) {
  if (config_.group_dn.empty()) {
    return true;
  }
  const bool by_login = EqualsIgnoreCase(config_.group_member_attribute, "memberUid");
  const std::string member =
      by_login ? entry.First(config_.login_attribute).value_or("") : entry.dn;
  const LdapSearch request{
      config_.group_dn,
      LdapScope::kBase,
      "(" + config_.group_member_attribute + "=" + EscapeFilterValue(member) + ")",
      {"1.1"},
      1};
  const std::vector<LdapEntry> entries = as_user ? user_.SearchAsBound("group check", request)
                                                 : service_.Search("group check", request);
  if (entries.empty()) {
    Log(LogLevel::kInfo) << "ldap: " << entry.dn << " is not a member of " << config_.group_dn;
    return false;
  }
  return true;
}

std::string LdapDirectory::AnyUserFilter() const {
  return FillTemplate(config_.user_filter, "{user}", "*");
}

std::vector<std::string> LdapDirectory::UserAttributes() const {
  std::vector<std::string> names{config_.login_attribute, config_.email_attribute};
  if (!config_.id_attribute.empty()) {
    names.push_back(config_.id_attribute);  // entryUUID is operational: asked by name
  }
  if (!config_.enabled_attribute.empty()) {
    names.push_back(config_.enabled_attribute);
  }
  if (IsMozilla(config_)) {
    names.emplace_back("uidNumber");
    names.emplace_back("primaryNode");
  }
  return names;
}

std::string LdapDirectory::EntryIdOf(const LdapEntry& entry) const {
  if (config_.id_attribute.empty()) {
    return entry.dn;
  }
  const auto value = entry.First(config_.id_attribute);
  if (!value) {
    throw BackendError("ldap: " + entry.dn + " has no " + config_.id_attribute +
                       " (auth.ldap.id_attribute)");
  }
  return EncodeEntryId(*value);
}

UserId LdapDirectory::UidNumberOf(const LdapEntry& entry) const {
  const auto number = ParseUidNumber(entry.First("uidNumber").value_or(""));
  if (!number || *number <= 0) {
    throw BackendError("ldap: " + entry.dn + " has no valid uidNumber");
  }
  return *number;
}

std::optional<LdapEntry> LdapDirectory::FindOne(std::string_view filter,
                                                std::vector<std::string> attributes) {
  const LdapSearch request{config_.base_dn, LdapScope::kSubtree, std::string(filter),
                           std::move(attributes), 2};
  std::vector<LdapEntry> entries = service_.Search("search " + request.filter, request);
  if (entries.size() > 1) {
    Log(LogLevel::kWarning) << "ldap: more than one entry matches " << filter << "; refused";
  }
  if (entries.size() != 1) {
    return std::nullopt;
  }
  return std::move(entries.front());
}

std::optional<LdapEntry> LdapDirectory::FindByLogin(std::string_view login) {
  return FindByLoginReading(login, UserAttributes());
}

std::optional<LdapEntry> LdapDirectory::FindByLoginReading(std::string_view login,
                                                           std::vector<std::string> attributes) {
  auto entry = FindOne(FillTemplate(config_.user_filter, "{user}", EscapeFilterValue(login)),
                       std::move(attributes));
  // A filter such as (|(uid={user})(mail={user})) must not turn one name into another.
  if (entry && !IsLoginOf(*entry, config_.login_attribute, login)) {
    Log(LogLevel::kInfo) << "ldap: " << entry->dn << " matches " << login << " but its "
                         << config_.login_attribute << " differs";
    return std::nullopt;
  }
  return entry;
}

std::optional<LdapEntry> LdapDirectory::FindByEmail(std::string_view email) {
  return FindOne("(&" + AnyUserFilter() + "(" + config_.email_attribute + "=" +
                     EscapeFilterValue(email) + "))",
                 UserAttributes());
}

std::optional<LdapEntry> LdapDirectory::FindByEntryId(std::string_view entry_id) {
  return FindByEntryIdReading(entry_id, UserAttributes());
}

std::optional<LdapEntry> LdapDirectory::FindByEntryIdReading(std::string_view entry_id,
                                                             std::vector<std::string> attributes) {
  if (!config_.id_attribute.empty()) {
    return FindOne("(&" + AnyUserFilter() + "(" + config_.id_attribute + "=" +
                       EntryIdFilterValue(entry_id) + "))",
                   std::move(attributes));
  }
  LdapSearch request{std::string(entry_id), LdapScope::kBase, AnyUserFilter(),
                     std::move(attributes), 2};
  request.invalid_base_is_empty = true;  // a stored DN that is no longer valid
  std::vector<LdapEntry> entries = service_.Search("read entry", request);
  if (entries.size() != 1) {
    return std::nullopt;
  }
  return std::move(entries.front());
}

void LdapDirectory::CheckHealth() {
  service_.Search("health check", LdapSearch{"", LdapScope::kBase, "(objectClass=*)", {"1.1"}, 1});
}

}  // namespace weave
