// Path routing: a table of method + path pattern rows, matched against a raw request path.
// Each part of the service keeps its own table with its own handler type; the server glue
// composes them into one table of bound endpoints.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weave {

// The named segments a pattern can capture, percent-decoded.
struct PathParams {
  std::string version;
  std::string user;
  std::string collection;
  std::string id;
};

template <typename Handler>
struct RouteRow {
  std::string_view method;
  std::string_view pattern;  // "/{version}/{user}/storage/{collection}/{id}"
  Handler handler;
  bool needs_auth = false;  // Basic auth as the {user} of the path, checked before the handler
  // The handler only reads (no write, no side effect), so it may run while the login is being
  // checked, its reads carrying the login's (see auth/login_rider.h); its answer (or error)
  // is held until the login is accepted, and thrown away otherwise.
  bool reads_only = false;
};

enum class MatchKind { kFound, kNotFound, kMethodNotAllowed };

template <typename Handler>
struct RouteMatch {
  MatchKind kind = MatchKind::kNotFound;
  const RouteRow<Handler>* route = nullptr;  // set when kFound
  PathParams params;
  std::string allowed_methods;  // for 405: "GET, DELETE"
};

// A raw path split at '/' and percent-decoded per segment ('+' stays '+'; "%2F" stays inside
// its segment). One trailing slash is ignored, since clients differ on it. Throws
// BadRequest(kIllegalMethod) for a malformed percent-escape.
std::vector<std::string> SplitRequestPath(std::string_view raw_path);

// A pattern split at '/' (views into the pattern).
std::vector<std::string_view> SplitPattern(std::string_view pattern);

// True if the decoded segments fit the pattern's parts; fills params. An empty segment never
// matches; {version} matches only 1, 1.0 and 1.1.
bool MatchPattern(const std::vector<std::string_view>& parts,
                  const std::vector<std::string>& segments, PathParams& params);

// Rows are tried in order; the first row whose pattern and method fit wins. Immutable after
// construction, so one table can serve every request of a worker.
template <typename Handler>
class RouteTable {
 public:
  explicit RouteTable(std::vector<RouteRow<Handler>> rows) : rows_(std::move(rows)) {
    parts_.reserve(rows_.size());
    for (const RouteRow<Handler>& row : rows_) {
      parts_.push_back(SplitPattern(row.pattern));
    }
  }

  // Throws BadRequest for a malformed percent-escape (see SplitRequestPath).
  RouteMatch<Handler> Match(std::string_view method, std::string_view raw_path) const {
    return Match(method, SplitRequestPath(raw_path));
  }

  RouteMatch<Handler> Match(std::string_view method,
                            const std::vector<std::string>& segments) const {
    RouteMatch<Handler> match;
    for (size_t i = 0; i < rows_.size(); ++i) {
      PathParams params;
      if (!MatchPattern(parts_[i], segments, params)) {
        continue;
      }
      const RouteRow<Handler>& row = rows_[i];
      if (row.method == method) {
        match.kind = MatchKind::kFound;
        match.route = &row;
        match.params = std::move(params);
        match.allowed_methods.clear();
        return match;
      }
      match.kind = MatchKind::kMethodNotAllowed;
      if (match.allowed_methods.find(row.method) == std::string::npos) {
        match.allowed_methods += match.allowed_methods.empty() ? "" : ", ";
        match.allowed_methods += row.method;
      }
    }
    return match;
  }

  const std::vector<RouteRow<Handler>>& Rows() const { return rows_; }

 private:
  std::vector<RouteRow<Handler>> rows_;
  std::vector<std::vector<std::string_view>> parts_;  // rows_[i].pattern, split
};

}  // namespace weave
