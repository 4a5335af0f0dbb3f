// JSON writing for the Storage API with RapidJSON, straight into the response body.
#include "storage/json_output.h"

#include <cstring>

#include <arpa/inet.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/weave_timestamp.h"

namespace weave {
namespace {

// RapidJSON writes into its own buffer, which reserves room for a whole string and then
// stores characters without a capacity check each; the text is appended to the body in one
// copy. (A sink appending to the std::string character by character cost about 15 % of a
// download's CPU.)
using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void AppendBuffer(const rapidjson::StringBuffer& buffer, std::string& out) {
  out.append(buffer.GetString(), buffer.GetSize());
}

// An empty buffer for one record of a list, kept with its memory from record to record.
rapidjson::StringBuffer& EmptyRecordBuffer() {
  thread_local rapidjson::StringBuffer buffer;
  buffer.Clear();
  return buffer;
}

// Weave times are JSON numbers with exactly two decimals ("1300000000.20").
void WriteTimestampValue(JsonWriter& writer, int64_t centiseconds) {
  std::string formatted;
  AppendTimestamp(centiseconds, formatted);
  writer.RawValue(formatted.data(), formatted.size(), rapidjson::kNumberType);
}

void WriteString(JsonWriter& writer, std::string_view text) {
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

void WriteKib(JsonWriter& writer, int64_t bytes) {
  writer.Double(static_cast<double>(bytes) / 1024.0);
}

void WriteItem(JsonWriter& writer, const ItemView& item) {
  writer.StartObject();
  writer.Key("id");
  WriteString(writer, item.id);
  writer.Key("modified");
  WriteTimestampValue(writer, item.modified_cs);
  if (item.sortindex) {
    writer.Key("sortindex");
    writer.Int64(*item.sortindex);
  }
  if (item.payload) {
    writer.Key("payload");
    WriteString(writer, *item.payload);
  }
  if (item.parentid) {
    writer.Key("parentid");
    WriteString(writer, *item.parentid);
  }
  if (item.predecessorid) {
    writer.Key("predecessorid");
    WriteString(writer, *item.predecessorid);
  }
  writer.EndObject();
}

}  // namespace

void AppendItemJson(const ItemView& item, std::string& out) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  WriteItem(writer, item);
  AppendBuffer(buffer, out);
}

ItemListWriter::ItemListWriter(OutputFormat format, bool full, std::string& out)
    : format_(format), full_(full), out_(out) {
  if (format_ == OutputFormat::kJson) {
    out_.push_back('[');
  }
}

void ItemListWriter::Add(const ItemView& item) {
  if (format_ == OutputFormat::kJson && count_ > 0) {
    out_.push_back(',');
  }
  const size_t length_at = out_.size();
  if (format_ == OutputFormat::kWhoisi) {
    out_.append(4, '\0');  // big-endian length, filled in below
  }
  const size_t start = out_.size();
  rapidjson::StringBuffer& buffer = EmptyRecordBuffer();
  JsonWriter writer(buffer);
  if (full_) {
    WriteItem(writer, item);
  } else {
    WriteString(writer, item.id);
  }
  AppendBuffer(buffer, out_);
  if (format_ == OutputFormat::kWhoisi) {
    const uint32_t length = htonl(static_cast<uint32_t>(out_.size() - start));
    std::memcpy(out_.data() + length_at, &length, sizeof length);
  } else if (format_ == OutputFormat::kNewlines) {
    out_.push_back('\n');  // every record, the last included, ends with a line feed
  }
  ++count_;
}

void ItemListWriter::Finish() {
  if (format_ == OutputFormat::kJson) {
    out_.push_back(']');
  }
}

void AppendNamedValuesJson(const std::vector<std::pair<std::string, int64_t>>& values,
                           JsonValueKind kind, std::string& out) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  for (const auto& [name, value] : values) {
    WriteString(writer, name);
    switch (kind) {
      case JsonValueKind::kTimestamp:
        WriteTimestampValue(writer, value);
        break;
      case JsonValueKind::kCount:
        writer.Int64(value);
        break;
      case JsonValueKind::kKib:
        WriteKib(writer, value);
        break;
    }
  }
  writer.EndObject();
  AppendBuffer(buffer, out);
}

void AppendQuotaJson(int64_t usage_bytes, std::optional<int64_t> quota_kib, std::string& out) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartArray();
  WriteKib(writer, usage_bytes);
  if (quota_kib) {
    writer.Int64(*quota_kib);
  } else {
    writer.Null();
  }
  writer.EndArray();
  AppendBuffer(buffer, out);
}

void AppendPostResultJson(int64_t modified_cs, const std::vector<std::string_view>& succeeded,
                          const std::vector<std::pair<std::string_view, std::string_view>>& failed,
                          std::string& out) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("modified");
  WriteTimestampValue(writer, modified_cs);
  writer.Key("success");
  writer.StartArray();
  for (const std::string_view id : succeeded) {
    WriteString(writer, id);
  }
  writer.EndArray();
  writer.Key("failed");
  writer.StartObject();
  for (const auto& [id, reason] : failed) {
    WriteString(writer, id);
    writer.StartArray();
    WriteString(writer, reason);
    writer.EndArray();
  }
  writer.EndObject();
  writer.EndObject();
  AppendBuffer(buffer, out);
}

}  // namespace weave
