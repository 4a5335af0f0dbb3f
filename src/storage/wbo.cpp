// Parsing and validation of records (WBOs) from request bodies with RapidJSON.
#include "storage/wbo.h"

#include <cmath>
#include <cstring>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "core/errors.h"
#include "core/utf8.h"

namespace weave {
namespace {

constexpr int64_t kMaxSortIndex = 999999999;
constexpr size_t kMaxIdBytes = 64;

using Value = rapidjson::Value;

// A string field's text. RapidJSON validates raw UTF-8 but lets an escaped lone low
// surrogate ("\udc00") through as invalid bytes; such a body is refused like any other
// invalid UTF-8, so nothing stored or served is malformed.
std::string_view View(const Value& value) {
  const std::string_view text(value.GetString(), value.GetStringLength());
  if (!IsValidUtf8(text)) {
    throw BadRequest(WeaveError::kJsonParseFailure, "invalid UTF-8 in a string");
  }
  return text;
}

// sortindex and ttl: integers, floats (truncated, as Python's int()), or a string of digits.
std::optional<int64_t> IntegerField(const Value& value) {
  if (value.IsInt64()) {
    return value.GetInt64();
  }
  if (value.IsDouble()) {
    const double number = value.GetDouble();
    if (!std::isfinite(number) || std::fabs(number) > 9e15) {
      return std::nullopt;
    }
    return static_cast<int64_t>(number);
  }
  if (value.IsString()) {
    const std::string_view text = View(value);
    size_t i = !text.empty() && (text[0] == '-' || text[0] == '+') ? 1 : 0;
    if (i == text.size() || text.size() > 12) {
      return std::nullopt;
    }
    int64_t number = 0;
    for (; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') {
        return std::nullopt;
      }
      number = number * 10 + (text[i] - '0');
    }
    return text[0] == '-' ? -number : number;
  }
  return std::nullopt;
}

bool IsValidReference(std::string_view id) {
  return id.size() <= kMaxIdBytes;
}

}  // namespace

bool IsValidItemId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdBytes) {
    return false;
  }
  for (const char c : id) {
    // Printable ASCII: ids travel raw in URLs and comma-separated in ids= lists.
    if (c < 0x20 || c > 0x7e || c == '/' || c == ',') {
      return false;
    }
  }
  return true;
}

struct WboBody::Document {
  rapidjson::Document json;
};

WboBody::WboBody(std::string body) : buffer_(std::move(body)), document_(new Document) {
  // A NUL byte would end RapidJSON's in-place input early and hide what follows it.
  if (std::memchr(buffer_.data(), '\0', buffer_.size()) != nullptr) {
    throw BadRequest(WeaveError::kJsonParseFailure, "NUL byte in body");
  }
  // RapidJSON's UTF-8 validation may look up to three bytes past a truncated sequence at
  // the end: give it zeros to read instead of the heap beyond the string.
  buffer_.append(4, '\0');
  // Iterative parsing: deeply nested input cannot exhaust the stack. Strict UTF-8.
  constexpr unsigned kFlags =
      rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag;
  document_->json.ParseInsitu<kFlags>(buffer_.data());
  if (document_->json.HasParseError()) {
    throw BadRequest(WeaveError::kJsonParseFailure,
                     std::string("body is not JSON: ") +
                         rapidjson::GetParseError_En(document_->json.GetParseError()));
  }
}

WboBody::~WboBody() = default;

std::string WboBody::ReadFields(const void* opaque, const WboLimits& limits, ItemWrite& write,
                                bool& has_id) {
  const Value& value = *static_cast<const Value*>(opaque);
  if (!value.IsObject()) {
    return "invalid wbo";
  }
  std::string error;
  for (const auto& member : value.GetObject()) {
    const std::string_view name = View(member.name);
    const Value& field = member.value;
    if (field.IsObject() || field.IsArray()) {
      error = "invalid wbo";  // every field of a WBO is a scalar
    } else if (field.IsNull()) {
      continue;  // null means absent
    } else if (name == "id") {
      has_id = true;
      if (field.IsString()) {
        write.id = View(field);
      } else if (field.IsInt64()) {
        write.id = converted_.emplace_back(std::to_string(field.GetInt64()));
      } else {
        error = "invalid id";
      }
    } else if (name == "payload") {
      if (!field.IsString()) {
        error = "payload not a string";
      } else if (static_cast<int64_t>(field.GetStringLength()) > limits.max_payload_bytes) {
        error = "payload too large";
      } else {
        write.payload = View(field);
      }
    } else if (name == "sortindex") {
      write.sortindex = IntegerField(field);
      if (!write.sortindex || *write.sortindex > kMaxSortIndex ||
          *write.sortindex < -kMaxSortIndex) {
        error = "invalid sortindex";
      }
    } else if (name == "ttl") {
      write.ttl_seconds = IntegerField(field);
      if (!write.ttl_seconds || *write.ttl_seconds < 0 ||
          *write.ttl_seconds > limits.max_ttl_seconds) {
        error = "invalid ttl";
      }
    } else if (name == "parentid" || name == "predecessorid") {
      if (!field.IsString() || !IsValidReference(View(field))) {
        error = "invalid " + std::string(name);
      } else if (name == "parentid") {
        write.parentid = View(field);
      } else {
        write.predecessorid = View(field);
      }
    }
    // Anything else, "modified" included, is the server's business or unknown: ignored.
  }
  return error;
}

ParsedWbo WboBody::ParseItem(const void* value, const WboLimits& limits) {
  ParsedWbo parsed;
  ItemWrite write;
  bool has_id = false;
  parsed.error = ReadFields(value, limits, write, has_id);
  parsed.id = std::string(write.id);
  if (parsed.error.empty() && (!has_id || !IsValidItemId(write.id))) {
    parsed.error = "invalid id";
  }
  if (parsed.error.empty()) {
    parsed.write = write;
  }
  return parsed;
}

ItemWrite WboBody::ParseSingle(std::string_view url_id, const WboLimits& limits) {
  if (!document_->json.IsObject()) {
    throw BadRequest(WeaveError::kInvalidWbo, "PUT body is not a JSON object");
  }
  ItemWrite write;
  bool has_id = false;
  const std::string error = ReadFields(&document_->json, limits, write, has_id);
  if (!error.empty()) {
    throw BadRequest(WeaveError::kInvalidWbo, error);
  }
  // The URL names the record; an id in the body may be absent but must not be malformed.
  if (has_id && !IsValidItemId(write.id)) {
    throw BadRequest(WeaveError::kInvalidWbo, "invalid id");
  }
  write.id = url_id;
  return write;
}

std::vector<ParsedWbo> WboBody::ParseBatch(const WboLimits& limits) {
  const Value& root = document_->json;
  std::vector<ParsedWbo> items;
  if (root.IsObject()) {
    items.push_back(ParseItem(&root, limits));
    return items;
  }
  if (!root.IsArray()) {
    throw BadRequest(WeaveError::kInvalidWbo, "POST body is not a JSON array");
  }
  items.reserve(root.Size());
  for (const Value& element : root.GetArray()) {
    items.push_back(ParseItem(&element, limits));
  }
  return items;
}

}  // namespace weave
