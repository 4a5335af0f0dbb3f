// Basic authentication for the Storage API and the authenticated User API calls.
#include "auth/basic_login.h"

#include "core/errors.h"
#include "http/basic_auth.h"

namespace weave {

EventSource EventSourceOf(const Request& request, std::string_view client_address) {
  std::string_view user_agent;
  if (const std::string* agent = request.Header("USER_AGENT")) {
    user_agent = *agent;
  }
  return {client_address, request.method, request.path, user_agent};
}

std::string RequirePathPassword(const Request& request, std::string_view path_user) {
  const std::string* header = request.Header("AUTHORIZATION");
  if (header == nullptr) {
    throw HttpError(401, "Unauthorized");
  }
  auto credentials = ParseBasicAuth(*header);
  // The path must name the authenticated account, byte for byte.
  if (!credentials || credentials->username != path_user) {
    throw HttpError(401, "Unauthorized");
  }
  return std::move(credentials->password);
}

UserId RequireAccepted(const LoginResult& result) {
  if (result.status == LoginStatus::kLocked) {
    throw HttpError(401, "Account locked");
  }
  if (result.status != LoginStatus::kAccepted) {
    throw HttpError(401, "Unauthorized");
  }
  return result.user_id;
}

UserId RequireBasicLogin(const Request& request, std::string_view path_user,
                         std::string_view client_address, LoginGuard& logins) {
  const std::string password = RequirePathPassword(request, path_user);
  return RequireAccepted(logins.Check(path_user, password, EventSourceOf(request, client_address)));
}

}  // namespace weave
