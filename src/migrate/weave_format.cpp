// The export format's lines, written and parsed with RapidJSON (see weave_format.h).
#include "migrate/weave_format.h"

#include <cstring>
#include <istream>
#include <optional>
#include <ostream>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace weave {
namespace {

using Value = rapidjson::Value;
// Validating writer: a text that is not UTF-8 makes the writer fail instead of producing
// a line no reader would accept.
using JsonWriter =
    rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                      rapidjson::CrtAllocator, rapidjson::kWriteValidateEncodingFlag>;

const Value* Member(const Value& object, const char* name) {
  const auto found = object.FindMember(name);
  return found == object.MemberEnd() ? nullptr : &found->value;
}

// The field types of the format: how each is recognised, read and named in a message.
template <typename T>
struct FieldType;
template <>
struct FieldType<std::string> {
  static constexpr const char* kName = "a string";
  static bool Is(const Value& value) { return value.IsString(); }
  static std::string Get(const Value& value) {
    return {value.GetString(), value.GetStringLength()};
  }
};
template <>
struct FieldType<int64_t> {
  static constexpr const char* kName = "an integer";
  static bool Is(const Value& value) { return value.IsInt64(); }
  static int64_t Get(const Value& value) { return value.GetInt64(); }
};
template <>
struct FieldType<bool> {
  static constexpr const char* kName = "true or false";
  static bool Is(const Value& value) { return value.IsBool(); }
  static bool Get(const Value& value) { return value.GetBool(); }
};

// The field name of object, which must be there with type T.
template <typename T>
T Required(const Value& object, const char* name) {
  const Value* value = Member(object, name);
  if (value == nullptr || !FieldType<T>::Is(*value)) {
    throw WeaveFormatError(std::string("\"") + name + "\" is missing or not " +
                           FieldType<T>::kName);
  }
  return FieldType<T>::Get(*value);
}

// The field name of object if it is there and not null; then it must have type T.
template <typename T>
std::optional<T> Optional(const Value& object, const char* name) {
  const Value* value = Member(object, name);
  if (value == nullptr || value->IsNull()) {
    return std::nullopt;
  }
  if (!FieldType<T>::Is(*value)) {
    throw WeaveFormatError(std::string("\"") + name + "\" is not " + FieldType<T>::kName);
  }
  return FieldType<T>::Get(*value);
}

MigratedAccount ParseAccount(const Value& object) {
  MigratedAccount account;
  account.name = Required<std::string>(object, "name");
  account.email = Optional<std::string>(object, "email").value_or("");
  account.password_hash = Optional<std::string>(object, "password_hash").value_or("");
  account.unusable_hash_reason = Optional<std::string>(object, "unusable_hash_reason").value_or("");
  account.disabled = Optional<bool>(object, "disabled").value_or(false);
  return account;
}

MigratedRecord ParseRecord(const Value& object) {
  MigratedRecord record;
  record.collection = Required<std::string>(object, "collection");
  record.id = Required<std::string>(object, "id");
  record.modified_cs = Required<int64_t>(object, "modified");
  record.sortindex = Optional<int64_t>(object, "sortindex");
  record.parentid = Optional<std::string>(object, "parentid");
  record.predecessorid = Optional<std::string>(object, "predecessorid");
  record.expires_s = Optional<int64_t>(object, "expires");
  record.payload = Required<std::string>(object, "payload");
  return record;
}

WeaveLine ParseObject(const Value& object) {
  if (const Value* format = Member(object, "format")) {
    if (!format->IsString() ||
        std::string_view(format->GetString(), format->GetStringLength()) != kWeaveFormatName) {
      throw WeaveFormatError("not a " + std::string(kWeaveFormatName) + " file");
    }
    const auto version = Required<int64_t>(object, "version");
    if (version != kWeaveFormatVersion) {
      throw WeaveFormatError("format version " + std::to_string(version) +
                             " is not supported (this program reads version " +
                             std::to_string(kWeaveFormatVersion) + ")");
    }
    return WeaveHeader{static_cast<int>(version)};
  }
  const auto type = Required<std::string>(object, "type");
  if (type == "account") {
    return ParseAccount(object);
  }
  if (type == "collection") {
    return MigratedCollection{Required<std::string>(object, "name"),
                              Required<int64_t>(object, "modified")};
  }
  if (type == "record") {
    return ParseRecord(object);
  }
  if (type == "end") {
    return WeaveEnd{Required<int64_t>(object, "accounts"), Required<int64_t>(object, "records")};
  }
  throw WeaveFormatError("unknown line type \"" + type + "\"");
}

// One line of the format being written: a JSON object, its fields in the order added.
class JsonLine {
 public:
  JsonLine() { writer_.StartObject(); }
  void Text(const char* name, std::string_view text) {
    Key(name);
    if (!writer_.String(text.data(), static_cast<rapidjson::SizeType>(text.size()))) {
      throw WeaveFormatError(std::string("\"") + name + "\" is not valid UTF-8");
    }
  }
  void Int(const char* name, int64_t value) {
    Key(name);
    writer_.Int64(value);
  }
  void Bool(const char* name, bool value) {
    Key(name);
    writer_.Bool(value);
  }
  // An optional field is left out when it has no value (the reader takes that as null).
  void OptionalText(const char* name, const std::optional<std::string>& text) {
    if (text) {
      Text(name, *text);
    }
  }
  void OptionalInt(const char* name, std::optional<int64_t> value) {
    if (value) {
      Int(name, *value);
    }
  }
  // The object's text; the line is done.
  std::string Finish() {
    writer_.EndObject();
    return {buffer_.GetString(), buffer_.GetSize()};
  }

