#include "server/routes.h"

#include "core/errors.h"
#include "http/query_string.h"
#include "server/sync_service.h"

namespace weave {
namespace {

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> segments;
  if (!path.empty() && path.front() == '/') {
    path.remove_prefix(1);
  }
  while (true) {
    const size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) {
      break;
    }
    path.remove_prefix(slash + 1);
  }
  return segments;
}

bool IsVersion(std::string_view text) {
  return text == "1.1" || text == "1.0" || text == "1";
}

// Matches decoded segments against a pattern's parts, filling params. Empty segments
// never match.
bool MatchPattern(const std::vector<std::string_view>& parts,
                  const std::vector<std::string>& segments, PathParams& params) {
  if (parts.size() != segments.size()) {
    return false;
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string_view part = parts[i];
    const std::string& segment = segments[i];
    if (segment.empty()) {
      return false;
    }
    if (part == "{version}") {
      if (!IsVersion(segment)) {
        return false;
      }
      params.version = segment;
    } else if (part == "{user}") {
      params.user = segment;
    } else if (part == "{collection}") {
      params.collection = segment;
    } else if (part == "{id}") {
      params.id = segment;
    } else if (part != segment) {
      return false;
    }
  }
  return true;
}

}  // namespace

const std::vector<Route>& AllRoutes() {
  using S = SyncService;
  static const std::vector<Route> routes = {
      {"GET", "/{version}/{user}/info/collections", &S::GetInfoCollections, true},
      {"GET", "/{version}/{user}/info/collection_counts", &S::GetInfoCollectionCounts, true},
      {"GET", "/{version}/{user}/info/collection_usage", &S::GetInfoCollectionUsage, true},
      {"GET", "/{version}/{user}/info/quota", &S::GetInfoQuota, true},
      {"GET", "/{version}/{user}/storage/{collection}", &S::GetCollection, true},
      {"POST", "/{version}/{user}/storage/{collection}", &S::PostCollection, true},
      // Mozilla's Python server took a batch PUT on the collection just like a POST.
      {"PUT", "/{version}/{user}/storage/{collection}", &S::PostCollection, true},
      {"DELETE", "/{version}/{user}/storage/{collection}", &S::DeleteCollection, true},
      {"GET", "/{version}/{user}/storage/{collection}/{id}", &S::GetItem, true},
      {"PUT", "/{version}/{user}/storage/{collection}/{id}", &S::PutItem, true},
      {"DELETE", "/{version}/{user}/storage/{collection}/{id}", &S::DeleteItem, true},
      {"DELETE", "/{version}/{user}/storage", &S::DeleteStorage, true},
      // User API 1.0 and misc 1.0 (the registration service). Handlers that need Basic
      // auth for only some requests (password change by reset code) check it themselves.
      {"GET", "/user/{version}/{user}", &S::GetUserExists, false},
      {"PUT", "/user/{version}/{user}", &S::PutUser, false},
      {"DELETE", "/user/{version}/{user}", &S::DeleteUser, true},
      {"GET", "/user/{version}/{user}/node/weave", &S::GetNode, false},
      {"GET", "/user/{version}/{user}/password_reset", &S::GetPasswordReset, false},
      {"DELETE", "/user/{version}/{user}/password_reset", &S::DeletePasswordReset, true},
      {"POST", "/user/{version}/{user}/password", &S::PostPassword, false},
      {"GET", "/user/{version}/{user}/email", &S::GetEmail, true},
      {"POST", "/user/{version}/{user}/email", &S::PostEmail, true},
      {"GET", "/misc/{version}/captcha_html", &S::GetCaptchaHtml, false},
      // Account pages for people (HTML forms with CSRF tokens; they check passwords
      // themselves).
      {"GET", "/weave-password-reset", &S::GetPasswordResetPage, false},
      {"POST", "/weave-password-reset", &S::PostPasswordResetPage, false},
      {"GET", "/weave-delete-account", &S::GetDeleteAccountPage, false},
      {"POST", "/weave-delete-account", &S::PostDeleteAccountPage, false},
      // For load balancers and monitoring: 200 when the database answers, else 503.
      {"GET", "/__heartbeat__", &S::GetHeartbeat, false},
  };
  return routes;
}

RouteMatch MatchRoute(std::string_view method, std::string_view raw_path) {
  // Clients differ on a trailing slash (UXP deletes ".../storage" without one).
  if (raw_path.size() > 1 && raw_path.back() == '/') {
    raw_path.remove_suffix(1);
  }
  std::vector<std::string> segments;
  for (const std::string_view raw : Split(raw_path)) {
    auto decoded = PercentDecode(raw, false);
    if (!decoded) {
      throw BadRequest(WeaveError::kIllegalMethod, "malformed percent-escape in path");
    }
    segments.push_back(std::move(*decoded));
  }
  // Patterns are split once; the table never changes.
  static const std::vector<std::vector<std::string_view>> pattern_parts = [] {
    std::vector<std::vector<std::string_view>> parts;
    for (const Route& route : AllRoutes()) {
      parts.push_back(Split(route.pattern));
    }
    return parts;
  }();
  RouteMatch match;
  for (size_t i = 0; i < AllRoutes().size(); ++i) {
    const Route& route = AllRoutes()[i];
    PathParams params;
    if (!MatchPattern(pattern_parts[i], segments, params)) {
      continue;
    }
    if (route.method == method) {
      match.kind = RouteMatch::Kind::kFound;
      match.route = &route;
      match.params = std::move(params);
      return match;
    }
    match.kind = RouteMatch::Kind::kMethodNotAllowed;
    if (match.allowed_methods.find(route.method) == std::string::npos) {
      match.allowed_methods += (match.allowed_methods.empty() ? "" : ", ");
      match.allowed_methods += route.method;
    }
  }
  return match;
}

}  // namespace weave
