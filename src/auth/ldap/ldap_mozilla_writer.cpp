// Writing Mozilla-layout entries: uidNumber allocation from the counter entry, adds,
// modifies and deletes with the admin account.
#include "auth/ldap/ldap_mozilla_writer.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "auth/ldap/ldap_directory.h"
#include "auth/ldap/ldap_text.h"
#include "auth/password_hash.h"
#include "core/crypto.h"
#include "core/errors.h"
#include "core/log.h"

namespace weave {
namespace {

// uidNumber allocation: races with other writers, and numbers found already in use.
constexpr int kMaxAllocationAttempts = 100;

using Op = LdapChange::Op;

// The userPassword value written: a yescrypt hash that slapd checks through crypt(3).
// Mozilla's servers wrote {SSHA}, one round of SHA-1, which a stolen directory dump gives
// up at once; entries that still hold one keep working (slapd verifies both).
std::string CryptPassword(std::string_view password) {
  return "{CRYPT}" + HashPassword(password, "yescrypt");
}

}  // namespace

LdapMozillaWriter::LdapMozillaWriter(const LdapConfig& config, std::string any_user_filter)
    : config_(config),
      any_user_filter_(std::move(any_user_filter)),
      admin_(config_, "admin", config_.admin_dn, config_.admin_password) {}

std::string LdapMozillaWriter::NewEntryDn(std::string_view username) const {
  if (!config_.user_dn_template.empty()) {
    return FillTemplate(config_.user_dn_template, "{user}", EscapeDnValue(username));
  }
  return config_.login_attribute + "=" + EscapeDnValue(username) + "," + config_.users_dn;
}

// The counter entry holds the last uidNumber given out. Taking the next one is a single
// modify that deletes the old value and adds the new one: if another writer got there
// first, the delete fails (noSuchAttribute) and we read again, as Mozilla's servers did.
UserId LdapMozillaWriter::AllocateUidNumber() {
  for (int attempt = 0; attempt < kMaxAllocationAttempts; ++attempt) {
    const std::vector<LdapEntry> counter = admin_.Search(
        "read uid counter",
        LdapSearch{config_.uid_counter_dn, LdapScope::kBase, "(objectClass=*)", {"uidNumber"}, 1});
    if (counter.empty()) {
      // First account: start the counter above every uidNumber already in the directory.
      const std::vector<LdapEntry> numbered = admin_.Search(
          "find uidNumbers",
          LdapSearch{config_.base_dn, LdapScope::kSubtree, "(uidNumber=*)", {"uidNumber"}, 0});
      int64_t highest = 0;
      for (const LdapEntry& entry : numbered) {
        highest =
            std::max(highest, ParseUidNumber(entry.First("uidNumber").value_or("")).value_or(0));
      }
      const std::string& dn = config_.uid_counter_dn;
      const std::string cn = dn.substr(3, dn.find(',') - 3);
      // Already there: another writer created it first; read it again.
      admin_.Add("create uid counter " + dn, dn,
                 {{Op::kAdd, "objectClass", {"device", "dataStore"}},
                  {Op::kAdd, "cn", {cn}},
                  {Op::kAdd, "uidNumber", {std::to_string(highest)}}});
      continue;
    }
    const auto current = ParseUidNumber(counter.front().First("uidNumber").value_or(""));
    if (!current) {
      throw BackendError("ldap: " + config_.uid_counter_dn + " has no valid uidNumber");
    }
    const UserId next = *current + 1;
    const LdapWriteStatus bumped =
        admin_.Modify("bump uid counter", config_.uid_counter_dn,
                      {{Op::kDelete, "uidNumber", {std::to_string(*current)}},
                       {Op::kAdd, "uidNumber", {std::to_string(next)}}});
    if (bumped == LdapWriteStatus::kNoSuchAttribute) {
      continue;  // another writer took this number
    }
    // Skip numbers held by entries created behind the counter's back (imports).
    const std::vector<LdapEntry> holders = admin_.Search(
        "check uidNumber",
        LdapSearch{config_.base_dn,
                   LdapScope::kSubtree,
                   "(&" + any_user_filter_ + "(uidNumber=" + std::to_string(next) + "))",
                   {"1.1"},
                   1});
    if (holders.empty()) {
      return next;
    }
  }
  throw BackendError("ldap: no free uidNumber after " + std::to_string(kMaxAllocationAttempts) +
                     " attempts");
}

std::optional<UserId> LdapMozillaWriter::AddUser(std::string_view username,
                                                 std::string_view password,
                                                 std::string_view email) {
  const UserId id = AllocateUidNumber();
  const std::string dn = NewEntryDn(username);
  const std::string name(username);
  std::vector<LdapChange> entry{
      {Op::kAdd, "objectClass", {"inetOrgPerson", "dataStore"}},
      {Op::kAdd, "cn", {name}},
      {Op::kAdd, "sn", {name}},
      {Op::kAdd, config_.login_attribute, {name}},
      {Op::kAdd, "uidNumber", {std::to_string(id)}},
      {Op::kAdd, "userPassword", {CryptPassword(password)}},
  };
  if (!email.empty()) {
    entry.push_back({Op::kAdd, config_.email_attribute, {std::string(email)}});
  }
  // A verification token, as Mozilla set it; nothing here verifies addresses.
  entry.push_back({Op::kAdd, "mail-verified", {HexEncode(Sha1(RandomBytes(20)))}});
  entry.push_back({Op::kAdd, "account-enabled", {"Yes"}});
  entry.push_back({Op::kAdd, "primaryNode", {"weave:" + config_.node}});
  entry.push_back({Op::kAdd, "rescueNode", {"weave:"}});
  if (!config_.node.empty()) {
    entry.push_back({Op::kAdd, "syncNode", {config_.node}});
  }
  if (admin_.Add("add " + dn, dn, entry) == LdapWriteStatus::kAlreadyExists) {
    return std::nullopt;
  }
  Log(LogLevel::kInfo) << "ldap: created " << dn << " (uidNumber " << id << ")";
  return id;
}

void LdapMozillaWriter::SetPassword(const std::string& dn, std::string_view password) {
  admin_.Modify("change password of " + dn, dn,
                {{Op::kReplace, "userPassword", {CryptPassword(password)}}});
}

void LdapMozillaWriter::SetEmail(const std::string& dn, std::string_view email) {
  admin_.Modify("change e-mail of " + dn, dn,
                {{Op::kReplace, config_.email_attribute, {std::string(email)}}});
}

void LdapMozillaWriter::SetNode(const std::string& dn, const std::vector<std::string>& primary_node,
                                const std::string_view host) {
  admin_.Modify("set the node of " + dn, dn,
                {{Op::kReplace, "primaryNode", primary_node},
                 {Op::kReplace, "syncNode", {std::string(host)}}});
}

void LdapMozillaWriter::DeleteEntry(const std::string& dn) {
  admin_.Delete("delete " + dn, dn);
}

}  // namespace weave
