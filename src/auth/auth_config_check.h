// Checks of the auth section that need the auth part's own rules (LDAP URLs, filter
// templates, attribute names); the config loader only reads and types the keys.
#pragma once

#include "core/config.h"

namespace weave {

// Returns if config.auth is usable; throws ConfigError naming the key (such as
// "auth.ldap.user_filter") otherwise. With auth.backend "ldap": the auth.ldap keys and their
// combinations (in a build without LDAP, that back end itself is the error). Call it after
// LoadConfigFile/LoadConfigText; MakeAccountBackend calls it too.
void CheckAuthConfig(const AuthConfig& config);

}  // namespace weave
