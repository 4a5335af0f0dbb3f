// The tabs collection in the cache: one value per user, changed by compare and swap (see
// the header for the trade-offs).
#include "storage/cached_tabs.h"

#include <algorithm>
#include <limits>

#include "core/log.h"
#include "core/metrics.h"

namespace weave {
namespace {

using NamedValues = std::vector<std::pair<std::string, int64_t>>;

// The inner storage's list without any rows it may hold of the cached collection, with the
// cache's entry instead.
NamedValues WithTabs(std::string_view collection, NamedValues values, std::optional<int64_t> tabs) {
  std::erase_if(values, [collection](const auto& entry) { return entry.first == collection; });
  if (tabs) {
    values.emplace_back(collection, *tabs);
  }
  return values;
}

// SqlStorage::CheckPrecondition on the value: the same 412, the same timestamp rule.
std::optional<WriteResult> CheckPrecondition(const TabsValue& value, const WriteContext& context,
                                             int64_t* timestamp_cs) {
  if (value.HasRecords() && context.if_unmodified_since_cs &&
      value.LastChange() > *context.if_unmodified_since_cs) {
    return WriteResult{WriteStatus::kModifiedSince, context.request_time_cs, 0};
  }
  *timestamp_cs = std::max(context.request_time_cs, value.LastChange() + 1);
  return std::nullopt;
}

// Whether a write must report the usage (WriteContext::exact_usage_from_bytes): the
// handlers ask only with a quota; without one the tabs are not even read for other writes.
bool NeedsUsage(const WriteContext& context) {
  return context.quota_bytes > 0 ||
         context.exact_usage_from_bytes != std::numeric_limits<int64_t>::max();
}

[[noreturn]] void Unavailable(UserId user, const CacheUnavailable& error) {
  CountMetric(MetricEvent::kCacheError);
  throw TabsUnavailable("the tabs of user " + std::to_string(user) + ": " + error.what());
}

}  // namespace

std::string CachedTabsStorage::Key(UserId user) const {
  return prefix_ + collection_ + ":" + std::to_string(user);
}

CachedTabsStorage::Stored CachedTabsStorage::Load(UserId user) {
  Stored stored;
  try {
    stored.text = cache_.Get(Key(user));
  } catch (const CacheUnavailable& error) {
    Unavailable(user, error);
  }
  if (stored.text) {
    if (auto value = TabsValue::Decode(*stored.text)) {
      stored.value = std::move(*value);
    } else {  // not written by this server: the next write replaces it
      Log(LogLevel::kWarning) << "cache: the tabs of user " << user
                              << " are in an unknown form; taken as empty";
    }
  }
  return stored;
}

std::optional<TabsValue> CachedTabsStorage::TryLoad(UserId user) {
  try {
    return Load(user).value;
  } catch (const TabsUnavailable& error) {
    Log(LogLevel::kDebug) << "cache: answering without tabs: " << error.what();
    return std::nullopt;
  }
}

WriteResult CachedTabsStorage::Modify(UserId user, const Change& change) {
  const std::string key = Key(user);
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    Stored stored = Load(user);
    bool changed = false;
    const WriteResult result = change(stored.value, &changed);
    if (result.status != WriteStatus::kDone || !changed) {
      return result;
    }
    const std::string text = stored.value.Encode();
    if (text.size() > kMaxValueBytes) {
      throw BadRequest(WeaveError::kSizeLimitExceeded, "the tabs collection would be too large");
    }
    try {
      if (stored.text ? cache_.CompareAndSwap(key, *stored.text, text, kEntryTtlSeconds)
                      : cache_.Add(key, text, kEntryTtlSeconds)) {
        return result;
      }
    } catch (const CacheUnavailable& error) {
      Unavailable(user, error);
    }
    // Another write stored its value first: start again from that one.
  }
  throw TabsUnavailable("the tabs of user " + std::to_string(user) + ": still changing after " +
                        std::to_string(kMaxAttempts) + " attempts");
}

int64_t CachedTabsStorage::OtherUsage(UserId user, int64_t now_s) {
  int64_t bytes = 0;
  for (const auto& [name, usage] :
       WithTabs(collection_, inner_.GetCollectionUsage(user, now_s), std::nullopt)) {
    bytes += usage;
  }
  return bytes;
}

NamedValues CachedTabsStorage::GetCollectionTimestamps(UserId user) {
  const std::optional<TabsValue> tabs = TryLoad(user);
  return WithTabs(collection_, inner_.GetCollectionTimestamps(user),
                  tabs && tabs->HasRecords() ? std::optional(tabs->LastChange()) : std::nullopt);
}

NamedValues CachedTabsStorage::GetCollectionCounts(UserId user, int64_t now_s) {
  const std::optional<TabsValue> tabs = TryLoad(user);
  const int64_t count = tabs ? tabs->Count(now_s) : 0;
  return WithTabs(collection_, inner_.GetCollectionCounts(user, now_s),
                  count > 0 ? std::optional(count) : std::nullopt);
}

NamedValues CachedTabsStorage::GetCollectionUsage(UserId user, int64_t now_s) {
  const std::optional<TabsValue> tabs = TryLoad(user);
  const bool any = tabs && tabs->Count(now_s) > 0;
  return WithTabs(collection_, inner_.GetCollectionUsage(user, now_s),
                  any ? std::optional(tabs->UsageBytes(now_s)) : std::nullopt);
}

int64_t CachedTabsStorage::GetTotalUsage(UserId user, int64_t now_s) {
  int64_t bytes = 0;
  for (const auto& [name, usage] : GetCollectionUsage(user, now_s)) {
    bytes += usage;
  }
  return bytes;
}

