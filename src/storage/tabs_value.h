// One user's tabs collection as a single value (storage/cached_tabs.h keeps it in the shared
// cache instead of the database): every record with what the database would store of it,
// and the collection's last change; the Weave semantics of selecting, writing and deleting
// records on it, the same as sql_storage.cpp applies to rows; and its text form.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/sql_dialect.h"
#include "storage/storage.h"

namespace weave {

struct TabRecord {
  std::string id;
  int64_t modified_cs = 0;
  std::optional<int64_t> sortindex;
  int64_t expiry_s = kNoExpiry;  // absolute, in seconds; hidden from reads once reached
  std::optional<std::string> payload;
  std::optional<std::string> parentid;
  std::optional<std::string> predecessorid;

  // A view of this record; full=false gives the id only (as a GET without full=1 reads).
  ItemView View(bool full = true) const;
  bool Expired(int64_t now_s) const { return expiry_s <= now_s; }
};

class TabsValue {
 public:
  // Time of the last write or delete that changed the collection; 0: never changed.
  int64_t LastChange() const { return last_change_cs_; }
  // Whether the collection holds any record, expired ones included (the database's
  // item_count > 0: what info/collections and X-If-Unmodified-Since look at).
  bool HasRecords() const { return !records_.empty(); }
  // Unexpired records and their payload bytes.
  int64_t Count(int64_t now_s) const;
  int64_t UsageBytes(int64_t now_s) const;
  // The earliest expiry after now_s among records that have a ttl; nullopt: none.
  std::optional<int64_t> NextExpiry(int64_t now_s) const;
  // The unexpired record with this id, or nullptr.
  const TabRecord* Find(std::string_view id, int64_t now_s) const;

  // The records the filter selects, in its order (by id without one), limit and offset
  // applied; expired records are left out when now_s is given.
  std::vector<const TabRecord*> Select(const CollectionFilter& filter,
                                       std::optional<int64_t> now_s) const;
  // Writes the records in order, as the database's upsert does: a record with a payload
  // (or a parentid) takes timestamp_cs, absent fields keep their stored values, a ttl
  // counts from now_s. Stamps the collection when anything was written.
  void Upsert(std::span<const ItemWrite> items, int64_t timestamp_cs, int64_t now_s);
  // Removes what the filter selects (expired records included); stamps the collection with
  // timestamp_cs when anything went. Returns how many records went.
  int64_t Remove(const CollectionFilter& filter, int64_t timestamp_cs);
  // Forgets the records expired at now_s (as the database's purge of expired rows does).
  void DropExpired(int64_t now_s);

  // The text form, and back; nullopt for a text that is not one this function wrote.
  std::string Encode() const;
  static std::optional<TabsValue> Decode(std::string_view text);

 private:
  std::vector<TabRecord>::iterator Position(std::string_view id);

  int64_t last_change_cs_ = 0;
  std::vector<TabRecord> records_;  // sorted by id (bytewise), ids unique
};

}  // namespace weave
