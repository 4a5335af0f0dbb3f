// Telling the service manager (systemd, Type=notify) how the service is doing.
#pragma once

#include <string>
#include <string_view>

namespace weave {

// The notification text: the assignments in state ("READY=1", "STOPPING=1", or none),
// then STATUS= with status, whose line breaks and other control characters become
// spaces so that it cannot add assignments of its own. Exposed for tests.
std::string ServiceState(std::string_view state, std::string_view status);

// Sends ServiceState(state, status) to the socket named by NOTIFY_SOCKET. Without
// NOTIFY_SOCKET, or in a build without libsystemd (WITH_SYSTEMD=0), does nothing.
// Failures are ignored: the service manager's view is advice, never a reason to stop.
void NotifyServiceManager(std::string_view state, std::string_view status);

// The state assignments for a reload that begins now: RELOADING=1 with MONOTONIC_USEC
// (which Type=notify-reload asks for; older managers ignore it).
std::string ReloadingState();

}  // namespace weave
