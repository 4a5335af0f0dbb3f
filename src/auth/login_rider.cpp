// A login's lockout check and account row read in another statement, then checked.
#include "auth/login_rider.h"

#include <algorithm>

namespace weave {

LoginRider::LoginRider(LoginGuard& guard, LoginFailures& failures, std::string_view username,
                       std::string_view password, const EventSource& source)
    : guard_(guard),
      failures_(failures),
      username_(username),
      password_(password),
      source_(source),
      keys_(LoginGuard::LockoutKeys(username, source)) {}

int LoginRider::Width(int data_columns) {
  return std::max(data_columns + 1, LoginFailures::kLoginReadWidth);
}

std::string LoginRider::Gate() const {
  return LoginFailures::NoneLockedSql(keys_.size());
}

std::string LoginRider::Branches(int width) const {
  return LoginFailures::LoginReadSql(keys_.size(), width);
}

int LoginRider::Bind(SqlStatement& statement, int first) const {
  const int64_t now_s = failures_.NowSeconds();  // one time for the gate and the branches
  const int next = failures_.BindLockedKeys(statement, first, keys_, now_s);
  return failures_.BindLoginRead(statement, next, keys_, username_, now_s);
}

int LoginRider::BindBranches(SqlStatement& statement, int first) const {
  return failures_.BindLoginRead(statement, first, keys_, username_, failures_.NowSeconds());
}

bool LoginRider::TakeRow(SqlStatement& row, int width) {
  return LoginFailures::TakeLoginRow(row, width, &reads_.locked, &reads_.account);
}

void LoginRider::Carried() {
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
