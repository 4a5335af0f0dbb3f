#include "auth/ldap/ldap_authenticator.h"

#include <ldap.h>

#include <chrono>
#include <functional>
#include <utility>

#include "auth/ldap/ldap_text.h"
#include "core/user_name.h"
#include "db/sql_dialect.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/crypto.h"

namespace weave {
namespace {

// Bounds the login cache; past this many users a worker starts over (cheap, and rare).
constexpr size_t kMaxCachedLogins = 10000;
// A connection is reopened after this long, so a worker that failed over to a later URL
// comes back to the first one.
constexpr auto kMaxConnectionAge = std::chrono::minutes(10);
// uidNumber allocation: races with other writers, and numbers found already in use.
constexpr int kMaxAllocationAttempts = 100;

struct LdapDeleter {
  void operator()(LDAP* ld) const { ldap_unbind_ext_s(ld, nullptr, nullptr); }
};
struct MessageDeleter {
  void operator()(LDAPMessage* message) const { ldap_msgfree(message); }
};
struct MemoryDeleter {
  void operator()(char* text) const { ldap_memfree(text); }
};
struct ValuesDeleter {
  void operator()(berval** values) const { ldap_value_free_len(values); }
};
struct BerDeleter {
  void operator()(BerElement* ber) const { ber_free(ber, 0); }
};
using LdapHandle = std::unique_ptr<LDAP, LdapDeleter>;
using MessagePtr = std::unique_ptr<LDAPMessage, MessageDeleter>;
using LdapText = std::unique_ptr<char, MemoryDeleter>;
using ValuesPtr = std::unique_ptr<berval*, ValuesDeleter>;
using BerPtr = std::unique_ptr<BerElement, BerDeleter>;

// Codes after which the connection is useless: the server went away or never answered.
bool IsConnectionError(int code) {
  return code == LDAP_SERVER_DOWN || code == LDAP_CONNECT_ERROR || code == LDAP_TIMEOUT ||
         code == LDAP_UNAVAILABLE || code == LDAP_BUSY || code == LDAP_LOCAL_ERROR ||
         code == LDAP_ENCODING_ERROR || code == LDAP_DECODING_ERROR;
}

// A stale connection (closed by a restarted server or an idle timeout) is worth one retry
// on a fresh one; a timeout is not: it would only double the wait.
bool IsWorthRetrying(int code) {
  return code == LDAP_SERVER_DOWN || code == LDAP_CONNECT_ERROR;
}

timeval ToTimeval(int milliseconds) {
  timeval value{};
  value.tv_sec = milliseconds / 1000;
  value.tv_usec = static_cast<suseconds_t>((milliseconds % 1000) * 1000);
  return value;
}

// The library's text for code, with the server's or TLS layer's diagnostic when there is one.
std::string Describe(LDAP* ld, int code) {
  std::string text = std::string(ldap_err2string(code)) + " (" + std::to_string(code) + ")";
  if (ld != nullptr) {
    char* raw = nullptr;
    if (ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &raw) == LDAP_OPT_SUCCESS &&
        raw != nullptr) {
      const LdapText diagnostic(raw);
      if (*diagnostic != '\0') {
        text += ": " + std::string(diagnostic.get());
      }
    }
  }
  return text;
}

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

std::optional<int64_t> ParsePositive(std::string_view text) {
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

// Owns the strings and arrays a libldap add or modify takes as LDAPMod**.
class ModList {
 public:
  void Add(int op, const std::string& type, std::vector<std::string> values) {
    items_.push_back(Item{op, type, std::move(values), {}, {}});
  }
  LDAPMod** Get() {
    mods_.clear();
    pointers_.clear();
    mods_.reserve(items_.size());
    for (Item& item : items_) {
      item.bervals.clear();
      item.berval_pointers.clear();
      for (std::string& value : item.values) {
        item.bervals.push_back(berval{static_cast<ber_len_t>(value.size()), value.data()});
      }
      for (berval& value : item.bervals) {
        item.berval_pointers.push_back(&value);
      }
      item.berval_pointers.push_back(nullptr);
      LDAPMod mod{};
      mod.mod_op = item.op | LDAP_MOD_BVALUES;
      mod.mod_type = item.type.data();
      mod.mod_bvalues = item.berval_pointers.data();
      mods_.push_back(mod);
    }
    for (LDAPMod& mod : mods_) {
      pointers_.push_back(&mod);
    }
    pointers_.push_back(nullptr);
    return pointers_.data();
  }

 private:
  struct Item {
    int op;
    std::string type;
    std::vector<std::string> values;
    std::vector<berval> bervals;
    std::vector<berval*> berval_pointers;
  };
  std::vector<Item> items_;
  std::vector<LDAPMod> mods_;
  std::vector<LDAPMod*> pointers_;
};

}  // namespace

// One connection to the first directory server of config.urls that answers, opened on first
// use, with TLS as configured. Operations that find it dead close it; the next use reopens.
class LdapLink {
 public:
  using Operation = std::function<int(LDAP*)>;

