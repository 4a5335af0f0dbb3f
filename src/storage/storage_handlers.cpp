// The Storage API 1.0/1.1 handlers of SyncService.
#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "core/errors.h"
#include "storage/accept.h"
#include "storage/collection_query.h"
#include "storage/json_writer.h"
#include "server/sync_service.h"
#include "core/weave_timestamp.h"

namespace weave {
namespace {

// Weave times are JSON numbers with exactly two decimals ("1300000000.20").
void WriteTimestampValue(JsonWriter& writer, int64_t centiseconds) {
  std::string formatted;
  AppendTimestamp(centiseconds, formatted);
  writer.RawValue(formatted.data(), formatted.size(), rapidjson::kNumberType);
}

void WriteString(JsonWriter& writer, std::string_view text) {
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

// Only the non-null fields, never ttl: what Mozilla's servers returned.
void WriteItem(JsonWriter& writer, const ItemView& item) {
  writer.StartObject();
  writer.Key("id");
  WriteString(writer, item.id);
  writer.Key("modified");
  WriteTimestampValue(writer, item.modified_cs);
  if (item.sortindex) {
    writer.Key("sortindex");
    writer.Int64(*item.sortindex);
  }
  if (item.payload) {
    writer.Key("payload");
    WriteString(writer, *item.payload);
  }
  if (item.parentid) {
    writer.Key("parentid");
    WriteString(writer, *item.parentid);
  }
  if (item.predecessorid) {
    writer.Key("predecessorid");
    WriteString(writer, *item.predecessorid);
  }
  writer.EndObject();
}

// Writes one record (or id) in the negotiated format. JSON's escaping turns any newline
// inside a value into "\n", so a newlines line never contains a raw line feed.
class ItemListWriter {
 public:
  ItemListWriter(OutputFormat format, bool full, std::string& out)
      : format_(format), full_(full), out_(out) {
    if (format_ == OutputFormat::kJson) {
      out_.push_back('[');
    }
  }

  void Add(const ItemView& item) {
    if (format_ == OutputFormat::kJson && count_ > 0) {
      out_.push_back(',');
    }
    const size_t length_at = out_.size();
    if (format_ == OutputFormat::kWhoisi) {
      out_.append(4, '\0');  // big-endian length, filled in below
    }
    const size_t start = out_.size();
    StringSink sink(out_);
    JsonWriter writer(sink);
    if (full_) {
      WriteItem(writer, item);
    } else {
      WriteString(writer, item.id);
    }
    if (format_ == OutputFormat::kWhoisi) {
      const uint32_t length = htonl(static_cast<uint32_t>(out_.size() - start));
      std::memcpy(out_.data() + length_at, &length, sizeof length);
    } else if (format_ == OutputFormat::kNewlines) {
      out_.push_back('\n');  // every record, the last included, ends with a line feed
    }
    ++count_;
  }

  void Finish() {
    if (format_ == OutputFormat::kJson) {
      out_.push_back(']');
    }
  }

 private:
  OutputFormat format_;
  bool full_;
  std::string& out_;
  int64_t count_ = 0;
};

using NamedValues = std::vector<std::pair<std::string, int64_t>>;

Response JsonObjectResponse(const NamedValues& values,
                            void (*write_value)(JsonWriter&, int64_t)) {
  Response response;
  StringSink sink(response.body);
  JsonWriter writer(sink);
  writer.StartObject();
  for (const auto& [name, value] : values) {
    WriteString(writer, name);
    write_value(writer, value);
  }
  writer.EndObject();
  response.SetHeader("X-Weave-Records", std::to_string(values.size()));
  return response;
}

void WriteKib(JsonWriter& writer, int64_t bytes) {
  writer.Double(static_cast<double>(bytes) / 1024.0);
}

}  // namespace

Response SyncService::GetInfoCollections(const Request& /*request*/,
                                         const PathParams& /*params*/) {
  return JsonObjectResponse(storage_.GetCollectionTimestamps(user_id_), &WriteTimestampValue);
}

Response SyncService::GetInfoCollectionCounts(const Request& /*request*/,
                                              const PathParams& /*params*/) {
  return JsonObjectResponse(storage_.GetCollectionCounts(user_id_, NowSeconds()),
                            [](JsonWriter& writer, int64_t count) { writer.Int64(count); });
}

Response SyncService::GetInfoCollectionUsage(const Request& /*request*/,
                                             const PathParams& /*params*/) {
  return JsonObjectResponse(storage_.GetCollectionUsage(user_id_, NowSeconds()), &WriteKib);
}

Response SyncService::GetInfoQuota(const Request& /*request*/, const PathParams& /*params*/) {
  Response response;
  StringSink sink(response.body);
  JsonWriter writer(sink);
  writer.StartArray();
  WriteKib(writer, storage_.GetTotalUsage(user_id_, NowSeconds()));
  if (config_.limits.quota_kib > 0) {
    writer.Int64(config_.limits.quota_kib);
  } else {
    writer.Null();
  }
  writer.EndArray();
  return response;
}

Response SyncService::GetCollection(const Request& request, const PathParams& params) {
  const CollectionQuery query = ParseCollectionQuery(ParseQueryString(request.query));
  const std::string* accept = request.Header("ACCEPT");
  const OutputFormat format = NegotiateFormat(accept != nullptr ? *accept : "");
  Response response;
  response.content_type = ContentTypeOf(format);
  ItemListWriter list(format, query.full, response.body);
  const int64_t count =
      storage_.GetItems(user_id_, params.collection, query.filter, query.full, NowSeconds(),
                        [&list](const ItemView& item) { list.Add(item); });
  list.Finish();
  response.SetHeader("X-Weave-Records", std::to_string(count));
  return response;
}

Response SyncService::GetItem(const Request& /*request*/, const PathParams& params) {
  Response response;
  const bool found = storage_.GetItem(user_id_, params.collection, params.id, NowSeconds(),
                                      [&response](const ItemView& item) {
                                        StringSink sink(response.body);
                                        JsonWriter writer(sink);
                                        WriteItem(writer, item);
                                      });
  if (!found) {
    response.status = 404;
    response.body = "\"record not found\"";
  }
  return response;
}

Response SyncService::PutItem(const Request& request, const PathParams& params) {
  const WriteContext context = MakeWriteContext(request);
  WboBody body(request.body);
  const ItemWrite item = body.ParseSingle(params.id, wbo_limits_);
  const WriteResult result =
      storage_.PutItems(user_id_, params.collection, std::span(&item, 1), context);
  if (result.status != WriteStatus::kDone) {
    return WriteRefused(result);
  }
  Response response = TimestampResponse(result.timestamp_cs);
  AddQuotaHeader(result, response);
  return response;
}

Response SyncService::PostCollection(const Request& request, const PathParams& params) {
  const WriteContext context = MakeWriteContext(request);
  WboBody body(request.body);
  std::vector<ParsedWbo> parsed = body.ParseBatch(wbo_limits_);

  // Past the per-request caps, records fail with "retry" reasons; the client sends them
  // again in its next request.
  std::vector<ItemWrite> writes;
  writes.reserve(parsed.size());
  int64_t batch_bytes = 0;
  bool over_bytes = false;
  for (size_t i = 0; i < parsed.size(); ++i) {
    ParsedWbo& item = parsed[i];
    if (!item.write) {
      continue;
    }
    const int64_t size = item.write->payload ? static_cast<int64_t>(item.write->payload->size()) : 0;
    if (static_cast<int64_t>(i) >= config_.limits.batch_max_count) {
      item.error = "retry wbo";
    } else if (over_bytes || batch_bytes + size > config_.limits.batch_max_bytes) {
      over_bytes = true;
      item.error = "retry bytes";
    } else {
      batch_bytes += size;
      writes.push_back(*item.write);
    }
  }
  const WriteResult result = storage_.PutItems(user_id_, params.collection, writes, context);
  if (result.status != WriteStatus::kDone) {
    return WriteRefused(result);
  }

  Response response;
  StringSink sink(response.body);
  JsonWriter writer(sink);
  writer.StartObject();
  writer.Key("modified");
  WriteTimestampValue(writer, result.timestamp_cs);
  writer.Key("success");
  writer.StartArray();
  for (const ParsedWbo& item : parsed) {
    if (item.error.empty()) {
      WriteString(writer, item.id);
    }
  }
  writer.EndArray();
  writer.Key("failed");
  writer.StartObject();
  // One entry per id, as a map must have: the last reason given for an id wins.
  std::vector<const ParsedWbo*> failed;
  for (const ParsedWbo& item : parsed) {
    if (item.error.empty()) {
      continue;
    }
    const auto same_id = std::find_if(failed.begin(), failed.end(),
                                      [&item](const ParsedWbo* seen) { return seen->id == item.id; });
    if (same_id != failed.end()) {
      *same_id = &item;
    } else {
      failed.push_back(&item);
    }
  }
  for (const ParsedWbo* item : failed) {
    WriteString(writer, item->id);
    writer.StartArray();
    WriteString(writer, item->error);
    writer.EndArray();
  }
  writer.EndObject();
  writer.EndObject();
  // The client's next lastSync is this header: it must equal the records' modified time.
  response.SetHeader("X-Weave-Timestamp", FormatTimestamp(result.timestamp_cs));
  AddQuotaHeader(result, response);
  return response;
}

Response SyncService::DeleteCollection(const Request& request, const PathParams& params) {
  const WriteContext context = MakeWriteContext(request);
  const CollectionQuery query = ParseCollectionQuery(ParseQueryString(request.query));
  const WriteResult result =
      storage_.DeleteItems(user_id_, params.collection, query.filter, context);
  if (result.status != WriteStatus::kDone) {
    return WriteRefused(result);
  }
  return TimestampResponse(result.timestamp_cs);
}

Response SyncService::DeleteItem(const Request& request, const PathParams& params) {
  const WriteContext context = MakeWriteContext(request);
  CollectionFilter filter;
  filter.ids = std::vector<std::string>{params.id};
  const WriteResult result = storage_.DeleteItems(user_id_, params.collection, filter, context);
  if (result.status != WriteStatus::kDone) {
    return WriteRefused(result);
  }
  return TimestampResponse(result.timestamp_cs);
}

Response SyncService::DeleteStorage(const Request& request, const PathParams& /*params*/) {
  // Wiping an account needs an explicit confirmation header (any value).
  if (request.Header("X_CONFIRM_DELETE") == nullptr) {
    throw BadRequest(WeaveError::kCannotOverwrite, "X-Confirm-Delete missing");
  }
  storage_.DeleteStorage(user_id_);
  return TimestampResponse(request_time_cs_);
}

}  // namespace weave
