// The cache in front of the database: tokens, entries and their encodings (see the header
// for why an entry is never served stale).
#include "storage/caching_storage.h"

#include <charconv>
#include <limits>

#include "core/metrics.h"

namespace weave {
namespace {

// Upper case: the lower-case kinds held entries under the cache's own generation keys (the
// design before the tokens); a server of that time never reads these, nor this one those.
constexpr char kTimestamps = 'T';
constexpr char kCounts = 'C';
constexpr char kUsage = 'U';
constexpr char kMetaGlobal = 'M';
constexpr int64_t kForever = std::numeric_limits<int64_t>::max();

using NamedValues = std::vector<std::pair<std::string, int64_t>>;

// Reads a decimal integer ending at `stop` from the front of `text`, consuming both.
std::optional<int64_t> TakeInt(std::string_view& text, char stop) {
  const size_t end = text.find(stop);
  if (end == std::string_view::npos) {
    return std::nullopt;
  }
  int64_t value = 0;
  const auto [last, error] = std::from_chars(text.data(), text.data() + end, value);
  if (error != std::errc() || last != text.data() + end) {
    return std::nullopt;
  }
  text.remove_prefix(end + 1);
  return value;
}

// Collection names are [A-Za-z0-9._-], so tabs and newlines can separate them.
std::string EncodeNamedValues(const NamedValues& values) {
  std::string text;
  for (const auto& [name, value] : values) {
    text += name;
    text += '\t';
    text += std::to_string(value);
    text += '\n';
  }
  return text;
}

std::optional<NamedValues> DecodeNamedValues(std::string_view text) {
  NamedValues values;
  while (!text.empty()) {
    const size_t tab = text.find('\t');
    if (tab == std::string_view::npos) {
      return std::nullopt;
    }
    std::string name(text.substr(0, tab));
    text.remove_prefix(tab + 1);
    const auto value = TakeInt(text, '\n');
    if (!value) {
      return std::nullopt;
    }
    values.emplace_back(std::move(name), *value);
  }
  return values;
}

// A record: "1\n" then each field as "-" (absent) or "+<length>:<bytes>"; "0\n": none.
void AppendOptional(std::optional<std::string_view> field, std::string& text) {
  if (!field) {
    text += '-';
    return;
  }
  text += '+';
  text += std::to_string(field->size());
  text += ':';
  text += *field;
}

std::optional<std::optional<std::string_view>> TakeOptional(std::string_view& text) {
  if (text.starts_with('-')) {
    text.remove_prefix(1);
    return std::optional<std::string_view>();
  }
  if (!text.starts_with('+')) {
    return std::nullopt;
  }
  text.remove_prefix(1);
  const auto length = TakeInt(text, ':');
  if (!length || *length < 0 || static_cast<uint64_t>(*length) > text.size()) {
    return std::nullopt;
  }
  std::optional<std::string_view> field = text.substr(0, static_cast<size_t>(*length));
  text.remove_prefix(static_cast<size_t>(*length));
  return field;
}

std::string EncodeItem(const ItemView* item) {
  if (item == nullptr) {
    return "0\n";
  }
  std::string text = "1\n";
  AppendOptional(item->id, text);
  text += std::to_string(item->modified_cs) + ";";
  const std::string sortindex = item->sortindex ? std::to_string(*item->sortindex) : "";
  AppendOptional(item->sortindex ? std::optional<std::string_view>(sortindex) : std::nullopt, text);
  AppendOptional(item->payload, text);
  AppendOptional(item->parentid, text);
  AppendOptional(item->predecessorid, text);
  return text;
}

// False if the text is not a well-formed record entry; *found tells whether it holds one.
bool DecodeItem(std::string_view text, bool* found, ItemView* item) {
  if (text == "0\n") {
    *found = false;
    return true;
  }
  if (!text.starts_with("1\n")) {
    return false;
  }
  text.remove_prefix(2);
  const auto id = TakeOptional(text);
  const auto modified = id && *id ? TakeInt(text, ';') : std::nullopt;
  const auto sortindex = modified ? TakeOptional(text) : std::nullopt;
  const auto payload = sortindex ? TakeOptional(text) : std::nullopt;
  const auto parentid = payload ? TakeOptional(text) : std::nullopt;
  const auto predecessorid = parentid ? TakeOptional(text) : std::nullopt;
  if (!predecessorid || !text.empty()) {
    return false;
  }
  item->id = **id;
  item->modified_cs = *modified;
  if (*sortindex) {
    std::string_view number = **sortindex;
    int64_t value = 0;
    const auto [last, error] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (error != std::errc() || last != number.data() + number.size()) {
      return false;
    }
    item->sortindex = value;
  }
  item->payload = *payload;
  item->parentid = *parentid;
  item->predecessorid = *predecessorid;
  *found = true;
  return true;
}

}  // namespace

std::string CachingStorage::Key(char kind, UserId user) const {
  std::string key = prefix_;
  key += kind;
  key += ':';
  key += std::to_string(user);
  return key;
}

int64_t CachingStorage::ValidUntil(UserId user, int64_t now_s) {
  return inner_.NextExpiry(user, now_s).value_or(kForever);
}

// An entry is "<token> <valid until>\n<text>".
std::string CachingStorage::Cached(UserId user, char kind, int64_t now_s,
                                   const std::function<Computed()>& compute) {
  const std::optional<int64_t> token = marks_.Find(user);
  if (!token) {
    CountMetric(MetricEvent::kCacheMiss);  // no token: the cache is not used for this user
    return compute().text;
  }
  const std::string tag = std::to_string(*token) + " ";
  const std::string entry_key = Key(kind, user);
  try {
    if (const std::optional<std::string> value = cache_.Get(entry_key)) {
      std::string_view entry = *value;
      if (entry.starts_with(tag)) {
        entry.remove_prefix(tag.size());
        const auto valid_until = TakeInt(entry, '\n');
        if (valid_until && now_s < *valid_until) {
          CountMetric(MetricEvent::kCacheHit);
          return std::string(entry);
        }
      }
    }
  } catch (const CacheUnavailable&) {
    CountMetric(MetricEvent::kCacheError);
    CountMetric(MetricEvent::kCacheMiss);
    return compute().text;  // the back-off logged it
  }
  CountMetric(MetricEvent::kCacheMiss);
  Computed computed = compute();
  try {
    cache_.Set(entry_key, tag + std::to_string(computed.valid_until_s) + "\n" + computed.text,
               kEntryTtlSeconds);
  } catch (const CacheUnavailable&) {  // the next reader computes it
    CountMetric(MetricEvent::kCacheError);
  }
  return std::move(computed.text);
}

NamedValues CachingStorage::GetCollectionTimestamps(UserId user) {
  const std::string text = Cached(user, kTimestamps, 0, [&] {
    return Computed{EncodeNamedValues(inner_.GetCollectionTimestamps(user)), kForever};
  });
  if (auto values = DecodeNamedValues(text)) {
    return std::move(*values);
  }
  return inner_.GetCollectionTimestamps(user);
}

NamedValues CachingStorage::GetCollectionCounts(UserId user, int64_t now_s) {
  const std::string text = Cached(user, kCounts, now_s, [&] {
    const int64_t valid_until = ValidUntil(user, now_s);
    return Computed{EncodeNamedValues(inner_.GetCollectionCounts(user, now_s)), valid_until};
  });
  if (auto values = DecodeNamedValues(text)) {
    return std::move(*values);
  }
  return inner_.GetCollectionCounts(user, now_s);
}

NamedValues CachingStorage::GetCollectionUsage(UserId user, int64_t now_s) {
  const std::string text = Cached(user, kUsage, now_s, [&] {
    const int64_t valid_until = ValidUntil(user, now_s);
    return Computed{EncodeNamedValues(inner_.GetCollectionUsage(user, now_s)), valid_until};
  });
  if (auto values = DecodeNamedValues(text)) {
    return std::move(*values);
  }
  return inner_.GetCollectionUsage(user, now_s);
}

// The sum of the per-collection usage: the same records, summed once more.
int64_t CachingStorage::GetTotalUsage(UserId user, int64_t now_s) {
  int64_t total = 0;
  for (const auto& [name, bytes] : GetCollectionUsage(user, now_s)) {
    total += bytes;
  }
  return total;
}

std::optional<int64_t> CachingStorage::NextExpiry(UserId user, int64_t now_s) {
  return inner_.NextExpiry(user, now_s);
}

std::optional<int64_t> CachingStorage::GetCollectionTimestamp(UserId user,
                                                              std::string_view collection) {
  for (const auto& [name, modified] : GetCollectionTimestamps(user)) {
    if (name == collection) {
      return modified;
    }
  }
  return std::nullopt;
}

bool CachingStorage::GetItem(UserId user, std::string_view collection, std::string_view id,
                             int64_t now_s, const ItemVisitor& visit) {
  if (collection != "meta" || id != "global") {
    return inner_.GetItem(user, collection, id, now_s, visit);
  }
  // The entry holds while the record does: only a write (a new token) or its own expiry
  // changes it, whatever the user's other records do.
  const std::string text = Cached(user, kMetaGlobal, now_s, [&] {
    Computed computed{EncodeItem(nullptr), kForever};
    inner_.GetItem(user, collection, id, now_s, [&computed](const ItemView& item) {
      computed = Computed{EncodeItem(&item), item.expires_s.value_or(kForever)};
    });
    return computed;
  });
  ItemView item;
  bool found = false;
  if (!DecodeItem(text, &found, &item)) {
    return inner_.GetItem(user, collection, id, now_s, visit);
  }
  if (found) {
    visit(item);
  }
  return found;
}

int64_t CachingStorage::GetItems(UserId user, std::string_view collection,
                                 const CollectionFilter& filter, bool full, int64_t now_s,
                                 const ItemVisitor& visit) {
  return inner_.GetItems(user, collection, filter, full, now_s, visit);
}

WriteResult CachingStorage::PutItems(UserId user, std::string_view collection,
                                     std::span<const ItemWrite> items,
                                     const WriteContext& context) {
  WriteContext marked = context;
  marked.renew_cache_token = true;  // a new token with the data: every entry is out of date
  return inner_.PutItems(user, collection, items, marked);
}

WriteResult CachingStorage::DeleteItems(UserId user, std::string_view collection,
                                        const CollectionFilter& filter,
                                        const WriteContext& context) {
  WriteContext marked = context;
  marked.renew_cache_token = true;
  return inner_.DeleteItems(user, collection, filter, marked);
}

// The inner storage removes the user's token with the data (see the constructor).
void CachingStorage::DeleteStorage(UserId user) {
  inner_.DeleteStorage(user);
}

void CachingStorage::CheckHealth() {
  inner_.CheckHealth();
}

}  // namespace weave
