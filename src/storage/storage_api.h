// The Storage API 1.0/1.1 as a part of the service: its handlers, what they get per request,
// and its route table.
#pragma once

#include <cstdint>
#include <vector>

#include "core/config.h"
#include "http/request_context.h"
#include "http/response.h"
#include "http/router.h"
#include "storage/storage.h"
#include "storage/wbo.h"

namespace weave {

// The Storage API's limits, from the limits section of the configuration.
struct StorageLimits {
  int64_t quota_bytes = 0;  // 0: no quota
  int64_t batch_max_count = 100;
  int64_t batch_max_bytes = int64_t{1024} * 1024;
  // A POST body's records past this index are not parsed at all (twice batch_max_count:
  // enough to tell a client which records to send again).
  size_t max_parsed_records = 200;
  WboLimits wbo;
};

StorageLimits StorageLimitsFrom(const LimitsConfig& limits);

// What a Storage API handler gets: the request (authenticated as context.user_id), the
// storage back end and the limits. Borrowed for one request.
struct StorageContext {
  const RequestContext& context;
  Storage& storage;
  const StorageLimits& limits;
};

// A Storage API handler. May throw the core/errors.h family (BadRequest, HttpError,
// BackendError); the dispatcher maps them to answers.
using StorageHandler = Response (*)(const StorageContext&);

// Every Storage API route; all of them need Basic auth as the path's user.
const RouteTable<StorageHandler>& StorageRoutes();

// The Storage API's routes bound to a back end and limits, for the server's table. Each
// endpoint validates the collection name and record id of its path (400 otherwise) before
// its handler runs. Borrows storage and limits, which must outlive the endpoints.
std::vector<RouteRow<Endpoint>> StorageEndpoints(Storage& storage, const StorageLimits& limits);

// The handlers (storage_handlers.cpp), one per route.
Response GetInfoCollections(const StorageContext& call);
Response GetInfoCollectionCounts(const StorageContext& call);
Response GetInfoCollectionUsage(const StorageContext& call);
Response GetInfoQuota(const StorageContext& call);
Response GetCollection(const StorageContext& call);
// POST and PUT on a collection URL, alike as in Mozilla's Python server: an array is a batch
// (per-record success and failed); one object is a PUT of the record its own id names (the
// timestamp; 400 code 8 without a valid id or with an invalid field).
Response PostCollection(const StorageContext& call);
Response PutCollection(const StorageContext& call);
Response DeleteCollection(const StorageContext& call);
Response GetItem(const StorageContext& call);
Response PutItem(const StorageContext& call);
Response DeleteItem(const StorageContext& call);
Response DeleteStorage(const StorageContext& call);

}  // namespace weave
