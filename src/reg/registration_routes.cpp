// The registration service's route table: User API 1.0, misc 1.0 and the account pages.
#include "reg/registration_api.h"

namespace weave {

const RouteTable<RegHandler>& RegRoutes() {
  static const RouteTable<RegHandler> routes({
      // Handlers that need Basic auth for only some requests (a password change by reset
      // code) check it themselves.
      {"GET", "/user/{version}/{user}", &GetUserExists, false},
      {"PUT", "/user/{version}/{user}", &PutUser, false},
      {"DELETE", "/user/{version}/{user}", &DeleteUser, true},
      {"GET", "/user/{version}/{user}/node/weave", &GetNode, false},
      {"GET", "/user/{version}/{user}/password_reset", &GetPasswordReset, false},
      {"DELETE", "/user/{version}/{user}/password_reset", &DeletePasswordReset, true},
      {"POST", "/user/{version}/{user}/password", &PostPassword, false},
      {"GET", "/user/{version}/{user}/email", &GetEmail, true},
      {"POST", "/user/{version}/{user}/email", &PostEmail, true},
      {"GET", "/misc/{version}/captcha_html", &GetCaptchaHtml, false},
      // Account pages for people (HTML forms with CSRF tokens; they check passwords
      // themselves).
      {"GET", "/weave-password-reset", &GetPasswordResetPage, false},
      {"POST", "/weave-password-reset", &PostPasswordResetPage, false},
      {"GET", "/weave-delete-account", &GetDeleteAccountPage, false},
      {"POST", "/weave-delete-account", &PostDeleteAccountPage, false},
  });
  return routes;
}

std::vector<RouteRow<Endpoint>> RegEndpoints(RegServices& services) {
  return BindRoutes(RegRoutes(), [&services](RegHandler handler) -> Endpoint {
    return [handler, &services](const RequestContext& context) {
      return handler(RegContext{context, services});
    };
  });
}

}  // namespace weave
