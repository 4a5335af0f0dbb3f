// The User API 1.0 and misc 1.0 handlers: what Firefox's account wizard and password
// dialogs call. Bodies are plain text, as Mozilla's servers answered.
#include <algorithm>
#include <utility>

#include "auth/basic_login.h"
#include "auth/password_hash.h"
#include "core/crypto.h"
#include "core/errors.h"
#include "core/json_object.h"
#include "core/log.h"
#include "core/text.h"
#include "core/user_name.h"
#include "core/utf8.h"
#include "http/accept_language.h"
#include "http/query_string.h"
#include "reg/registration_rules.h"

namespace weave {
namespace {

Response Text(std::string_view body) {
  Response response;
  response.content_type = "text/plain; charset=utf-8";
  response.body = body;
  return response;
}

// A plausible address: one line, one '@', a dotted domain. Mail delivery is the real test.
bool IsValidEmail(std::string_view email) {
  const size_t at = email.rfind('@');
  if (email.size() > 254 || at == 0 || at == std::string_view::npos || at + 1 >= email.size()) {
    return false;
  }
  const std::string_view domain = email.substr(at + 1);
  if (domain.find('.') == std::string_view::npos || domain.front() == '.' || domain.back() == '.') {
    return false;
  }
  for (const char c : email) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == ',') {
      return false;
    }
  }
  return IsValidUtf8(email);
}

std::string QueryValue(const Request& request, std::string_view name) {
  for (const auto& [key, value] : ParseQueryString(request.query)) {
    if (key == name) {
      return value;
    }
  }
  return {};
}

}  // namespace

bool CheckResetCode(const RegContext& call, std::string_view username, std::string_view code,
                    bool consume) {
  const EventSource source = EventSourceOf(call.context.request, call.context.client_address);
  if (!call.services.logins.MayTry(username, source)) {
    return false;
  }
  AccountState& state = call.services.state;
  if (consume ? state.ConsumeResetCode(username, code) : state.IsValidResetCode(username, code)) {
    return true;
  }
  call.services.logins.RecordRejected(username, source);
  return false;
}

void Audit(const RegContext& call, SecurityEvent event, std::string_view username) {
  LogSecurityEvent(event, username,
                   EventSourceOf(call.context.request, call.context.client_address));
}

namespace {

// The node URL a client should use: public_url when configured; otherwise rebuilt from
// what the web server saw (a trusted proxy's X-Forwarded-Proto/-Host first), keeping a
// non-default port that Debian's nginx would otherwise drop.
std::string NodeUrl(const RegContext& call) {
  const Request& request = call.context.request;
  std::string url = call.services.config.server.public_url;
  if (url.empty()) {
    std::string scheme = request.scheme;
    std::string host;
    if (const std::string* own_host = request.Header("HOST")) {
      host = *own_host;
    }
    const auto& proxies = call.services.config.server.trusted_proxies;
    if (std::find(proxies.begin(), proxies.end(), request.remote_addr) != proxies.end()) {
      if (const std::string* proto = request.Header("X_FORWARDED_PROTO")) {
        scheme = *proto == "https" ? "https" : "http";
      }
      if (const std::string* forwarded_host = request.Header("X_FORWARDED_HOST")) {
        host = *forwarded_host;
      }
    }
    const bool default_port = request.server_port.empty() ||
                              (scheme == "http" && request.server_port == "80") ||
                              (scheme == "https" && request.server_port == "443");
    if (host.find(':') == std::string::npos && host.find(']') == std::string::npos &&
        !default_port) {
      host += ":" + request.server_port;
    }
    url = scheme + "://" + host + call.services.config.server.path_prefix;
  }
  if (url.empty() || url.back() != '/') {
    url.push_back('/');  // clients append "1.1/<user>/" to it verbatim
  }
  return url;
}

}  // namespace

