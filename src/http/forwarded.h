// The client's address, honouring X-Forwarded-For only from trusted reverse proxies.
#pragma once

#include <string>
#include <vector>

#include "http/request.h"

namespace weave {

// request.remote_addr, unless it is one of trusted_proxies and the request carries
// X-Forwarded-For: then the right-most address in that list that is not itself a trusted
// proxy (addresses a client wrote further left are not believed).
std::string ClientAddress(const Request& request, const std::vector<std::string>& trusted_proxies);

}  // namespace weave
