// Fuzz target: an Accept-Language header through ParseAcceptLanguage and ChooseLanguage.
// Invariants: every parsed range is "*" or a lower-case tag with q in [0, 1], at most 64 of
// them, and the choice is always one of the available languages or the fallback.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http/accept_language.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  const auto ranges = weave::ParseAcceptLanguage(header);
  if (ranges.size() > 64) {
    std::abort();
  }
  for (const weave::LanguageRange& range : ranges) {
    if (range.range.empty() || !(range.quality >= 0 && range.quality <= 1)) {
      std::abort();
    }
    for (const char c : range.range) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '*')) {
        std::abort();
      }
    }
  }
  static const std::vector<std::string> kAvailable = {"en", "de", "de-ch", "pt-br", "fr"};
  const std::string chosen = weave::ChooseLanguage(header, kAvailable, "en");
  bool known = false;
  for (const std::string& language : kAvailable) {
    known = known || chosen == language;
  }
  if (!known) {
    std::abort();
  }
  return 0;
}
