// The account pages: plain HTML forms, served by the same workers, for
// resetting a forgotten password (the link in the reset mail) and deleting an account.
// No JavaScript and no external assets. Every form is protected against cross-site
// submission by a double-submit token: a random value in the weave_csrf cookie and the
// same value in a hidden field; a POST where the two are missing or differ gets 403. The
// HTML comes from templates (reg/page_templates.h) in the language Accept-Language asks for.
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "auth/basic_login.h"
#include "auth/password_hash.h"
#include "core/crypto.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/text.h"
#include "core/user_name.h"
#include "http/accept_language.h"
#include "http/query_string.h"
#include "reg/registration_rules.h"

namespace weave {
namespace {

constexpr std::string_view kCsrfCookie = "weave_csrf";
constexpr std::string_view kCsrfField = "csrf_token";
constexpr size_t kCsrfTokenChars = 32;  // 16 random bytes in hex

bool IsToken(std::string_view token) {
  if (token.size() != kCsrfTokenChars) {
    return false;
  }
  for (const char c : token) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

// Form fields or query parameters by name; the first occurrence wins.
class Fields {
 public:
  explicit Fields(std::string_view encoded) : params_(ParseQueryString(encoded)) {}
  std::optional<std::string> Find(std::string_view name) const {
    for (const auto& [key, value] : params_) {
      if (key == name) {
        return value;
      }
    }
    return std::nullopt;
  }
  std::string Get(std::string_view name) const { return Find(name).value_or(""); }

 private:
  QueryParams params_;
};

std::optional<std::string> CookieValue(const Request& request, std::string_view name) {
  const std::string* header = request.Header("COOKIE");
  if (header == nullptr) {
    return std::nullopt;
  }
  std::string_view rest = *header;
  while (!rest.empty()) {
    const size_t semicolon = rest.find(';');
    const std::string_view pair = TrimSpace(rest.substr(0, semicolon));
    rest = semicolon == std::string_view::npos ? std::string_view() : rest.substr(semicolon + 1);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && TrimSpace(pair.substr(0, eq)) == name) {
      return std::string(TrimSpace(pair.substr(eq + 1)));
    }
  }
  return std::nullopt;
}

// The CSRF token for this response: the browser's current one when it sent a well-formed
// cookie (so several open tabs keep working), else a fresh random one.
std::string CsrfTokenFor(const Request& request) {
  if (const auto cookie = CookieValue(request, kCsrfCookie); cookie && IsToken(*cookie)) {
    return *cookie;
  }
  return HexEncode(RandomBytes(kCsrfTokenChars / 2));
}

// True when the form's hidden token equals the cookie's, both present and well-formed.
bool CsrfTokenMatches(const Request& request, const Fields& form) {
  const auto cookie = CookieValue(request, kCsrfCookie);
  const auto field = form.Find(kCsrfField);
  return cookie && field && IsToken(*cookie) && ConstantTimeEquals(*cookie, *field);
}

// What every page of one request shares: the CSRF token it sets and its language.
struct PageCall {
  const RegContext& call;
  std::string token;
  std::string language;
};

PageCall PageCallFor(const RegContext& call, std::string token) {
  const std::string* accept = call.context.request.Header("ACCEPT_LANGUAGE");
  return {call, std::move(token),
          ChooseLanguage(accept != nullptr ? *accept : "", call.services.pages.Languages(),
                         std::string(PageTemplates::kDefaultLanguage))};
}

using PageValues = std::initializer_list<std::pair<const char*, std::string>>;

// The template name rendered into a complete answer, with the security headers every account
// page carries and the CSRF cookie set to the page's token. section: one {{#SECTION}} to show
// (an error message), or empty. The template engine escapes every value.
Response Page(const PageCall& page, int status, std::string_view name, PageValues values = {},
              std::string_view section = "") {
  const Request& request = page.call.context.request;
  const Config& config = page.call.services.config;
  ctemplate::TemplateDictionary dictionary("page");
  dictionary.SetValue("CSRF_TOKEN", page.token);
  for (const auto& [key, value] : values) {
    dictionary.SetValue(key, value);
  }
  if (!section.empty()) {
    dictionary.ShowSection(std::string(section));
  }
  Response response;
  response.status = status;
  response.content_type = "text/html; charset=utf-8";
  response.body = page.call.services.pages.Render(page.language, name, dictionary);
  response.SetHeader("Content-Language", page.language);
  response.SetHeader("Vary", "Accept-Language");
  response.SetHeader("Cache-Control", "no-store");
  response.SetHeader("Pragma", "no-cache");
  response.SetHeader("X-Frame-Options", "DENY");
  response.SetHeader("X-Content-Type-Options", "nosniff");
  response.SetHeader("Referrer-Policy", "no-referrer");
  response.SetHeader("Content-Security-Policy",
                     "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
  // Secure when the browser reached us over TLS, directly or through a trusted proxy.
  bool secure = request.scheme == "https";
  const auto& proxies = config.server.trusted_proxies;
  for (const std::string& proxy : proxies) {
    const std::string* proto = request.Header("X_FORWARDED_PROTO");
    if (proxy == request.remote_addr && proto != nullptr && *proto == "https") {
      secure = true;
    }
  }
  response.SetHeader("Set-Cookie", std::string(kCsrfCookie) + "=" + page.token +
                                       "; Path=/; HttpOnly; SameSite=Strict" +
                                       (secure ? "; Secure" : ""));
  return response;
}

Response CsrfRefused(const RegContext& call) {
  return Page(PageCallFor(call, HexEncode(RandomBytes(kCsrfTokenChars / 2))), 403,
              "form_expired.html");
}

Response ManagedElsewhere(const PageCall& page, const std::string& notice) {
  return Page(page, 403, "reset_managed.html", {{"NOTICE", notice}});
}

Response NewPasswordForm(const PageCall& page, int status, const std::string& username,
                         const std::string& key, std::string_view error = "") {
  return Page(page, status, "reset_choose.html",
              {{"USERNAME", username},
               {"KEY", key},
               {"MIN_PASSWORD_BYTES",
                std::to_string(page.call.services.config.accounts.min_password_bytes)},
               {"MAX_PASSWORD_BYTES", std::to_string(kMaxPasswordBytes)}},
              error);
}

}  // namespace

std::string ResolveAccountName(const RegContext& call, std::string_view input) {
  std::string name = AccountNameFromInput(input);
  if (IsValidUsername(name) && !call.services.accounts.FindUser(name)) {
    // Firefox lower-cases plain user names; accept what the user typed either way.
    std::string lower = LowerAscii(name);
    if (lower != name && call.services.accounts.FindUser(lower)) {
      return lower;
    }
  }
  return name;
}

Response GetPasswordResetPage(const RegContext& call) {
  const Request& request = call.context.request;
  const PageCall page = PageCallFor(call, CsrfTokenFor(request));
  if (const auto notice = call.services.accounts.ExternalPasswordNotice()) {
    return ManagedElsewhere(page, *notice);
  }
  const Fields query(request.query);
  const auto username = query.Find("username");
  const auto key = query.Find("key");
  if (!username && !key) {
    return Page(page, 200, "reset_request.html", {{"USERNAME", ""}});
  }
  if (!username || !key || !IsValidUsername(*username) ||
      !CheckResetCode(call, *username, *key, false)) {
    return Page(page, 400, "reset_invalid.html");
  }
  return NewPasswordForm(page, 200, *username, *key);
}

namespace {

// Step 1 of a reset by page: mail a link to the account typed, if it exists. The answer is
// the same whether or not it does.
Response MailResetLink(const PageCall& page, const std::string& typed) {
  const RegContext& call = page.call;
  if (TrimSpace(typed).empty()) {
    return Page(page, 400, "reset_request.html", {{"USERNAME", typed}}, "ERROR_EMPTY");
  }
  if (!CanSendResetMail(call)) {
    return Page(page, 503, "reset_no_mail.html");
  }
  const std::string username = ResolveAccountName(call, typed);
  if (IsValidUsername(username)) {
    const auto account = call.services.accounts.FindUser(username);
    if (account && !account->email.empty()) {
      try {
        SendResetMail(call, *account);
      } catch (const BackendError& error) {
        // The page must look the same whether or not the account exists.
        Log(LogLevel::kError) << "password reset mail for " << account->username
                              << " not sent: " << error.what();
      }
    }
  }
  return Page(page, 200, "reset_sent.html",
              {{"HOURS",
                std::to_string(call.services.config.accounts.reset_code_lifetime_seconds / 3600)}});
}

// Step 2: set the new password with the code from the mail.
Response SetPasswordWithCode(const PageCall& page, const Fields& form, const std::string& username,
                             const std::string& key) {
  const RegContext& call = page.call;
  if (!IsValidUsername(username) || !CheckResetCode(call, username, key, false)) {
    return Page(page, 400, "reset_invalid.html");
  }
  const std::string password = form.Get("password");
  if (password.empty()) {
    return NewPasswordForm(page, 400, username, key, "ERROR_EMPTY");
  }
  if (password != form.Get("confirm")) {
    return NewPasswordForm(page, 400, username, key, "ERROR_MISMATCH");
  }
  try {
    CheckPasswordStrength(call, username, password);
  } catch (const BadRequest&) {
    return NewPasswordForm(page, 400, username, key, "ERROR_WEAK");
  }
  if (!call.services.state.ConsumeResetCode(username, key)) {
    return Page(page, 400, "reset_invalid.html");  // used up by a concurrent request
  }
  if (call.services.accounts.SetPassword(username, password) != ChangeOutcome::kChanged) {
    return Page(page, 400, "reset_invalid.html");  // the account is gone
  }
  call.services.state.ClearResetCode(username);
  // Proving control of the mailbox lifts a lockout of the account name.
  call.services.logins.ClearUserFailures(username);
  Audit(call, SecurityEvent::kPasswordReset, username);
  return Page(page, 200, "reset_done.html", {{"USERNAME", username}});
}

}  // namespace

Response PostPasswordResetPage(const RegContext& call) {
  const Request& request = call.context.request;
  if (const auto notice = call.services.accounts.ExternalPasswordNotice()) {
    return ManagedElsewhere(PageCallFor(call, CsrfTokenFor(request)), *notice);
  }
  const Fields form(request.body);
  if (!CsrfTokenMatches(request, form)) {
    return CsrfRefused(call);
  }
  const PageCall page = PageCallFor(call, CsrfTokenFor(request));
  const std::string typed = form.Get("username");
  const auto key = form.Find("key");
  if (!key) {
    return MailResetLink(page, typed);
  }
  return SetPasswordWithCode(page, form, typed, *key);
}

Response GetDeleteAccountPage(const RegContext& call) {
  return Page(PageCallFor(call, CsrfTokenFor(call.context.request)), 200, "delete_form.html",
              {{"USERNAME", ""}});
}

Response PostDeleteAccountPage(const RegContext& call) {
  const Request& request = call.context.request;
  const Fields form(request.body);
  if (!CsrfTokenMatches(request, form)) {
    return CsrfRefused(call);
  }
  const PageCall page = PageCallFor(call, CsrfTokenFor(request));
  const std::string typed = form.Get("username");
  const std::string password = form.Get("password");
  const auto again = [&](int status, std::string_view error) {
    return Page(page, status, "delete_form.html", {{"USERNAME", typed}}, error);
  };
  if (TrimSpace(typed).empty() || password.empty()) {
    return again(400, "ERROR_EMPTY");
  }
  if (form.Get("confirm") != "yes") {
    return again(400, "ERROR_UNCONFIRMED");
  }
  const std::string username = ResolveAccountName(call, typed);
  if (!IsValidUsername(username)) {
    return again(401, "ERROR_WRONG");
  }
  const LoginResult login = call.services.logins.Check(
      username, password, EventSourceOf(request, call.context.client_address));
  if (login.status == LoginStatus::kLocked) {
    return again(401, "ERROR_LOCKED");
  }
  if (login.status != LoginStatus::kAccepted) {
    return again(401, "ERROR_WRONG");
  }
  DeleteAccount(call.services, username, login.user_id);
  Audit(call, SecurityEvent::kAccountDeleted, username);
  return Page(page, 200, "delete_done.html", {{"USERNAME", username}});
}

}  // namespace weave
