// Parsing of addresses and CIDR networks (inet_pton) and prefix matching.
#include "core/address_list.h"

#include <charconv>
#include <cstring>
#include <optional>
#include <stdexcept>

#include <arpa/inet.h>

namespace weave {
namespace {

struct Parsed {
  bool v4 = false;
  std::array<uint8_t, 16> bytes{};
};

// IPv4 in the first 4 bytes; an IPv4-mapped IPv6 address becomes IPv4.
std::optional<Parsed> ParseAddress(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) {
    return std::nullopt;
  }
  const std::string copy(text);
  Parsed parsed;
  if (inet_pton(AF_INET, copy.c_str(), parsed.bytes.data()) == 1) {
    parsed.v4 = true;
    return parsed;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, copy.c_str(), &v6) != 1) {
    return std::nullopt;
  }
  if (IN6_IS_ADDR_V4MAPPED(&v6)) {
    parsed.v4 = true;
    std::memcpy(parsed.bytes.data(), v6.s6_addr + 12, 4);
  } else {
    std::memcpy(parsed.bytes.data(), v6.s6_addr, 16);
  }
  return parsed;
}

bool PrefixMatches(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b, int bits) {
  const int whole = bits / 8;
  if (std::memcmp(a.data(), b.data(), static_cast<size_t>(whole)) != 0) {
    return false;
  }
  const int rest = bits % 8;
  if (rest == 0) {
    return true;
  }
  const auto mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (a[static_cast<size_t>(whole)] & mask) == (b[static_cast<size_t>(whole)] & mask);
}

}  // namespace

AddressList::AddressList(const std::vector<std::string>& entries) {
  for (const std::string& entry : entries) {
    const std::string_view text(entry);
    const size_t slash = text.find('/');
    const auto address = ParseAddress(text.substr(0, slash));
    if (!address) {
      throw std::invalid_argument("\"" + entry + "\" is not an IP address or network");
    }
    Network network{address->v4, address->bytes, address->v4 ? 32 : 128};
    if (slash != std::string_view::npos) {
      const std::string_view bits = text.substr(slash + 1);
      int value = -1;
      const auto [end, error] = std::from_chars(bits.data(), bits.data() + bits.size(), value);
      if (bits.empty() || error != std::errc() || end != bits.data() + bits.size() || value < 0 ||
          value > network.prefix_bits) {
        throw std::invalid_argument("\"" + entry + "\" has an invalid prefix length");
      }
      network.prefix_bits = value;
    }
    networks_.push_back(network);
  }
}

bool AddressList::Contains(std::string_view address) const {
  const auto parsed = ParseAddress(address);
  if (!parsed) {
    return false;
  }
  for (const Network& network : networks_) {
    if (network.v4 == parsed->v4 &&
        PrefixMatches(network.bytes, parsed->bytes, network.prefix_bits)) {
      return true;
    }
  }
  return false;
}

}  // namespace weave
