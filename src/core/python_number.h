// Numbers in request text read as Mozilla's Python server read them, with int() and float().
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace weave {

// The white space Python strips around a number: space, \t, \n, \v, \f and \r.
std::string_view TrimPythonSpace(std::string_view text);

// Python's int() of a text: white space around it, an optional sign, then one or more
// decimal digits, leading zeros included. A magnitude past 10^18 comes back as 10^18 (with
// its sign): callers treat such values as out of range or as no bound at all. nullopt for
// anything else ("1.5", "1e3", "0x10", "").
std::optional<int64_t> ParsePythonInt(std::string_view text);

// Python's float() of a text: white space around it, an optional sign, then digits with an
// optional point and exponent ("5", "-.5", "2.5E+3"), or inf, infinity or nan in any case.
// Too large a value is an infinity and too small a one zero, as in Python. nullopt for
// anything else ("", ".", "1e", "0x10", "1_0").
std::optional<double> ParsePythonFloat(std::string_view text);

}  // namespace weave
