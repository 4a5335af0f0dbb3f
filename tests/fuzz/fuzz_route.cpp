// Fuzz target: "METHOD path" through the route matcher, over every route of the Storage API
// and the registration service (no space: GET and the whole input as path).
// Invariants: only BadRequest escapes; a match's parameters, escaped and rendered into its
// pattern again, match the same route with the same parameters; a 405 lists other methods.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/errors.h"
#include "http/router.h"
#include "reg/registration_api.h"
#include "storage/storage_api.h"

namespace {

void Check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

std::string Escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
        c == '_' || c == '-') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 15]);
    }
  }
  return out;
}

std::string Render(std::string_view pattern, const weave::PathParams& params) {
  std::string out;
  size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] == '{') {
      const size_t end = pattern.find('}', i);
      const std::string_view name = pattern.substr(i + 1, end - i - 1);
      out += Escape(name == "version"      ? params.version
                    : name == "user"       ? params.user
                    : name == "collection" ? params.collection
                                           : params.id);
      i = end + 1;
    } else {
      out.push_back(pattern[i++]);
    }
  }
  return out;
}

// Every pattern of both parts, in one table (the handler is the row's index).
const weave::RouteTable<size_t>& AllRoutes() {
  static const weave::RouteTable<size_t> table = [] {
    std::vector<weave::RouteRow<size_t>> rows;
    for (const auto& row : weave::StorageRoutes().Rows()) {
      rows.push_back({row.method, row.pattern, rows.size(), row.needs_auth});
    }
    for (const auto& row : weave::RegRoutes().Rows()) {
      rows.push_back({row.method, row.pattern, rows.size(), row.needs_auth});
    }
    return weave::RouteTable<size_t>(std::move(rows));
  }();
  return table;
}

using RouteMatch = weave::RouteMatch<size_t>;
using Kind = weave::MatchKind;

RouteMatch MatchRoute(std::string_view method, std::string_view path) {
  return AllRoutes().Match(method, path);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t space = input.find(' ');
  const std::string_view method = space == std::string_view::npos ? "GET" : input.substr(0, space);
  const std::string_view path = space == std::string_view::npos ? input : input.substr(space + 1);
  RouteMatch match;
  try {
    match = MatchRoute(method, path);
  } catch (const weave::BadRequest& error) {
    Check(error.Code() == weave::WeaveError::kIllegalMethod);
    return 0;
  }
  switch (match.kind) {
    case Kind::kFound: {
      Check(match.route != nullptr && match.route->method == method);
      const std::string rendered = Render(match.route->pattern, match.params);
      const RouteMatch again = MatchRoute(method, rendered);
      Check(again.kind == Kind::kFound && again.route == match.route);
      Check(again.params.version == match.params.version);
      Check(again.params.user == match.params.user);
      Check(again.params.collection == match.params.collection);
      Check(again.params.id == match.params.id);
      break;
    }
    case Kind::kMethodNotAllowed: {
      Check(match.route == nullptr && !match.allowed_methods.empty());
      // "GET, PUT": the path matched routes, none of them with this method.
      std::string_view rest = match.allowed_methods;
      while (!rest.empty()) {
        const size_t comma = rest.find(", ");
        Check(rest.substr(0, comma) != method);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 2);
      }
      break;
    }
    case Kind::kNotFound:
      Check(match.route == nullptr && match.allowed_methods.empty());
      break;
  }
  return 0;
}
