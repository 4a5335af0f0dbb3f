// Parses an "Authorization: Basic ..." header value.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/utf8.h"  // IsValidUtf8, which callers of this header used to find here

namespace weave {

struct BasicCredentials {
  std::string username;
  std::string password;  // UTF-8 bytes as the client sent them
};

// nullopt unless the value is "Basic <base64>" (scheme case-insensitive) whose decoded text
// has a ':'; split at the first ':' so passwords may contain ':'. The user name must be
// non-empty and free of control characters; the password must be valid UTF-8.
std::optional<BasicCredentials> ParseBasicAuth(std::string_view header_value);

}  // namespace weave
