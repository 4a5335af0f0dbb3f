// LDAP configuration checks, owned by the auth part because they use the LDAP text rules.
#include "auth/auth_config_check.h"

#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "core/errors.h"
#if WITH_LDAP
#include "auth/ldap/ldap_text.h"
#endif

namespace weave {
namespace {

#if WITH_LDAP
void CheckUrls(const std::vector<std::string>& urls, const std::string& key) {
  for (const auto& url : urls) {
    const bool known = url.rfind("ldap://", 0) == 0 || url.rfind("ldaps://", 0) == 0 ||
                       url.rfind("ldapi://", 0) == 0;
    if (!known || url.find_first_of(" ,") != std::string::npos) {
      throw ConfigError(key, "\"" + url + "\" is not one ldap://, ldaps:// or ldapi:// URL");
    }
  }
}

// Combinations of auth.ldap keys, checked only when the LDAP back end is chosen.
void CheckLdap(const LdapConfig& ldap) {
  if (ldap.urls.empty()) {
    throw ConfigError("auth.ldap.urls", "needed when auth.backend is ldap");
  }
  CheckUrls(ldap.urls, "auth.ldap.urls");
  CheckUrls(ldap.write_urls, "auth.ldap.write_urls");
  if (!ldap.ca_file.empty() && access(ldap.ca_file.c_str(), R_OK) != 0) {
    throw ConfigError("auth.ldap.ca_file", "cannot read " + ldap.ca_file);
  }
  if (ldap.base_dn.empty()) {
    throw ConfigError("auth.ldap.base_dn", "needed when auth.backend is ldap");
  }
  if (const std::string problem = CheckFilterTemplate(ldap.user_filter, "{user}");
      !problem.empty()) {
    throw ConfigError("auth.ldap.user_filter", problem);
  }
  if (!ldap.user_dn_template.empty() && ldap.user_dn_template.find("{user}") == std::string::npos) {
    throw ConfigError("auth.ldap.user_dn_template", "must contain {user}");
  }
  if (!ldap.bind_dn.empty() && ldap.bind_password.empty()) {
    // An empty password would make an unauthenticated bind that every server accepts.
    throw ConfigError("auth.ldap.bind_password", "needed with bind_dn");
  }
  const std::pair<const char*, const std::string*> attributes[] = {
      {"auth.ldap.login_attribute", &ldap.login_attribute},
      {"auth.ldap.email_attribute", &ldap.email_attribute},
      {"auth.ldap.group_member_attribute", &ldap.group_member_attribute}};
  for (const auto& [key, value] : attributes) {
    if (!IsAttributeName(*value)) {
      throw ConfigError(key, "expected an attribute name");
    }
  }
  if (!ldap.id_attribute.empty() && !IsAttributeName(ldap.id_attribute)) {
    throw ConfigError("auth.ldap.id_attribute", "expected an attribute name (or empty for the DN)");
  }
  if (!ldap.enabled_attribute.empty() && !IsAttributeName(ldap.enabled_attribute)) {
    throw ConfigError("auth.ldap.enabled_attribute", "expected an attribute name");
  }
  const auto& change_url = ldap.password_change_url;
  if (!change_url.empty() && change_url.rfind("http://", 0) != 0 &&
      change_url.rfind("https://", 0) != 0) {
    throw ConfigError("auth.ldap.password_change_url", "must start with http:// or https://");
  }
  if (ldap.mode != "mozilla") {
    return;
  }
  if (ldap.admin_dn.empty() || ldap.admin_password.empty()) {
    throw ConfigError("auth.ldap.admin_dn", "mozilla mode needs admin_dn and admin_password");
  }
  // users_dn and uid_counter_dn have their defaults from the loader by now.
  if (ldap.uid_counter_dn.rfind("cn=", 0) != 0 ||
      ldap.uid_counter_dn.find(',') == std::string::npos) {
    throw ConfigError("auth.ldap.uid_counter_dn", "expected a DN of the form cn=NAME,PARENT");
  }
}
#endif

}  // namespace

void CheckAuthConfig(const AuthConfig& config) {
  if (config.backend != "ldap") {
    return;
  }
#if WITH_LDAP
  CheckLdap(config.ldap);
#else
  throw ConfigError("auth.backend",
                    "unknown back end \"ldap\" (valid: sql; this build has no "
                    "LDAP: build with WITH_LDAP=1)");
#endif
}

}  // namespace weave