void CheckPasswordStrength(const RegContext& call, std::string_view username,
                           std::string_view password) {
  const bool long_enough =
      static_cast<int64_t>(password.size()) >= call.services.config.accounts.min_password_bytes;
  const bool too_long = password.size() > kMaxPasswordBytes;  // could not be hashed
  const bool is_username = LowerAscii(TrimSpace(password)) == LowerAscii(username);
  if (!long_enough || too_long || is_username || !IsValidUtf8(password) ||
      password.find('\0') != std::string_view::npos) {
    throw BadRequest(WeaveError::kWeakPassword, "password not strong enough");
  }
}

namespace {

// Throws unless the request passes the registration policy: 403 when registration is
// closed, BadRequest(kInvalidCaptcha) for a wrong invite or an unsolved captcha.
void CheckRegistrationAllowed(const RegContext& call, std::string_view username,
                              std::string_view captcha_response) {
  const Request& request = call.context.request;
  const RegistrationConfig& registration = call.services.config.registration;
  if (registration.policy == "closed") {
    Audit(call, SecurityEvent::kRegistrationRefused, username);
    throw HttpError(403, "Registration is closed on this server");
  }
  const std::string* secret = request.Header("X_WEAVE_SECRET");
  if (!registration.shared_secret.empty() && secret != nullptr &&
      ConstantTimeEquals(*secret, registration.shared_secret)) {
    return;  // the operator's own provisioning
  }
  if (registration.policy == "invite") {
    if (!call.services.state.ConsumeInvite(captcha_response, username)) {
      Audit(call, SecurityEvent::kRegistrationRefused, username);
      throw BadRequest(WeaveError::kInvalidCaptcha, "invalid or used invite code");
    }
    return;
  }
  if (!registration.captcha.verify_url.empty() &&
      !VerifyCaptcha(registration.captcha, captcha_response, call.context.client_address)) {
    throw BadRequest(WeaveError::kInvalidCaptcha, "captcha not solved");
  }
}

}  // namespace

Response GetUserExists(const RegContext& call) {
  const PathParams& params = call.context.params;
  return Text(call.services.accounts.FindUser(params.user) ? "1" : "0");
}

namespace {

// Creates the account, or enrols it when the back end is a read-only directory: that checks
// the password with a bind, so it goes through the same lockout and failure counting as a
// login. Throws for every outcome but kCreated.
void CreateAccount(const RegContext& call, const std::string& username, const std::string& password,
                   const std::string& email) {
  const EventSource source = EventSourceOf(call.context.request, call.context.client_address);
  const bool checks_password = call.services.accounts.ExternalPasswordNotice().has_value();
  if (checks_password && !call.services.logins.MayTry(username, source)) {
    throw HttpError(401, "Account locked");
  }
  switch (call.services.accounts.CreateUser(username, password, email).outcome) {
    case CreateOutcome::kCreated:
      if (checks_password) {
        call.services.logins.RecordAccepted(username, source);
      }
      return;
    case CreateOutcome::kNameTaken:
      throw BadRequest(WeaveError::kCannotOverwrite, "user exists");
    case CreateOutcome::kNotEmailHash:
      throw BadRequest(WeaveError::kEmailDoesNotMatchUser, "user name is not the e-mail's hash");
    case CreateOutcome::kNotInDirectory:
      call.services.logins.RecordRejected(username, source);
      // One answer for "no such entry", "wrong password" and "not allowed": the User API must
      // not tell which addresses the directory holds.
      throw HttpError(401, "No directory account with this name or e-mail and password");
  }
}

}  // namespace

