// Text rules of the LDAP back end: RFC 4515 filter and RFC 4514 DN escaping, the {user}
// templates of the configuration, and Mozilla's {SSHA} password values. No libldap here.
#pragma once

#include <string>
#include <string_view>

namespace weave {

// An assertion value for a search filter (RFC 4515): '*', '(', ')', '\' and NUL, and every
// other byte below 0x20 or 0x7f, become "\xx". "a*" -> "a\2a".
std::string EscapeFilterValue(std::string_view value);

// Like EscapeFilterValue, but every byte becomes "\xx": for binary values (objectGUID).
std::string EscapeFilterBytes(std::string_view value);

// An attribute value inside a DN (RFC 4514): '"', '+', ',', ';', '<', '>', '\' and '='
// get a backslash, as do a leading space or '#' and a trailing space; NUL and other
// control bytes become "\xx". "Smith, J" -> "Smith\, J".
std::string EscapeDnValue(std::string_view value);

// Replaces every occurrence of placeholder in text with value (already escaped).
std::string FillTemplate(std::string_view text, std::string_view placeholder,
                         std::string_view value);

// Checks a filter template: balanced parentheses around the whole, the placeholder present
// and standing for a whole assertion value ("(uid={user})", not "(cn={user}*)"), so the
// same template with "*" in its place is a valid presence filter. Returns an error text,
// or empty when the template is fine.
std::string CheckFilterTemplate(std::string_view text, std::string_view placeholder);

// True for an attribute description: a name ("uid", "account-enabled") or an OID.
bool IsAttributeName(std::string_view name);

// A userPassword value in Mozilla's format: "{SSHA}" + base64(SHA-1(password + salt) + salt)
// with an 8-byte random salt.
std::string SshaPassword(std::string_view password);
// The same with a given salt (tests).
std::string SshaPasswordWithSalt(std::string_view password, std::string_view salt);

// Case-insensitive ASCII comparison (attribute names, logins).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace weave
