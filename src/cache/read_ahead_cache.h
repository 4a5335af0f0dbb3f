// A cache decorator that fetches keys a request will read later along with the request's
// next read, so that two lookups cost one round trip: a read the cache answers looks up
// the user's generation and entry (storage/caching_storage.h) and, in the same multi-get,
// the verified login that is checked right after (auth/cache_logins.h), whose key is known
// once the login's statement has run.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cache/cache.h"

namespace weave {

// What was fetched ahead is handed out once, to the first read of its key, and only until
// Forget, which the server calls at the start of every request: an answer fetched for one
// request is never taken for another's. A write of a key (Set, Add, CompareAndSwap,
// Delete) drops what was fetched ahead for it, so a request still reads its own writes.
// Errors are the inner cache's: a failed read loses what was wanted with it (each reader
// then reads for itself). One per worker, not thread-safe (as Cache).
class ReadAheadCache final : public Cache {
 public:
  explicit ReadAheadCache(std::unique_ptr<Cache> inner) : inner_(std::move(inner)) {}

  // Drops everything wanted or fetched ahead.
  void Forget();

  void Want(std::string_view key) override;
  std::vector<std::optional<std::string>> GetMany(const std::vector<std::string>& keys) override;
  void Set(std::string_view key, std::string_view value, int ttl_seconds) override;
  bool Add(std::string_view key, std::string_view value, int ttl_seconds) override;
  bool CompareAndSwap(std::string_view key, std::string_view expected, std::string_view value,
                      int ttl_seconds) override;
  bool Delete(std::string_view key) override;

  // At most this many keys are wanted at once; further ones are left to their own reader
  // (a bound on what a caller that wants without reading can pile up).
  static constexpr size_t kMaxWanted = 8;

 private:
  void Drop(std::string_view key);

  const std::unique_ptr<Cache> inner_;
  std::vector<std::string> wanted_;
  std::unordered_map<std::string, std::optional<std::string>> fetched_;
};

}  // namespace weave
