// Sync user names and ids: the one definition of what a user name may be, and of the
// name Firefox derives from an e-mail address.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace weave {

// The numeric key of an account's data in storage (users.id, uidNumber, ldap_users.id).
using UserId = int64_t;

// True for 1 to 64 characters of [A-Za-z0-9._-]: what the protocol allows in a URL's user
// segment, and what is safe to put into an LDAP filter or a SQL key without quoting.
bool IsValidUsername(std::string_view name);

// True for names Firefox derives from an e-mail: 32 characters of lower-case base32.
bool LooksHashed(std::string_view name);

// Firefox's user name for an e-mail address: lower-case base32 (no padding) of the SHA-1
// of the ASCII-lower-cased address, 32 characters of a-z2-7.
std::string HashedUsername(std::string_view email);

// What a person typed as their account: an e-mail address (anything with '@') becomes
// Firefox's hashed name, anything else is taken as a user name, without surrounding space.
std::string AccountNameFromInput(std::string_view input);

}  // namespace weave
