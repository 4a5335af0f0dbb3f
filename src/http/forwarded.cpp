// The client's address, through trusted proxies' X-Forwarded-For.
#include "http/forwarded.h"

#include <algorithm>
#include <string_view>

namespace weave {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

bool IsTrusted(std::string_view address, const std::vector<std::string>& trusted_proxies) {
  return std::find(trusted_proxies.begin(), trusted_proxies.end(), address) !=
         trusted_proxies.end();
}

}  // namespace

std::string ClientAddress(const Request& request, const std::vector<std::string>& trusted_proxies) {
  const std::string* forwarded = request.Header("X_FORWARDED_FOR");
  if (forwarded == nullptr || !IsTrusted(request.remote_addr, trusted_proxies)) {
    return request.remote_addr;
  }
  std::string_view rest = *forwarded;
  std::string_view client = request.remote_addr;
  while (!rest.empty()) {
    const size_t comma = rest.rfind(',');
    const std::string_view hop =
        Trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    if (hop.empty()) {
      continue;
    }
    client = hop;
    if (!IsTrusted(hop, trusted_proxies)) {
      break;
    }
  }
  return std::string(client);
}

}  // namespace weave