namespace {

// The account's node, assigned now if it has none. A directory that already names a listed
// node (an account from Mozilla's servers) keeps it; a new assignment is also written
// where the back end keeps nodes itself (primaryNode). nullopt: every active node is full.
std::optional<std::string> NodeForAccount(const RegContext& call, const std::string& username) {
  NodeDirectory& nodes = call.services.nodes;
  if (auto node = nodes.NodeOf(username)) {
    return node;
  }
  if (const auto host = call.services.accounts.StoredNodeHost(username)) {
    for (const NodeInfo& node : nodes.List()) {
      if (NodeHost(node.url) == *host) {
        nodes.Reassign(username, node.url);
        return node.url;
      }
    }
  }
  auto node = nodes.Assign(username);
  if (node) {
    call.services.accounts.StoreNodeHost(username, NodeHost(*node));
  }
  return node;
}

// A new account gets its node at once when nodes are listed. Not fatal: the account exists,
// and node/weave assigns one later (when a node has room again, or the database answers).
void AssignNodeEarly(const RegContext& call, const std::string& username) {
  try {
    if (call.services.nodes.Any() && !NodeForAccount(call, username)) {
      Log(LogLevel::kWarning) << "no node has room for the new account " << username;
    }
  } catch (const BackendError& error) {
    Log(LogLevel::kWarning) << "node of the new account " << username
                            << " left for node/weave: " << error.what();
  }
}

}  // namespace

Response PutUser(const RegContext& call) {
  const Request& request = call.context.request;
  const PathParams& params = call.context.params;
  const std::string& username = params.user;
  if (call.services.accounts.FindUser(username)) {
    throw BadRequest(WeaveError::kCannotOverwrite, "user exists");
  }
  const auto body = JsonObjectFields::Parse(request.body);
  if (!body) {
    throw BadRequest(WeaveError::kJsonParseFailure, "account body is not a JSON object");
  }
  const auto text_field = [&body](const char* name) {
    return body->String(name);
  };
  const std::string email = text_field("email").value_or("");
  if (!email.empty() && !IsValidEmail(email)) {
    throw BadRequest(WeaveError::kNoEmail, "invalid e-mail address");
  }
  if (call.services.config.registration.require_hashed_username &&
      HashedUsername(email) != username) {
    throw BadRequest(WeaveError::kEmailDoesNotMatchUser, "user name is not the e-mail's hash");
  }
  const auto password = text_field("password");
  if (!password || password->empty()) {
    throw BadRequest(WeaveError::kMissingPassword, "password missing");
  }
  CheckPasswordStrength(call, username, *password);
  CheckRegistrationAllowed(call, username, text_field("captcha-response").value_or(""));
  CreateAccount(call, username, *password, email);
  Audit(call, SecurityEvent::kAccountCreated, username);
  AssignNodeEarly(call, username);
  return Text(username);
}

Response DeleteUser(const RegContext& call) {
  const PathParams& params = call.context.params;
  DeleteAccount(call.services, params.user, call.context.user_id);
  Audit(call, SecurityEvent::kAccountDeleted, params.user);
  return Text("0");  // the documented success answer
}

Response GetNode(const RegContext& call) {
  const PathParams& params = call.context.params;
  if (!call.services.accounts.FindUser(params.user)) {
    throw HttpError(404, "No such user");
  }
  if (!call.services.nodes.Any()) {
    return Text(NodeUrl(call));
  }
  // The client retries in 10 minutes on "null" (protocol.md §4.5).
  return Text(NodeForAccount(call, params.user).value_or("null"));
}

namespace {

// Throws HttpError(403) with the back end's notice when passwords are managed elsewhere.
void RefuseIfManagedElsewhere(const RegContext& call) {
  if (const auto notice = call.services.accounts.ExternalPasswordNotice()) {
    throw HttpError(403, *notice);
  }
}

// The same after a change the back end refused because the directory owns the data.
void RefuseIfManagedElsewhere(const RegContext& call, ChangeOutcome outcome) {
  if (outcome == ChangeOutcome::kManagedElsewhere) {
    RefuseIfManagedElsewhere(call);
    throw HttpError(403, "Managed by the directory");
  }
}

}  // namespace

// Reset mail needs a relay and the public URL its link points to.
bool CanSendResetMail(const RegContext& call) {
  return call.services.mailer.IsConfigured() && !call.services.config.server.public_url.empty();
}

