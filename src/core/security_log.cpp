// CEF security events, formatted and written to syslog (the journal, with fields, when
// stderr is the journal's stream) or a file.
#include "core/security_log.h"

#include <fcntl.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>

#include "core/journal.h"

namespace weave {
namespace {

enum class Target { kOff, kSyslog, kJournal, kFile };
Target g_target = Target::kOff;
int g_fd = -1;

struct EventInfo {
  const char* signature;
  const char* name;
  int severity;  // CEF 0-10
};

EventInfo Describe(SecurityEvent event) {
  switch (event) {
    case SecurityEvent::kLoginFailed:
      return {"AuthFail", "Authentication failed", 5};
    case SecurityEvent::kAccountLocked:
      return {"AccountLocked", "Login refused: too many failures", 7};
    case SecurityEvent::kAccountCreated:
      return {"AccountCreated", "Account created", 3};
    case SecurityEvent::kAccountDeleted:
      return {"AccountDeleted", "Account deleted", 5};
    case SecurityEvent::kPasswordChanged:
      return {"PasswordChanged", "Password changed", 5};
    case SecurityEvent::kEmailChanged:
      return {"EmailChanged", "E-mail address changed", 5};
    case SecurityEvent::kPasswordResetRequested:
      return {"PasswordResetRequested", "Password reset requested", 4};
    case SecurityEvent::kPasswordReset:
      return {"PasswordReset", "Password reset with a code", 6};
    case SecurityEvent::kRegistrationRefused:
      return {"RegistrationRefused", "Account creation refused", 4};
    case SecurityEvent::kAdminAction:
      return {"AdminAction", "Account changed by weave-admin", 5};
  }
  return {"Unknown", "Unknown", 5};
}

// Extension values escape '\', '=' and line breaks (CEF rules); nothing else is special.
void AppendExtensionValue(std::string_view value, std::string& out) {
  for (const char c : value) {
    if (c == '\\' || c == '=') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n' || c == '\r') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out.push_back('?');
    } else {
      out.push_back(c);
    }
  }
}

// The journal field name of a CEF extension key: the common ones get the names the log
// lines use (user, client, method, path), the others cef_<key in lowercase>.
std::string JournalName(std::string_view key) {
  if (key == "suser") {
    return "user";
  }
  if (key == "src") {
    return "client";
  }
  if (key == "requestMethod") {
    return "method";
  }
  if (key == "request") {
    return "path";
  }
  std::string name = "cef_";
  for (const char c : key) {
    name.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return name;
}

// MESSAGE is the CEF line, as syslog would have it; the fields say the same for queries
// (journalctl WEAVE_EVENT=AuthFail WEAVE_USER=alice).
bool SendCefToJournal(SecurityEvent event, const std::string& line,
                      const std::vector<std::pair<std::string_view, std::string_view>>& fields) {
  const EventInfo info = Describe(event);
  std::vector<std::pair<std::string_view, std::string>> named;
  std::vector<std::string> names;  // the views in named point into these
  names.reserve(fields.size());
  named.emplace_back("event", info.signature);
  named.emplace_back("cef_severity", std::to_string(info.severity));
  for (const auto& [key, value] : fields) {
    names.push_back(JournalName(key));
    named.emplace_back(names.back(), std::string(value));
  }
  std::vector<std::string> entry = JournalFields(LOG_NOTICE, ProgramName(), line, named);
  entry.push_back("SYSLOG_FACILITY=" + std::to_string(LOG_AUTHPRIV >> 3));
  return SendToJournal(entry);
}

}  // namespace

void InitSecurityLog(std::string_view target, const std::string& path) {
  if (target == "syslog") {
    g_target = Target::kSyslog;
    openlog("weave-server", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
    if (IsJournalStream(std::getenv("JOURNAL_STREAM"), STDERR_FILENO)) {
      g_target = Target::kJournal;
    }
  } else if (target == "file") {
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    g_target = fd >= 0 ? Target::kFile : Target::kOff;
    if (g_fd >= 0) {
      close(g_fd);
    }
    g_fd = fd;
  } else {
    g_target = Target::kOff;
  }
}

std::string FormatCef(SecurityEvent event,
                      const std::vector<std::pair<std::string_view, std::string_view>>& fields,
                      long long time_ms) {
  const EventInfo info = Describe(event);
  std::string line = "CEF:0|weave-server|weave-server|1.0|";
  line += info.signature;
  line += '|';
  line += info.name;
  line += '|';
  line += std::to_string(info.severity);
  line += "|rt=" + std::to_string(time_ms);
  for (const auto& [key, value] : fields) {
    line += ' ';
    line += key;
    line += '=';
    AppendExtensionValue(value, line);
  }
  return line;
}

void LogSecurityEvent(SecurityEvent event,
                      const std::vector<std::pair<std::string_view, std::string_view>>& fields) {
  if (g_target == Target::kOff) {
    return;
  }
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  const std::string line = FormatCef(event, fields, now.tv_sec * 1000LL + now.tv_nsec / 1000000);
  if (g_target == Target::kJournal && SendCefToJournal(event, line, fields)) {
    return;
  }
  if (g_target == Target::kSyslog || g_target == Target::kJournal) {
    syslog(LOG_NOTICE, "%s", line.c_str());
  } else {
    const std::string with_newline = line + "\n";
    [[maybe_unused]] const ssize_t ignored = write(g_fd, with_newline.data(), with_newline.size());
  }
}

void LogSecurityEvent(SecurityEvent event, std::string_view username, const EventSource& source) {
  LogSecurityEvent(event, {{"src", source.address},
                           {"suser", username},
                           {"requestMethod", source.method},
                           {"request", source.path},
                           {"cs1Label", "requestClientApplication"},
                           {"cs1", source.user_agent}});
}

}  // namespace weave
