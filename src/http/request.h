// An HTTP request as a plain value; knows nothing of FastCGI or Weave.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weave {

// Whether the front end could read the whole body.
enum class BodyState { kComplete, kTooLarge, kTruncated };

struct Request {
  std::string method;  // "GET", "PUT", ...
  std::string path;    // raw (still percent-encoded) path, prefix removed, no query
  std::string query;   // raw query string without '?'
  std::string body;
  BodyState body_state = BodyState::kComplete;
  std::string remote_addr;
  std::string scheme = "http";  // "https" when the web server says the request came over TLS
  std::string server_port;      // the port the web server received the request on
  // Header names in CGI form: upper case, '-' as '_', without the HTTP_ prefix
  // ("AUTHORIZATION", "X_IF_UNMODIFIED_SINCE").
  std::vector<std::pair<std::string, std::string>> headers;

  // Returns nullptr when the header is absent.
  const std::string* Header(std::string_view cgi_name) const {
    for (const auto& [name, value] : headers) {
      if (name == cgi_name) {
        return &value;
      }
    }
    return nullptr;
  }
};

}  // namespace weave
