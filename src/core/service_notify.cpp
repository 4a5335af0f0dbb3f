// sd_notify(3) through libsystemd, when the build has it.
#include "core/service_notify.h"

#include <ctime>

#if WITH_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace weave {

std::string ServiceState(std::string_view state, std::string_view status) {
  std::string text(state);
  if (!text.empty()) {
    text.push_back('\n');
  }
  text += "STATUS=";
  for (const char c : status) {
    text.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c);
  }
  return text;
}

void NotifyServiceManager(std::string_view state, std::string_view status) {
#if WITH_SYSTEMD
  // unset_environment=0: the master notifies again at each reload and at shutdown.
  sd_notify(0, ServiceState(state, status).c_str());
#else
  static_cast<void>(state);
  static_cast<void>(status);
#endif
}

std::string ReloadingState() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const long long usec = now.tv_sec * 1000000LL + now.tv_nsec / 1000;
  return "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec);
}

}  // namespace weave
