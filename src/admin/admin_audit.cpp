// Who ran weave-admin, written with what it changed to the security log.
#include "admin/admin_audit.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "core/security_log.h"

namespace weave {
namespace {

// The name of a Unix user id, or "" when it has none.
std::string UnixUserName(uid_t uid) {
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
    return {};
  }
  return found->pw_name;
}

}  // namespace

void AuditAdminAction(std::string_view action, std::string_view account, std::string_view detail) {
  const uid_t uid = getuid();
  const std::string name = UnixUserName(uid);
  const std::string uid_text = std::to_string(uid);
  std::vector<std::pair<std::string_view, std::string_view>> fields = {
      {"act", action}, {"suser", name}, {"suid", uid_text}};
  if (!account.empty()) {
    fields.emplace_back("duser", account);
  }
  // sudo sets these for the command it runs: the person behind a root shell's uid 0.
  const char* sudo_user = std::getenv("SUDO_USER");
  if (sudo_user != nullptr && uid == 0) {
    fields.emplace_back("cs2Label", "sudoUser");
    fields.emplace_back("cs2", sudo_user);
  }
  if (!detail.empty()) {
    fields.emplace_back("msg", detail);
  }
  LogSecurityEvent(SecurityEvent::kAdminAction, fields);
}

}  // namespace weave
