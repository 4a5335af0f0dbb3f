// The key and digest rules every store of verified logins shares.
#include "auth/verified_logins.h"

#include "core/crypto.h"

namespace weave {
namespace {

constexpr size_t kRecheckDigestBytes = 16;

void AppendField(std::string& out, std::string_view field) {
  const uint64_t size = field.size();
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((size >> shift) & 0xff));
  }
  out.append(field);
}

}  // namespace

std::string VerifiedLogins::LoginKey(std::string_view username, std::string_view password,
                                     const std::optional<std::string>& generation) const {
  std::string message = "weave-login-v1";
  AppendField(message, username);
  AppendField(message, password);
  message.push_back(generation ? 'g' : 'n');
  AppendField(message, generation.value_or(""));
  return key_.Mac(message);
}

std::string RecheckDigest(const std::optional<std::string>& recheck_stamp) {
  if (!recheck_stamp) {
    return {};
  }
  return Sha256(*recheck_stamp).substr(0, kRecheckDigestBytes);
}

}  // namespace weave
