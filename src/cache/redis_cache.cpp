// hiredis behind the Cache interface. Compare and swap runs as a small Lua script, which
// Redis executes atomically.
#include "cache/redis_cache.h"

#include <csignal>
#include <string>

#include <hiredis/hiredis.h>
#include <sys/time.h>

namespace weave {
namespace {

constexpr std::string_view kCompareAndSwapScript =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) return 1 else return 0 end";

timeval Timeval(int timeout_ms) {
  timeval value{};
  value.tv_sec = timeout_ms / 1000;
  value.tv_usec = static_cast<suseconds_t>(timeout_ms % 1000) * 1000;
  return value;
}

std::string Ttl(int ttl_seconds) {
  return std::to_string(ttl_seconds < 1 ? 1 : ttl_seconds);
}

}  // namespace

void RedisCache::FreeContext::operator()(redisContext* context) const {
  redisFree(context);
}

void RedisCache::FreeReply::operator()(redisReply* reply) const {
  freeReplyObject(reply);
}

RedisCache::RedisCache(CacheServer server, int timeout_ms)
    : server_(std::move(server)), timeout_ms_(timeout_ms) {
  // hiredis writes with write(2): a server that closed the connection must be an error
  // (EPIPE), not the end of the process. The workers ignore SIGPIPE anyway; weave-admin
  // and the tests do not by themselves.
  std::signal(SIGPIPE, SIG_IGN);
}

RedisCache::~RedisCache() = default;

redisContext* RedisCache::Connected() {
  if (context_) {
    return context_.get();
  }
  const timeval timeout = Timeval(timeout_ms_);
  std::unique_ptr<redisContext, FreeContext> context(
      server_.socket_path.empty()
          ? redisConnectWithTimeout(server_.host.c_str(), server_.port, timeout)
          : redisConnectUnixWithTimeout(server_.socket_path.c_str(), timeout));
  if (!context) {
    throw std::bad_alloc();
  }
  if (context->err != 0 || redisSetTimeout(context.get(), timeout) != REDIS_OK) {
    throw CacheUnavailable(std::string("redis connect: ") + context->errstr);
  }
  if (server_.db != 0) {
    const std::string db = std::to_string(server_.db);
    const Reply reply(
        static_cast<redisReply*>(redisCommand(context.get(), "SELECT %s", db.c_str())));
    if (!reply || reply->type != REDIS_REPLY_STATUS) {
      throw CacheUnavailable("redis SELECT " + db + " failed");
    }
  }
  context_ = std::move(context);
  return context_.get();
}

RedisCache::Reply RedisCache::Command(const std::vector<std::string_view>& arguments) {
  redisContext* context = Connected();
  std::vector<const char*> pointers;
  std::vector<size_t> lengths;
  for (const std::string_view argument : arguments) {
    pointers.push_back(argument.data());
    lengths.push_back(argument.size());
  }
  Reply reply(static_cast<redisReply*>(redisCommandArgv(context, static_cast<int>(arguments.size()),
                                                        pointers.data(), lengths.data())));
  if (!reply) {
    const std::string error = context->errstr;
    context_.reset();
    throw CacheUnavailable("redis " + std::string(arguments.front()) + ": " + error);
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    throw CacheUnavailable("redis " + std::string(arguments.front()) + ": " +
                           std::string(reply->str, reply->len));
  }
  return reply;
}

std::vector<std::optional<std::string>> RedisCache::GetMany(const std::vector<std::string>& keys) {
  std::vector<std::string_view> arguments{"MGET"};
  arguments.insert(arguments.end(), keys.begin(), keys.end());
  const Reply reply = Command(arguments);
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != keys.size()) {
    throw CacheUnavailable("redis MGET: unexpected reply");
  }
  std::vector<std::optional<std::string>> values(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    const redisReply* element = reply->element[i];
    if (element->type == REDIS_REPLY_STRING) {
      values[i].emplace(element->str, element->len);
    }
  }
  return values;
}

void RedisCache::Set(std::string_view key, std::string_view value, int ttl_seconds) {
  const std::string ttl = Ttl(ttl_seconds);
  const Reply reply = Command({"SET", key, value, "EX", ttl});
  if (reply->type != REDIS_REPLY_STATUS) {
    throw CacheUnavailable("redis SET: unexpected reply");
  }
}

bool RedisCache::Add(std::string_view key, std::string_view value, int ttl_seconds) {
  const std::string ttl = Ttl(ttl_seconds);
  const Reply reply = Command({"SET", key, value, "EX", ttl, "NX"});
  return reply->type == REDIS_REPLY_STATUS;
}

bool RedisCache::CompareAndSwap(std::string_view key, std::string_view expected,
                                std::string_view value, int ttl_seconds) {
  const std::string ttl = Ttl(ttl_seconds);
  const Reply reply = Command({"EVAL", kCompareAndSwapScript, "1", key, expected, value, ttl});
  if (reply->type != REDIS_REPLY_INTEGER) {
    throw CacheUnavailable("redis EVAL: unexpected reply");
  }
  return reply->integer == 1;
}

bool RedisCache::Delete(std::string_view key) {
  const Reply reply = Command({"DEL", key});
  if (reply->type != REDIS_REPLY_INTEGER) {
    throw CacheUnavailable("redis DEL: unexpected reply");
  }
  return reply->integer > 0;
}

}  // namespace weave
