// The User API 1.0 and misc 1.0 handlers of SyncService: what Firefox's account wizard and
// password dialogs call. Bodies are plain text, as Mozilla's servers answered.
#include <algorithm>
#include <utility>

#include <rapidjson/document.h>

#include "core/errors.h"
#include "http/query_string.h"
#include "core/log.h"
#include "server/sync_service.h"
#include "core/text.h"
#include "core/crypto.h"
#include "core/utf8.h"

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

void SyncService::RequireAccounts() const {
  if (accounts_ == nullptr) {
    throw HttpError(404, "Not Found");
  }
}

void SyncService::AuditEvent(SecurityEvent event, std::string_view username,
                             const Request& request) const {
  const std::string* agent = request.Header("USER_AGENT");
  LogSecurityEvent(event, {{"src", client_address_},
                           {"suser", username},
                           {"requestMethod", request.method},
                           {"request", request.path},
                           {"cs1Label", "requestClientApplication"},
                           {"cs1", agent != nullptr ? static_cast<std::string_view>(*agent) : ""}});
}

// The node URL a client should use: public_url when configured; otherwise rebuilt from
// what the web server saw (a trusted proxy's X-Forwarded-Proto/-Host first), keeping a
// non-default port that Debian's nginx would otherwise drop.
std::string SyncService::NodeUrl(const Request& request) const {
  std::string url = config_.server.public_url;
  if (url.empty()) {
    std::string scheme = request.scheme;
    std::string host;
    if (const std::string* own_host = request.Header("HOST")) {
      host = *own_host;
    }
    const auto& proxies = config_.server.trusted_proxies;
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
    url = scheme + "://" + host + config_.server.path_prefix;
  }
  if (url.empty() || url.back() != '/') {
    url.push_back('/');  // clients append "1.1/<user>/" to it verbatim
  }
  return url;
}

void SyncService::CheckPasswordStrength(std::string_view username,
                                        std::string_view password) const {
  const bool long_enough =
      static_cast<int64_t>(password.size()) >= config_.accounts.min_password_bytes;
  const bool is_username = LowerAscii(TrimSpace(password)) == LowerAscii(username);
  if (!long_enough || is_username || !IsValidUtf8(password) ||
      password.find('\0') != std::string_view::npos) {
    throw BadRequest(WeaveError::kWeakPassword, "password not strong enough");
  }
}

void SyncService::CheckRegistrationAllowed(const Request& request, std::string_view username,
                                           std::string_view captcha_response) {
  const RegistrationConfig& registration = config_.registration;
  if (registration.policy == "closed") {
    AuditEvent(SecurityEvent::kRegistrationRefused, username, request);
    throw HttpError(403, "Registration is closed on this server");
  }
  const std::string* secret = request.Header("X_WEAVE_SECRET");
  if (!registration.shared_secret.empty() && secret != nullptr &&
      ConstantTimeEquals(*secret, registration.shared_secret)) {
    return;  // the operator's own provisioning
  }
  if (registration.policy == "invite") {
    if (!account_state_->ConsumeInvite(captcha_response, username)) {
      AuditEvent(SecurityEvent::kRegistrationRefused, username, request);
      throw BadRequest(WeaveError::kInvalidCaptcha, "invalid or used invite code");
    }
    return;
  }
  if (!registration.captcha.verify_url.empty() &&
      !VerifyCaptcha(registration.captcha, captcha_response, client_address_)) {
    throw BadRequest(WeaveError::kInvalidCaptcha, "captcha not solved");
  }
}

Response SyncService::GetUserExists(const Request& /*request*/, const PathParams& params) {
  RequireAccounts();
  return Text(accounts_->FindUser(params.user) ? "1" : "0");
}

Response SyncService::PutUser(const Request& request, const PathParams& params) {
  RequireAccounts();
  const std::string& username = params.user;
  if (accounts_->FindUser(username)) {
    throw BadRequest(WeaveError::kCannotOverwrite, "user exists");
  }
  rapidjson::Document body;
  body.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(
      request.body.data(), request.body.size());
  if (body.HasParseError() || !body.IsObject()) {
    throw BadRequest(WeaveError::kJsonParseFailure, "account body is not a JSON object");
  }
  const auto text_field = [&body](const char* name) -> std::optional<std::string> {
    const auto found = std::as_const(body).FindMember(name);
    if (found == std::as_const(body).MemberEnd() || !found->value.IsString()) {
      return std::nullopt;
    }
    return std::string(found->value.GetString(), found->value.GetStringLength());
  };
  const std::string email = text_field("email").value_or("");
  if (!email.empty() && !IsValidEmail(email)) {
    throw BadRequest(WeaveError::kNoEmail, "invalid e-mail address");
  }
  if (config_.registration.require_hashed_username && HashedUsername(email) != username) {
    throw BadRequest(WeaveError::kEmailDoesNotMatchUser, "user name is not the e-mail's hash");
  }
  const auto password = text_field("password");
  if (!password || password->empty()) {
    throw BadRequest(WeaveError::kMissingPassword, "password missing");
  }
  CheckPasswordStrength(username, *password);
  CheckRegistrationAllowed(request, username, text_field("captcha-response").value_or(""));
  if (!accounts_->CreateUser(username, *password, email)) {
    throw BadRequest(WeaveError::kCannotOverwrite, "user exists");
  }
  AuditEvent(SecurityEvent::kAccountCreated, username, request);
  return Text(username);
}

