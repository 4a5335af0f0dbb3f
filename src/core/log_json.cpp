// JSON log lines written with RapidJSON's writer.
#include "core/log_json.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/utf8.h"

namespace weave {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void WriteString(JsonWriter& writer, std::string_view text) {
  const std::string valid = ToValidUtf8(text);
  writer.String(valid.data(), static_cast<rapidjson::SizeType>(valid.size()));
}

bool IsReserved(std::string_view name) {
  return name == "time" || name == "level" || name == "pid" || name == "message";
}

}  // namespace

std::string FormatJsonLogLine(std::string_view time, std::string_view level, long long pid,
                              std::string_view message,
                              const std::vector<std::pair<std::string_view, std::string>>& fields) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("time");
  WriteString(writer, time);
  writer.Key("level");
  WriteString(writer, level);
  writer.Key("pid");
  writer.Int64(pid);
  writer.Key("message");
  WriteString(writer, message);
  for (const auto& [name, value] : fields) {
    if (IsReserved(name)) {
      continue;
    }
    WriteString(writer, name);  // a key: the writer knows from its state
    WriteString(writer, value);
  }
  writer.EndObject();
  std::string line(buffer.GetString(), buffer.GetSize());
  line.push_back('\n');
  return line;
}

}  // namespace weave
