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
  kAdminAction,  // weave-admin changed an account (admin/admin_audit.h)
};

// Set once per process: target "syslog", "file" (then path) or "off".
void InitSecurityLog(std::string_view target, const std::string& path);

// Writes one event. fields are CEF extension pairs (src, suser, request, ...); values are
// escaped. Never pass a password or an Authorization header.
void LogSecurityEvent(SecurityEvent event,
                      const std::vector<std::pair<std::string_view, std::string_view>>& fields);

// Who caused an event, as the request showed it. The views must outlive the call.
struct EventSource {
  std::string_view address;  // the client's address (after trusted proxies)
  std::string_view method;
  std::string_view path;
  std::string_view user_agent;
};

// Writes one event about the account username with the source's fields (src, suser,
// requestMethod, request, requestClientApplication).
void LogSecurityEvent(SecurityEvent event, std::string_view username, const EventSource& source);

// The CEF line for an event, without syslog framing (exposed for tests).
std::string FormatCef(SecurityEvent event,
                      const std::vector<std::pair<std::string_view, std::string_view>>& fields,
                      long long time_ms);

}  // namespace weave
