// The Weave protocol on the wire: one request in, one response out.
#pragma once

#include <optional>

#include "auth/authenticator.h"
#include "config/config.h"
#include "http/request.h"
#include "http/response.h"
#include "storage/storage.h"
#include "sync/routes.h"
#include "sync/wbo.h"
#include "util/clock.h"

namespace weave {

class SyncService {
 public:
  // Borrows everything; all must outlive the service.
  SyncService(const Config& config, Storage& storage, Authenticator& authenticator,
              const Clock& clock);

  // Routes, authenticates, runs the handler and maps every exception to a response.
  // Every response carries X-Weave-Timestamp. Never throws.
  Response Handle(const Request& request);

  // Handlers, one per route (see routes.cpp). They may throw the errors.h family.
  Response GetInfoCollections(const Request& request, const PathParams& params);
  Response GetInfoCollectionCounts(const Request& request, const PathParams& params);
  Response GetInfoCollectionUsage(const Request& request, const PathParams& params);
  Response GetInfoQuota(const Request& request, const PathParams& params);
  Response GetCollection(const Request& request, const PathParams& params);
  Response PostCollection(const Request& request, const PathParams& params);
  Response DeleteCollection(const Request& request, const PathParams& params);
  Response GetItem(const Request& request, const PathParams& params);
  Response PutItem(const Request& request, const PathParams& params);
  Response DeleteItem(const Request& request, const PathParams& params);
  Response DeleteStorage(const Request& request, const PathParams& params);
  Response GetHeartbeat(const Request& request, const PathParams& params);

 private:
  Response Dispatch(const Request& request);
  // Checks Basic auth against the path's user; throws HttpError(401) on any mismatch.
  void Authenticate(const Request& request, const PathParams& params);
  WriteContext MakeWriteContext(const Request& request) const;
  Response WriteRefused(const WriteResult& result) const;
  void AddQuotaHeader(const WriteResult& result, Response& response) const;
  Response TimestampResponse(int64_t timestamp_cs) const;
  Response Unavailable(std::string_view body) const;
  int64_t NowSeconds() const { return request_time_cs_ / 100; }

  // Set at construction
  const Config& config_;
  Storage& storage_;
  Authenticator& authenticator_;
  const Clock& clock_;
  const WboLimits wbo_limits_;

  // Per request (one request at a time per worker)
  int64_t request_time_cs_ = 0;
  UserId user_id_ = 0;
  std::string client_address_;
};

}  // namespace weave
