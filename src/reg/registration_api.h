// The registration service as a part: the User API 1.0, misc 1.0 (captcha page) and the
// account pages for people (password reset by mail, account deletion). Its handlers, what
// they get per request, and its route table.
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "auth/account_store.h"
#include "auth/login_failures.h"
#include "auth/login_guard.h"
#include "auth/node_directory.h"
#include "core/config.h"
#include "http/request_context.h"
#include "http/response.h"
#include "http/router.h"
#include "reg/account_state.h"
#include "reg/mailer.h"
#include "reg/page_templates.h"

namespace weave {

// What the registration service is built from. Borrowed; all must outlive the service.
struct RegServices {
  const Config& config;     // registration, accounts, server and mail sections
  AccountStore& accounts;   // the configured auth back end's accounts
  AccountState& state;      // reset codes and invites
  LoginGuard& logins;       // every password check of this part goes through it
  LoginFailures& failures;  // also throttles reset mails per account
  Mailer& mailer;
  // Deletes every stored record of an account (called when the account is deleted).
  std::function<void(UserId)> erase_user_data;
  // Storage nodes and assignments; with none listed, node/weave answers server.public_url.
  NodeDirectory& nodes;
  // The account pages' and the reset mail's templates, per language.
  const PageTemplates& pages;
};

// Deletes the account username, whose storage key is id, and what is kept about it: its
// records (erase_user_data), its node assignment, the account, its pending reset codes and its
// trusted addresses (LoginGuard::ForgetAccount). Its id is never handed out again
// (AllocateAccountId), so a record that a request racing the deletion still wrote never reaches a
// later account. Throws BackendError.
void DeleteAccount(RegServices& services, std::string_view username, UserId id);

// What a registration handler gets. Borrowed for one request.
struct RegContext {
  const RequestContext& context;
  RegServices& services;
};

// A registration handler. May throw the core/errors.h family; the dispatcher maps them.
using RegHandler = Response (*)(const RegContext&);

// Every User API, misc and account-page route.
const RouteTable<RegHandler>& RegRoutes();

// The routes bound to services, for the server's table. Borrows services.
std::vector<RouteRow<Endpoint>> RegEndpoints(RegServices& services);

// User API 1.0 and misc 1.0 (user_handlers.cpp).
Response GetUserExists(const RegContext& call);
Response PutUser(const RegContext& call);
Response DeleteUser(const RegContext& call);
Response GetNode(const RegContext& call);
Response GetPasswordReset(const RegContext& call);
Response DeletePasswordReset(const RegContext& call);
Response PostPassword(const RegContext& call);
Response GetEmail(const RegContext& call);
Response PostEmail(const RegContext& call);
Response GetCaptchaHtml(const RegContext& call);

// Account pages: HTML forms for people (account_pages.cpp).
Response GetPasswordResetPage(const RegContext& call);
Response PostPasswordResetPage(const RegContext& call);
Response GetDeleteAccountPage(const RegContext& call);
Response PostDeleteAccountPage(const RegContext& call);

}  // namespace weave
