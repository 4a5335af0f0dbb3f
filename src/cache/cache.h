// A shared key-value cache (memcached or Redis) in the terms the server needs: opaque string
// keys and values, per-entry lifetimes, and the few atomic operations that make a cache
// safe to share between workers and nodes. No part of the server may depend on an entry
// being present: a cache forgets (eviction, restart) and may be unreachable at any time.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace weave {

// The cache did not answer within its time limit, refused the connection, or answered
// something unexpected. The caller goes on without the cache (never a failed request).
class CacheUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One client of one cache (a single memcached pool or Redis server). Every operation is
// bounded by the configured timeout and throws CacheUnavailable when it cannot complete;
// then its effect is unknown (it may or may not have reached the cache). Keys are at most
// 200 bytes of printable ASCII without spaces (what memcached accepts); the caller's
// prefix is already part of them. ttl_seconds is the entry's lifetime, at least 1.
// One instance per worker; not thread-safe.
class Cache {
 public:
  Cache() = default;
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;
  virtual ~Cache() = default;

  // The values of the keys, in order; nullopt for a key that is absent. One round trip
  // per server holding any of them.
  virtual std::vector<std::optional<std::string>> GetMany(const std::vector<std::string>& keys) = 0;
  // Stores the value whatever was there.
  virtual void Set(std::string_view key, std::string_view value, int ttl_seconds) = 0;
  // Stores the value only if the key is absent; false if it was present (nothing changed).
  virtual bool Add(std::string_view key, std::string_view value, int ttl_seconds) = 0;
  // Replaces the value only if it still is `expected` (compare and swap on the value);
  // false if it is absent or holds something else (nothing changed).
  virtual bool CompareAndSwap(std::string_view key, std::string_view expected,
                              std::string_view value, int ttl_seconds) = 0;
  // Removes the key; false if it was absent.
  virtual bool Delete(std::string_view key) = 0;
  // A hint that this request will read key soon: a cache may fetch it along with its next
  // read (cache/read_ahead_cache.h). Never fails. Here: nothing.
  virtual void Want(std::string_view /*key*/) {}

  std::optional<std::string> Get(const std::string& key) { return GetMany({key}).front(); }
};

}  // namespace weave
