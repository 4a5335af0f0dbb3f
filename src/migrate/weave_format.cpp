// The export format's lines, written and parsed with RapidJSON (see weave_format.h).
#include "migrate/weave_format.h"

#include <cstring>
#include <istream>
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

std::string RequiredString(const Value& object, const char* name) {
  const Value* value = Member(object, name);
  if (value == nullptr || !value->IsString()) {
    throw WeaveFormatError(std::string("\"") + name + "\" is missing or not a string");
  }
  return {value->GetString(), value->GetStringLength()};
}

int64_t RequiredInt(const Value& object, const char* name) {
  const Value* value = Member(object, name);
  if (value == nullptr || !value->IsInt64()) {
    throw WeaveFormatError(std::string("\"") + name + "\" is missing or not an integer");
  }
  return value->GetInt64();
}

std::optional<std::string> OptionalString(const Value& object, const char* name) {
  const Value* value = Member(object, name);
  if (value == nullptr || value->IsNull()) {
    return std::nullopt;
  }
  if (!value->IsString()) {
    throw WeaveFormatError(std::string("\"") + name + "\" is not a string");
  }
  return std::string(value->GetString(), value->GetStringLength());
}

std::optional<int64_t> OptionalInt(const Value& object, const char* name) {
  const Value* value = Member(object, name);
  if (value == nullptr || value->IsNull()) {
    return std::nullopt;
  }
  if (!value->IsInt64()) {
    throw WeaveFormatError(std::string("\"") + name + "\" is not an integer");
  }
  return value->GetInt64();
}

bool OptionalBool(const Value& object, const char* name) {
  const Value* value = Member(object, name);
  if (value == nullptr || value->IsNull()) {
    return false;
  }
  if (!value->IsBool()) {
    throw WeaveFormatError(std::string("\"") + name + "\" is not true or false");
  }
  return value->GetBool();
}

MigratedAccount ParseAccount(const Value& object) {
  MigratedAccount account;
  account.name = RequiredString(object, "name");
  account.email = OptionalString(object, "email").value_or("");
  account.password_hash = OptionalString(object, "password_hash").value_or("");
  account.unusable_hash_reason = OptionalString(object, "unusable_hash_reason").value_or("");
  account.disabled = OptionalBool(object, "disabled");
  return account;
}

MigratedRecord ParseRecord(const Value& object) {
  MigratedRecord record;
  record.collection = RequiredString(object, "collection");
  record.id = RequiredString(object, "id");
  record.modified_cs = RequiredInt(object, "modified");
  record.sortindex = OptionalInt(object, "sortindex");
  record.parentid = OptionalString(object, "parentid");
  record.predecessorid = OptionalString(object, "predecessorid");
  record.expires_s = OptionalInt(object, "expires");
  record.payload = RequiredString(object, "payload");
  return record;
}

WeaveLine ParseObject(const Value& object) {
  if (const Value* format = Member(object, "format")) {
    if (!format->IsString() ||
        std::string_view(format->GetString(), format->GetStringLength()) != kWeaveFormatName) {
      throw WeaveFormatError("not a " + std::string(kWeaveFormatName) + " file");
    }
    const int64_t version = RequiredInt(object, "version");
    if (version != kWeaveFormatVersion) {
      throw WeaveFormatError("format version " + std::to_string(version) +
                             " is not supported (this program reads version " +
                             std::to_string(kWeaveFormatVersion) + ")");
    }
    return WeaveHeader{static_cast<int>(version)};
  }
  const std::string type = RequiredString(object, "type");
  if (type == "account") {
    return ParseAccount(object);
  }
  if (type == "collection") {
    return MigratedCollection{RequiredString(object, "name"), RequiredInt(object, "modified")};
  }
  if (type == "record") {
    return ParseRecord(object);
  }
  if (type == "end") {
    return WeaveEnd{RequiredInt(object, "accounts"), RequiredInt(object, "records")};
  }
  throw WeaveFormatError("unknown line type \"" + type + "\"");
}

void Key(JsonWriter& writer, const char* name) {
  writer.Key(name, static_cast<rapidjson::SizeType>(std::strlen(name)));
}

void Text(JsonWriter& writer, const char* name, std::string_view text) {
  Key(writer, name);
  if (!writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()))) {
    throw WeaveFormatError(std::string("\"") + name + "\" is not valid UTF-8");
  }
}

std::string Finished(const rapidjson::StringBuffer& buffer) {
  return {buffer.GetString(), buffer.GetSize()};
}

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
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  Text(writer, "format", kWeaveFormatName);
  Key(writer, "version");
  writer.Int(kWeaveFormatVersion);
  writer.EndObject();
  WriteLine(Finished(buffer));
}

void WeaveFormatWriter::Account(const MigratedAccount& account) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  Text(writer, "type", "account");
  Text(writer, "name", account.name);
  Text(writer, "email", account.email);
  Text(writer, "password_hash", account.password_hash);
  if (!account.unusable_hash_reason.empty()) {
    Text(writer, "unusable_hash_reason", account.unusable_hash_reason);
  }
  Key(writer, "disabled");
  writer.Bool(account.disabled);
  writer.EndObject();
  WriteLine(Finished(buffer));
  ++accounts_;
}

void WeaveFormatWriter::Collection(const MigratedCollection& collection) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  Text(writer, "type", "collection");
  Text(writer, "name", collection.name);
  Key(writer, "modified");
  writer.Int64(collection.modified_cs);
  writer.EndObject();
  WriteLine(Finished(buffer));
}

void WeaveFormatWriter::Record(const MigratedRecord& record) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  Text(writer, "type", "record");
  Text(writer, "collection", record.collection);
  Text(writer, "id", record.id);
  Key(writer, "modified");
  writer.Int64(record.modified_cs);
  if (record.sortindex) {
    Key(writer, "sortindex");
    writer.Int64(*record.sortindex);
  }
  if (record.parentid) {
    Text(writer, "parentid", *record.parentid);
  }
  if (record.predecessorid) {
    Text(writer, "predecessorid", *record.predecessorid);
  }
  if (record.expires_s) {
    Key(writer, "expires");
    writer.Int64(*record.expires_s);
  }
  Text(writer, "payload", record.payload);
  writer.EndObject();
  WriteLine(Finished(buffer));
  ++records_;
  payload_bytes_ += static_cast<int64_t>(record.payload.size());
}

void WeaveFormatWriter::Finish() {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  Text(writer, "type", "end");
  Key(writer, "accounts");
  writer.Int64(accounts_);
  Key(writer, "records");
  writer.Int64(records_);
  writer.EndObject();
  WriteLine(Finished(buffer));
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
