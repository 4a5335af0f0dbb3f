// Parsing of the Authorization: Basic header.
#include "http/basic_auth.h"

#include <strings.h>

#include "core/crypto.h"
#include "core/utf8.h"

namespace weave {

std::optional<BasicCredentials> ParseBasicAuth(std::string_view header_value) {
  constexpr std::string_view kScheme = "basic";
  while (!header_value.empty() && header_value.front() == ' ') {
    header_value.remove_prefix(1);
  }
  if (header_value.size() <= kScheme.size() ||
      strncasecmp(header_value.data(), kScheme.data(), kScheme.size()) != 0 ||
      header_value[kScheme.size()] != ' ') {
    return std::nullopt;
  }
  std::string_view encoded = header_value.substr(kScheme.size());
  while (!encoded.empty() && encoded.front() == ' ') {
    encoded.remove_prefix(1);
  }
  while (!encoded.empty() && encoded.back() == ' ') {
    encoded.remove_suffix(1);
  }
  const auto decoded = Base64Decode(encoded);
  if (!decoded) {
    return std::nullopt;
  }
  const size_t colon = decoded->find(':');
  if (colon == std::string::npos || colon == 0) {
    return std::nullopt;
  }
  BasicCredentials credentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
  for (const char c : credentials.username) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return std::nullopt;
    }
  }
  if (!IsValidUtf8(credentials.password)) {
    return std::nullopt;
  }
  return credentials;
}

}  // namespace weave
