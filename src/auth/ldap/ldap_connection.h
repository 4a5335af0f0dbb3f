// One libldap connection (failover over auth.ldap.urls, StartTLS/ldaps, timeouts, reconnect)
// behind our own types; the only part of the LDAP back end that sees <ldap.h>.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config.h"

namespace weave {

// A directory entry as read: its DN and the values of the requested attributes.
struct LdapEntry {
  std::string dn;
  std::vector<std::pair<std::string, std::vector<std::string>>> attributes;

  // The first value of the attribute (names compare case-insensitively); nullopt if absent.
  std::optional<std::string> First(std::string_view name) const;
  bool Has(std::string_view name, std::string_view value) const;
};

enum class LdapScope { kBase, kSubtree };

struct LdapSearch {
  std::string base;
  LdapScope scope = LdapScope::kSubtree;
  std::string filter;
  std::vector<std::string> attributes;
  int size_limit = 0;  // 0: no limit; past the limit the entries that arrived are kept
  // A base that is not a valid DN is an empty answer rather than an error (a stored id
  // that names no entry any more).
  bool invalid_base_is_empty = false;
};

// One change of an add or modify.
struct LdapChange {
  enum class Op { kAdd, kDelete, kReplace };
  Op op = Op::kAdd;
  std::string attribute;
  std::vector<std::string> values;
};

// The answers of a write that callers handle; every other refusal throws BackendError.
enum class LdapWriteStatus { kDone, kAlreadyExists, kNoSuchAttribute, kNoSuchObject };

// One connection to the first directory server of config.urls that answers, opened on first
// use (with TLS as configured) and reopened after a while, so a worker that failed over to a
// later URL comes back to the first one. Operations that find it dead close it; the next use
// reopens it. Every method throws BackendError when no server answers, the connection fails,
// or the server refuses in a way the method does not report. Not thread-safe.
class LdapConnection {
 public:
  // Borrows config, which must outlive this object. dn/password: the identity the
  // operations below bind as (empty dn: anonymous); name only labels log and error texts.
  LdapConnection(const LdapConfig& config, std::string name, std::string dn, std::string password);
  ~LdapConnection();
  LdapConnection(const LdapConnection&) = delete;
  LdapConnection& operator=(const LdapConnection&) = delete;

  // As the connection's own identity. A connection that went away since its last use is
  // reopened and the operation tried once more. A missing base (noSuchObject) is an empty
  // answer.
  std::vector<LdapEntry> Search(std::string_view what, const LdapSearch& request);
  LdapWriteStatus Add(std::string_view what, const std::string& dn,
                      const std::vector<LdapChange>& attributes);
  LdapWriteStatus Modify(std::string_view what, const std::string& dn,
                         const std::vector<LdapChange>& changes);
  LdapWriteStatus Delete(std::string_view what, const std::string& dn);

  // Binds as dn with password: true if the server accepts it, false if it refuses the
  // credentials (wrong password, no such entry, an entry without a password, a locked
  // account). The connection then stays bound as dn for SearchAsBound.
  bool BindAs(const std::string& dn, std::string_view password);
  // Searches as whoever BindAs last bound (no reconnect: that would lose the identity).
  std::vector<LdapEntry> SearchAsBound(std::string_view what, const LdapSearch& request);

 private:
  class Handle;  // the libldap handle and its options (ldap_connection.cpp)

  const LdapConfig& config_;
  const std::unique_ptr<Handle> handle_;
};

}  // namespace weave
