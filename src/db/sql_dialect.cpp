#include "db/sql_dialect.h"

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

void SqlDialect::BindUpsertItem(SqlStatement& statement, const UpsertRow& row) const {
  statement.BindInt(0, row.user);
  statement.BindInt(1, row.collection);
  statement.BindText(2, row.id);
  BindOptional(statement, 3, row.parentid);
  BindOptional(statement, 4, row.predecessorid);
  BindOptional(statement, 5, row.sortindex);
  statement.BindInt(6, row.modified_cs);
  BindOptional(statement, 7, row.payload);
  statement.BindInt(8, row.payload ? static_cast<int64_t>(row.payload->size()) : 0);
  BindOptional(statement, 9, row.ttl_expiry_s);
}

}  // namespace weave
