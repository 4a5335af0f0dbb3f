// The Weave Basic Object: reading and validating records from request bodies.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/storage.h"

namespace weave {

struct WboLimits {
  int64_t max_payload_bytes = 262144;
  int64_t max_ttl_seconds = 31536000;  // one year, as Mozilla's server
};

// True for an id a record may have: 1 to 64 printable ASCII characters, no '/' or ','.
bool IsValidItemId(std::string_view id);

// One record of a POST body: either a valid write or the reason it was refused.
struct ParsedWbo {
  std::string id;                  // as sent, possibly invalid; "" when absent
  std::optional<ItemWrite> write;  // views into the parsed document
  std::string error;               // "invalid id", "payload too large", ...
};

// A parsed request body. Owns the buffer the ItemWrite views point into.
class WboBody {
 public:
  // Parses body as JSON (strict UTF-8, no trailing garbage, iteratively so that nesting
  // cannot exhaust the stack). Throws BadRequest(kJsonParseFailure) when it is not JSON.
  // With max_records > 0 and an array body, only the first max_records elements are read
  // at all: the rest of the body is neither parsed nor checked, so a body of a million tiny
  // records costs no more than one of max_records.
  explicit WboBody(std::string body, size_t max_records = 0);
  WboBody(const WboBody&) = delete;
  WboBody& operator=(const WboBody&) = delete;
  ~WboBody();

  // PUT of one record: the body must be an object, and url_id is always the record's id (an
  // id in the body is dropped; it may be up to 64 bytes of anything, as in Mozilla's Python
  // server). Throws BadRequest(kInvalidWbo).
  ItemWrite ParseSingle(std::string_view url_id, const WboLimits& limits);

  // True when the body is one JSON object rather than a list of records.
  bool IsObject() const;

  // One object PUT or POSTed to a collection URL, as Mozilla's Python server took it: a PUT
  // of the record the body's own id names, which must be there and valid. Throws
  // BadRequest(kInvalidWbo).
  ItemWrite ParseSingleWithOwnId(const WboLimits& limits);

  // A batch: an array of records. Throws BadRequest(kInvalidWbo) for any other JSON value.
  std::vector<ParsedWbo> ParseBatch(const WboLimits& limits);

 private:
  struct Document;
  // value is a rapidjson::Value (kept out of this header). Returns "" or the error text;
  // a missing id is not an error here.
  std::string ReadFields(const void* value, const WboLimits& limits, ItemWrite& write,
                         bool& has_id);
  ParsedWbo ParseItem(const void* value, const WboLimits& limits);
  // A parentid or predecessorid (text, or a number kept as its text) of at most 64 bytes;
  // nullopt otherwise. value is a rapidjson::Value.
  std::optional<std::string_view> ReadReference(const void* value);

  std::string buffer_;  // parsed in place: the document's strings point into it
  std::unique_ptr<Document> document_;
  std::deque<std::string> converted_;  // numeric ids turned into text; stable addresses
};

}  // namespace weave
