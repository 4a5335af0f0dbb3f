// Chooses the language of a page or mail from the Accept-Language request header.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace weave {

// One language range of an Accept-Language header: "de-ch", "en" or "*" (lower case), with
// its weight q (0 to 1; 0 means "not this one").
struct LanguageRange {
  std::string range;
  double quality = 1;
};

// The well-formed ranges of header, in the order the header gives them. An element that is
// not `range [; q=weight]` (RFC 9110 section 12.5.4: a range is 1-8 letters, then "-" and
// 1-8 letters or digits, repeated, or "*"; a weight is 0, 1 or a decimal of at most 3
// places) is skipped, so a malformed header chooses nothing. At most 64 elements are read.
std::vector<LanguageRange> ParseAcceptLanguage(std::string_view header);

// The language of available (lower-case tags such as "en", "de", "pt-br") that header asks
// for most, or fallback when it asks for none of them. Ranges are taken by weight, the
// header's order breaking ties; each range is first looked up (RFC 4647 section 3.4: "de-ch"
// tries "de-ch", then "de") and, failing that, matched as a prefix ("de" takes "de-at"). "*"
// takes the fallback when it is available and not refused, else the first available one not
// refused; a range with q=0 refuses the tags it matches.
std::string ChooseLanguage(std::string_view header, const std::vector<std::string>& available,
                           const std::string& fallback);

}  // namespace weave
