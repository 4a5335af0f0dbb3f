// Synthetic Sync data: ids, encrypted-looking payloads, Weave timestamps.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bench {

// splitmix64: small, fast and good enough for load generation.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  uint64_t Below(uint64_t bound) { return bound == 0 ? 0 : Next() % bound; }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  double Normal();
  // Index drawn with the given relative weights.
  template <size_t N>
  int Weighted(const std::array<int, N>& weights) {
    int total = 0;
    for (const int weight : weights) {
      total += weight;
    }
    int pick = static_cast<int>(Below(static_cast<uint64_t>(total)));
    for (size_t i = 0; i < N; ++i) {
      if (pick < weights[i]) {
        return static_cast<int>(i);
      }
      pick -= weights[i];
    }
    return static_cast<int>(N) - 1;
  }

 private:
  uint64_t state_;
};

uint64_t Mix(uint64_t a, uint64_t b, uint64_t c = 0, uint64_t d = 0);

struct CollectionSpec {
  const char* name;
  double share;          // of a user's records
  int ciphertext_chars;  // median length of the base64 ciphertext
  double spread;         // log-normal sigma around the median
  double tail;           // probability of a large record (1.5 to 8 KB)
  bool sortindex;
  int ttl;        // seconds, 0: none
  bool guid_ids;  // passwords use "{xxxxxxxx-xxxx-...}" ids
};

constexpr int kCollectionCount = 4;
extern const std::array<CollectionSpec, kCollectionCount> kCollections;

// Records per collection for a user with `total` records (the shares, rounded; passwords
// take the remainder).
std::array<int, kCollectionCount> SplitRecords(int total);

// The id of a user's record number `index` in a collection: stable across runs.
std::string RecordId(uint64_t user, int collection, uint64_t index);

// An encrypted-record payload: {"ciphertext":..,"IV":..,"hmac":..} as JSON text.
std::string MakePayload(Rng& rng, const CollectionSpec& spec);
// The payload of seeded record `index` (regenerated for spot checks).
std::string SeedPayload(uint64_t user, int collection, uint64_t index);
std::string MetaGlobalPayload(uint64_t user);

// A WBO as JSON text.
std::string WboJson(std::string_view id, std::string_view payload, std::optional<int64_t> sortindex,
                    int ttl);

// JSON string literal with the needed escapes.
void AppendJsonString(std::string& out, std::string_view text);

// Weave timestamps as integer centiseconds: "1300000000.25" <-> 130000000025.
std::optional<int64_t> ParseCentiseconds(std::string_view text);
std::string FormatCentiseconds(int64_t centiseconds);

}  // namespace bench
