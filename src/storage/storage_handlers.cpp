// The Storage API 1.0/1.1 handlers: parse, validate, call the storage back end, answer.
#include <cstdio>
#include <limits>
#include <string>
#include <unordered_map>

#include "core/errors.h"
#include "core/weave_timestamp.h"
#include "http/query_string.h"
#include "storage/collection_query.h"
#include "storage/json_output.h"
#include "storage/output_format.h"
#include "storage/storage_api.h"

namespace weave {
namespace {

// Clients show a warning once less than this much of the quota is left.
constexpr int64_t kQuotaWarningBytes = int64_t{1024} * 1024;

int64_t NowSeconds(const StorageContext& call) {
  return call.context.request_time_cs / 100;
}

WriteContext MakeWriteContext(const StorageContext& call) {
  WriteContext context;
  context.request_time_cs = call.context.request_time_cs;
  context.quota_bytes = call.limits.quota_bytes;
  // AddQuotaHeader needs the exact usage only within a megabyte of the quota.
  context.exact_usage_from_bytes = call.limits.quota_bytes > 0
                                       ? call.limits.quota_bytes - kQuotaWarningBytes
                                       : std::numeric_limits<int64_t>::max();
  if (const std::string* since = call.context.request.Header("X_IF_UNMODIFIED_SINCE")) {
    const auto parsed = ParseTimestamp(*since);
    if (!parsed) {
      throw BadRequest(WeaveError::kIllegalMethod, "invalid X-If-Unmodified-Since");
    }
    context.if_unmodified_since_cs = *parsed;
  }
  return context;
}

Response WriteRefused(const WriteResult& result) {
  if (result.status == WriteStatus::kModifiedSince) {
    return WeaveCodeResponse(412, WeaveError::kCannotOverwrite);
  }
  return WeaveCodeResponse(400, WeaveError::kOverQuota);
}

void AddQuotaHeader(const StorageLimits& limits, const WriteResult& result, Response& response) {
  if (limits.quota_bytes <= 0) {
    return;
  }
  const int64_t remaining_bytes = limits.quota_bytes - result.usage_bytes;
  if (remaining_bytes <= kQuotaWarningBytes) {
    char text[32];
    snprintf(text, sizeof text, "%.2f", static_cast<double>(remaining_bytes) / 1024.0);
    response.SetHeader("X-Weave-Quota-Remaining", text);
  }
}

Response TimestampResponse(int64_t timestamp_cs) {
  Response response;
  AppendTimestamp(timestamp_cs, response.body);
  response.SetHeader("X-Weave-Timestamp", response.body);
  return response;
}

Response NamedValuesResponse(const std::vector<std::pair<std::string, int64_t>>& values,
                             JsonValueKind kind) {
  Response response;
  AppendNamedValuesJson(values, kind, response.body);
  response.SetHeader("X-Weave-Records", std::to_string(values.size()));
  return response;
}

// Past the per-request caps, records fail with "retry" reasons; the client sends them again
// in its next request. Returns the records to write; refused ones get their error set.
std::vector<ItemWrite> SelectWithinCaps(std::vector<ParsedWbo>& parsed,
                                        const StorageLimits& limits) {
  std::vector<ItemWrite> writes;
  writes.reserve(parsed.size());
  int64_t batch_bytes = 0;
  bool over_bytes = false;
  for (size_t i = 0; i < parsed.size(); ++i) {
    ParsedWbo& item = parsed[i];
    if (!item.write) {
      continue;
    }
    const int64_t size =
        item.write->payload ? static_cast<int64_t>(item.write->payload->size()) : 0;
    if (static_cast<int64_t>(i) >= limits.batch_max_count) {
      item.error = "retry wbo";
    } else if (over_bytes || batch_bytes + size > limits.batch_max_bytes) {
      over_bytes = true;
      item.error = "retry bytes";
    } else {
      batch_bytes += size;
      writes.push_back(*item.write);
    }
  }
  return writes;
}

// One entry per id, as a map must have: the last reason given for an id wins, at the place
// of its first failure. Linear in the number of records.
std::vector<std::pair<std::string_view, std::string_view>> FailedById(
    const std::vector<ParsedWbo>& parsed) {
  std::vector<std::pair<std::string_view, std::string_view>> failed;
  std::unordered_map<std::string_view, size_t> position;
  for (const ParsedWbo& item : parsed) {
    if (item.error.empty()) {
      continue;
    }
    const auto [found, inserted] = position.emplace(item.id, failed.size());
    if (inserted) {
      failed.emplace_back(item.id, item.error);
    } else {
      failed[found->second].second = item.error;
    }
  }
  return failed;
}

bool IsValidCollectionName(std::string_view name) {
  return name.size() <= 32 && IsValidUsername(name);
}

}  // namespace

StorageLimits StorageLimitsFrom(const LimitsConfig& limits) {
  StorageLimits storage_limits;
  storage_limits.quota_bytes = limits.quota_kib * 1024;
  storage_limits.batch_max_count = limits.batch_max_count;
  storage_limits.batch_max_bytes = limits.batch_max_bytes;
  storage_limits.max_parsed_records = 2 * static_cast<size_t>(limits.batch_max_count);
  storage_limits.wbo.max_payload_bytes = limits.max_payload_bytes;
  return storage_limits;
}

Response GetInfoCollections(const StorageContext& call) {
  return NamedValuesResponse(call.storage.GetCollectionTimestamps(call.context.user_id),
                             JsonValueKind::kTimestamp);
}

Response GetInfoCollectionCounts(const StorageContext& call) {
  return NamedValuesResponse(
      call.storage.GetCollectionCounts(call.context.user_id, NowSeconds(call)),
      JsonValueKind::kCount);
}

Response GetInfoCollectionUsage(const StorageContext& call) {
  return NamedValuesResponse(
      call.storage.GetCollectionUsage(call.context.user_id, NowSeconds(call)), JsonValueKind::kKib);
}

Response GetInfoQuota(const StorageContext& call) {
  Response response;
  const int64_t quota_kib = call.limits.quota_bytes / 1024;
  AppendQuotaJson(call.storage.GetTotalUsage(call.context.user_id, NowSeconds(call)),
                  quota_kib > 0 ? std::optional<int64_t>(quota_kib) : std::nullopt, response.body);
  return response;
}

Response GetCollection(const StorageContext& call) {
  const Request& request = call.context.request;
  const CollectionQuery query = ParseCollectionQuery(ParseQueryString(request.query));
  const std::string* accept = request.Header("ACCEPT");
  const OutputFormat format = NegotiateFormat(accept != nullptr ? *accept : "");
  Response response;
  response.content_type = ContentTypeOf(format);
  ItemListWriter list(format, query.full, response.body);
  const int64_t count = call.storage.GetItems(call.context.user_id, call.context.params.collection,
                                              query.filter, query.full, NowSeconds(call),
                                              [&list](const ItemView& item) { list.Add(item); });
  list.Finish();
  response.SetHeader("X-Weave-Records", std::to_string(count));
  return response;
}

Response GetItem(const StorageContext& call) {
  Response response;
  const PathParams& params = call.context.params;
  const bool found = call.storage.GetItem(
      call.context.user_id, params.collection, params.id, NowSeconds(call),
      [&response](const ItemView& item) { AppendItemJson(item, response.body); });
  if (!found) {
    response.status = 404;
    response.body = "\"record not found\"";
  }
  return response;
}

namespace {

// Writes one record and answers with its timestamp, as PUT on an item does.
Response PutOne(const StorageContext& call, const WriteContext& context, const ItemWrite& item) {
  const WriteResult result = call.storage.PutItems(
      call.context.user_id, call.context.params.collection, std::span(&item, 1), context);
  if (result.status != WriteStatus::kDone) {
    return WriteRefused(result);
  }
  Response response = TimestampResponse(result.timestamp_cs);
  AddQuotaHeader(call.limits, result, response);
  return response;
}

// A batch write: the records within the per-request caps, and a report of every record.
Response WriteBatch(const StorageContext& call, const WriteContext& context, WboBody& body) {
  std::vector<ParsedWbo> parsed = body.ParseBatch(call.limits.wbo);
  const std::vector<ItemWrite> writes = SelectWithinCaps(parsed, call.limits);
  const WriteResult result =
      call.storage.PutItems(call.context.user_id, call.context.params.collection, writes, context);
  if (result.status != WriteStatus::kDone) {
    return WriteRefused(result);
  }
  std::vector<std::string_view> succeeded;
  for (const ParsedWbo& item : parsed) {
    if (item.error.empty()) {
      succeeded.emplace_back(item.id);
    }
  }
  Response response;
  AppendPostResultJson(result.timestamp_cs, succeeded, FailedById(parsed), response.body);
  // The client's next lastSync is this header: it must equal the records' modified time.
  response.SetHeader("X-Weave-Timestamp", FormatTimestamp(result.timestamp_cs));
  AddQuotaHeader(call.limits, result, response);
  return response;
}

}  // namespace

Response PutItem(const StorageContext& call) {
  const WriteContext context = MakeWriteContext(call);
  WboBody body(call.context.request.body);
  return PutOne(call, context, body.ParseSingle(call.context.params.id, call.limits.wbo));
}

namespace {

// POST and PUT on a collection URL, one handler in Mozilla's Python server: an array is a
// batch; one object is a PUT of the record its own id names.
Response WriteCollection(const StorageContext& call) {
  const WriteContext context = MakeWriteContext(call);
  WboBody body(call.context.request.body, call.limits.max_parsed_records);
  if (body.IsObject()) {
    return PutOne(call, context, body.ParseSingleWithOwnId(call.limits.wbo));
  }
  return WriteBatch(call, context, body);
}

}  // namespace

Response PostCollection(const StorageContext& call) {
  return WriteCollection(call);
}

Response PutCollection(const StorageContext& call) {
  return WriteCollection(call);
}

Response DeleteCollection(const StorageContext& call) {
  const WriteContext context = MakeWriteContext(call);
  const CollectionQuery query = ParseCollectionQuery(ParseQueryString(call.context.request.query));
  const WriteResult result = call.storage.DeleteItems(
      call.context.user_id, call.context.params.collection, query.filter, context);
  if (result.status != WriteStatus::kDone) {
    return WriteRefused(result);
  }
  return TimestampResponse(result.timestamp_cs);
}

Response DeleteItem(const StorageContext& call) {
  const WriteContext context = MakeWriteContext(call);
  CollectionFilter filter;
  filter.ids = std::vector<std::string>{call.context.params.id};
  const WriteResult result = call.storage.DeleteItems(
      call.context.user_id, call.context.params.collection, filter, context);
  if (result.status != WriteStatus::kDone) {
    return WriteRefused(result);
  }
  return TimestampResponse(result.timestamp_cs);
}

Response DeleteStorage(const StorageContext& call) {
  // Wiping an account needs an explicit confirmation header (any value).
  if (call.context.request.Header("X_CONFIRM_DELETE") == nullptr) {
    throw BadRequest(WeaveError::kCannotOverwrite, "X-Confirm-Delete missing");
  }
  call.storage.DeleteStorage(call.context.user_id);
  return TimestampResponse(call.context.request_time_cs);
}

// The GETs only read: their handlers may run while the login is checked (reads_only).
const RouteTable<StorageHandler>& StorageRoutes() {
  static const RouteTable<StorageHandler> routes({
      {"GET", "/{version}/{user}/info/collections", &GetInfoCollections, true, true},
      {"GET", "/{version}/{user}/info/collection_counts", &GetInfoCollectionCounts, true, true},
      {"GET", "/{version}/{user}/info/collection_usage", &GetInfoCollectionUsage, true, true},
      {"GET", "/{version}/{user}/info/quota", &GetInfoQuota, true, true},
      {"GET", "/{version}/{user}/storage/{collection}", &GetCollection, true, true},
      {"POST", "/{version}/{user}/storage/{collection}", &PostCollection, true},
      // Mozilla's Python server took a PUT on the collection just like a POST.
      {"PUT", "/{version}/{user}/storage/{collection}", &PutCollection, true},
      {"DELETE", "/{version}/{user}/storage/{collection}", &DeleteCollection, true},
      {"GET", "/{version}/{user}/storage/{collection}/{id}", &GetItem, true, true},
      {"PUT", "/{version}/{user}/storage/{collection}/{id}", &PutItem, true},
      {"DELETE", "/{version}/{user}/storage/{collection}/{id}", &DeleteItem, true},
      {"DELETE", "/{version}/{user}/storage", &DeleteStorage, true},
  });
  return routes;
}

std::vector<RouteRow<Endpoint>> StorageEndpoints(Storage& storage, const StorageLimits& limits) {
  return BindRoutes(StorageRoutes(), [&storage, &limits](StorageHandler handler) -> Endpoint {
    return [handler, &storage, &limits](const RequestContext& context) {
      const PathParams& params = context.params;
      if (!params.collection.empty() && !IsValidCollectionName(params.collection)) {
        throw BadRequest(WeaveError::kInvalidCollection, "invalid collection name");
      }
      if (!params.id.empty() && !IsValidItemId(params.id)) {
        throw BadRequest(WeaveError::kInvalidWbo, "invalid id in path");
      }
      return handler(StorageContext{context, storage, limits});
    };
  });
}

}  // namespace weave
