// Security events in ArcSight Common Event Format (CEF), to syslog or a file, for SIEMs.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weave {

enum class SecurityEvent {
  kLoginFailed,
  kAccountLocked,
  kAccountCreated,
  kAccountDeleted,
  kPasswordChanged,
  kEmailChanged,
  kPasswordResetRequested,
  kPasswordReset,
  kRegistrationRefused,
};

// Set once per process: target "syslog", "file" (then path) or "off".
void InitSecurityLog(std::string_view target, const std::string& path);

// Writes one event. fields are CEF extension pairs (src, suser, request, ...); values are
// escaped. Never pass a password or an Authorization header.
void LogSecurityEvent(SecurityEvent event,
                      const std::vector<std::pair<std::string_view, std::string_view>>& fields);

// The CEF line for an event, without syslog framing (exposed for tests).
std::string FormatCef(SecurityEvent event,
                      const std::vector<std::pair<std::string_view, std::string_view>>& fields,
                      long long time_ms);

}  // namespace weave
