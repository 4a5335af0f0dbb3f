// Parsing and validation of records (WBOs) from request bodies with RapidJSON.
#include "storage/wbo.h"

#include <cmath>
#include <cstring>
#include <string>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <rapidjson/writer.h>

#include "core/errors.h"
#include "core/python_number.h"
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

// A JSON number as a whole number, truncated towards zero as Python's int() does; nullopt
// when it is too large to be any valid value.
std::optional<int64_t> WholeNumber(const Value& value) {
  if (value.IsInt64()) {
    return value.GetInt64();
  }
  if (value.IsDouble() && std::fabs(value.GetDouble()) <= 9e15) {
    return static_cast<int64_t>(value.GetDouble());
  }
  return std::nullopt;
}

// sortindex: a number, or text Python's int(float(text)) reads ("5.5" is 5, " 7 " is 7,
// "1e3" is 1000), truncated towards zero.
std::optional<int64_t> SortIndexField(const Value& value) {
  if (!value.IsString()) {
    return WholeNumber(value);
  }
  const auto number = ParsePythonFloat(View(value));
  if (!number || !std::isfinite(*number) || std::fabs(*number) > 9e15) {
    return std::nullopt;
  }
  return static_cast<int64_t>(*number);
}

// ttl: a number (a fraction truncated), or text Python's int() reads: whole numbers only,
// so "60.5" and "1e3" are refused as Python refused them.
std::optional<int64_t> TtlField(const Value& value) {
  return value.IsString() ? ParsePythonInt(View(value)) : WholeNumber(value);
}

// A number as the text Python's str() gives for it in the common cases (integers, and the
// shortest round-trip form of a fraction), for references sent as numbers.
std::string NumberText(const Value& value) {
  if (value.IsInt64()) {
    return std::to_string(value.GetInt64());
  }
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return {buffer.GetString(), buffer.GetSize()};
}

// A string stream the reader advances in place: RapidJSON parses strings and numbers of a
// plain StringStream on a local copy, so Tell() would lag behind inside the handler.
class InPlaceStream : public rapidjson::StringStream {
 public:
  explicit InPlaceStream(const char* text) : rapidjson::StringStream(text) {}
};

// Finds where the first `limit` elements of a root array end, building nothing; stops
// reading there. Leaves Cut() at 0 when the body is not an array or is shorter.
class ElementCounter : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, ElementCounter> {
 public:
  ElementCounter(const InPlaceStream& stream, size_t limit) : stream_(stream), limit_(limit) {}

  bool Default() { return EndValue(false); }
  bool Key(const char* /*text*/, rapidjson::SizeType /*length*/, bool /*copy*/) { return true; }
  bool StartObject() {
    ++depth_;
    return true;
  }
  bool EndObject(rapidjson::SizeType /*members*/) {
    --depth_;
    return EndValue(true);
  }
  bool StartArray() {
    root_is_array_ = root_is_array_ || depth_ == 0;
    ++depth_;
    return true;
  }
  bool EndArray(rapidjson::SizeType /*elements*/) {
    --depth_;
    return EndValue(true);
  }
  size_t Cut() const { return cut_; }

 private:
  // Called when a value ends; at depth 1 of a root array that is one element. The reader
  // reports the end of an object or array before it takes the closing bracket.
  bool EndValue(bool bracketed) {
    if (root_is_array_ && depth_ == 1 && ++count_ == limit_) {
      const char next = stream_.Peek();
      cut_ = stream_.Tell() + (bracketed && (next == '}' || next == ']') ? 1 : 0);
      return false;  // stop: the rest is not read
    }
    return true;
  }

  const InPlaceStream& stream_;
  const size_t limit_;
  size_t depth_ = 0;
  size_t count_ = 0;
  size_t cut_ = 0;
  bool root_is_array_ = false;
};

// The length of body's first `limit` array elements (up to and including the last of
// them), or 0 when the body is not an array of more than that or is not JSON up to there.
size_t LengthOfFirstElements(const std::string& body, size_t limit) {
  InPlaceStream stream(body.c_str());
  ElementCounter counter(stream, limit);
  rapidjson::Reader reader;
  reader.Parse<rapidjson::kParseIterativeFlag>(stream, counter);
  return counter.Cut();
}

bool InRange(std::optional<int64_t> number, int64_t lowest, int64_t highest) {
  return number && *number >= lowest && *number <= highest;
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

WboBody::WboBody(std::string body, size_t max_records)
    : buffer_(std::move(body)), document_(new Document) {
  // A NUL byte would end RapidJSON's in-place input early and hide what follows it.
  if (std::memchr(buffer_.data(), '\0', buffer_.size()) != nullptr) {
    throw BadRequest(WeaveError::kJsonParseFailure, "NUL byte in body");
  }
  if (max_records > 0) {
    // Records past the bound are not parsed: the array ends after the last one read.
    if (const size_t cut = LengthOfFirstElements(buffer_, max_records); cut > 0) {
      buffer_.resize(cut);
      buffer_.push_back(']');
    }
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
      } else if (field.IsNumber()) {
        write.id = converted_.emplace_back(NumberText(field));  // Python stored str(id)
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
      write.sortindex = SortIndexField(field);
      if (!InRange(write.sortindex, -kMaxSortIndex, kMaxSortIndex)) {
        error = "invalid sortindex";
      }
    } else if (name == "ttl") {
      write.ttl_seconds = TtlField(field);
      if (!InRange(write.ttl_seconds, 0, limits.max_ttl_seconds)) {
        error = "invalid ttl";
      }
    } else if (name == "parentid" || name == "predecessorid") {
      const auto reference = ReadReference(&field);
      if (!reference) {
        error = "invalid " + std::string(name);
      } else {
        (name == "parentid" ? write.parentid : write.predecessorid) = *reference;
      }
    }
    // Anything else, "modified" included, is the server's business or unknown: ignored.
  }
  return error;
}

std::optional<std::string_view> WboBody::ReadReference(const void* opaque) {
  const Value& field = *static_cast<const Value*>(opaque);
  std::string_view text;
  if (field.IsNumber()) {
    // Old clients sent numeric references; Python stored them as text.
    text = converted_.emplace_back(NumberText(field));
  } else if (field.IsString()) {
    text = View(field);
  } else {
    return std::nullopt;
  }
  if (text.size() > kMaxIdBytes) {
    return std::nullopt;
  }
  return text;
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
  // The URL names the record. An id in the body is dropped; as Mozilla's Python server did,
  // only its length is checked.
  if (has_id && write.id.size() > kMaxIdBytes) {
    throw BadRequest(WeaveError::kInvalidWbo, "invalid id");
  }
  write.id = url_id;
  return write;
}

bool WboBody::IsObject() const {
  return document_->json.IsObject();
}

ItemWrite WboBody::ParseSingleWithOwnId(const WboLimits& limits) {
  const ParsedWbo parsed = ParseItem(&document_->json, limits);
  if (!parsed.write) {
    throw BadRequest(WeaveError::kInvalidWbo, parsed.error);
  }
  return *parsed.write;
}

std::vector<ParsedWbo> WboBody::ParseBatch(const WboLimits& limits) {
  const Value& root = document_->json;
  if (!root.IsArray()) {
    throw BadRequest(WeaveError::kInvalidWbo, "POST body is not a JSON array");
  }
  std::vector<ParsedWbo> items;
  items.reserve(root.Size());
  for (const Value& element : root.GetArray()) {
    items.push_back(ParseItem(&element, limits));
  }
  return items;
}

}  // namespace weave
