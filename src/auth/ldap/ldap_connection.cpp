// One libldap connection with failover, TLS, timeouts and reconnects; the only file that
// includes <ldap.h>.
#include "auth/ldap/ldap_connection.h"

#include <ldap.h>

#include <chrono>
#include <functional>
#include <initializer_list>
#include <utility>

#include "auth/ldap/ldap_text.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/metrics.h"

namespace weave {
namespace {

// Every failure to reach or use the directory is counted (core/metrics.h), then thrown.
[[noreturn]] void ThrowDirectoryError(const std::string& detail) {
  CountMetric(MetricEvent::kDirectoryError);
  throw BackendError(detail);
}

// A connection is reopened after this long, so a worker that failed over to a later URL
// comes back to the first one.
constexpr auto kMaxConnectionAge = std::chrono::minutes(10);

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

// Owns the strings and arrays a libldap add or modify takes as LDAPMod**.
class ModList {
 public:
  explicit ModList(const std::vector<LdapChange>& changes) {
    for (const LdapChange& change : changes) {
      const int op = change.op == LdapChange::Op::kAdd      ? LDAP_MOD_ADD
                     : change.op == LdapChange::Op::kDelete ? LDAP_MOD_DELETE
                                                            : LDAP_MOD_REPLACE;
      items_.push_back(Item{op, change.attribute, change.values, {}, {}});
    }
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

// The libldap handle of an LdapConnection: opening (failover, TLS, options), binding, and
// running one operation with one retry on a connection that went away.
class LdapConnection::Handle {
 public:
  using Operation = std::function<int(LDAP*)>;

  // dn/password: the identity Run() binds as (empty dn: anonymous).
  Handle(const LdapConfig& config, std::string name, std::string dn, std::string password)
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
        ThrowDirectoryError("ldap " + name_ + ": " + std::string(what) + ": " + detail);
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
        ThrowDirectoryError("ldap " + name_ + ": bind: " + detail);
      }
    }
  }

  // Runs op as whoever BindAs() last bound (no reconnect: that would lose the identity).
  int RunBound(std::string_view what, const Operation& op) {
    if (!ld_) {
      ThrowDirectoryError("ldap " + name_ + ": " + std::string(what) + ": not connected");
    }
    const int code = op(ld_.get());
    if (IsConnectionError(code)) {
      const std::string detail = Describe(ld_.get(), code);
      Close();
      ThrowDirectoryError("ldap " + name_ + ": " + std::string(what) + ": " + detail);
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
    ThrowDirectoryError("ldap " + name_ + ": " + std::string(what) + ": " +
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
        ThrowDirectoryError("ldap " + name_ + ": bind as " + dn_ + ": " + detail);
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
    ThrowDirectoryError("ldap " + name_ + ": no directory server answered (" + failures + ")");
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

// A search as one operation for Handle::Run/RunBound: fills entries and returns the code.
// A missing base (noSuchObject) is an empty answer; a size limit keeps what arrived.
std::function<int(LDAP*)> SearchOperation(const LdapSearch& request, int timeout_ms,
                                          std::vector<LdapEntry>& entries) {
  return [&request, timeout_ms, &entries](LDAP* ld) {
    std::vector<char*> attributes;
    for (const std::string& name : request.attributes) {
      attributes.push_back(const_cast<char*>(name.c_str()));  // libldap does not write them
    }
    attributes.push_back(nullptr);
    timeval timeout = ToTimeval(timeout_ms);
    LDAPMessage* raw = nullptr;
    const int scope = request.scope == LdapScope::kBase ? LDAP_SCOPE_BASE : LDAP_SCOPE_SUBTREE;
    int code = ldap_search_ext_s(ld, request.base.c_str(), scope, request.filter.c_str(),
                                 attributes.data(), 0, nullptr, nullptr, &timeout,
                                 request.size_limit, &raw);
    const MessagePtr result(raw);  // present even on failure
    entries.clear();
    if (code == LDAP_SUCCESS || code == LDAP_SIZELIMIT_EXCEEDED) {
      entries = ReadEntries(ld, result.get());
      code = LDAP_SUCCESS;
    } else if (code == LDAP_NO_SUCH_OBJECT ||
               (code == LDAP_INVALID_DN_SYNTAX && request.invalid_base_is_empty)) {
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

LdapConnection::LdapConnection(const LdapConfig& config, std::string name, std::string dn,
                               std::string password)
    : config_(config),
      handle_(
          std::make_unique<Handle>(config, std::move(name), std::move(dn), std::move(password))) {}

LdapConnection::~LdapConnection() = default;

std::vector<LdapEntry> LdapConnection::Search(std::string_view what, const LdapSearch& request) {
  std::vector<LdapEntry> entries;
  handle_->Check(
      handle_->Run(what, SearchOperation(request, config_.operation_timeout_ms, entries)), what);
  return entries;
}

std::vector<LdapEntry> LdapConnection::SearchAsBound(std::string_view what,
                                                     const LdapSearch& request) {
  std::vector<LdapEntry> entries;
  handle_->Check(
      handle_->RunBound(what, SearchOperation(request, config_.operation_timeout_ms, entries)),
      what);
  return entries;
}

LdapWriteStatus LdapConnection::Add(std::string_view what, const std::string& dn,
                                    const std::vector<LdapChange>& attributes) {
  ModList entry(attributes);
  const int code = handle_->Run(what, [&](LDAP* ld) {
    return ldap_add_ext_s(ld, dn.c_str(), entry.Get(), nullptr, nullptr);
  });
  if (code == LDAP_ALREADY_EXISTS) {
    return LdapWriteStatus::kAlreadyExists;
  }
  handle_->Check(code, what);
  return LdapWriteStatus::kDone;
}

LdapWriteStatus LdapConnection::Modify(std::string_view what, const std::string& dn,
                                       const std::vector<LdapChange>& changes) {
  ModList change(changes);
  const int code = handle_->Run(what, [&](LDAP* ld) {
    return ldap_modify_ext_s(ld, dn.c_str(), change.Get(), nullptr, nullptr);
  });
  if (code == LDAP_NO_SUCH_ATTRIBUTE) {
    return LdapWriteStatus::kNoSuchAttribute;
  }
  handle_->Check(code, what);
  return LdapWriteStatus::kDone;
}

LdapWriteStatus LdapConnection::Delete(std::string_view what, const std::string& dn) {
  const int code = handle_->Run(
      what, [&](LDAP* ld) { return ldap_delete_ext_s(ld, dn.c_str(), nullptr, nullptr); });
  if (code == LDAP_NO_SUCH_OBJECT) {
    return LdapWriteStatus::kNoSuchObject;
  }
  handle_->Check(code, what);
  return LdapWriteStatus::kDone;
}

bool LdapConnection::BindAs(const std::string& dn, std::string_view password) {
  const int code = handle_->BindAs(dn, password);
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
      handle_->Check(code, "bind as user");
      return false;
  }
}

}  // namespace weave
