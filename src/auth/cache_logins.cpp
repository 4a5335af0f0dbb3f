// Verified logins in the shared cache: key and value encoding, the value's MAC, and the
// fallback to a real check whenever the cache fails.
#include "auth/cache_logins.h"

#include <algorithm>
#include <charconv>
#include <vector>

#include "core/crypto.h"
#include "core/log.h"

namespace weave {
namespace {

constexpr size_t kKeyBytes = 32;      // LoginKey: HMAC-SHA256
constexpr size_t kRecheckBytes = 16;  // RecheckDigest
constexpr std::string_view kVersion = "v1";
constexpr int64_t kMaxTtlSeconds = 30LL * 86400 - 1;

std::vector<std::string_view> Words(std::string_view text) {
  std::vector<std::string_view> words;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t space = text.find(' ', start);
    const size_t end = space == std::string_view::npos ? text.size() : space;
    words.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

bool ParseInt(std::string_view word, int64_t& out) {
  const char* end = word.data() + word.size();
  const auto result = std::from_chars(word.data(), end, out);
  return !word.empty() && result.ec == std::errc() && result.ptr == end;
}

// The raw bytes of lower-case hex, or nullopt.
std::optional<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return std::nullopt;
  }
  std::string raw;
  for (size_t i = 0; i < hex.size(); i += 2) {
    unsigned value = 0;
    const auto result = std::from_chars(hex.data() + i, hex.data() + i + 2, value, 16);
    if (result.ec != std::errc() || result.ptr != hex.data() + i + 2) {
      return std::nullopt;
    }
    raw.push_back(static_cast<char>(value));
  }
  return raw;
}

// "v1 ID EXPIRES RECHECK_DUE DIGEST" (DIGEST: hex, or "-" for none).
std::string TextOf(const VerifiedLogin& login) {
  return std::string(kVersion) + " " + std::to_string(login.id) + " " +
         std::to_string(login.expires_ms) + " " + std::to_string(login.recheck_due_ms) + " " +
         (login.recheck_digest.empty() ? std::string("-") : HexEncode(login.recheck_digest));
}

std::optional<VerifiedLogin> LoginOf(const std::vector<std::string_view>& words) {
  VerifiedLogin login;
  if (words.size() != 6 || words[0] != kVersion || !ParseInt(words[1], login.id) ||
      !ParseInt(words[2], login.expires_ms) || !ParseInt(words[3], login.recheck_due_ms)) {
    return std::nullopt;
  }
  if (words[4] != "-") {
    auto digest = HexDecode(words[4]);
    if (!digest || digest->size() != kRecheckBytes) {
      return std::nullopt;
    }
    login.recheck_digest = std::move(*digest);
  }
  return login;
}

}  // namespace

CacheLogins::CacheLogins(Cache& cache, std::string prefix, const std::string& secret)
    : VerifiedLogins(secret),
      cache_(cache),
      prefix_(std::move(prefix)),
      value_key_(HmacSha256(secret, "weave-login-value-key-v1")) {}

std::string CacheLogins::CacheKey(std::string_view key) const {
  return prefix_ + "login:" + HexEncode(key);
}

std::string CacheLogins::Seal(std::string_view cache_key, std::string_view text) const {
  std::string message(cache_key);
  message.push_back('\n');
  message.append(text);
  return HexEncode(HmacSha256(value_key_, message));
}

void CacheLogins::Failed(const char* operation, const CacheUnavailable& error) {
  ++failures_;
  Log(LogLevel::kDebug) << "login cache: " << operation
                        << " in the shared cache failed, checking passwords for real: "
                        << error.what();
}

std::optional<VerifiedLogin> CacheLogins::Check(std::string_view key, int64_t now_ms) {
  if (key.size() != kKeyBytes) {
    return std::nullopt;
  }
  const std::string cache_key = CacheKey(key);
  std::optional<std::string> value;
  try {
    value = cache_.Get(cache_key);
  } catch (const CacheUnavailable& error) {
    Failed("a lookup", error);
    return std::nullopt;
  }
  if (!value) {
    return std::nullopt;
  }
  const size_t last_space = value->rfind(' ');
  if (last_space == std::string::npos) {
    return std::nullopt;
  }
  const std::string_view whole{*value};
  const std::string_view text = whole.substr(0, last_space);
  const std::string_view mac = whole.substr(last_space + 1);
  if (!ConstantTimeEquals(mac, Seal(cache_key, text))) {
    Log(LogLevel::kWarning) << "login cache: an entry in the shared cache has a wrong MAC "
                               "(written without the secret, or with another one); ignored";
    return std::nullopt;
  }
  auto login = LoginOf(Words(*value));
  if (!login || now_ms >= login->expires_ms) {
    return std::nullopt;
  }
  return login;
}

void CacheLogins::Remember(std::string_view key, const VerifiedLogin& login, int64_t now_ms) {
  if (key.size() != kKeyBytes ||
      (!login.recheck_digest.empty() && login.recheck_digest.size() != kRecheckBytes) ||
      login.expires_ms <= now_ms) {
    return;
  }
  const std::string cache_key = CacheKey(key);
  const std::string text = TextOf(login);
  // memcached reads a lifetime above 30 days as a point in time: never more than that.
  const int64_t ttl_seconds =
      std::min<int64_t>((login.expires_ms - now_ms + 999) / 1000, kMaxTtlSeconds);
  try {
    cache_.Set(cache_key, text + " " + Seal(cache_key, text), static_cast<int>(ttl_seconds));
  } catch (const CacheUnavailable& error) {
    Failed("remembering a login", error);
  }
}

void CacheLogins::Anticipate(std::string_view key) {
  if (key.size() == kKeyBytes) {
    cache_.Want(CacheKey(key));
  }
}

void CacheLogins::Forget(std::string_view key) {
  if (key.size() != kKeyBytes) {
    return;
  }
  try {
    cache_.Delete(CacheKey(key));
  } catch (const CacheUnavailable& error) {
    Failed("forgetting a login", error);
  }
}

}  // namespace weave
