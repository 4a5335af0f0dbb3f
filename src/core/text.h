// Small text helpers shared by the User API and the account pages.
#pragma once

#include <string>
#include <string_view>

namespace weave {

std::string HtmlEscape(std::string_view text);
std::string LowerAscii(std::string_view text);
// Without leading and trailing spaces, tabs and line breaks.
std::string_view TrimSpace(std::string_view text);
// Firefox's user name for an e-mail address: lowercase base32 of the SHA-1 of the
// lower-cased address (32 characters of a-z2-7).
std::string HashedUsername(std::string_view email);

}  // namespace weave
