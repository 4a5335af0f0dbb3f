// The numeric ids of Mozilla's standard collections.
#include "storage/collection_ids.h"

#include <array>

namespace weave {
namespace {

constexpr std::array<std::string_view, 12> kStandardNames = {
    "",     "clients",   "crypto", "forms", "history",   "keys",
    "meta", "bookmarks", "prefs",  "tabs",  "passwords", "addons"};

}  // namespace

std::optional<int> StandardCollectionId(std::string_view name) {
  for (size_t id = 1; id < kStandardNames.size(); ++id) {
    if (kStandardNames[id] == name) {
      return static_cast<int>(id);
    }
  }
  return std::nullopt;
}

std::optional<std::string_view> StandardCollectionName(int id) {
  if (id >= 1 && static_cast<size_t>(id) < kStandardNames.size()) {
    return kStandardNames[static_cast<size_t>(id)];
  }
  return std::nullopt;
}

}  // namespace weave
