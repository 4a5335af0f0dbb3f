// The MigrationSource of this server's own export format (weave_format.h): weave-admin
// import weave FILE, FILE "-" for standard input.
#pragma once

#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "migrate/migration.h"
#include "migrate/weave_format.h"

namespace weave {

class WeaveFileSource final : public MigrationSource {
 public:
  // Opens path ("-": standard input, first copied to an unnamed temporary file, so the
  // import can read each account when it needs it) and reads it through once, checking
  // every line, the order (header, then each account before its collections and records,
  // collections before records, then the end line) and the end line's counts: a file
  // that is damaged or cut off is refused before anything is imported. Keeps only each
  // account's offset in memory. Throws WeaveFormatError naming the line, or
  // std::runtime_error when the file cannot be read.
  explicit WeaveFileSource(const std::string& path, size_t max_line_bytes = kDefaultMaxLineBytes);

  std::vector<std::string> AccountNames() override;
  std::optional<MigratedAccount> Account(const std::string& name) override;
  std::vector<MigratedCollection> Collections(const std::string& name) override;
  void ForEachRecord(const std::string& name, const RecordSink& sink) override;
  int64_t CountRecords() override { return total_records_; }

 private:
  struct Entry {
    uint64_t offset = 0;  // of the account line
    int64_t records = 0;
  };
  void Index();
  // The file's end: there are lines, the last is the end line, and its counts are right.
  void CheckEnd(int64_t lines, const std::optional<WeaveEnd>& end) const;
  // Reads the account's lines after its account line, until the next account or the end;
  // stops early when visit returns false.
  template <typename Visit>
  void ReadAccountLines(const std::string& name, Visit visit);

  std::ifstream file_;
  std::unique_ptr<LineReader> reader_;
  std::vector<std::string> order_;
  std::map<std::string, Entry> accounts_;
  int64_t total_records_ = 0;
  std::string line_;
};

}  // namespace weave
