// What the SQL-based migration sources share: a foreign database opened read-only, its
// tables and columns as found (schemas differ between versions of each server), and the
// conversions every source needs (password hashes, expiry times).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "db/sql_connection.h"
#include "migrate/migration.h"

namespace weave {

// Python's and our own "never expires" (2100000000): expiry times from here on are none.
constexpr int64_t kNeverExpiresS = 2'100'000'000;

// A foreign database: its connection and the names its schema has. Every query's errors
// come back as std::runtime_error naming the source.
class SourceDatabase {
 public:
  // connection is open; mysql tells the dialect; label names the source in messages.
  SourceDatabase(std::unique_ptr<SqlConnection> connection, bool mysql, std::string label);

  SqlConnection& Connection() { return *connection_; }
  bool IsMysql() const { return mysql_; }
  const std::string& Label() const { return label_; }

  bool HasTable(const std::string& table) const { return tables_.count(table) > 0; }
  const std::set<std::string>& Tables() const { return tables_; }
  // The table's column names (empty for no such table).
  std::set<std::string> Columns(const std::string& table);
  // identifier quoted for this database (` or ").
  std::string Quote(std::string_view identifier) const;
  // An SQL expression for a column of seconds as a decimal number (REAL, or text), in whole
  // hundredths, rounded; NULL stays NULL.
  std::string CentisecondsOf(std::string_view column) const;

  // Runs fn and turns any exception into std::runtime_error naming the source and what.
  template <typename Fn>
  auto Guard(std::string_view what, Fn&& fn) -> decltype(fn());

 private:
  [[noreturn]] void Rethrow(std::string_view what) const;

  std::unique_ptr<SqlConnection> connection_;
  bool mysql_;
  std::string label_;
  std::set<std::string> tables_;
};

template <typename Fn>
auto SourceDatabase::Guard(std::string_view what, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (...) {
    Rethrow(what);
  }
}

// The password hash to carry over, or empty with the reason in account.unusable_hash_reason.
// stored is the source's value (empty: none); hint is added to the reason for a format the
// source is known to write that this server cannot check.
void CarryPasswordHash(std::string_view stored, std::string_view hint, MigratedAccount& account);

// Reads id, modified (hundredths), sortindex, parentid, predecessorid and payload from the
// statement's columns first, first + 1, ... into record (collection and expiry untouched).
void ReadRecordColumns(SqlStatement& row, int first, MigratedRecord& record);

// An absolute expiry in seconds, or none from kNeverExpiresS on.
std::optional<int64_t> ExpiryOrNone(int64_t expires_s);

}  // namespace weave