std::optional<int64_t> CachedTabsStorage::NextExpiry(UserId user, int64_t now_s) {
  std::optional<int64_t> next = inner_.NextExpiry(user, now_s);
  const std::optional<TabsValue> tabs = TryLoad(user);
  const std::optional<int64_t> tabs_next = tabs ? tabs->NextExpiry(now_s) : std::nullopt;
  if (tabs_next && (!next || *tabs_next < *next)) {
    next = tabs_next;
  }
  return next;
}

std::optional<int64_t> CachedTabsStorage::GetCollectionTimestamp(UserId user,
                                                                 std::string_view collection) {
  if (collection != collection_) {
    return inner_.GetCollectionTimestamp(user, collection);
  }
  const Stored stored = Load(user);
  return stored.value.HasRecords() ? std::optional(stored.value.LastChange()) : std::nullopt;
}

bool CachedTabsStorage::GetItem(UserId user, std::string_view collection, std::string_view id,
                                int64_t now_s, const ItemVisitor& visit) {
  if (collection != collection_) {
    return inner_.GetItem(user, collection, id, now_s, visit);
  }
  const Stored stored = Load(user);
  const TabRecord* record = stored.value.Find(id, now_s);
  if (record == nullptr) {
    return false;
  }
  visit(record->View());
  return true;
}

int64_t CachedTabsStorage::GetItems(UserId user, std::string_view collection,
                                    const CollectionFilter& filter, bool full, int64_t now_s,
                                    const ItemVisitor& visit) {
  if (collection != collection_) {
    return inner_.GetItems(user, collection, filter, full, now_s, visit);
  }
  const Stored stored = Load(user);
  int64_t count = 0;
  for (const TabRecord* record : stored.value.Select(filter, now_s)) {
    visit(record->View(full));
    ++count;
  }
  return count;
}

WriteContext CachedTabsStorage::WithoutTabsUsage(UserId user, const WriteContext& context,
                                                 int64_t* tabs_bytes) {
  const int64_t now_s = context.request_time_cs / 100;
  const std::optional<TabsValue> tabs = TryLoad(user);  // a failed cache: tabs left out
  *tabs_bytes = tabs ? tabs->UsageBytes(now_s) : 0;
  WriteContext adjusted = context;
  if (context.quota_bytes > 0) {
    adjusted.quota_bytes -= *tabs_bytes;
  }
  // 0 asks for the exact usage always: right once the tabs alone pass the threshold.
  adjusted.exact_usage_from_bytes =
      std::max<int64_t>(0, context.exact_usage_from_bytes - *tabs_bytes);
  return adjusted;
}

WriteResult CachedTabsStorage::PutItems(UserId user, std::string_view collection,
                                        std::span<const ItemWrite> items,
                                        const WriteContext& context) {
  if (collection != collection_) {
    if (!NeedsUsage(context)) {
      return inner_.PutItems(user, collection, items, context);
    }
    int64_t tabs_bytes = 0;
    const WriteContext adjusted = WithoutTabsUsage(user, context, &tabs_bytes);
    if (context.quota_bytes > 0 && adjusted.quota_bytes <= 0) {  // inner takes 0 as no quota
      return WriteResult{WriteStatus::kOverQuota, context.request_time_cs, 0};
    }
    WriteResult result = inner_.PutItems(user, collection, items, adjusted);
    result.usage_bytes += tabs_bytes;
    return result;
  }
  const int64_t now_s = context.request_time_cs / 100;
  const int64_t other_bytes = NeedsUsage(context) ? OtherUsage(user, now_s) : 0;
  return Modify(user, [&](TabsValue& value, bool* changed) {
    WriteResult result;
    if (auto refused = CheckPrecondition(value, context, &result.timestamp_cs)) {
      return *refused;
    }
    if (context.quota_bytes > 0 && other_bytes + value.UsageBytes(now_s) >= context.quota_bytes) {
      return WriteResult{WriteStatus::kOverQuota, result.timestamp_cs, 0};
    }
    // Written anyway: expired records go, as the database's purge would take them.
    value.DropExpired(now_s);
    value.Upsert(items, result.timestamp_cs, now_s);
    *changed = !items.empty();
    result.usage_bytes = other_bytes + value.UsageBytes(now_s);
    return result;
  });
}

WriteResult CachedTabsStorage::DeleteItems(UserId user, std::string_view collection,
                                           const CollectionFilter& filter,
                                           const WriteContext& context) {
  if (collection != collection_) {
    if (!NeedsUsage(context)) {
      return inner_.DeleteItems(user, collection, filter, context);
    }
    int64_t tabs_bytes = 0;
    WriteResult result =
        inner_.DeleteItems(user, collection, filter, WithoutTabsUsage(user, context, &tabs_bytes));
    result.usage_bytes += tabs_bytes;
    return result;
  }
  const int64_t now_s = context.request_time_cs / 100;
  const int64_t other_bytes = NeedsUsage(context) ? OtherUsage(user, now_s) : 0;
  return Modify(user, [&](TabsValue& value, bool* changed) {
    WriteResult result;
    if (auto refused = CheckPrecondition(value, context, &result.timestamp_cs)) {
      return *refused;
    }
    *changed = value.Remove(filter, result.timestamp_cs) > 0;
    if (*changed) {
      value.DropExpired(now_s);
    }
    result.usage_bytes = other_bytes + value.UsageBytes(now_s);
    return result;
  });
}

void CachedTabsStorage::DeleteStorage(UserId user) {
  inner_.DeleteStorage(user);
  try {
    cache_.Delete(Key(user));
  } catch (const CacheUnavailable& error) {
    Unavailable(user, error);
  }
}

void CachedTabsStorage::CheckHealth() {
  inner_.CheckHealth();
}

}  // namespace weave
