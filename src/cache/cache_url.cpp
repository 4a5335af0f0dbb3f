// Parsing of cache.servers URLs: strict, so that a typo fails at start-up, not at run time.
#include "cache/cache_url.h"

#include <charconv>
#include <optional>

#include "core/errors.h"

namespace weave {
namespace {

constexpr std::string_view kKey = "cache.servers";

[[noreturn]] void Refuse(std::string_view url, const std::string& why) {
  throw ConfigError(std::string(kKey), "\"" + std::string(url) + "\": " + why);
}

int ParseNumber(std::string_view text, int min, int max, std::string_view url, const char* what) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < min ||
      value > max) {
    Refuse(url, std::string("invalid ") + what);
  }
  return value;
}

// "host:port", "host", "[v6]:port" or "[v6]".
void ParseHostPort(std::string_view rest, std::string_view url, CacheServer& server) {
  std::optional<std::string_view> port_text;
  const bool bracketed = rest.starts_with('[');
  if (bracketed) {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      Refuse(url, "unclosed [ in the host");
    }
    server.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(':')) {
        Refuse(url, "expected :port after the host");
      }
      port_text = rest.substr(1);
    }
  } else {
    const size_t colon = rest.find(':');
    server.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = rest.substr(colon + 1);
    }
  }
  if (server.host.empty() ||
      server.host.find_first_of(bracketed ? "/@?#[] " : "/@?#[]: ") != std::string::npos) {
    Refuse(url, "invalid host");
  }
  if (port_text) {
    server.port = ParseNumber(*port_text, 1, 65535, url, "port");
  }
}

void ParseTcp(std::string_view rest, std::string_view url, CacheServer& server) {
  if (server.kind == CacheServer::Kind::kRedis) {
    if (const size_t slash = rest.find('/'); slash != std::string_view::npos) {
      const std::string_view db = rest.substr(slash + 1);
      if (!db.empty()) {
        server.db = ParseNumber(db, 0, 1 << 20, url, "database number");
      }
      rest = rest.substr(0, slash);
    }
  } else if (rest.ends_with('/')) {
    rest.remove_suffix(1);
  }
  ParseHostPort(rest, url, server);
}

void ParseSocket(std::string_view rest, std::string_view url, CacheServer& server) {
  if (server.kind == CacheServer::Kind::kRedis) {
    if (const size_t query = rest.find("?db="); query != std::string_view::npos) {
      server.db = ParseNumber(rest.substr(query + 4), 0, 1 << 20, url, "database number");
      rest = rest.substr(0, query);
    }
  }
  if (!rest.starts_with('/') || rest.size() < 2 || rest.find_first_of("?#") != std::string::npos) {
    Refuse(url, "expected an absolute socket path after ://");
  }
  server.socket_path = std::string(rest);
}

}  // namespace

CacheServer ParseCacheUrl(std::string_view url) {
  struct Scheme {
    std::string_view prefix;
    CacheServer::Kind kind;
    bool socket;
  };
  static constexpr Scheme kSchemes[] = {
      {"memcached://", CacheServer::Kind::kMemcached, false},
      {"memcached+unix://", CacheServer::Kind::kMemcached, true},
      {"redis://", CacheServer::Kind::kRedis, false},
      {"redis+unix://", CacheServer::Kind::kRedis, true},
  };
  for (const Scheme& scheme : kSchemes) {
    if (!url.starts_with(scheme.prefix)) {
      continue;
    }
    CacheServer server;
    server.kind = scheme.kind;
    server.port = scheme.kind == CacheServer::Kind::kRedis ? 6379 : 11211;
    const std::string_view rest = url.substr(scheme.prefix.size());
    if (scheme.socket) {
      ParseSocket(rest, url, server);
    } else {
      ParseTcp(rest, url, server);
    }
    return server;
  }
  Refuse(url,
         "expected memcached://host:port, redis://host:port[/db], memcached+unix:///path "
         "or redis+unix:///path");
}

std::vector<CacheServer> ParseCacheServers(const std::vector<std::string>& urls) {
  std::vector<CacheServer> servers;
  servers.reserve(urls.size());
  for (const std::string& url : urls) {
    servers.push_back(ParseCacheUrl(url));
  }
  if (servers.empty()) {
    return servers;
  }
  const bool redis = servers.front().kind == CacheServer::Kind::kRedis;
  for (const CacheServer& server : servers) {
    if ((server.kind == CacheServer::Kind::kRedis) != redis) {
      throw ConfigError(std::string(kKey), "memcached and Redis servers cannot be mixed");
    }
  }
  if (redis && servers.size() > 1) {
    throw ConfigError(std::string(kKey), "only one Redis server can be given");
  }
  return servers;
}

}  // namespace weave
