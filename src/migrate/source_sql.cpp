// Table discovery, quoting and error wrapping for the SQL migration sources.
#include "migrate/source_sql.h"

#include <exception>
#include <stdexcept>

#include "auth/password_hash.h"

namespace weave {

SourceDatabase::SourceDatabase(std::unique_ptr<SqlConnection> connection, bool mysql,
                               std::string label)
    : connection_(std::move(connection)), mysql_(mysql), label_(std::move(label)) {
  Guard("list tables", [&] {
    const char* sql = mysql_ ? "SELECT table_name FROM information_schema.tables "
                               "WHERE table_schema = DATABASE()"
                             : "SELECT name FROM sqlite_master WHERE type = 'table'";
    StatementScope query(connection_->Prepare(sql));
    while (query->Step()) {
      tables_.insert(std::string(query->ColumnText(0)));
    }
  });
}

std::set<std::string> SourceDatabase::Columns(const std::string& table) {
  return Guard("list the columns of " + table, [&] {
    std::set<std::string> columns;
    const char* sql = mysql_ ? "SELECT column_name FROM information_schema.columns "
                               "WHERE table_schema = DATABASE() AND table_name = ?"
                             : "SELECT name FROM pragma_table_info(?)";
    StatementScope query(connection_->Prepare(sql));
    query->BindText(0, table);
    while (query->Step()) {
      columns.insert(std::string(query->ColumnText(0)));
    }
    return columns;
  });
}

std::string SourceDatabase::Quote(std::string_view identifier) const {
  const char mark = mysql_ ? '`' : '"';
  std::string quoted(1, mark);
  for (const char c : identifier) {
    quoted.push_back(c);
    if (c == mark) {
      quoted.push_back(mark);  // doubled, as both databases escape it
    }
  }
  quoted.push_back(mark);
  return quoted;
}

std::string SourceDatabase::CentisecondsOf(std::string_view column) const {
  // The values were rounded to hundredths when written, so value * 100 is within far less
  // than half a hundredth of a whole number and ROUND cannot go the wrong way.
  const std::string value = "ROUND(" + std::string(column) + " * 100)";
  return mysql_ ? "CAST(" + value + " AS SIGNED)" : "CAST(" + value + " AS INTEGER)";
}

void SourceDatabase::Rethrow(std::string_view what) const {
  try {
    throw;
  } catch (const std::exception& error) {
    throw std::runtime_error(label_ + ": cannot " + std::string(what) + ": " + error.what());
  }
}

void CarryPasswordHash(std::string_view stored, std::string_view hint, MigratedAccount& account) {
  account.password_hash.clear();
  account.unusable_hash_reason.clear();
  if (stored.empty()) {
    account.unusable_hash_reason = "the source holds no password hash";
  } else if (IsVerifiableHash(stored)) {
    account.password_hash = std::string(stored);
  } else {
    account.unusable_hash_reason =
        "the source's password hash is in a format this server "
        "cannot verify";
    if (!hint.empty()) {
      account.unusable_hash_reason += " (" + std::string(hint) + ")";
    }
  }
}

void ReadRecordColumns(SqlStatement& row, int first, MigratedRecord& record) {
  const auto text = [&](int column) -> std::optional<std::string> {
    if (row.IsNull(column)) {
      return std::nullopt;
    }
    return std::string(row.ColumnText(column));
  };
  record.id = row.ColumnText(first);
  record.modified_cs = row.IsNull(first + 1) ? 0 : row.ColumnInt(first + 1);
  record.sortindex =
      row.IsNull(first + 2) ? std::nullopt : std::optional<int64_t>(row.ColumnInt(first + 2));
  record.parentid = text(first + 3);
  record.predecessorid = text(first + 4);
  record.payload = row.IsNull(first + 5) ? std::string() : std::string(row.ColumnText(first + 5));
}

std::optional<int64_t> ExpiryOrNone(int64_t expires_s) {
  if (expires_s >= kNeverExpiresS) {
    return std::nullopt;
  }
  return expires_s;
}

}  // namespace weave
