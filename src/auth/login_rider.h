// A login whose reads ride on the request's first storage read: the lockout check and the
// account's row are joined into that read's statement, so a read-only request costs one
// statement instead of two. The password is checked, and the request answered or
// refused, only after the read; what the read found is thrown away unless the login is
// accepted as the user the read was for.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/login_failures.h"
#include "auth/login_guard.h"
#include "core/security_log.h"
#include "core/user_name.h"
#include "db/sql_connection.h"

namespace weave {

// One login's reads, waiting for a statement to carry them. Borrows guard, failures and the
// views; lives for one request.
class LoginRider {
 public:
  LoginRider(LoginGuard& guard, LoginFailures& failures, std::string_view username,
             std::string_view password, const EventSource& source);

  // The carrier's statement: its columns (the first never NULL in its rows, none with a
  // parameter), then the login's, from the login's row LEFT JOINed with its tables (in
  // parentheses: a lone table must not be aliased, since SQLite forgets the alias there)
  // on its conditions. When gated, the join reads nothing while the login is locked out,
  // so guesses at a locked account cost no reads of its data; a carrier whose reads are no
  // data of the user (the cache mark) may go ungated, and then throws LoginHeldBack once
  // Carried if FoundLocked(), so that nothing more is read before the lockout is decided.
  // The statement has one row per row of the carrier (one with NULL data when it has
  // none), or none at all when the user name has no account.
  std::string Statement(std::string_view columns, std::string_view tables,
                        std::string_view conditions, bool gated) const;
  // Binds the login's parameters, which come first, from index first on; returns the index
  // of the carrier's first.
  int Bind(SqlStatement& statement, int first) const;
  bool FoundLocked() const { return !reads_.locked.empty(); }
  // Takes the login's columns of a row of the statement; true if the row holds the
  // carrier's data too.
  bool TakeRow(SqlStatement& row, int data_columns);
  // The carrying statement ran to its end: the reads are complete. Unless a lockout key
  // was found, the guard is told the login is coming (LoginGuard::Anticipate). No row at
  // all (no account by that name) leaves the login to Finish's own check, and the
  // carrier's answer withheld.
  void Carried();

  // Checks the login with the carried reads, or by itself when no statement carried them
  // (or one failed on the way). Throws BackendError when the back end cannot answer.
  LoginResult Finish();
  // After Finish: the carried reads found a lockout key (one the login passed, from a
  // trusted address), so the gate kept the carrier's rows back, or the carrier stopped the
  // handler (LoginHeldBack), or the statement found no account (and so read nothing): its
  // answer is incomplete.
  bool CarrierWithheld() const { return withheld_; }

 private:
  LoginGuard& guard_;
  LoginFailures& failures_;
  std::string_view username_;
  std::string_view password_;
  const EventSource& source_;
  std::vector<std::string> keys_;
  LoginGuard::LoginReads reads_;
  bool row_taken_ = false;
  bool carried_ = false;
  bool withheld_ = false;
};

// Thrown by a carrier whose login found a lockout key locked (LoginRider::FoundLocked), to stop
// the handler: its answer is dropped when the login is refused, and the handler runs again
// when the login passes all the same (from a trusted address; LoginRider::CarrierWithheld).
class LoginHeldBack : public std::runtime_error {
 public:
  LoginHeldBack() : std::runtime_error("a read waits for a login under lockout") {}
};

// Per worker: the rider of the request under way, handed to the first read that asks, and
// the user ids of the user names that logged in lately (a read needs the id before the login
// has confirmed it; a wrong guess, after an account was deleted and made again, costs the
// read again).
class LoginRiders {
 public:
  // The waiting rider, at most once per request; nullptr when there is none.
  LoginRider* Claim() {
    LoginRider* rider = waiting_;
    waiting_ = nullptr;
    return rider;
  }
  std::optional<UserId> KnownId(std::string_view username) const;
  void Remember(std::string_view username, UserId id);

  // Offers a rider to the reads of one scope.
  class Scope {
   public:
    Scope(LoginRiders& riders, LoginRider& rider) : riders_(riders) { riders_.waiting_ = &rider; }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    ~Scope() { riders_.waiting_ = nullptr; }

   private:
    LoginRiders& riders_;
  };

  static constexpr size_t kMaxKnownIds = 10000;

 private:
  LoginRider* waiting_ = nullptr;
  std::unordered_map<std::string, UserId> ids_;
};

}  // namespace weave
