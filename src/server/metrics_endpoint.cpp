// The /__metrics__ route and its allow-list.
#include "server/metrics_endpoint.h"

#include <stdexcept>

#include "core/errors.h"
#include "core/metrics.h"

namespace weave {
namespace {

AddressList AllowListOf(const MetricsConfig& config) {
  try {
    return AddressList(config.allow);
  } catch (const std::invalid_argument& error) {
    throw ConfigError("metrics.allow", error.what());
  }
}

}  // namespace

RouteRow<Endpoint> MetricsRoute() {
  Endpoint scrape = [](const RequestContext& /*context*/) {
    const MetricsTable* table = InstalledMetrics();
    if (table == nullptr) {
      return TextResponse(404, "Not Found");
    }
    Response response = TextResponse(200, table->Exposition());
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    response.SetHeader("Cache-Control", "no-store");
    return response;
  };
  return {"GET", "/__metrics__", std::move(scrape), false};
}

MetricsAccess::MetricsAccess(const MetricsConfig& config)
    : enabled_(config.enabled), allow_(AllowListOf(config)) {}

}  // namespace weave
