// The server addresses of cache.servers: memcached://host:port, redis://host:port[/db], and
// the Unix socket forms memcached+unix:///path and redis+unix:///path[?db=N].
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace weave {

struct CacheServer {
  enum class Kind { kMemcached, kRedis };
  Kind kind = Kind::kMemcached;
  std::string host;         // empty for a Unix socket
  int port = 0;             // memcached 11211 and Redis 6379 when the URL names none
  std::string socket_path;  // a Unix socket's path (host and port unused)
  int db = 0;               // Redis's database number
};

// Throws ConfigError (key cache.servers) naming the URL when it is not one of the forms.
CacheServer ParseCacheUrl(std::string_view url);

// The servers of a cache.servers list: any number of memcached servers (keys spread over
// them by consistent hashing) or exactly one Redis server. Throws ConfigError otherwise.
std::vector<CacheServer> ParseCacheServers(const std::vector<std::string>& urls);

}  // namespace weave
