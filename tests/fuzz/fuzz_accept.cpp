// Fuzz target: an Accept header through NegotiateFormat. Invariant: it always answers one of
// the three formats (and never crashes).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "storage/output_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  const weave::OutputFormat format = weave::NegotiateFormat(header);
  if (format != weave::OutputFormat::kJson && format != weave::OutputFormat::kNewlines &&
      format != weave::OutputFormat::kWhoisi) {
    std::abort();
  }
  const char* content_type = weave::ContentTypeOf(format);
  if (content_type == nullptr || std::strncmp(content_type, "application/", 12) != 0) {
    std::abort();
  }
  // Nothing offered explicitly or by wildcard: JSON.
  if (header.find('/') == std::string_view::npos && format != weave::OutputFormat::kJson) {
    std::abort();
  }
  return 0;
}