Response SyncService::DeleteUser(const Request& request, const PathParams& params) {
  RequireAccounts();
  storage_.DeleteStorage(user_id_);
  accounts_->DeleteUser(params.user);
  account_state_->ClearResetCode(params.user);
  AuditEvent(SecurityEvent::kAccountDeleted, params.user, request);
  return Text("0");  // the documented success answer
}

Response SyncService::GetNode(const Request& request, const PathParams& params) {
  RequireAccounts();
  if (!accounts_->FindUser(params.user)) {
    throw HttpError(404, "No such user");
  }
  return Text(NodeUrl(request));
}

void SyncService::RefuseIfManagedElsewhere() const {
  if (const auto notice = accounts_->ExternalPasswordNotice()) {
    throw HttpError(403, *notice);
  }
}

// Reset mail needs a relay and the public URL its link points to.
bool SyncService::CanSendResetMail() const {
  return mailer_->IsConfigured() && !config_.server.public_url.empty();
}

void SyncService::SendResetMail(const Request& request, const AccountInfo& account) {
  // At most five mails an hour per account: a reset cannot be used to flood a mailbox.
  const std::string key = "reset:" + account.username;
  if (account_state_->IsLocked(key, key)) {
    Log(LogLevel::kWarning) << "password reset mail for " << account.username
                            << " suppressed: too many requests";
    return;
  }
  account_state_->RecordFailure(key, LockoutPolicy{5, 3600, 3600});
  const std::string code = account_state_->CreateResetCode(
      account.username, config_.accounts.reset_code_lifetime_seconds);
  // Only the configured public URL goes into the mail: a link built from the request's
  // Host header would let anyone send a victim a reset link to their own site.
  std::string link = config_.server.public_url;
  if (link.back() != '/') {
    link.push_back('/');
  }
  link += "weave-password-reset?username=" + account.username + "&key=" + code;
  mailer_->Send(account.email, "Resetting your Sync password",
                "Someone (hopefully you) asked to reset the password of the Sync account\n" +
                    account.username + ".\n\nTo choose a new password, open\n\n  " + link +
                    "\n\nor enter this code: " + code + "\n\nThe code works once and expires in " +
                    std::to_string(config_.accounts.reset_code_lifetime_seconds / 3600) +
                    " hours. If you did not ask for this, ignore this message.\n");
  AuditEvent(SecurityEvent::kPasswordResetRequested, account.username, request);
}

Response SyncService::GetPasswordReset(const Request& request, const PathParams& params) {
  RequireAccounts();
  RefuseIfManagedElsewhere();
  const CaptchaConfig& captcha = config_.registration.captcha;
  if (!captcha.verify_url.empty() &&
      !VerifyCaptcha(captcha, QueryValue(request, "captcha-response"), client_address_)) {
    throw BadRequest(WeaveError::kInvalidCaptcha, "captcha not solved");
  }
  const auto account = accounts_->FindUser(params.user);
  if (!account) {
    throw BadRequest(WeaveError::kInvalidUsername, "no such user");
  }
  if (account->email.empty()) {
    throw BadRequest(WeaveError::kNoEmail, "no e-mail address on file");
  }
  if (!CanSendResetMail()) {
    return Unavailable("\"password reset by mail is not configured on this server\"");
  }
  SendResetMail(request, *account);
  return Text("success");
}

Response SyncService::DeletePasswordReset(const Request& /*request*/, const PathParams& params) {
  RequireAccounts();
  account_state_->ClearResetCode(params.user);
  return Text("success");
}

Response SyncService::PostPassword(const Request& request, const PathParams& params) {
  RequireAccounts();
  RefuseIfManagedElsewhere();
  const std::string& password = request.body;
  const std::string* reset_code = request.Header("X_WEAVE_PASSWORD_RESET");
  if (reset_code == nullptr) {
    Authenticate(request, params);
  } else if (!accounts_->FindUser(params.user)) {
    throw HttpError(404, "No such user");
  }
  if (password.empty()) {
    throw BadRequest(WeaveError::kMissingPassword, "password missing");
  }
  CheckPasswordStrength(params.user, password);
  // The code is spent only once the new password is known to be acceptable.
  if (reset_code != nullptr && !account_state_->ConsumeResetCode(params.user, *reset_code)) {
    throw BadRequest(WeaveError::kInvalidResetCode, "invalid reset code");
  }
  accounts_->SetPassword(params.user, password);
  account_state_->ClearResetCode(params.user);
  AuditEvent(
      reset_code != nullptr ? SecurityEvent::kPasswordReset : SecurityEvent::kPasswordChanged,
      params.user, request);
  return Text("success");
}

Response SyncService::GetEmail(const Request& /*request*/, const PathParams& params) {
  RequireAccounts();
  const auto account = accounts_->FindUser(params.user);
  if (!account) {
    throw HttpError(404, "No such user");
  }
  return Text(account->email);
}

Response SyncService::PostEmail(const Request& request, const PathParams& params) {
  RequireAccounts();
  RefuseIfManagedElsewhere();
  const std::string email(TrimSpace(request.body));
  if (!IsValidEmail(email)) {
    throw BadRequest(WeaveError::kNoEmail, "invalid e-mail address");
  }
  accounts_->SetEmail(params.user, email);
  AuditEvent(SecurityEvent::kEmailChanged, params.user, request);
  return Text(email);
}

// The page Firefox's account wizard shows; the wizard reads the values of the elements with
// ids recaptcha_challenge_field and recaptcha_response_field and sends them along with
// the new account. For invitations, the response field is where the code goes.
Response SyncService::GetCaptchaHtml(const Request& /*request*/, const PathParams& /*params*/) {
  RequireAccounts();
  const RegistrationConfig& registration = config_.registration;
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