void SendResetMail(const RegContext& call, const AccountInfo& account) {
  // A few mails an hour per account, so a reset cannot flood a mailbox, and per requesting
  // address. Earlier codes stay valid, so requests by someone else cannot void the owner's
  // mail.
  const AccountsConfig& limits = call.services.config.accounts;
  const std::string user_key = "reset:" + account.username;
  const std::string address_key = "resetaddr:" + AddressKey(call.context.client_address);
  if (call.services.failures.IsLocked(user_key, address_key)) {
    Log(LogLevel::kWarning) << "password reset mail for " << account.username
                            << " suppressed: too many requests";
    return;
  }
  call.services.failures.RecordFailure(user_key,
                                       LockoutPolicy{limits.reset_mails_per_hour, 3600, 3600});
  call.services.failures.RecordFailure(
      address_key, LockoutPolicy{limits.reset_mails_per_address_per_hour, 3600, 3600});
  const std::string code = call.services.state.CreateResetCode(
      account.username, call.services.config.accounts.reset_code_lifetime_seconds);
  // Only the configured public URL goes into the mail: a link built from the request's
  // Host header would let anyone send a victim a reset link to their own site.
  std::string link = call.services.config.server.public_url;
  if (link.back() != '/') {
    link.push_back('/');
  }
  link += "weave-password-reset?username=" + account.username + "&key=" + code;
  // In the language of the request that asked for it (the page's, or the browser's).
  const std::string* accept = call.context.request.Header("ACCEPT_LANGUAGE");
  const std::string language =
      ChooseLanguage(accept != nullptr ? *accept : "", call.services.pages.Languages(),
                     std::string(PageTemplates::kDefaultLanguage));
  ctemplate::TemplateDictionary values("mail");
  values.SetValue("USERNAME", account.username);
  values.SetValue("LINK", link);
  values.SetValue("CODE", code);
  values.SetIntValue("HOURS", call.services.config.accounts.reset_code_lifetime_seconds / 3600);
  const std::string subject(
      TrimSpace(call.services.pages.Render(language, "reset_mail_subject.txt", values)));
  call.services.mailer.Send(account.email, subject,
                            call.services.pages.Render(language, "reset_mail_body.txt", values));
  Audit(call, SecurityEvent::kPasswordResetRequested, account.username);
}

Response GetPasswordReset(const RegContext& call) {
  const Request& request = call.context.request;
  const PathParams& params = call.context.params;
  RefuseIfManagedElsewhere(call);
  const CaptchaConfig& captcha = call.services.config.registration.captcha;
  if (!captcha.verify_url.empty() &&
      !VerifyCaptcha(captcha, QueryValue(request, "captcha-response"),
                     call.context.client_address)) {
    throw BadRequest(WeaveError::kInvalidCaptcha, "captcha not solved");
  }
  const auto account = call.services.accounts.FindUser(params.user);
  if (!account) {
    throw BadRequest(WeaveError::kInvalidUsername, "no such user");
  }
  if (account->email.empty()) {
    throw BadRequest(WeaveError::kNoEmail, "no e-mail address on file");
  }
  if (!CanSendResetMail(call)) {
    return UnavailableResponse("\"password reset by mail is not configured on this server\"",
                               call.services.config.server.retry_after_seconds);
  }
  SendResetMail(call, *account);
  return Text("success");
}

Response DeletePasswordReset(const RegContext& call) {
  const PathParams& params = call.context.params;
  call.services.state.ClearResetCode(params.user);
  return Text("success");
}

