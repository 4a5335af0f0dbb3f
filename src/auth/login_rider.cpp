// A login's lockout check and account row read in another statement, then checked.
#include "auth/login_rider.h"

namespace weave {

LoginRider::LoginRider(LoginGuard& guard, LoginFailures& failures, std::string_view username,
                       std::string_view password, const EventSource& source)
    : guard_(guard),
      failures_(failures),
      username_(username),
      password_(password),
      source_(source),
      keys_(LoginGuard::LockoutKeys(username, source)) {}

std::string LoginRider::Statement(std::string_view columns, std::string_view tables,
                                  std::string_view conditions, bool gated) const {
  std::string sql = "SELECT ";
  sql += columns;
  sql += ", " + LoginFailures::LoginColumnsSql(keys_.size()) + " FROM " +
         LoginFailures::LoginJoinSql(keys_.size()) + " LEFT JOIN (";
  sql += tables;
  sql += ") ON (";
  sql += conditions;
  sql += ")";
  if (gated) {
    sql += " AND " + LoginFailures::NoneLockedSql(keys_.size());
  }
  return sql;
}

int LoginRider::Bind(SqlStatement& statement, int first) const {
  return failures_.BindLoginJoin(statement, first, keys_, username_, failures_.NowSeconds());
}

bool LoginRider::TakeRow(SqlStatement& row, int data_columns) {
  if (!row_taken_) {
    // Every row repeats the login's columns.
    LoginFailures::TakeLoginColumns(row, data_columns, keys_.size(), &reads_.locked,
                                    &reads_.account);
    row_taken_ = true;
  }
  return !row.IsNull(0);
}

void LoginRider::Carried() {
  if (!row_taken_) {
    withheld_ = true;
    return;
  }
  carried_ = true;
  if (!FoundLocked()) {
    guard_.Anticipate(username_, password_, reads_.account);
  }
}

LoginResult LoginRider::Finish() {
  if (!carried_) {
    return guard_.Check(username_, password_, source_);
  }
  carried_ = false;
  withheld_ = !reads_.locked.empty();
  return guard_.CheckRead(username_, password_, source_, std::move(reads_));
}

std::optional<UserId> LoginRiders::KnownId(std::string_view username) const {
  const auto found = ids_.find(std::string(username));
  if (found == ids_.end()) {
    return std::nullopt;
  }
  return found->second;
}

void LoginRiders::Remember(std::string_view username, UserId id) {
  // A full map drops one name, not all: emptying it made every user's next read a guess
  // again on a node with more users than kMaxKnownIds (10,016 in the benchmark's
  // 10,000-user run dropped them all about every 10,000 logins).
  if (ids_.size() >= kMaxKnownIds && !ids_.contains(std::string(username))) {
    ids_.erase(ids_.begin());
  }
  ids_[std::string(username)] = id;
}

}  // namespace weave
