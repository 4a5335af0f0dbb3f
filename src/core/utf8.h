// UTF-8 validation, for everything the server stores or compares as text.
#pragma once

#include <string>
#include <string_view>

namespace weave {

// True when text is well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF).
bool IsValidUtf8(std::string_view text);

// text with every byte that does not start a well-formed sequence replaced by U+FFFD, for
// output that must be UTF-8 (JSON log lines).
std::string ToValidUtf8(std::string_view text);

}  // namespace weave