  // dn/password: the identity Run() binds as (empty dn: anonymous).
  LdapLink(const LdapConfig& config, std::string name, std::string dn, std::string password)
      : config_(config),
        name_(std::move(name)),
        dn_(std::move(dn)),
        password_(std::move(password)) {}

  // Runs op on a connection bound as the link's own identity and returns its result code. A
  // connection that went away since its last use is reopened and op tried once more.
  // Throws BackendError when no server answers or the connection fails.
  int Run(std::string_view what, const Operation& op) {
    for (int attempt = 0;; ++attempt) {
      const bool reused = IsFresh() && bound_as_self_;
      if (!reused) {
        OpenAsSelf();
      }
      const int code = op(ld_.get());
      if (!IsConnectionError(code)) {
        return code;
      }
      const std::string detail = Describe(ld_.get(), code);
      Close();
      if (!reused || attempt > 0 || !IsWorthRetrying(code)) {
        throw BackendError("ldap " + name_ + ": " + std::string(what) + ": " + detail);
      }
      Log(LogLevel::kInfo) << "ldap " << name_ << ": connection lost (" << detail
                           << "), reconnecting";
    }
  }

  // Binds as dn with password and returns the result code (LDAP_SUCCESS, or the server's
  // refusal such as LDAP_INVALID_CREDENTIALS). Throws BackendError like Run().
  int BindAs(const std::string& dn, std::string_view password) {
    for (int attempt = 0;; ++attempt) {
      const bool reused = IsFresh();
      if (!reused) {
        Connect();
      }
      bound_as_self_ = false;
      const int code = SimpleBind(dn, password);
      if (!IsConnectionError(code)) {
        return code;
      }
      const std::string detail = Describe(ld_.get(), code);
      Close();
      if (!reused || attempt > 0 || !IsWorthRetrying(code)) {
        throw BackendError("ldap " + name_ + ": bind: " + detail);
      }
    }
  }

  // Runs op as whoever BindAs() last bound (no reconnect: that would lose the identity).
  int RunBound(std::string_view what, const Operation& op) {
    if (!ld_) {
      throw BackendError("ldap " + name_ + ": " + std::string(what) + ": not connected");
    }
    const int code = op(ld_.get());
    if (IsConnectionError(code)) {
      const std::string detail = Describe(ld_.get(), code);
      Close();
      throw BackendError("ldap " + name_ + ": " + std::string(what) + ": " + detail);
    }
    return code;
  }

  // Throws BackendError for any code but success (and the ones the caller expects).
  void Check(int code, std::string_view what, std::initializer_list<int> expected = {}) const {
    if (code == LDAP_SUCCESS) {
      return;
    }
    for (const int allowed : expected) {
      if (code == allowed) {
        return;
      }
    }
    throw BackendError("ldap " + name_ + ": " + std::string(what) + ": " +
                       Describe(ld_.get(), code));
  }

  void Close() {
    ld_.reset();
    bound_as_self_ = false;
  }

 private:
  bool IsFresh() const {
    return ld_ && std::chrono::steady_clock::now() - opened_ < kMaxConnectionAge;
  }

  int SimpleBind(const std::string& dn, std::string_view password) {
    berval credentials{static_cast<ber_len_t>(password.size()),
                       const_cast<char*>(password.data())};  // libldap does not write it
    return ldap_sasl_bind_s(ld_.get(), dn.c_str(), LDAP_SASL_SIMPLE, &credentials, nullptr, nullptr,
                            nullptr);
  }

  void OpenAsSelf() {
    if (!IsFresh()) {
      Connect();
    }
    if (!dn_.empty()) {
      const int code = SimpleBind(dn_, password_);
      if (code != LDAP_SUCCESS) {
        const std::string detail = Describe(ld_.get(), code);
        Close();
        // Refused service credentials are the operator's problem, never the user's: 503.
        throw BackendError("ldap " + name_ + ": bind as " + dn_ + ": " + detail);
      }
    }
    bound_as_self_ = true;
  }

  // Opens a connection to the first server in config.urls that answers (with TLS as
  // configured). Throws BackendError naming every server's failure when none does.
  void Connect() {
    Close();
    std::string failures;
    for (const std::string& url : config_.urls) {
      LDAP* raw = nullptr;
      int code = ldap_initialize(&raw, url.c_str());
      LdapHandle ld(raw);  // owned before the result is checked
      if (code == LDAP_SUCCESS) {
        code = SetOptions(ld.get(), url);
      }
      if (code == LDAP_SUCCESS) {
        const bool start_tls = config_.tls == "on" && url.rfind("ldap://", 0) == 0;
        code = start_tls ? ldap_start_tls_s(ld.get(), nullptr, nullptr) : ldap_connect(ld.get());
      }
      if (code == LDAP_SUCCESS) {
        ld_ = std::move(ld);
        opened_ = std::chrono::steady_clock::now();
        return;
      }
      const std::string detail = url + ": " + Describe(ld.get(), code);
      Log(LogLevel::kWarning) << "ldap " << name_ << ": " << detail;
      failures += (failures.empty() ? "" : "; ") + detail;
    }
    throw BackendError("ldap " + name_ + ": no directory server answered (" + failures + ")");
  }

