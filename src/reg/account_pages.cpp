// The account pages: plain HTML forms, served by the same workers, for
// resetting a forgotten password (the link in the reset mail) and deleting an account.
// No JavaScript and no external assets. Every form is protected against cross-site
// submission by a double-submit token: a random value in the weave_csrf cookie and the
// same value in a hidden field; a POST where the two are missing or differ gets 403.
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

constexpr std::string_view kStyle =
    "body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.5;color:#222;background:#fff}"
    "h1{font-size:1.4rem}[hidden]{display:none!important}"
    "label{display:block;margin-top:1rem;font-weight:600}"
    "label.check{font-weight:normal}"
    "input[type=text],input[type=email],input[type=password]{display:block;width:100%;"
    "box-sizing:border-box;padding:.4rem;font-size:1rem;margin-top:.2rem}"
    "button{margin-top:1.2rem;padding:.5rem 1.2rem;font-size:1rem}"
    ".error{color:#a00000;border-left:4px solid #a00000;padding-left:.6rem}"
    ".hint{color:#555;font-size:.9rem}"
    "@media (prefers-color-scheme:dark){body{color:#eee;background:#181818}"
    ".error{color:#ff8080;border-color:#ff8080}.hint{color:#bbb}}";

std::string ErrorBlock(std::string_view message) {
  if (message.empty()) {
    return {};
  }
  return R"(<p class="error" role="alert" id="form-error">)" + HtmlEscape(message) + "</p>";
}

std::string HiddenField(std::string_view name, std::string_view value) {
  return R"(<input type="hidden" name=")" + HtmlEscape(name) + "\" value=\"" + HtmlEscape(value) +
         "\">";
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

// A complete page with the security headers every account page carries and the CSRF
// cookie set to token.
Response HtmlPage(const Request& request, const Config& config, int status, std::string_view title,
                  std::string_view content, std::string_view token) {
  Response response;
  response.status = status;
  response.content_type = "text/html; charset=utf-8";
  response.body =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<meta name=\"referrer\" content=\"no-referrer\">"
      "<title>" +
      HtmlEscape(title) + " - Sync</title><style>" + std::string(kStyle) +
      "</style></head>\n<body><main><h1>" + HtmlEscape(title) + "</h1>\n" + std::string(content) +
      "\n</main></body></html>\n";
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
  response.SetHeader("Set-Cookie", std::string(kCsrfCookie) + "=" + std::string(token) +
                                       "; Path=/; HttpOnly; SameSite=Strict" +
                                       (secure ? "; Secure" : ""));
  return response;
}

std::string CsrfField(std::string_view token) {
  return HiddenField(kCsrfField, token);
}

std::string RequestResetForm(std::string_view token, std::string_view username,
                             std::string_view error) {
  return ErrorBlock(error) +
         "<p>Forgot the password of your Sync account? Enter your user name or the e-mail "
         "address you signed up with, and we will mail you a link to choose a new one.</p>"
         "<form method=\"post\">" +
         CsrfField(token) +
         "<label for=\"username\">User name or e-mail address</label>"
         "<input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" "
         "autocapitalize=\"none\" spellcheck=\"false\" required value=\"" +
         HtmlEscape(username) + R"("><button type="submit">Send reset link</button></form>)";
}

std::string NewPasswordForm(std::string_view token, std::string_view username, std::string_view key,
                            int min_bytes, std::string_view error) {
  return ErrorBlock(error) + "<p>Choose a new password for the Sync account <strong>" +
         HtmlEscape(username) +
         "</strong>.</p>"
         "<form method=\"post\">" +
         CsrfField(token) + HiddenField("key", key) +
         // Visible to password managers, so they store the new password for this account.
         R"(<input type="text" name="username" value=")" + HtmlEscape(username) +
         "\" autocomplete=\"username\" readonly hidden>"
         "<label for=\"password\">New password</label>"
         "<input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"new-password\" "
         "required minlength=\"" +
         std::to_string(min_bytes) + R"(" aria-describedby="password-hint">)" +
         R"(<p class="hint" id="password-hint">At least )" + std::to_string(min_bytes) +
         " characters, and not your user name.</p>"
         "<label for=\"confirm\">New password again</label>"
         "<input type=\"password\" id=\"confirm\" name=\"confirm\" autocomplete=\"new-password\" "
         "required>"
         "<button type=\"submit\">Change password</button></form>";
}

