// The tabs collection as one value: the database's record semantics over a sorted vector,
// and a length-prefixed text form (payloads are arbitrary bytes: no separator is safe).
#include "storage/tabs_value.h"

#include <algorithm>
#include <charconv>
#include <tuple>

namespace weave {
namespace {

// The first line of every encoded value; a value without it is not ours.
constexpr std::string_view kMagic = "weave-tabs 1\n";

bool IdBefore(const TabRecord& record, std::string_view id) {
  return record.id < id;
}

bool Selected(const TabRecord& record, const CollectionFilter& filter) {
  if (filter.ids &&
      std::find(filter.ids->begin(), filter.ids->end(), record.id) == filter.ids->end()) {
    return false;
  }
  if ((filter.newer_cs && record.modified_cs <= *filter.newer_cs) ||
      (filter.older_cs && record.modified_cs >= *filter.older_cs)) {
    return false;
  }
  // As in SQL, a record without a sort index (NULL) matches no bound on it.
  if ((filter.index_above && (!record.sortindex || *record.sortindex <= *filter.index_above)) ||
      (filter.index_below && (!record.sortindex || *record.sortindex >= *filter.index_below))) {
    return false;
  }
  return (!filter.parentid || record.parentid == *filter.parentid) &&
         (!filter.predecessorid || record.predecessorid == *filter.predecessorid);
}

// sql_storage.cpp's ORDER BY clauses; SQL sorts NULL sort indexes below every number.
void Sort(SortOrder order, std::vector<const TabRecord*>& records) {
  const auto by = [&records](auto less) {
    std::sort(records.begin(), records.end(), less);
  };
  switch (order) {
    case SortOrder::kOldest:
      by([](const TabRecord* a, const TabRecord* b) {
        return std::tie(a->modified_cs, a->id) < std::tie(b->modified_cs, b->id);
      });
      break;
    case SortOrder::kNewest:
      by([](const TabRecord* a, const TabRecord* b) {
        return std::tie(a->modified_cs, a->id) > std::tie(b->modified_cs, b->id);
      });
      break;
    case SortOrder::kIndex:
      by([](const TabRecord* a, const TabRecord* b) {
        return std::tie(a->sortindex, a->id) > std::tie(b->sortindex, b->id);
      });
      break;
    case SortOrder::kNone:
      break;  // already by id
  }
}

void AppendInt(int64_t value, char stop, std::string& text) {
  text += std::to_string(value);
  text += stop;
}

// A field: "-" when absent, else "+<length>:<bytes>".
void AppendField(const std::optional<std::string>& field, std::string& text) {
  if (!field) {
    text += '-';
    return;
  }
  text += '+';
  AppendInt(static_cast<int64_t>(field->size()), ':', text);
  text += *field;
}

// Reads a decimal integer ending at `stop` from the front of text, consuming both.
bool TakeInt(std::string_view& text, char stop, int64_t& value) {
  const size_t end = text.find(stop);
  if (end == std::string_view::npos) {
    return false;
  }
  const auto [last, error] = std::from_chars(text.data(), text.data() + end, value);
  if (error != std::errc() || last != text.data() + end) {
    return false;
  }
  text.remove_prefix(end + 1);
  return true;
}

bool TakeField(std::string_view& text, std::optional<std::string>& field) {
  if (text.starts_with('-')) {
    text.remove_prefix(1);
    field.reset();
    return true;
  }
  int64_t length = 0;
  if (!text.starts_with('+')) {
    return false;
  }
  text.remove_prefix(1);
  if (!TakeInt(text, ':', length) || length < 0 || static_cast<uint64_t>(length) > text.size()) {
    return false;
  }
  field.emplace(text.substr(0, static_cast<size_t>(length)));
  text.remove_prefix(static_cast<size_t>(length));
  return true;
}

bool TakeOptionalInt(std::string_view& text, std::optional<int64_t>& value) {
  if (text.starts_with('-')) {
    text.remove_prefix(1);
    value.reset();
    return true;
  }
  int64_t number = 0;
  if (!text.starts_with('+')) {
    return false;
  }
  text.remove_prefix(1);
  if (!TakeInt(text, ';', number)) {
    return false;
  }
  value = number;
  return true;
}

bool TakeRecord(std::string_view& text, TabRecord& record) {
  std::optional<std::string> id;
  if (!TakeField(text, id) || !id || !TakeInt(text, ';', record.modified_cs) ||
      !TakeOptionalInt(text, record.sortindex) || !TakeInt(text, ';', record.expiry_s)) {
    return false;
  }
  record.id = std::move(*id);
  return TakeField(text, record.payload) && TakeField(text, record.parentid) &&
         TakeField(text, record.predecessorid);
}

}  // namespace

ItemView TabRecord::View(bool full) const {
  ItemView view;
  view.id = id;
  if (full) {
    view.modified_cs = modified_cs;
    view.sortindex = sortindex;
    view.payload = payload;
    view.parentid = parentid;
    view.predecessorid = predecessorid;
    if (expiry_s < kNoExpiry) {
      view.expires_s = expiry_s;
    }
  }
  return view;
}

int64_t TabsValue::Count(int64_t now_s) const {
  return std::count_if(records_.begin(), records_.end(),
                       [now_s](const TabRecord& record) { return !record.Expired(now_s); });
}

int64_t TabsValue::UsageBytes(int64_t now_s) const {
  int64_t bytes = 0;
  for (const TabRecord& record : records_) {
    if (!record.Expired(now_s) && record.payload) {
      bytes += static_cast<int64_t>(record.payload->size());
    }
  }
  return bytes;
}

std::optional<int64_t> TabsValue::NextExpiry(int64_t now_s) const {
  std::optional<int64_t> next;
  for (const TabRecord& record : records_) {
    if (!record.Expired(now_s) && record.expiry_s < kNoExpiry &&
        (!next || record.expiry_s < *next)) {
      next = record.expiry_s;
    }
  }
  return next;
}

std::vector<TabRecord>::iterator TabsValue::Position(std::string_view id) {
  return std::lower_bound(records_.begin(), records_.end(), id, IdBefore);
}

const TabRecord* TabsValue::Find(std::string_view id, int64_t now_s) const {
  const auto found = std::lower_bound(records_.begin(), records_.end(), id, IdBefore);
  if (found == records_.end() || found->id != id || found->Expired(now_s)) {
    return nullptr;
  }
  return &*found;
}

std::vector<const TabRecord*> TabsValue::Select(const CollectionFilter& filter,
                                                std::optional<int64_t> now_s) const {
  std::vector<const TabRecord*> selected;
  for (const TabRecord& record : records_) {
    if ((!now_s || !record.Expired(*now_s)) && Selected(record, filter)) {
      selected.push_back(&record);
    }
  }
  Sort(filter.sort, selected);
  if (filter.limit > 0) {
    const size_t skip = std::min(selected.size(), static_cast<size_t>(filter.offset));
    selected.erase(selected.begin(), selected.begin() + static_cast<ptrdiff_t>(skip));
    if (selected.size() > static_cast<size_t>(filter.limit)) {
      selected.resize(static_cast<size_t>(filter.limit));
    }
  }
  return selected;
}

void TabsValue::Upsert(std::span<const ItemWrite> items, int64_t timestamp_cs, int64_t now_s) {
  for (const ItemWrite& item : items) {
    auto position = Position(item.id);
    if (position == records_.end() || position->id != item.id) {
      TabRecord fresh;
      fresh.id = item.id;
      position = records_.insert(position, std::move(fresh));
      position->modified_cs = timestamp_cs;
    }
    TabRecord& record = *position;
    if (item.payload || item.parentid) {
      record.modified_cs = timestamp_cs;
    }
    if (item.ttl_seconds) {
      record.expiry_s = std::min(now_s + *item.ttl_seconds, kNoExpiry - 1);
    } else if (item.payload) {
      record.expiry_s = kNoExpiry;
    }
    if (item.sortindex) {
      record.sortindex = item.sortindex;
    }
    if (item.payload) {
      record.payload.emplace(*item.payload);
    }
    if (item.parentid) {
      record.parentid.emplace(*item.parentid);
    }
    if (item.predecessorid) {
      record.predecessorid.emplace(*item.predecessorid);
    }
  }
  if (!items.empty()) {
    last_change_cs_ = timestamp_cs;
  }
}

int64_t TabsValue::Remove(const CollectionFilter& filter, int64_t timestamp_cs) {
  const std::vector<const TabRecord*> victims = Select(filter, std::nullopt);
  if (victims.empty()) {
    return 0;
  }
  std::vector<std::string> ids;
  ids.reserve(victims.size());
  for (const TabRecord* victim : victims) {
    ids.push_back(victim->id);
  }
  std::sort(ids.begin(), ids.end());
  std::erase_if(records_, [&ids](const TabRecord& record) {
    return std::binary_search(ids.begin(), ids.end(), record.id);
  });
  last_change_cs_ = timestamp_cs;
  return static_cast<int64_t>(victims.size());
}

void TabsValue::DropExpired(int64_t now_s) {
  std::erase_if(records_, [now_s](const TabRecord& record) { return record.Expired(now_s); });
}

// "weave-tabs 1\n<last change>;<record count>;" then each record: its id, modified time,
// sort index, expiry, payload, parentid and predecessorid.
std::string TabsValue::Encode() const {
  std::string text(kMagic);
  AppendInt(last_change_cs_, ';', text);
  AppendInt(static_cast<int64_t>(records_.size()), ';', text);
  for (const TabRecord& record : records_) {
    AppendField(record.id, text);
    AppendInt(record.modified_cs, ';', text);
    if (record.sortindex) {
      text += '+';
      AppendInt(*record.sortindex, ';', text);
    } else {
      text += '-';
    }
    AppendInt(record.expiry_s, ';', text);
    AppendField(record.payload, text);
    AppendField(record.parentid, text);
    AppendField(record.predecessorid, text);
  }
  return text;
}

std::optional<TabsValue> TabsValue::Decode(std::string_view text) {
  if (!text.starts_with(kMagic)) {
    return std::nullopt;
  }
  text.remove_prefix(kMagic.size());
  TabsValue value;
  int64_t count = 0;
  if (!TakeInt(text, ';', value.last_change_cs_) || !TakeInt(text, ';', count) || count < 0 ||
      static_cast<uint64_t>(count) > text.size()) {
    return std::nullopt;
  }
  value.records_.resize(static_cast<size_t>(count));
  for (size_t i = 0; i < value.records_.size(); ++i) {
    if (!TakeRecord(text, value.records_[i]) ||
        (i > 0 && !(value.records_[i - 1].id < value.records_[i].id))) {
      return std::nullopt;
    }
  }
  if (!text.empty()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace weave
