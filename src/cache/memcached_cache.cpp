// libmemcached behind the Cache interface. A key's server never changes while the server
// list stays the same: failed servers are not ejected (AUTO_EJECT_HOSTS and
// REMOVE_FAILED_SERVERS stay off), because a key that moved to another server and back
// would find its old, stale entry there. A server that failed is skipped for a second
// (RETRY_TIMEOUT) before it is tried again, so a dead server costs one timeout a second.
#include "cache/memcached_cache.h"

#include <string_view>

#include <libmemcached/memcached.h>

#include "core/errors.h"

namespace weave {
namespace {

[[noreturn]] void Fail(memcached_st* handle, memcached_return_t code, const char* what) {
  throw CacheUnavailable(std::string("memcached ") + what + ": " +
                         memcached_strerror(handle, code));
}

void SetBehavior(memcached_st* handle, memcached_behavior_t behavior, uint64_t value) {
  const memcached_return_t code = memcached_behavior_set(handle, behavior, value);
  if (code != MEMCACHED_SUCCESS) {
    throw ConfigError("cache.servers", std::string("libmemcached refused a setting: ") +
                                           memcached_strerror(handle, code));
  }
}

time_t Expiry(int ttl_seconds) {
  return static_cast<time_t>(ttl_seconds < 1 ? 1 : ttl_seconds);
}

}  // namespace

void MemcachedCache::Free::operator()(memcached_st* handle) const {
  memcached_free(handle);
}

MemcachedCache::MemcachedCache(const std::vector<CacheServer>& servers, int timeout_ms)
    : handle_(memcached_create(nullptr)) {
  if (!handle_) {
    throw std::bad_alloc();
  }
  memcached_st* handle = handle_.get();
  SetBehavior(handle, MEMCACHED_BEHAVIOR_DISTRIBUTION, MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA);
  SetBehavior(handle, MEMCACHED_BEHAVIOR_SUPPORT_CAS, 1);
  SetBehavior(handle, MEMCACHED_BEHAVIOR_NO_BLOCK, 1);
  SetBehavior(handle, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
  SetBehavior(handle, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, static_cast<uint64_t>(timeout_ms));
  SetBehavior(handle, MEMCACHED_BEHAVIOR_POLL_TIMEOUT, static_cast<uint64_t>(timeout_ms));
  SetBehavior(handle, MEMCACHED_BEHAVIOR_RCV_TIMEOUT, static_cast<uint64_t>(timeout_ms) * 1000);
  SetBehavior(handle, MEMCACHED_BEHAVIOR_SND_TIMEOUT, static_cast<uint64_t>(timeout_ms) * 1000);
  SetBehavior(handle, MEMCACHED_BEHAVIOR_SERVER_FAILURE_LIMIT, 1);
  SetBehavior(handle, MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, 1);
  SetBehavior(handle, MEMCACHED_BEHAVIOR_AUTO_EJECT_HOSTS, 0);
  SetBehavior(handle, MEMCACHED_BEHAVIOR_REMOVE_FAILED_SERVERS, 0);
  for (const CacheServer& server : servers) {
    const memcached_return_t code =
        server.socket_path.empty()
            ? memcached_server_add(handle, server.host.c_str(), static_cast<in_port_t>(server.port))
            : memcached_server_add_unix_socket(handle, server.socket_path.c_str());
    if (code != MEMCACHED_SUCCESS) {
      throw ConfigError("cache.servers", std::string("libmemcached refused a server: ") +
                                             memcached_strerror(handle, code));
    }
  }
}

MemcachedCache::~MemcachedCache() = default;

// One multi-get: every key in one round trip per server. A server that fails meanwhile
// (refused, timed out, frozen) ends the results with its error code, never with END: the
// keys it did not answer are not taken for absent.
std::vector<std::optional<std::string>> MemcachedCache::GetMany(
    const std::vector<std::string>& keys) {
  memcached_st* handle = handle_.get();
  std::vector<std::optional<std::string>> values(keys.size());
  if (keys.empty()) {
    return values;
  }
  std::vector<const char*> pointers;
  std::vector<size_t> lengths;
  for (const std::string& key : keys) {
    pointers.push_back(key.data());
    lengths.push_back(key.size());
  }
  memcached_return_t code = memcached_mget(handle, pointers.data(), lengths.data(), keys.size());
  if (code != MEMCACHED_SUCCESS) {
    Fail(handle, code, "get");
  }
  memcached_result_st* result = nullptr;
  while ((result = memcached_fetch_result(handle, nullptr, &code)) != nullptr) {
    const std::string_view key(memcached_result_key_value(result),
                               memcached_result_key_length(result));
    for (size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == key) {
        values[i].emplace(memcached_result_value(result), memcached_result_length(result));
      }
    }
    memcached_result_free(result);
  }
  if (code != MEMCACHED_END && code != MEMCACHED_NOTFOUND && code != MEMCACHED_SUCCESS) {
    Fail(handle, code, "get");
  }
  return values;
}

void MemcachedCache::Set(std::string_view key, std::string_view value, int ttl_seconds) {
  const memcached_return_t code = memcached_set(handle_.get(), key.data(), key.size(), value.data(),
                                                value.size(), Expiry(ttl_seconds), 0);
  if (code != MEMCACHED_SUCCESS) {
    Fail(handle_.get(), code, "set");
  }
}

bool MemcachedCache::Add(std::string_view key, std::string_view value, int ttl_seconds) {
  const memcached_return_t code = memcached_add(handle_.get(), key.data(), key.size(), value.data(),
                                                value.size(), Expiry(ttl_seconds), 0);
  if (code == MEMCACHED_NOTSTORED || code == MEMCACHED_DATA_EXISTS) {
    return false;
  }
  if (code != MEMCACHED_SUCCESS) {
    Fail(handle_.get(), code, "add");
  }
  return true;
}

// memcached's own compare and swap works on a version number (the CAS token): read the
// value with its token, compare it here, and store only if the token is unchanged.
bool MemcachedCache::CompareAndSwap(std::string_view key, std::string_view expected,
                                    std::string_view value, int ttl_seconds) {
  memcached_st* handle = handle_.get();
  const char* key_pointer = key.data();
  const size_t key_length = key.size();
  memcached_return_t code = memcached_mget(handle, &key_pointer, &key_length, 1);
  if (code != MEMCACHED_SUCCESS) {
    Fail(handle, code, "gets");
  }
  std::optional<uint64_t> token;
  bool matches = false;
  memcached_result_st* result = nullptr;
  while ((result = memcached_fetch_result(handle, nullptr, &code)) != nullptr) {
    token = memcached_result_cas(result);
    matches = std::string_view(memcached_result_value(result), memcached_result_length(result)) ==
              expected;
    memcached_result_free(result);
  }
  if (code != MEMCACHED_END && code != MEMCACHED_SUCCESS && code != MEMCACHED_NOTFOUND) {
    Fail(handle, code, "gets");
  }
  if (!token || !matches) {
    return false;
  }
  code = memcached_cas(handle, key.data(), key.size(), value.data(), value.size(),
                       Expiry(ttl_seconds), 0, *token);
  if (code == MEMCACHED_DATA_EXISTS || code == MEMCACHED_NOTFOUND || code == MEMCACHED_NOTSTORED) {
    return false;
  }
  if (code != MEMCACHED_SUCCESS) {
    Fail(handle, code, "cas");
  }
  return true;
}

bool MemcachedCache::Delete(std::string_view key) {
  const memcached_return_t code = memcached_delete(handle_.get(), key.data(), key.size(), 0);
  if (code == MEMCACHED_NOTFOUND) {
    return false;
  }
  if (code != MEMCACHED_SUCCESS) {
    Fail(handle_.get(), code, "delete");
  }
  return true;
}

}  // namespace weave
