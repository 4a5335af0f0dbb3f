// UTF-8 validation, for everything the server stores or compares as text.
#pragma once

#include <string_view>

namespace weave {

// True when text is well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF).
bool IsValidUtf8(std::string_view text);

}  // namespace weave
