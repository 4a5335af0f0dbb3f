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
// ('T' and 'M' held the collection timestamps and meta/global: see the header for why the
// database answers those now. Their entries go with their TTL.)
constexpr char kCounts = 'C';
constexpr char kUsage = 'U';
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
  return inner_.GetCollectionTimestamp(user, collection);
}

bool CachingStorage::GetItem(UserId user, std::string_view collection, std::string_view id,
                             int64_t now_s, const ItemVisitor& visit) {
  return inner_.GetItem(user, collection, id, now_s, visit);
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