std::string InvalidLinkContent() {
  return "<p class=\"error\" role=\"alert\">This password reset link is invalid or has "
         "expired. Each link works only once.</p>"
         "<p><a href=\"weave-password-reset\">Ask for a new link</a></p>";
}

std::string DeleteForm(std::string_view token, std::string_view username, std::string_view error) {
  return ErrorBlock(error) +
         "<p>This deletes your Sync account and all the data stored with it on this server "
         "(bookmarks, history, passwords, tabs and settings synced here). The data on your "
         "devices stays. This cannot be undone.</p>"
         "<form method=\"post\">" +
         CsrfField(token) +
         "<label for=\"username\">User name or e-mail address</label>"
         "<input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" "
         "autocapitalize=\"none\" spellcheck=\"false\" required value=\"" +
         HtmlEscape(username) +
         "\">"
         "<label for=\"password\">Password</label>"
         "<input type=\"password\" id=\"password\" name=\"password\" "
         "autocomplete=\"current-password\" required>"
         "<label class=\"check\" for=\"confirm\"><input type=\"checkbox\" id=\"confirm\" "
         "name=\"confirm\" value=\"yes\" required> I understand that my account and its "
         "synced data will be deleted for good.</label>"
         "<button type=\"submit\">Delete my account</button></form>";
}

Response CsrfRefused(const Request& request, const Config& config) {
  const std::string token = HexEncode(RandomBytes(kCsrfTokenChars / 2));
  return HtmlPage(request, config, 403, "Form expired",
                  "<p class=\"error\" role=\"alert\">This form was too old or did not come "
                  "from this site, so nothing was changed. Please go back, reload the page "
                  "and try again.</p>",
                  token);
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
  const Config& config = call.services.config;
  const std::string token = CsrfTokenFor(request);
  if (const auto notice = call.services.accounts.ExternalPasswordNotice()) {
    return HtmlPage(request, config, 403, "Reset your password",
                    "<p>" + HtmlEscape(*notice) + "</p>", token);
  }
  const Fields query(request.query);
  const auto username = query.Find("username");
  const auto key = query.Find("key");
  if (!username && !key) {
    return HtmlPage(request, config, 200, "Reset your password", RequestResetForm(token, "", ""),
                    token);
  }
  if (!username || !key) {
    return HtmlPage(request, config, 400, "Reset your password", InvalidLinkContent(), token);
  }
  if (!IsValidUsername(*username) || !CheckResetCode(call, *username, *key, false)) {
    return HtmlPage(request, config, 400, "Reset your password", InvalidLinkContent(), token);
  }
  return HtmlPage(request, config, 200, "Choose a new password",
                  NewPasswordForm(token, *username, *key, config.accounts.min_password_bytes, ""),
                  token);
}

