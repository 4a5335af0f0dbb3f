// Synthetic Sync records for the load tool: ids, payloads, timestamps (see records.h).
#include "records.h"

#include <cmath>
#include <cstdio>

namespace bench {
namespace {

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kHex[] = "0123456789abcdef";

void AppendRandom(std::string& out, Rng& rng, size_t count, const char* alphabet, int bits) {
  uint64_t word = 0;
  int left = 0;
  for (size_t i = 0; i < count; ++i) {
    if (left < bits) {
      word = rng.Next();
      left = 64;
    }
    out.push_back(alphabet[word & ((1U << bits) - 1)]);
    word >>= bits;
    left -= bits;
  }
}

}  // namespace

uint64_t Rng::Next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double Rng::Normal() {
  // Box-Muller; one of the pair is enough here.
  const double u1 = 1.0 - Uniform();
  const double u2 = Uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

uint64_t Mix(uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
  Rng rng(a * 0x100000001b3ULL ^ (b << 20) ^ (c << 40) ^ d);
  rng.Next();
  return rng.Next() ^ (b * 0x9e3779b97f4a7c15ULL) ^ (c * 0xc2b2ae3d27d4eb4fULL) ^ d;
}

// history 66 %, bookmarks 20 %, forms 9 %, passwords 5 %. Lengths are of the base64
// ciphertext; the JSON around it adds about 130 bytes.
const std::array<CollectionSpec, kCollectionCount> kCollections = {{
    {"history", 0.66, 240, 0.35, 0.01, true, 5184000, false},
    {"bookmarks", 0.20, 360, 0.45, 0.03, true, 0, false},
    {"forms", 0.09, 150, 0.25, 0.0, false, 0, false},
    {"passwords", 0.05, 520, 0.30, 0.02, false, 0, true},
}};

std::array<int, kCollectionCount> SplitRecords(int total) {
  std::array<int, kCollectionCount> counts{};
  int used = 0;
  for (int i = 0; i < kCollectionCount - 1; ++i) {
    counts[i] = static_cast<int>(std::lround(total * kCollections[i].share));
    used += counts[i];
  }
  counts[kCollectionCount - 1] = total - used;
  return counts;
}

std::string RecordId(uint64_t user, int collection, uint64_t index) {
  Rng rng(Mix(user, static_cast<uint64_t>(collection) + 1, index, 0x1d));
  std::string id;
  if (kCollections[collection].guid_ids) {
    id.reserve(38);
    id.push_back('{');
    for (const int group : {8, 4, 4, 4, 12}) {
      if (id.size() > 1) {
        id.push_back('-');
      }
      AppendRandom(id, rng, static_cast<size_t>(group), kHex, 4);
    }
    id.push_back('}');
  } else {
    id.reserve(12);
    AppendRandom(id, rng, 12, kBase64Url, 6);
  }
  return id;
}

std::string MakePayload(Rng& rng, const CollectionSpec& spec) {
  double length = spec.ciphertext_chars * std::exp(spec.spread * rng.Normal());
  if (rng.Uniform() < spec.tail) {
    length = 1500.0 * std::pow(8000.0 / 1500.0, rng.Uniform());  // log-uniform 1.5 to 8 KB
  }
  const size_t chars = std::max<size_t>(16, static_cast<size_t>(length) / 4 * 4);
  std::string payload;
  payload.reserve(chars + 140);
  payload += R"({"ciphertext":")";
  AppendRandom(payload, rng, chars - 2, kBase64, 6);
  payload += "==";
  payload += R"(","IV":")";
  AppendRandom(payload, rng, 22, kBase64, 6);
  payload += "==";
  payload += R"(","hmac":")";
  AppendRandom(payload, rng, 64, kHex, 4);
  payload += "\"}";
  return payload;
}

std::string SeedPayload(uint64_t user, int collection, uint64_t index) {
  Rng rng(Mix(user, static_cast<uint64_t>(collection) + 1, index, 0x5eed));
  return MakePayload(rng, kCollections[collection]);
}

std::string MetaGlobalPayload(uint64_t user) {
  Rng rng(Mix(user, 0x6d657461, 0));
  std::string sync_id;
  AppendRandom(sync_id, rng, 12, kBase64Url, 6);
  std::string payload = R"({"syncID":")" + sync_id + R"(","storageVersion":5,"engines":{)";
  bool first = true;
  for (const char* engine : {"clients", "bookmarks", "forms", "history", "passwords"}) {
    std::string engine_id;
    AppendRandom(engine_id, rng, 12, kBase64Url, 6);
    payload += first ? "" : ",";
    payload += std::string("\"") + engine + R"(":{"version":1,"syncID":")" + engine_id + "\"}";
    first = false;
  }
  payload += R"(},"declined":[]})";
  return payload;
}

void AppendJsonString(std::string& out, std::string_view text) {
  out.push_back('"');
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
      out += escaped;
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

std::string WboJson(std::string_view id, std::string_view payload, std::optional<int64_t> sortindex,
                    int ttl) {
  std::string out;
  out.reserve(payload.size() + id.size() + 80);
  out += "{\"id\":";
  AppendJsonString(out, id);
  if (sortindex) {
    out += ",\"sortindex\":";
    out += std::to_string(*sortindex);
  }
  out += ",\"payload\":";
  AppendJsonString(out, payload);
  if (ttl > 0) {
    out += ",\"ttl\":";
    out += std::to_string(ttl);
  }
  out += '}';
  return out;
}

std::optional<int64_t> ParseCentiseconds(std::string_view text) {
  int64_t whole = 0;
  size_t i = 0;
  size_t digits = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    whole = whole * 10 + (text[i] - '0');
    ++i;
    if (++digits > 15) {
      return std::nullopt;
    }
  }
  int64_t fraction = 0;  // thousandths
  int fraction_digits = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (fraction_digits < 3) {
        fraction = fraction * 10 + (text[i] - '0');
      }
      ++fraction_digits;
      ++i;
    }
  }
  if (i != text.size() || digits == 0) {
    return std::nullopt;
  }
  for (int d = std::min(fraction_digits, 3); d < 3; ++d) {
    fraction *= 10;
  }
  return whole * 100 + (fraction + 5) / 10;
}

std::string FormatCentiseconds(int64_t centiseconds) {
  char text[32];
  snprintf(text, sizeof text, "%lld.%02lld", static_cast<long long>(centiseconds / 100),
           static_cast<long long>(centiseconds % 100));
  return text;
}

}  // namespace bench
