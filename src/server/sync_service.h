// The Weave protocol on the wire: one request in, one response out.
#pragma once

#include <optional>

#include "reg/account_state.h"
#include "auth/account_store.h"
#include "auth/authenticator.h"
#include "core/config.h"
#include "http/request.h"
#include "http/response.h"
#include "core/security_log.h"
#include "reg/mailer.h"
#include "storage/storage.h"
#include "server/routes.h"
#include "storage/wbo.h"
#include "core/clock.h"

namespace weave {

class SyncService {
 public:
  // Borrows everything; all must outlive the service.
  SyncService(const Config& config, Storage& storage, Authenticator& authenticator,
              const Clock& clock);

  // Enables the User API (registration, passwords, node lookup) and the account pages.
  // Without it those routes answer 404, as on a storage-only node. Borrows all three.
  void AttachAccounts(AccountStore& accounts, AccountState& state, Mailer& mailer);

  // Routes, authenticates, runs the handler and maps every exception to a response.
  // Every response carries X-Weave-Timestamp. Never throws.
  Response Handle(const Request& request);

  // Handlers, one per route (see routes.cpp). They may throw the errors.h family.
  Response GetInfoCollections(const Request& request, const PathParams& params);
  Response GetInfoCollectionCounts(const Request& request, const PathParams& params);
  Response GetInfoCollectionUsage(const Request& request, const PathParams& params);
  Response GetInfoQuota(const Request& request, const PathParams& params);
  Response GetCollection(const Request& request, const PathParams& params);
  Response PostCollection(const Request& request, const PathParams& params);
  Response DeleteCollection(const Request& request, const PathParams& params);
  Response GetItem(const Request& request, const PathParams& params);
  Response PutItem(const Request& request, const PathParams& params);
  Response DeleteItem(const Request& request, const PathParams& params);
  Response DeleteStorage(const Request& request, const PathParams& params);
  Response GetHeartbeat(const Request& request, const PathParams& params);

  // User API 1.0 and misc 1.0 (user_handlers.cpp).
  Response GetUserExists(const Request& request, const PathParams& params);
  Response PutUser(const Request& request, const PathParams& params);
  Response DeleteUser(const Request& request, const PathParams& params);
  Response GetNode(const Request& request, const PathParams& params);
  Response GetPasswordReset(const Request& request, const PathParams& params);
  Response DeletePasswordReset(const Request& request, const PathParams& params);
  Response PostPassword(const Request& request, const PathParams& params);
  Response GetEmail(const Request& request, const PathParams& params);
  Response PostEmail(const Request& request, const PathParams& params);
  Response GetCaptchaHtml(const Request& request, const PathParams& params);

  // Account pages: HTML forms for people (account_pages.cpp).
  Response GetPasswordResetPage(const Request& request, const PathParams& params);
  Response PostPasswordResetPage(const Request& request, const PathParams& params);
  Response GetDeleteAccountPage(const Request& request, const PathParams& params);
  Response PostDeleteAccountPage(const Request& request, const PathParams& params);

 private:
  Response Dispatch(const Request& request);
  // Checks Basic auth against the path's user; throws HttpError(401) on any mismatch.
  void Authenticate(const Request& request, const PathParams& params);
  WriteContext MakeWriteContext(const Request& request) const;
  Response WriteRefused(const WriteResult& result) const;
  void AddQuotaHeader(const WriteResult& result, Response& response) const;
  Response TimestampResponse(int64_t timestamp_cs) const;
  Response Unavailable(std::string_view body) const;
  // User API helpers (user_handlers.cpp).
  void RequireAccounts() const;
  std::string NodeUrl(const Request& request) const;
  // Throws BadRequest(kWeakPassword) unless password is acceptable for username.
  void CheckPasswordStrength(std::string_view username, std::string_view password) const;
  // Throws BadRequest(kInvalidCaptcha) unless the request passes the registration policy.
  void CheckRegistrationAllowed(const Request& request, std::string_view username,
                                std::string_view captcha_response);
  bool CanSendResetMail() const;
  // Throws HttpError(403) with the back end's notice when passwords are managed elsewhere.
  void RefuseIfManagedElsewhere() const;
  // Mails a reset code and link (call only when CanSendResetMail()).
  void SendResetMail(const Request& request, const AccountInfo& account);
  void AuditEvent(SecurityEvent event, std::string_view username, const Request& request) const;
  // Account page helpers (account_pages.cpp).
  // Checks a password under the lockout rules of Authenticate: the user id, or nullopt for
  // a wrong password (counted as a failure); throws HttpError(401, "Account locked").
  std::optional<UserId> CheckLogin(const Request& request, std::string_view username,
                                   std::string_view password);
  // The account a person typed: an e-mail address becomes Firefox's hashed user name.
  std::string ResolveAccountName(std::string_view input);
  int64_t NowSeconds() const { return request_time_cs_ / 100; }

  // Set at construction
  const Config& config_;
  Storage& storage_;
  Authenticator& authenticator_;
  const Clock& clock_;
  const WboLimits wbo_limits_;
  AccountStore* accounts_ = nullptr;
  AccountState* account_state_ = nullptr;
  Mailer* mailer_ = nullptr;

  // Per request (one request at a time per worker)
  int64_t request_time_cs_ = 0;
  UserId user_id_ = 0;
  std::string client_address_;
};

}  // namespace weave
