// The Prometheus scrape endpoint, GET /__metrics__ (metrics.enabled), and who may see it.
#pragma once

#include "core/address_list.h"
#include "core/config.h"
#include "http/request.h"
#include "http/request_context.h"
#include "http/router.h"

namespace weave {

// GET /__metrics__: the totals of every worker (core/metrics.h) in the Prometheus text
// format; 404 in a process without a metrics table. Serve it only to requests that
// MetricsAccess allows (server/app.cpp keeps it out of the routes others are matched to).
RouteRow<Endpoint> MetricsRoute();

// Whether a request may reach /__metrics__: metrics.enabled and its REMOTE_ADDR in
// metrics.allow. The address is the one the web server saw (the FastCGI REMOTE_ADDR),
// never X-Forwarded-For, which a client can write.
class MetricsAccess {
 public:
  // Throws ConfigError for an entry of metrics.allow that is no address or network.
  explicit MetricsAccess(const MetricsConfig& config);
  bool Allows(const Request& request) const {
    return enabled_ && allow_.Contains(request.remote_addr);
  }
  bool Enabled() const { return enabled_; }

 private:
  bool enabled_;
  AddressList allow_;
};

}  // namespace weave
