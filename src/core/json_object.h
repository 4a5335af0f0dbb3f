// Reading the members of one flat JSON object: the User API's account body and a captcha
// service's answer. The Storage API's records have their own parser (storage/wbo.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace weave {

class JsonObjectFields {
 public:
  // The object's string and boolean members (others are skipped); nullopt unless text is
  // exactly one JSON object in valid UTF-8. Nesting is parsed iteratively, so deep input
  // cannot exhaust the stack.
  static std::optional<JsonObjectFields> Parse(std::string_view text);

  // The first member of that name if it is a string (or a boolean); nullopt otherwise,
  // also when the first member of that name has another type.
  std::optional<std::string> String(std::string_view name) const;
  std::optional<bool> Bool(std::string_view name) const;

 private:
  // monostate: a member of another type, kept so that a later duplicate does not win.
  using Value = std::variant<std::monostate, std::string, bool>;
  const Value* Find(std::string_view name) const;

  std::vector<std::pair<std::string, Value>> members_;
};

}  // namespace weave