namespace {

// Step 1 of a reset by page: mail a link to the account typed, if it exists. The answer is
// the same whether or not it does.
Response MailResetLink(const RegContext& call, std::string_view token, const std::string& typed) {
  const Request& request = call.context.request;
  const Config& config = call.services.config;
  if (TrimSpace(typed).empty()) {
    return HtmlPage(request, config, 400, "Reset your password",
                    RequestResetForm(token, typed, "Please enter your user name."), token);
  }
  if (!CanSendResetMail(call)) {
    return HtmlPage(request, config, 503, "Reset your password",
                    "<p class=\"error\" role=\"alert\">This server cannot send mail, so "
                    "passwords cannot be reset here. Please ask the server's "
                    "administrator.</p>",
                    token);
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
  return HtmlPage(request, config, 200, "Check your mail",
                  "<p>If an account with that name or address exists and has an e-mail "
                  "address on file, a message with a link to choose a new password has "
                  "been sent to it. The link works once and expires in " +
                      std::to_string(config.accounts.reset_code_lifetime_seconds / 3600) +
                      " hours.</p>",
                  token);
}

// Step 2: set the new password with the code from the mail.
Response SetPasswordWithCode(const RegContext& call, std::string_view token, const Fields& form,
                             const std::string& username, const std::string& key) {
  const Request& request = call.context.request;
  const Config& config = call.services.config;
  const auto invalid = [&] {
    return HtmlPage(request, config, 400, "Reset your password", InvalidLinkContent(), token);
  };
  if (!IsValidUsername(username) || !CheckResetCode(call, username, key, false)) {
    return invalid();
  }
  const std::string password = form.Get("password");
  const auto again = [&](std::string_view error) {
    return HtmlPage(
        request, config, 400, "Choose a new password",
        NewPasswordForm(token, username, key, config.accounts.min_password_bytes, error), token);
  };
  if (password.empty()) {
    return again("Please enter a new password.");
  }
  if (password != form.Get("confirm")) {
    return again("The two passwords do not match.");
  }
  try {
    CheckPasswordStrength(call, username, password);
  } catch (const BadRequest&) {
    return again("That password is too weak or too long: use at least " +
                 std::to_string(config.accounts.min_password_bytes) + " characters (at most " +
                 std::to_string(kMaxPasswordBytes) + " bytes), and not your user name.");
  }
  if (!call.services.state.ConsumeResetCode(username, key)) {
    return invalid();  // used up by a concurrent request
  }
  if (call.services.accounts.SetPassword(username, password) != ChangeOutcome::kChanged) {
    return invalid();  // the account is gone
  }
  call.services.state.ClearResetCode(username);
  // Proving control of the mailbox lifts a lockout of the account name.
  call.services.logins.ClearUserFailures(username);
  Audit(call, SecurityEvent::kPasswordReset, username);
  return HtmlPage(request, config, 200, "Password changed",
                  "<p>The password of <strong>" + HtmlEscape(username) +
                      "</strong> has been changed. Enter the new password in the Sync "
                      "settings of each of your devices.</p>",
                  token);
}

}  // namespace

Response PostPasswordResetPage(const RegContext& call) {
  const Request& request = call.context.request;
  const Config& config = call.services.config;
  if (const auto notice = call.services.accounts.ExternalPasswordNotice()) {
    const std::string token = CsrfTokenFor(request);
    return HtmlPage(request, config, 403, "Reset your password",
                    "<p>" + HtmlEscape(*notice) + "</p>", token);
  }
  const Fields form(request.body);
  if (!CsrfTokenMatches(request, form)) {
    return CsrfRefused(request, config);
  }
  const std::string token = CsrfTokenFor(request);
  const std::string typed = form.Get("username");
  const auto key = form.Find("key");
  if (!key) {
    return MailResetLink(call, token, typed);
  }
  return SetPasswordWithCode(call, token, form, typed, *key);
}

Response GetDeleteAccountPage(const RegContext& call) {
  const Request& request = call.context.request;
  const Config& config = call.services.config;
  const std::string token = CsrfTokenFor(request);
  return HtmlPage(request, config, 200, "Delete your Sync account", DeleteForm(token, "", ""),
                  token);
}

Response PostDeleteAccountPage(const RegContext& call) {
  const Request& request = call.context.request;
  const Config& config = call.services.config;
  const Fields form(request.body);
  if (!CsrfTokenMatches(request, form)) {
    return CsrfRefused(request, config);
  }
  const std::string token = CsrfTokenFor(request);
  const std::string typed = form.Get("username");
  const std::string password = form.Get("password");
  const auto again = [&](int status, std::string_view error) {
    return HtmlPage(request, config, status, "Delete your Sync account",
                    DeleteForm(token, typed, error), token);
  };
  if (TrimSpace(typed).empty() || password.empty()) {
    return again(400, "Please enter your user name and password.");
  }
  if (form.Get("confirm") != "yes") {
    return again(400, "Please tick the box to confirm that the account should be deleted.");
  }
  const std::string username = ResolveAccountName(call, typed);
  if (!IsValidUsername(username)) {
    return again(401, "Wrong user name or password.");
  }
  const LoginResult login = call.services.logins.Check(
      username, password, EventSourceOf(request, call.context.client_address));
  if (login.status == LoginStatus::kLocked) {
    return again(401,
                 "Too many failed attempts: this account is locked for a while. "
                 "Please try again later.");
  }
  if (login.status != LoginStatus::kAccepted) {
    return again(401, "Wrong user name or password.");
  }
  DeleteAccount(call.services, username, login.user_id);
  Audit(call, SecurityEvent::kAccountDeleted, username);
  return HtmlPage(request, config, 200, "Account deleted",
                  "<p>The Sync account <strong>" + HtmlEscape(username) +
                      "</strong> and all its data on this server have been deleted. Turn off "
                      "Sync on your devices, or set them up with another account.</p>",
                  token);
}

}  // namespace weave
