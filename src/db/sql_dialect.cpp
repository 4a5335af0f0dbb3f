// SQL text shared by every dialect, built from each dialect's few differences.
#include "db/sql_dialect.h"

#include <algorithm>

namespace weave {

void BindOptional(SqlStatement& statement, int index, std::optional<std::string_view> text) {
  if (text) {
    statement.BindText(index, *text);
  } else {
    statement.BindNull(index);
  }
}

void BindOptional(SqlStatement& statement, int index, std::optional<int64_t> value) {
  if (value) {
    statement.BindInt(index, *value);
  } else {
    statement.BindNull(index);
  }
}

void SqlDialect::BindUpsertItem(SqlStatement& statement, size_t position,
                                const UpsertRow& row) const {
  const int first = static_cast<int>(position) * kUpsertColumns;
  statement.BindInt(first, row.user);
  statement.BindInt(first + 1, row.collection);
  statement.BindText(first + 2, row.id);
  BindOptional(statement, first + 3, row.parentid);
  BindOptional(statement, first + 4, row.predecessorid);
  BindOptional(statement, first + 5, row.sortindex);
  statement.BindInt(first + 6, row.modified_cs);
  BindOptional(statement, first + 7, row.payload);
  statement.BindInt(first + 8, row.payload ? static_cast<int64_t>(row.payload->size()) : 0);
  statement.BindInt(first + 9,
                    row.ttl_expiry_s ? std::min(*row.ttl_expiry_s, kNoExpiry - 1) : kNoExpiry);
}

std::string SqlDialect::UpsertValues(size_t rows) {
  std::string values;
  values.reserve(rows * 64);
  for (size_t row = 0; row < rows; ++row) {
    values += row == 0 ? "(" : ", (";
    for (int column = 1; column <= kUpsertColumns; ++column) {
      if (column > 1) {
        values += ", ";
      }
      values += '?';
      values += std::to_string(row * kUpsertColumns + static_cast<size_t>(column));
    }
    values += ')';
  }
  return values;
}

}  // namespace weave