  int SetOptions(LDAP* ld, const std::string& url) const {
    const int version = LDAP_VERSION3;
    const timeval connect_timeout = ToTimeval(config_.connect_timeout_ms);
    const timeval operation_timeout = ToTimeval(config_.operation_timeout_ms);
    int code = ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
    // Referrals would send our credentials to servers nobody configured.
    code = code != LDAP_OPT_SUCCESS ? code : ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
    code = code != LDAP_OPT_SUCCESS ? code : ldap_set_option(ld, LDAP_OPT_RESTART, LDAP_OPT_ON);
    code = code != LDAP_OPT_SUCCESS
               ? code
               : ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &connect_timeout);
    // Bounds every synchronous call (bind, StartTLS, modify), not only searches.
    code =
        code != LDAP_OPT_SUCCESS ? code : ldap_set_option(ld, LDAP_OPT_TIMEOUT, &operation_timeout);
    const bool uses_tls =
        url.rfind("ldaps://", 0) == 0 || (config_.tls == "on" && url.rfind("ldap://", 0) == 0);
    if (code != LDAP_OPT_SUCCESS || !uses_tls) {
      return code;
    }
    // Per-connection TLS settings take effect only with a new context built after them.
    const int demand = LDAP_OPT_X_TLS_DEMAND;
    const int tls12 = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;
    const int is_server = 0;
    code = ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
    code =
        code != LDAP_OPT_SUCCESS ? code : ldap_set_option(ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &tls12);
    if (code == LDAP_OPT_SUCCESS && !config_.ca_file.empty()) {
      code = ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, config_.ca_file.c_str());
    }
    return code != LDAP_OPT_SUCCESS ? code : ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &is_server);
  }

  // Set at construction
  const LdapConfig& config_;
  const std::string name_;
  const std::string dn_;
  const std::string password_;

  LdapHandle ld_;
  std::chrono::steady_clock::time_point opened_;
  bool bound_as_self_ = false;
};

namespace {

// Reads the entries of a search result.
std::vector<LdapEntry> ReadEntries(LDAP* ld, LDAPMessage* result) {
  std::vector<LdapEntry> entries;
  for (LDAPMessage* message = ldap_first_entry(ld, result); message != nullptr;
       message = ldap_next_entry(ld, message)) {
    LdapEntry entry;
    if (const LdapText dn(ldap_get_dn(ld, message)); dn) {
      entry.dn = dn.get();
    }
    BerElement* raw_ber = nullptr;
    for (LdapText name(ldap_first_attribute(ld, message, &raw_ber)); name;
         name.reset(ldap_next_attribute(ld, message, raw_ber))) {
      std::vector<std::string> values;
      if (const ValuesPtr found(ldap_get_values_len(ld, message, name.get())); found) {
        for (berval** value = found.get(); *value != nullptr; ++value) {
          values.emplace_back((*value)->bv_val, (*value)->bv_len);
        }
      }
      entry.attributes.emplace_back(name.get(), std::move(values));
    }
    const BerPtr ber(raw_ber);
    entries.push_back(std::move(entry));
  }
  return entries;
}

struct SearchRequest {
  std::string base;
  int scope = LDAP_SCOPE_SUBTREE;
  std::string filter;
  std::vector<std::string> attributes;
  int size_limit = 0;
};

// A search as one operation for LdapLink::Run/RunBound: fills entries and returns the code.
// A missing base (noSuchObject) is an empty answer; a size limit keeps what arrived.
LdapLink::Operation SearchOperation(const SearchRequest& request, int timeout_ms,
                                    std::vector<LdapEntry>& entries) {
  return [&request, timeout_ms, &entries](LDAP* ld) {
    std::vector<char*> attributes;
    for (const std::string& name : request.attributes) {
      attributes.push_back(const_cast<char*>(name.c_str()));  // libldap does not write them
    }
    attributes.push_back(nullptr);
    timeval timeout = ToTimeval(timeout_ms);
    LDAPMessage* raw = nullptr;
    int code = ldap_search_ext_s(ld, request.base.c_str(), request.scope, request.filter.c_str(),
                                 attributes.data(), 0, nullptr, nullptr, &timeout,
                                 request.size_limit, &raw);
    const MessagePtr result(raw);  // present even on failure
    entries.clear();
    if (code == LDAP_SUCCESS || code == LDAP_SIZELIMIT_EXCEEDED) {
      entries = ReadEntries(ld, result.get());
      code = LDAP_SUCCESS;
    } else if (code == LDAP_NO_SUCH_OBJECT) {
      code = LDAP_SUCCESS;
    }
    return code;
  };
}

}  // namespace

