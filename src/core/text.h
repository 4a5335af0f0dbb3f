// Small text helpers: ASCII case, white space and HTML escaping.
#pragma once

#include <string>
#include <string_view>

namespace weave {

std::string HtmlEscape(std::string_view text);
std::string LowerAscii(std::string_view text);
// Without leading and trailing spaces, tabs and line breaks.
std::string_view TrimSpace(std::string_view text);

}  // namespace weave
