// The standard collection ids of Mozilla's PHP storage nodes (and server-storage's 2013 list).
#pragma once

#include <optional>
#include <string_view>

namespace weave {

// Custom collections get ids from here up, per user, as the PHP server allocated them.
constexpr int kFirstCustomCollectionId = 101;

std::optional<int> StandardCollectionId(std::string_view name);
std::optional<std::string_view> StandardCollectionName(int id);

}  // namespace weave