std::optional<std::string> LdapEntry::First(std::string_view name) const {
  for (const auto& [attribute, values] : attributes) {
    if (EqualsIgnoreCase(attribute, name) && !values.empty()) {
      return values.front();
    }
  }
  return std::nullopt;
}

bool LdapEntry::Has(std::string_view name, std::string_view value) const {
  for (const auto& [attribute, values] : attributes) {
    if (EqualsIgnoreCase(attribute, name)) {
      for (const std::string& candidate : values) {
        if (EqualsIgnoreCase(candidate, value)) {
          return true;
        }
      }
    }
  }
  return false;
}

LdapAuthenticator::LdapAuthenticator(LdapConfig config, SqlConnection& connection,
                                     const Clock& clock)
    : config_(std::move(config)),
      db_(connection),
      clock_(clock),
      cache_salt_(RandomBytes(16)),
      service_(std::make_unique<LdapLink>(
          config_, "service",
          config_.bind_dn.empty() && config_.mode == "mozilla" ? config_.admin_dn : config_.bind_dn,
          config_.bind_dn.empty() && config_.mode == "mozilla" ? config_.admin_password
                                                               : config_.bind_password)),
      user_(std::make_unique<LdapLink>(config_, "user", "", "")),
      admin_(config_.mode == "mozilla"
                 ? std::make_unique<LdapLink>(config_, "admin", config_.admin_dn,
                                              config_.admin_password)
                 : nullptr) {}

LdapAuthenticator::~LdapAuthenticator() = default;

std::string LdapAuthenticator::DigestPassword(std::string_view password) const {
  std::string salted = cache_salt_;
  salted.append(password);
  return Sha256(salted);
}

void LdapAuthenticator::Remember(std::string_view username, std::string_view password, UserId id) {
  if (config_.cache_seconds <= 0) {
    return;
  }
  if (cache_.size() >= kMaxCachedLogins) {
    cache_.clear();
  }
  cache_[std::string(username)] =
      CachedLogin{DigestPassword(password), id, clock_.NowMs() + config_.cache_seconds * 1000LL};
}

