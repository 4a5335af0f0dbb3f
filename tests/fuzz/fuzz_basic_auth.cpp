// Fuzz target: an Authorization header through ParseBasicAuth, plus the helpers it rests on.
// Invariants: an accepted user name is non-empty and has no ':' or control characters, the
// password is valid UTF-8; IsValidUtf8 agrees with a byte-table reference; base64 round-trips.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/crypto.h"
#include "http/basic_auth.h"

namespace {

void Check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

// Well-formed UTF-8 after the Unicode standard's table of byte sequences (Table 3-7).
bool ReferenceUtf8(std::string_view text) {
  size_t i = 0;
  const auto at = [&text](size_t k) {
    return static_cast<unsigned char>(text[k]);
  };
  const auto in = [](unsigned char c, unsigned lo, unsigned hi) {
    return c >= lo && c <= hi;
  };
  while (i < text.size()) {
    const unsigned char c = at(i);
    size_t length = 0;
    unsigned lo = 0x80;
    unsigned hi = 0xBF;
    if (c <= 0x7F) {
      length = 1;
    } else if (in(c, 0xC2, 0xDF)) {
      length = 2;
    } else if (c == 0xE0) {
      length = 3;
      lo = 0xA0;
    } else if (in(c, 0xE1, 0xEC) || in(c, 0xEE, 0xEF)) {
      length = 3;
    } else if (c == 0xED) {
      length = 3;
      hi = 0x9F;
    } else if (c == 0xF0) {
      length = 4;
      lo = 0x90;
    } else if (in(c, 0xF1, 0xF3)) {
      length = 4;
    } else if (c == 0xF4) {
      length = 4;
      hi = 0x8F;
    } else {
      return false;
    }
    if (i + length > text.size()) {
      return false;
    }
    for (size_t k = 1; k < length; ++k) {
      const unsigned first_lo = k == 1 ? lo : 0x80;
      const unsigned first_hi = k == 1 ? hi : 0xBF;
      if (!in(at(i + k), first_lo, first_hi)) {
        return false;
      }
    }
    i += length;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  Check(weave::IsValidUtf8(text) == ReferenceUtf8(text));
  const auto decoded = weave::Base64Decode(weave::Base64Encode(text));
  Check(decoded && *decoded == text);

  // As the header arrives, and with the input as the credentials of a well-formed header.
  for (const std::string& header : {std::string(text), "Basic " + weave::Base64Encode(text)}) {
    const auto credentials = weave::ParseBasicAuth(header);
    if (!credentials) {
      continue;
    }
    Check(!credentials->username.empty());
    for (const char c : credentials->username) {
      const auto byte = static_cast<unsigned char>(c);
      Check(c != ':' && byte >= 0x20 && byte != 0x7f);
    }
    Check(weave::IsValidUtf8(credentials->password));
  }
  const auto direct = weave::ParseBasicAuth("Basic " + weave::Base64Encode(text));
  const size_t colon = text.find(':');
  if (direct) {
    Check(colon != std::string_view::npos);
    Check(direct->username == text.substr(0, colon));
    Check(direct->password == text.substr(colon + 1));
  }
  return 0;
}
