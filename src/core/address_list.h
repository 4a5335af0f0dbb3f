// A list of IP addresses and networks (CIDR), for allow-lists checked against the address a
// request came from.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace weave {

class AddressList {
 public:
  AddressList() = default;
  // Each entry is an address ("127.0.0.1", "::1") or a network ("10.0.0.0/8",
  // "fd00::/8"). Throws std::invalid_argument naming the first entry that is neither.
  explicit AddressList(const std::vector<std::string>& entries);

  // True when address (as a web server writes REMOTE_ADDR) is in the list. An IPv4 address
  // written as IPv6 ("::ffff:127.0.0.1") is taken as IPv4. Anything that is not an IP
  // address (empty, "unix:") is in no list.
  bool Contains(std::string_view address) const;

 private:
  struct Network {
    bool v4 = false;
    std::array<uint8_t, 16> bytes{};
    int prefix_bits = 0;
  };
  std::vector<Network> networks_;
};

}  // namespace weave