 private:
  void Key(const char* name) {
    writer_.Key(name, static_cast<rapidjson::SizeType>(std::strlen(name)));
  }

  rapidjson::StringBuffer buffer_;
  JsonWriter writer_{buffer_};
};

}  // namespace

WeaveLine ParseWeaveLine(std::string_view line) {
  rapidjson::Document document;
  // Without kParseStopWhenDoneFlag, anything but white space after the value is an error.
  constexpr unsigned kFlags =
      rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag;
  document.Parse<kFlags>(line.data(), line.size());
  if (document.HasParseError()) {
    throw WeaveFormatError(std::string("not JSON: ") +
                           rapidjson::GetParseError_En(document.GetParseError()));
  }
  if (!document.IsObject()) {
    throw WeaveFormatError("not a JSON object");
  }
  return ParseObject(document);
}

WeaveFormatWriter::WeaveFormatWriter(std::ostream& out) : out_(out) {
  JsonLine line;
  line.Text("format", kWeaveFormatName);
  line.Int("version", kWeaveFormatVersion);
  WriteLine(line.Finish());
}

void WeaveFormatWriter::Account(const MigratedAccount& account) {
  JsonLine line;
  line.Text("type", "account");
  line.Text("name", account.name);
  line.Text("email", account.email);
  line.Text("password_hash", account.password_hash);
  if (!account.unusable_hash_reason.empty()) {
    line.Text("unusable_hash_reason", account.unusable_hash_reason);
  }
  line.Bool("disabled", account.disabled);
  WriteLine(line.Finish());
  ++accounts_;
}

void WeaveFormatWriter::Collection(const MigratedCollection& collection) {
  JsonLine line;
  line.Text("type", "collection");
  line.Text("name", collection.name);
  line.Int("modified", collection.modified_cs);
  WriteLine(line.Finish());
}

void WeaveFormatWriter::Record(const MigratedRecord& record) {
  JsonLine line;
  line.Text("type", "record");
  line.Text("collection", record.collection);
  line.Text("id", record.id);
  line.Int("modified", record.modified_cs);
  line.OptionalInt("sortindex", record.sortindex);
  line.OptionalText("parentid", record.parentid);
  line.OptionalText("predecessorid", record.predecessorid);
  line.OptionalInt("expires", record.expires_s);
  line.Text("payload", record.payload);
  WriteLine(line.Finish());
  ++records_;
  payload_bytes_ += static_cast<int64_t>(record.payload.size());
}

void WeaveFormatWriter::Finish() {
  JsonLine line;
  line.Text("type", "end");
  line.Int("accounts", accounts_);
  line.Int("records", records_);
  WriteLine(line.Finish());
  out_.flush();
  if (!out_) {
    throw std::runtime_error("could not write the export");
  }
}

void WeaveFormatWriter::WriteLine(const std::string& json) {
  out_ << json << '\n';
  if (!out_) {
    throw std::runtime_error("could not write the export");
  }
}

namespace {
constexpr size_t kReadChunk = size_t{256} * 1024;
}  // namespace

LineReader::LineReader(std::streambuf& input, size_t max_line_bytes)
    : input_(input), max_line_bytes_(max_line_bytes) {}

bool LineReader::Fill() {
  if (eof_) {
    return false;
  }
  if (begin_ > 0) {  // keep only the unread part, at the front
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    buffer_offset_ += begin_;
    end_ -= begin_;
    begin_ = 0;
  }
  if (buffer_.size() < end_ + kReadChunk) {
    buffer_.resize(end_ + kReadChunk);
  }
  const std::streamsize got =
      input_.sgetn(buffer_.data() + end_, static_cast<std::streamsize>(kReadChunk));
  if (got <= 0) {
    eof_ = true;
    return false;
  }
  end_ += static_cast<size_t>(got);
  return true;
}

bool LineReader::Next(std::string& line) {
  size_t searched = 0;  // bytes after begin_ already searched for a line feed
  for (;;) {
    const size_t unsearched = end_ - begin_ - searched;
    const void* found = unsearched == 0
                            ? nullptr
                            : std::memchr(buffer_.data() + begin_ + searched, '\n', unsearched);
    const size_t length =
        found != nullptr
            ? static_cast<size_t>(static_cast<const char*>(found) - (buffer_.data() + begin_))
            : end_ - begin_;
    if (length > max_line_bytes_) {
      throw WeaveFormatError("a line is longer than " + std::to_string(max_line_bytes_) + " bytes");
    }
    if (found != nullptr || (!Fill() && end_ > begin_)) {
      const size_t taken = found != nullptr ? length : end_ - begin_;
      line.assign(buffer_.data() + begin_, taken);
      line_offset_ = buffer_offset_ + begin_;
      begin_ += taken + (found != nullptr ? 1 : 0);
      return true;
    }
    if (eof_) {
      return false;
    }
    searched = length;
  }
}

void LineReader::Seek(uint64_t offset) {
  const auto position = input_.pubseekpos(static_cast<std::streamoff>(offset), std::ios_base::in);
  if (position == std::streampos(static_cast<std::streamoff>(-1))) {
    throw std::runtime_error("the input cannot be read twice (not a file)");
  }
  begin_ = end_ = 0;
  buffer_offset_ = offset;
  eof_ = false;
}

}  // namespace weave
