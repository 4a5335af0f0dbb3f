// User-name rules shared by the User API, the Storage API, the directory and the pages.
#include "core/user_name.h"

#include "core/crypto.h"
#include "core/text.h"

namespace weave {

bool IsValidUsername(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return false;
  }
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

bool LooksHashed(std::string_view name) {
  if (name.size() != 32) {
    return false;
  }
  for (const char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'))) {
      return false;
    }
  }
  return true;
}

std::string HashedUsername(std::string_view email) {
  return Base32Lower(Sha1(LowerAscii(email)));
}

std::string AccountNameFromInput(std::string_view input) {
  const std::string_view text = TrimSpace(input);
  if (text.find('@') != std::string_view::npos) {
    return HashedUsername(text);
  }
  return std::string(text);
}

}  // namespace weave
