// The CEF audit event of a weave-admin action that changed an account (core/security_log.h).
#pragma once

#include <string_view>

namespace weave {

// Writes an AdminAction event: act=action, duser=account ("" for none: invite, purge),
// suser/suid the Unix user running weave-admin (and cs2 the sudo user, if run through sudo),
// msg an optional detail ("3 codes", "120 records"). Call after the change succeeded.
void AuditAdminAction(std::string_view action, std::string_view account,
                      std::string_view detail = {});

}  // namespace weave
