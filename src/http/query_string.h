// Splits a query string into decoded name/value pairs.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weave {

// Decodes %XX escapes and, when plus_is_space, '+' as space. Returns nullopt for a
// malformed escape ("%zz", "%4").
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Splits on '&', then at the first '='. A parameter without '=' has an empty value. Decodes
// '+' and %XX escapes; a malformed escape ("%zz", a final "%4") is kept as written, as
// Python's parser (which Mozilla's servers used) kept it.
QueryParams ParseQueryString(std::string_view query);

}  // namespace weave
