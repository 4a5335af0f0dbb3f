// The Storage API's JSON answers, written straight into a response body. The only place,
// with wbo.cpp, that knows the JSON library.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/output_format.h"
#include "storage/storage.h"

namespace weave {

// One record as a JSON object: its non-null fields, never ttl (what Mozilla's servers sent).
void AppendItemJson(const ItemView& item, std::string& out);

// Writes records (or ids only) in the negotiated format. JSON's escaping turns any newline
// inside a value into "\n", so a line of application/newlines never holds a raw line feed.
class ItemListWriter {
 public:
  // Starts the list in out, which must outlive the writer.
  ItemListWriter(OutputFormat format, bool full, std::string& out);
  void Add(const ItemView& item);
  // Ends the list; call once after the last Add.
  void Finish();

 private:
  OutputFormat format_;
  bool full_;
  std::string& out_;
  int64_t count_ = 0;
};

enum class JsonValueKind {
  kTimestamp,  // centiseconds written as Weave seconds with two decimals
  kCount,      // an integer
  kKib         // bytes written as KiB, a fraction
};

// {"name": value, ...} in the order given.
void AppendNamedValuesJson(const std::vector<std::pair<std::string, int64_t>>& values,
                           JsonValueKind kind, std::string& out);

// [usage in KiB, quota in KiB or null].
void AppendQuotaJson(int64_t usage_bytes, std::optional<int64_t> quota_kib, std::string& out);

// A POST's answer: {"modified": t, "success": [ids], "failed": {id: [reason]}}.
void AppendPostResultJson(int64_t modified_cs, const std::vector<std::string_view>& succeeded,
                          const std::vector<std::pair<std::string_view, std::string_view>>& failed,
                          std::string& out);

}  // namespace weave