Response PostPassword(const RegContext& call) {
  const Request& request = call.context.request;
  const PathParams& params = call.context.params;
  RefuseIfManagedElsewhere(call);
  const std::string& password = request.body;
  const std::string* reset_code = request.Header("X_WEAVE_PASSWORD_RESET");
  if (reset_code == nullptr) {
    RequireBasicLogin(request, params.user, call.context.client_address, call.services.logins);
  } else if (!call.services.accounts.FindUser(params.user)) {
    throw HttpError(404, "No such user");
  }
  if (password.empty()) {
    throw BadRequest(WeaveError::kMissingPassword, "password missing");
  }
  CheckPasswordStrength(call, params.user, password);
  // The code is spent only once the new password is known to be acceptable.
  if (reset_code != nullptr && !CheckResetCode(call, params.user, *reset_code, true)) {
    throw BadRequest(WeaveError::kInvalidResetCode, "invalid reset code");
  }
  RefuseIfManagedElsewhere(call, call.services.accounts.SetPassword(params.user, password));
  call.services.state.ClearResetCode(params.user);
  Audit(call,
        reset_code != nullptr ? SecurityEvent::kPasswordReset : SecurityEvent::kPasswordChanged,
        params.user);
  return Text("success");
}

Response GetEmail(const RegContext& call) {
  const PathParams& params = call.context.params;
  const auto account = call.services.accounts.FindUser(params.user);
  if (!account) {
    throw HttpError(404, "No such user");
  }
  return Text(account->email);
}

Response PostEmail(const RegContext& call) {
  const Request& request = call.context.request;
  const PathParams& params = call.context.params;
  RefuseIfManagedElsewhere(call);
  const std::string email(TrimSpace(request.body));
  if (!IsValidEmail(email)) {
    throw BadRequest(WeaveError::kNoEmail, "invalid e-mail address");
  }
  RefuseIfManagedElsewhere(call, call.services.accounts.SetEmail(params.user, email));
  Audit(call, SecurityEvent::kEmailChanged, params.user);
  return Text(email);
}

// The page Firefox's account wizard shows; the wizard reads the values of the elements with
// ids recaptcha_challenge_field and recaptcha_response_field and sends them along with
// the new account. For invitations, the response field is where the code goes.
Response GetCaptchaHtml(const RegContext& call) {
  const RegistrationConfig& registration = call.services.config.registration;
  std::string inner;
  if (registration.policy == "closed") {
    inner =
        "<p>This server does not take new accounts. Please ask its administrator.</p>"
        "<input type=\"hidden\" id=\"recaptcha_challenge_field\" value=\"closed\">"
        "<input type=\"hidden\" id=\"recaptcha_response_field\" value=\"\">";
  } else if (registration.policy == "invite") {
    inner =
        "<input type=\"hidden\" id=\"recaptcha_challenge_field\" value=\"invite\">"
        "<label for=\"recaptcha_response_field\">Invitation code</label> "
        "<input type=\"text\" id=\"recaptcha_response_field\" name=\"recaptcha_response_field\""
        " autocomplete=\"off\" size=\"24\" required>";
  } else if (!registration.captcha.verify_url.empty()) {
    // The widget's callback copies the solved token where the wizard looks for it.
    inner = "<script src=\"" + HtmlEscape(registration.captcha.script_url) +
            "\" async defer></script>"
            "<div class=\"g-recaptcha\" data-sitekey=\"" +
            HtmlEscape(registration.captcha.site_key) +
            "\" data-callback=\"weaveCaptchaSolved\"></div>"
            "<input type=\"hidden\" id=\"recaptcha_challenge_field\" value=\"recaptcha\">"
            "<input type=\"hidden\" id=\"recaptcha_response_field\" value=\"\">"
            "<script>function weaveCaptchaSolved(token) {"
            " document.getElementById('recaptcha_response_field').value = token; }</script>";
  } else {
    inner =
        "<p>No captcha is needed on this server.</p>"
        "<input type=\"hidden\" id=\"recaptcha_challenge_field\" value=\"none\">"
        "<input type=\"hidden\" id=\"recaptcha_response_field\" value=\"none\">";
  }
  Response response;
  response.content_type = "text/html; charset=utf-8";
  response.body =
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>Sync account</title></head><body>" +
      inner + "</body></html>";
  return response;
}

}  // namespace weave
