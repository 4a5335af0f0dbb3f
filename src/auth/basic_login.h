// HTTP Basic authentication of a request as the user its path names, through the LoginGuard.
#pragma once

#include <string>
#include <string_view>

#include "auth/login_guard.h"
#include "core/security_log.h"
#include "core/user_name.h"
#include "http/request.h"

namespace weave {

// The security-log fields of a request; views into request and client_address.
EventSource EventSourceOf(const Request& request, std::string_view client_address);

// The user id when the request's Basic credentials name path_user (byte for byte) and the
// password is right. Throws HttpError(401, "Unauthorized") for a missing or malformed header,
// another user name or a wrong password, HttpError(401, "Account locked") during a lockout,
// and BackendError when the back end cannot answer.
UserId RequireBasicLogin(const Request& request, std::string_view path_user,
                         std::string_view client_address, LoginGuard& logins);

// RequireBasicLogin in its parts: the password of the request's Basic credentials when they
// name path_user (else the 401), and the user id of a login's result (else its 401).
std::string RequirePathPassword(const Request& request, std::string_view path_user);
UserId RequireAccepted(const LoginResult& result);

}  // namespace weave
