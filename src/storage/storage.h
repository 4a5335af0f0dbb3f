// The storage interface in Weave's own terms: users, collections, records, timestamps.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/errors.h"
#include "core/user_name.h"

namespace weave {

// A write refused because the user's records are being moved to another node right now
// (frozen_users). A 503 like any back-end failure; a storage node answers it with a short
// Retry-After, since the move is over within seconds.
class UserFrozen : public BackendError {
 public:
  using BackendError::BackendError;
};

// A record as read back; the views stay valid only during the visitor call.
struct ItemView {
  std::string_view id;
  int64_t modified_cs = 0;
  std::optional<int64_t> sortindex;
  std::optional<std::string_view> payload;
  std::optional<std::string_view> parentid;
  std::optional<std::string_view> predecessorid;
  // When the record expires (seconds), if it has a ttl. Set by GetItem; other reads may
  // leave it out.
  std::optional<int64_t> expires_s;
};
using ItemVisitor = std::function<void(const ItemView&)>;

// A validated record to write. Absent fields keep their stored values; a record with a
// payload is a full write (new modified time, ttl reset unless given), one without is a
// metadata update. The views must outlive the call.
struct ItemWrite {
  std::string_view id;
  std::optional<std::string_view> payload;
  std::optional<int64_t> sortindex;
  std::optional<std::string_view> parentid;
  std::optional<std::string_view> predecessorid;
  std::optional<int64_t> ttl_seconds;
};

enum class SortOrder { kNone, kOldest, kNewest, kIndex };

// Selection of a collection's records (GET and DELETE parameters). Bounds are strict.
struct CollectionFilter {
  std::optional<std::vector<std::string>> ids;
  std::optional<int64_t> newer_cs;
  std::optional<int64_t> older_cs;
  std::optional<int64_t> index_above;
  std::optional<int64_t> index_below;
  std::optional<std::string> parentid;
  std::optional<std::string> predecessorid;
  int64_t limit = 0;   // 0: no limit
  int64_t offset = 0;  // applied only with a limit
  SortOrder sort = SortOrder::kNone;

  bool SelectsAll() const {
    return !ids && !newer_cs && !older_cs && !index_above && !index_below && !parentid &&
           !predecessorid && limit == 0;
  }
};

// What every write needs besides its records.
struct WriteContext {
  int64_t request_time_cs = 0;                    // the request's own timestamp
  std::optional<int64_t> if_unmodified_since_cs;  // X-If-Unmodified-Since, if sent
  int64_t quota_bytes = 0;                        // 0: no quota
  // WriteResult::usage_bytes is exact when the usage may reach this many bytes; below it,
  // it may be an upper bound that stays below (which saves a read: the quota header is
  // only sent near the quota). 0: always exact.
  int64_t exact_usage_from_bytes = 0;
  // Give the user a new cache token (storage/cache_marks.h) in the write's own
  // transaction, if it writes anything: every cache entry of the user is then out of date.
  bool renew_cache_token = false;
};

enum class WriteStatus {
  kDone,
  kModifiedSince,  // the collection changed after X-If-Unmodified-Since: nothing written
  kOverQuota,      // the user's usage had reached the quota: nothing written
};

struct WriteResult {
  WriteStatus status = WriteStatus::kDone;
  // The time stamped on every record written: the request time, or just past the
  // collection's last change if that is later (so timestamps never go backwards).
  int64_t timestamp_cs = 0;
  // The user's usage after the write, in payload bytes (unexpired records); see
  // WriteContext::exact_usage_from_bytes.
  int64_t usage_bytes = 0;
};

// One instance per worker; not thread-safe. Every method is atomic, and every method
// throws BackendError when the database fails. Collection names are already validated.
class Storage {
 public:
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  virtual ~Storage() = default;

  // Collections holding at least one record, with the time of their last change.
  virtual std::vector<std::pair<std::string, int64_t>> GetCollectionTimestamps(UserId user) = 0;
  // Unexpired record counts per collection.
  virtual std::vector<std::pair<std::string, int64_t>> GetCollectionCounts(UserId user,
                                                                           int64_t now_s) = 0;
  // Unexpired payload bytes per collection.
  virtual std::vector<std::pair<std::string, int64_t>> GetCollectionUsage(UserId user,
                                                                          int64_t now_s) = 0;
  // Unexpired payload bytes of all collections.
  virtual int64_t GetTotalUsage(UserId user, int64_t now_s) = 0;
  // The earliest expiry (seconds) after now_s among the user's records that have a ttl:
  // until then, counts, usage and records read now stay true unless the user writes.
  // nullopt: no record of the user will expire.
  virtual std::optional<int64_t> NextExpiry(UserId user, int64_t now_s) = 0;
  // Time of the collection's last change, or nullopt if it holds nothing.
  virtual std::optional<int64_t> GetCollectionTimestamp(UserId user,
                                                        std::string_view collection) = 0;

  // Visits the unexpired record (with its expires_s), returning false if there is none.
  virtual bool GetItem(UserId user, std::string_view collection, std::string_view id, int64_t now_s,
                       const ItemVisitor& visit) = 0;
  // Visits the selected unexpired records; full=false reads ids only. Returns the count.
  virtual int64_t GetItems(UserId user, std::string_view collection, const CollectionFilter& filter,
                           bool full, int64_t now_s, const ItemVisitor& visit) = 0;

  // Writes all records in one transaction, every one stamped with result.timestamp_cs.
  virtual WriteResult PutItems(UserId user, std::string_view collection,
                               std::span<const ItemWrite> items, const WriteContext& context) = 0;
  // Deletes the selected records (expired ones included) in one transaction.
  virtual WriteResult DeleteItems(UserId user, std::string_view collection,
                                  const CollectionFilter& filter, const WriteContext& context) = 0;
  // Deletes every record and collection of the user.
  virtual void DeleteStorage(UserId user) = 0;
  // Returns if the database answers a trivial query; throws BackendError otherwise.
  virtual void CheckHealth() = 0;
};

}  // namespace weave
