// Fuzz target: a PUT/POST body through WboBody, ParseBatch and ParseSingle.
// Invariants: only BadRequest escapes; every accepted write has a valid id, a payload within
// the limit and sortindex/ttl within their ranges; refused records say why.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/errors.h"
#include "storage/wbo.h"

namespace {

void Check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

void CheckWrite(const weave::ItemWrite& write, const weave::WboLimits& limits) {
  Check(weave::IsValidItemId(write.id));
  Check(!write.payload || static_cast<int64_t>(write.payload->size()) <= limits.max_payload_bytes);
  Check(!write.sortindex || (*write.sortindex >= -999999999 && *write.sortindex <= 999999999));
  Check(!write.ttl_seconds ||
        (*write.ttl_seconds >= 0 && *write.ttl_seconds <= limits.max_ttl_seconds));
  Check(!write.parentid || write.parentid->size() <= 64);
  Check(!write.predecessorid || write.predecessorid->size() <= 64);
}

void CheckCode(const weave::BadRequest& error, bool parsing) {
  const auto code = error.Code();
  Check(code == weave::WeaveError::kInvalidWbo ||
        (parsing && code == weave::WeaveError::kJsonParseFailure));
}

void RunBatch(const std::string& body, const weave::WboLimits& limits) {
  std::optional<weave::WboBody> parsed;
  try {
    parsed.emplace(body);
  } catch (const weave::BadRequest& error) {
    Check(error.Code() == weave::WeaveError::kJsonParseFailure);
    return;
  }
  try {
    for (const weave::ParsedWbo& item : parsed->ParseBatch(limits)) {
      Check(item.write.has_value() == item.error.empty());
      if (item.write) {
        CheckWrite(*item.write, limits);
        Check(item.write->id == item.id);
      }
    }
  } catch (const weave::BadRequest& error) {
    // Invalid UTF-8 behind an escape ("\udc00") is only seen when the fields are read: 6.
    CheckCode(error, true);
  }
}

// A bounded parse reads the same first records as a full one, and never more of them.
void RunBounded(const std::string& body, const weave::WboLimits& limits, size_t bound) {
  std::vector<std::string> full_ids;
  try {
    weave::WboBody full(body);
    for (const weave::ParsedWbo& item : full.ParseBatch(limits)) {
      full_ids.push_back(item.id);
    }
  } catch (const weave::BadRequest&) {
    return;  // the bounded parse may accept what lies past the bound; nothing to compare
  }
  try {
    weave::WboBody bounded(body, bound);
    const std::vector<weave::ParsedWbo> items = bounded.ParseBatch(limits);
    Check(items.size() <= std::max<size_t>(bound, 1));
    for (size_t i = 0; i < items.size(); ++i) {
      Check(i < full_ids.size() && items[i].id == full_ids[i]);
    }
  } catch (const weave::BadRequest& error) {
    CheckCode(error, true);
  }
}

void RunSingle(const std::string& body, const weave::WboLimits& limits) {
  try {
    weave::WboBody parsed(body);
    const weave::ItemWrite write = parsed.ParseSingle("url-id", limits);
    CheckWrite(write, limits);
    Check(write.id == "url-id");
  } catch (const weave::BadRequest& error) {
    CheckCode(error, true);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  weave::WboLimits defaults;
  weave::WboLimits small;
  small.max_payload_bytes = 8;
  small.max_ttl_seconds = 100;
  RunBatch(body, defaults);
  RunBatch(body, small);
  RunBounded(body, defaults, 2);
  RunSingle(body, defaults);
  RunSingle(body, small);
  return 0;
}