std::optional<UserId> LdapAuthenticator::Authenticate(std::string_view username,
                                                      std::string_view password) {
  // An empty password would be an "unauthenticated bind", which servers accept as success
  // (RFC 4513 5.1.2); a NUL would cut the password short.
  if (username.empty() || password.empty() || password.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string key(username);
  if (const auto found = cache_.find(key); found != cache_.end()) {
    if (clock_.NowMs() >= found->second.expires_ms) {
      cache_.erase(found);
    } else if (ConstantTimeEquals(found->second.password_digest, DigestPassword(password))) {
      return found->second.id;
    }
    // A different password goes to the directory but leaves the entry alone: wrong guesses
    // must not evict a real login (nor make it depend on the directory being up).
  }
  std::optional<Enrolment> enrolment;
  if (IsReadonly()) {
    enrolment = FindEnrolment(username);
  }
  const auto entry =
      VerifiedEntry(enrolment ? static_cast<std::string_view>(enrolment->login) : username,
                    enrolment ? &*enrolment : nullptr, password);
  if (!entry) {
    return std::nullopt;
  }
  std::optional<UserId> id;
  if (!IsReadonly()) {
    id = UidNumberOf(*entry);
  } else if (enrolment) {
    id = enrolment->id;
  } else {
    // A plain user name equal to a directory login enrols itself on its first login.
    id = Enrol(username, *entry);
    if (id) {
      Log(LogLevel::kInfo) << "ldap: enrolled " << username << " as " << entry->dn;
    }
  }
  if (id) {
    Remember(username, password, *id);
  }
  return id;
}

std::optional<LdapEntry> LdapAuthenticator::VerifiedEntry(std::string_view login,
                                                          const Enrolment* enrolment,
                                                          std::string_view password) {
  if (UsesDirectBind()) {
    const std::string dn = FillTemplate(config_.user_dn_template, "{user}", EscapeDnValue(login));
    // A DN that does not exist answers "invalid credentials" too.
    if (!CheckPassword(dn, password)) {
      return std::nullopt;
    }
    // The user reads their own entry: no service account is needed.
    const SearchRequest request{dn, LDAP_SCOPE_BASE, AnyUserFilter(), UserAttributes(), 2};
    std::vector<LdapEntry> entries;
    user_->Check(user_->RunBound("read own entry",
                                 SearchOperation(request, config_.operation_timeout_ms, entries)),
                 "read own entry");
    if (entries.size() != 1) {
      Log(LogLevel::kInfo) << "ldap: " << dn << " does not match auth.ldap.user_filter";
      return std::nullopt;
    }
    if (enrolment == nullptr && !IsLoginOf(entries.front(), config_.login_attribute, login)) {
      Log(LogLevel::kInfo) << "ldap: the " << config_.login_attribute << " of " << dn << " is not "
                           << login;
      return std::nullopt;
    }
    if (enrolment != nullptr && EntryIdOf(entries.front()) != enrolment->entry_id) {
      // The login now belongs to another entry: it must not inherit the old one's data.
      Log(LogLevel::kWarning) << "ldap: " << dn << " is not the entry enrolled as " << login;
      return std::nullopt;
    }
    if (!IsEnabled(entries.front()) || !IsInGroup(*user_, entries.front())) {
      return std::nullopt;
    }
    return std::move(entries.front());
  }
  auto entry = enrolment != nullptr ? FindByEntryId(enrolment->entry_id) : FindByLogin(login);
  if (!entry || !IsEnabled(*entry) || !CheckPassword(entry->dn, password) ||
      !IsInGroup(*service_, *entry)) {
    return std::nullopt;
  }
  return entry;
}

bool LdapAuthenticator::CheckPassword(const std::string& dn, std::string_view password) {
  if (password.empty()) {
    return false;  // see Authenticate
  }
  const int code = user_->BindAs(dn, password);
  switch (code) {
    case LDAP_SUCCESS:
      return true;
    case LDAP_INVALID_CREDENTIALS:  // wrong password, no such entry, locked (ppolicy, AD)
    case LDAP_INAPPROPRIATE_AUTH:   // an entry without a password
    case LDAP_INVALID_DN_SYNTAX:
    case LDAP_NO_SUCH_OBJECT:
      Log(LogLevel::kDebug) << "ldap: bind as " << dn << " refused: " << ldap_err2string(code);
      return false;
    default:
      user_->Check(code, "bind as user");
      return false;
  }
}

bool LdapAuthenticator::IsEnabled(const LdapEntry& entry) const {
  if (config_.enabled_attribute.empty() ||
      entry.Has(config_.enabled_attribute, config_.enabled_value)) {
    return true;
  }
  Log(LogLevel::kInfo) << "ldap: " << entry.dn << " is disabled";
  return false;
}

bool LdapAuthenticator::IsInGroup(LdapLink& link, const LdapEntry& entry) {
  if (config_.group_dn.empty()) {
    return true;
  }
  const bool by_login = EqualsIgnoreCase(config_.group_member_attribute, "memberUid");
  const std::string member =
      by_login ? entry.First(config_.login_attribute).value_or("") : entry.dn;
  const SearchRequest request{
      config_.group_dn,
      LDAP_SCOPE_BASE,
      "(" + config_.group_member_attribute + "=" + EscapeFilterValue(member) + ")",
      {"1.1"},
      1};
  std::vector<LdapEntry> entries;
  const auto operation = SearchOperation(request, config_.operation_timeout_ms, entries);
  const int code = &link == user_.get() ? link.RunBound("group check", operation)
                                        : link.Run("group check", operation);
  link.Check(code, "group check");
  if (entries.empty()) {
    Log(LogLevel::kInfo) << "ldap: " << entry.dn << " is not a member of " << config_.group_dn;
    return false;
  }
  return true;
}

std::string LdapAuthenticator::AnyUserFilter() const {
  return FillTemplate(config_.user_filter, "{user}", "*");
}

std::vector<std::string> LdapAuthenticator::UserAttributes() const {
  std::vector<std::string> names{config_.login_attribute, config_.email_attribute};
  if (!config_.id_attribute.empty()) {
    names.push_back(config_.id_attribute);  // entryUUID is operational: asked by name
  }
  if (!config_.enabled_attribute.empty()) {
    names.push_back(config_.enabled_attribute);
  }
  if (!IsReadonly()) {
    names.emplace_back("uidNumber");
  }
  return names;
}

std::string LdapAuthenticator::EntryIdOf(const LdapEntry& entry) const {
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

std::optional<LdapEntry> LdapAuthenticator::FindOne(std::string_view filter) {
  const SearchRequest request{config_.base_dn, LDAP_SCOPE_SUBTREE, std::string(filter),
                              UserAttributes(), 2};
  std::vector<LdapEntry> entries;
  service_->Check(
      service_->Run("search", SearchOperation(request, config_.operation_timeout_ms, entries)),
      "search " + request.filter);
  if (entries.size() > 1) {
    Log(LogLevel::kWarning) << "ldap: more than one entry matches " << filter << "; refused";
  }
  if (entries.size() != 1) {
    return std::nullopt;
  }
  return std::move(entries.front());
}

std::optional<LdapEntry> LdapAuthenticator::FindByLogin(std::string_view login) {
  auto entry = FindOne(FillTemplate(config_.user_filter, "{user}", EscapeFilterValue(login)));
  // A filter such as (|(uid={user})(mail={user})) must not turn one name into another.
  if (entry && !IsLoginOf(*entry, config_.login_attribute, login)) {
    Log(LogLevel::kInfo) << "ldap: " << entry->dn << " matches " << login << " but its "
                         << config_.login_attribute << " differs";
    return std::nullopt;
  }
  return entry;
}

std::optional<LdapEntry> LdapAuthenticator::FindByEmail(std::string_view email) {
  return FindOne("(&" + AnyUserFilter() + "(" + config_.email_attribute + "=" +
                 EscapeFilterValue(email) + "))");
}

std::optional<LdapEntry> LdapAuthenticator::FindByEntryId(std::string_view entry_id) {
  if (!config_.id_attribute.empty()) {
    return FindOne("(&" + AnyUserFilter() + "(" + config_.id_attribute + "=" +
                   EntryIdFilterValue(entry_id) + "))");
  }
  const SearchRequest request{std::string(entry_id), LDAP_SCOPE_BASE, AnyUserFilter(),
                              UserAttributes(), 2};
  std::vector<LdapEntry> entries;
  service_->Check(
      service_->Run("read entry", SearchOperation(request, config_.operation_timeout_ms, entries)),
      "read entry", {LDAP_INVALID_DN_SYNTAX});
  if (entries.size() != 1) {
    return std::nullopt;
  }
  return std::move(entries.front());
}

void LdapAuthenticator::CheckHealth() {
  const SearchRequest request{"", LDAP_SCOPE_BASE, "(objectClass=*)", {"1.1"}, 1};
  std::vector<LdapEntry> entries;
  service_->Check(service_->Run("health check",
                                SearchOperation(request, config_.operation_timeout_ms, entries)),
                  "health check");
}

// --- readonly mode

std::optional<LdapAuthenticator::Enrolment> LdapAuthenticator::FindEnrolment(
    std::string_view username) {
  StatementScope query(
      db_.Prepare("SELECT id, entry_id, login FROM ldap_users WHERE username = ?"));
  query->BindText(0, username);
  if (!query->Step()) {
    return std::nullopt;
  }
  return Enrolment{query->ColumnInt(0), std::string(query->ColumnText(1)),
                   std::string(query->ColumnText(2))};
}

std::optional<UserId> LdapAuthenticator::Enrol(std::string_view username, const LdapEntry& entry) {
  const std::string entry_id = EntryIdOf(entry);
  const std::string login = entry.First(config_.login_attribute).value_or(std::string(username));
  SqlTransaction transaction(db_);
  UserId id = 0;
  {
    // Ids continue after the SQL back end's, so switching back ends never mixes storage.
    StatementScope next(
        db_.Prepare("SELECT max(coalesce((SELECT max(id) FROM users), 0),"
                    " coalesce((SELECT max(id) FROM ldap_users), 0)) + 1"));
    next->Step();
    id = next->ColumnInt(0);
  }
  int64_t inserted = 0;
  {
    StatementScope insert(db_.Prepare(db_.Dialect().InsertIgnoreSql(
        "INTO ldap_users (id, username, entry_id, login) VALUES (?, ?, ?, ?)")));
    insert->BindInt(0, id);
    insert->BindText(1, username);
    insert->BindText(2, entry_id);
    insert->BindText(3, login);
    insert->Step();
    inserted = insert->AffectedRows();
  }
  transaction.Commit();
  if (inserted == 0) {
    return std::nullopt;
  }
  return id;
}

CreateResult LdapAuthenticator::EnrolDirectoryAccount(std::string_view username,
                                                      std::string_view password,
                                                      std::string_view email) {
  if (FindEnrolment(username)) {
    return {CreateOutcome::kNameTaken, 0};
  }
  std::optional<LdapEntry> entry;
  if (!email.empty() && HashedUsername(email) == username) {
    // Firefox's name for an e-mail login: the entry is found by its address, and the
    // password must be that entry's.
    entry = FindByEmail(email);
    if (entry && (!IsEnabled(*entry) || !CheckPassword(entry->dn, password) ||
                  !IsInGroup(*service_, *entry))) {
      entry.reset();
    }
  } else if (LooksHashed(username) && !email.empty()) {
    return {CreateOutcome::kNotEmailHash, 0};
  } else {
    entry = VerifiedEntry(username, nullptr, password);
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
  Log(LogLevel::kInfo) << "ldap: enrolled " << username << " as " << entry->dn;
  Remember(username, password, *id);
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

// --- mozilla mode

UserId LdapAuthenticator::UidNumberOf(const LdapEntry& entry) const {
  const auto number = ParsePositive(entry.First("uidNumber").value_or(""));
  if (!number || *number <= 0) {
    throw BackendError("ldap: " + entry.dn + " has no valid uidNumber");
  }
  return *number;
}

std::string LdapAuthenticator::NewEntryDn(std::string_view username) const {
  if (UsesDirectBind()) {
    return FillTemplate(config_.user_dn_template, "{user}", EscapeDnValue(username));
  }
  return config_.login_attribute + "=" + EscapeDnValue(username) + "," + config_.users_dn;
}

// The counter entry holds the last uidNumber given out. Taking the next one is a single
// modify that deletes the old value and adds the new one: if another writer got there
// first, the delete fails (noSuchAttribute) and we read again, as Mozilla's servers did.
UserId LdapAuthenticator::AllocateUidNumber() {
  LdapLink& admin = *admin_;
  const int timeout_ms = config_.operation_timeout_ms;
  for (int attempt = 0; attempt < kMaxAllocationAttempts; ++attempt) {
    const SearchRequest counter_read{
        config_.uid_counter_dn, LDAP_SCOPE_BASE, "(objectClass=*)", {"uidNumber"}, 1};
    std::vector<LdapEntry> counter;
    admin.Check(admin.Run("read uid counter", SearchOperation(counter_read, timeout_ms, counter)),
                "read uid counter");
    if (counter.empty()) {
      // First account: start the counter above every uidNumber already in the directory.
      const SearchRequest all{
          config_.base_dn, LDAP_SCOPE_SUBTREE, "(uidNumber=*)", {"uidNumber"}, 0};
      std::vector<LdapEntry> numbered;
      admin.Check(admin.Run("find uidNumbers", SearchOperation(all, timeout_ms, numbered)),
                  "find uidNumbers");
      int64_t highest = 0;
      for (const LdapEntry& entry : numbered) {
        highest =
            std::max(highest, ParsePositive(entry.First("uidNumber").value_or("")).value_or(0));
      }
      const std::string& dn = config_.uid_counter_dn;
      const std::string cn = dn.substr(3, dn.find(',') - 3);
      ModList entry;
      entry.Add(LDAP_MOD_ADD, "objectClass", {"device", "dataStore"});
      entry.Add(LDAP_MOD_ADD, "cn", {cn});
      entry.Add(LDAP_MOD_ADD, "uidNumber", {std::to_string(highest)});
      const int code = admin.Run("create uid counter", [&](LDAP* ld) {
        return ldap_add_ext_s(ld, dn.c_str(), entry.Get(), nullptr, nullptr);
      });
      admin.Check(code, "create uid counter " + dn, {LDAP_ALREADY_EXISTS});
      continue;
    }
    const auto current = ParsePositive(counter.front().First("uidNumber").value_or(""));
    if (!current) {
      throw BackendError("ldap: " + config_.uid_counter_dn + " has no valid uidNumber");
    }
    const UserId next = *current + 1;
    ModList change;
    change.Add(LDAP_MOD_DELETE, "uidNumber", {std::to_string(*current)});
    change.Add(LDAP_MOD_ADD, "uidNumber", {std::to_string(next)});
    const int code = admin.Run("bump uid counter", [&](LDAP* ld) {
      return ldap_modify_ext_s(ld, config_.uid_counter_dn.c_str(), change.Get(), nullptr, nullptr);
    });
    if (code == LDAP_NO_SUCH_ATTRIBUTE) {
      continue;  // another writer took this number
    }
    admin.Check(code, "bump uid counter");
    // Skip numbers held by entries created behind the counter's back (imports).
    const SearchRequest taken{config_.base_dn,
                              LDAP_SCOPE_SUBTREE,
                              "(&" + AnyUserFilter() + "(uidNumber=" + std::to_string(next) + "))",
                              {"1.1"},
                              1};
    std::vector<LdapEntry> holders;
    admin.Check(admin.Run("check uidNumber", SearchOperation(taken, timeout_ms, holders)),
                "check uidNumber");
    if (holders.empty()) {
      return next;
    }
  }
  throw BackendError("ldap: no free uidNumber after " + std::to_string(kMaxAllocationAttempts) +
                     " attempts");
}

// --- AccountStore

std::optional<AccountInfo> LdapAuthenticator::FindUser(std::string_view username) {
  if (!IsReadonly()) {
    const auto entry = FindByLogin(username);
    if (!entry) {
      return std::nullopt;
    }
    return AccountInfo{UidNumberOf(*entry), std::string(username),
                       entry->First(config_.email_attribute).value_or(""),
                       IsEnabled(*entry) ? 1 : 0};
  }
  const auto enrolment = FindEnrolment(username);
  if (!enrolment) {
    return std::nullopt;
  }
  AccountInfo account{enrolment->id, std::string(username), "", 1};
  // With direct binds and no service account, nobody may read the directory for us.
  if (!UsesDirectBind() || !config_.bind_dn.empty()) {
    const auto entry = FindByEntryId(enrolment->entry_id);
    account.email = entry ? entry->First(config_.email_attribute).value_or("") : "";
    account.status = entry && IsEnabled(*entry) ? 1 : 0;
  }
  return account;
}

CreateResult LdapAuthenticator::CreateUser(std::string_view username, std::string_view password,
                                           std::string_view email) {
  if (IsReadonly()) {
    return EnrolDirectoryAccount(username, password, email);
  }
  if (FindByLogin(username)) {
    return {CreateOutcome::kNameTaken, 0};
  }
  const UserId id = AllocateUidNumber();
  const std::string dn = NewEntryDn(username);
  const std::string name(username);
  ModList entry;
  entry.Add(LDAP_MOD_ADD, "objectClass", {"inetOrgPerson", "dataStore"});
  entry.Add(LDAP_MOD_ADD, "cn", {name});
  entry.Add(LDAP_MOD_ADD, "sn", {name});
  entry.Add(LDAP_MOD_ADD, config_.login_attribute, {name});
  entry.Add(LDAP_MOD_ADD, "uidNumber", {std::to_string(id)});
  entry.Add(LDAP_MOD_ADD, "userPassword", {SshaPassword(password)});
  if (!email.empty()) {
    entry.Add(LDAP_MOD_ADD, config_.email_attribute, {std::string(email)});
  }
  // A verification token, as Mozilla set it; nothing here verifies addresses.
  entry.Add(LDAP_MOD_ADD, "mail-verified", {HexEncode(Sha1(RandomBytes(20)))});
  entry.Add(LDAP_MOD_ADD, "account-enabled", {"Yes"});
  entry.Add(LDAP_MOD_ADD, "primaryNode", {"weave:" + config_.node});
  entry.Add(LDAP_MOD_ADD, "rescueNode", {"weave:"});
  if (!config_.node.empty()) {
    entry.Add(LDAP_MOD_ADD, "syncNode", {config_.node});
  }
  const int code = admin_->Run("add user", [&](LDAP* ld) {
    return ldap_add_ext_s(ld, dn.c_str(), entry.Get(), nullptr, nullptr);
  });
  if (code == LDAP_ALREADY_EXISTS) {
    return {CreateOutcome::kNameTaken, 0};
  }
  admin_->Check(code, "add " + dn);
  Log(LogLevel::kInfo) << "ldap: created " << dn << " (uidNumber " << id << ")";
  return {CreateOutcome::kCreated, id};
}

ChangeOutcome LdapAuthenticator::SetPassword(std::string_view username, std::string_view password) {
  if (IsReadonly()) {
    return ChangeOutcome::kManagedElsewhere;
  }
  const auto entry = FindByLogin(username);
  if (!entry) {
    return ChangeOutcome::kNoSuchUser;
  }
  ModList change;
  change.Add(LDAP_MOD_REPLACE, "userPassword", {SshaPassword(password)});
  admin_->Check(admin_->Run("change password",
                            [&](LDAP* ld) {
                              return ldap_modify_ext_s(ld, entry->dn.c_str(), change.Get(), nullptr,
                                                       nullptr);
                            }),
                "change password of " + entry->dn);
  Forget(username);
  return ChangeOutcome::kChanged;
}

ChangeOutcome LdapAuthenticator::SetEmail(std::string_view username, std::string_view email) {
  if (IsReadonly()) {
    return ChangeOutcome::kManagedElsewhere;
  }
  const auto entry = FindByLogin(username);
  if (!entry) {
    return ChangeOutcome::kNoSuchUser;
  }
  ModList change;
  change.Add(LDAP_MOD_REPLACE, config_.email_attribute, {std::string(email)});
  admin_->Check(admin_->Run("change e-mail",
                            [&](LDAP* ld) {
                              return ldap_modify_ext_s(ld, entry->dn.c_str(), change.Get(), nullptr,
                                                       nullptr);
                            }),
                "change e-mail of " + entry->dn);
  return ChangeOutcome::kChanged;
}

std::optional<UserId> LdapAuthenticator::DeleteUser(std::string_view username) {
  Forget(username);
  if (IsReadonly()) {
    const auto enrolment = FindEnrolment(username);
    if (!enrolment) {
      return std::nullopt;
    }
    StatementScope remove(db_.Prepare("DELETE FROM ldap_users WHERE id = ?"));
    remove->BindInt(0, enrolment->id);
    remove->Step();
    return enrolment->id;
  }
  const auto entry = FindByLogin(username);
  if (!entry) {
    return std::nullopt;
  }
  const UserId id = UidNumberOf(*entry);
  const int code = admin_->Run("delete user", [&](LDAP* ld) {
    return ldap_delete_ext_s(ld, entry->dn.c_str(), nullptr, nullptr);
  });
  admin_->Check(code, "delete " + entry->dn, {LDAP_NO_SUCH_OBJECT});
  return id;
}

}  // namespace weave
