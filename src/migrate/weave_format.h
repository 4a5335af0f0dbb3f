// This server's portable export format ("weave" for weave-admin import): JSON lines, one
// header line naming the format and its version, then each account followed by its
// collections and its records, and an end line with the counts (so a cut-off file is
// refused rather than half imported). Written and read one line at a time: constant memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "migrate/migration.h"

namespace weave {

constexpr std::string_view kWeaveFormatName = "weave-sync-export";
constexpr int kWeaveFormatVersion = 1;
// The longest line the reader accepts: a record's payload is at most a few MiB
// (limits.max_payload_bytes), and JSON escaping can make it up to six times longer.
constexpr size_t kDefaultMaxLineBytes = size_t{64} * 1024 * 1024;

// Input that is not this format (or not this version); the message names the line.
class WeaveFormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct WeaveHeader {
  int version = 0;
};
struct WeaveEnd {
  int64_t accounts = 0;
  int64_t records = 0;
};
// One parsed line.
using WeaveLine =
    std::variant<WeaveHeader, MigratedAccount, MigratedCollection, MigratedRecord, WeaveEnd>;

// Parses one line (without its line feed). Throws WeaveFormatError for anything but a
// well-formed line of this version: bad JSON, invalid UTF-8, a missing or mistyped field,
// an unknown line type or version.
WeaveLine ParseWeaveLine(std::string_view line);

// Writes the format. The header is written by the constructor; Finish writes the end line,
// which a file without it lacks (the reader then refuses it as cut off).
class WeaveFormatWriter {
 public:
  explicit WeaveFormatWriter(std::ostream& out);
  // Throws WeaveFormatError if a text field is not valid UTF-8 (JSON cannot carry it).
  void Account(const MigratedAccount& account);
  void Collection(const MigratedCollection& collection);
  void Record(const MigratedRecord& record);
  void Finish();

  int64_t Accounts() const { return accounts_; }
  int64_t Records() const { return records_; }
  int64_t PayloadBytes() const { return payload_bytes_; }

 private:
  void WriteLine(const std::string& json);

  std::ostream& out_;
  int64_t accounts_ = 0;
  int64_t records_ = 0;
  int64_t payload_bytes_ = 0;
};

// Lines of a stream, each at most max_line_bytes long (a longer one throws
// WeaveFormatError without being held in memory), with the byte offset where each starts.
class LineReader {
 public:
  LineReader(std::streambuf& input, size_t max_line_bytes);
  // The next line without its line feed (a last line without one counts); false at the end.
  bool Next(std::string& line);
  // The offset of the line Next returned last.
  uint64_t LineOffset() const { return line_offset_; }
  // Continues at offset (seekable input only; throws std::runtime_error otherwise).
  void Seek(uint64_t offset);

 private:
  bool Fill();

  std::streambuf& input_;
  const size_t max_line_bytes_;
  std::vector<char> buffer_;
  size_t begin_ = 0;  // unread bytes are buffer_[begin_, end_)
  size_t end_ = 0;
  uint64_t buffer_offset_ = 0;  // the offset of buffer_[0]
  uint64_t line_offset_ = 0;
  bool eof_ = false;
};

}  // namespace weave
