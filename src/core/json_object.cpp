// Flat JSON objects through RapidJSON's DOM parser.
#include "core/json_object.h"

#include <rapidjson/document.h>

namespace weave {

std::optional<JsonObjectFields> JsonObjectFields::Parse(std::string_view text) {
  rapidjson::Document document;
  document.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(
      text.data(), text.size());
  if (document.HasParseError() || !document.IsObject()) {
    return std::nullopt;
  }
  JsonObjectFields fields;
  for (const auto& member : document.GetObject()) {
    std::string name(member.name.GetString(), member.name.GetStringLength());
    Value value;
    if (member.value.IsString()) {
      value = std::string(member.value.GetString(), member.value.GetStringLength());
    } else if (member.value.IsBool()) {
      value = member.value.GetBool();
    }
    fields.members_.emplace_back(std::move(name), std::move(value));
  }
  return fields;
}

const JsonObjectFields::Value* JsonObjectFields::Find(std::string_view name) const {
  for (const auto& [member_name, value] : members_) {
    if (member_name == name) {
      return &value;
    }
  }
  return nullptr;
}

std::optional<std::string> JsonObjectFields::String(std::string_view name) const {
  const Value* value = Find(name);
  if (value == nullptr || !std::holds_alternative<std::string>(*value)) {
    return std::nullopt;
  }
  return std::get<std::string>(*value);
}

std::optional<bool> JsonObjectFields::Bool(std::string_view name) const {
  const Value* value = Find(name);
  if (value == nullptr || !std::holds_alternative<bool>(*value)) {
    return std::nullopt;
  }
  return std::get<bool>(*value);
}

}  // namespace weave
