// The exception family. Helpers throw these; the dispatcher and main() are the only catch sites.
#pragma once

#include <stdexcept>
#include <string>

#include "core/weave_error.h"

namespace weave {

// A request the protocol rejects with 400 and a numeric Weave code as body.
class BadRequest : public std::runtime_error {
 public:
  BadRequest(WeaveError code, const std::string& detail)
      : std::runtime_error(detail), code_(code) {}
  WeaveError Code() const { return code_; }

 private:
  WeaveError code_;
};

// Any other HTTP error status chosen by a helper (401, 404, 405, 413 ...).
class HttpError : public std::runtime_error {
 public:
  HttpError(int status, const std::string& detail) : std::runtime_error(detail), status_(status) {}
  int Status() const { return status_; }

 private:
  int status_;
};

// The database or directory failed or is unreachable. Answered with 503 + Retry-After;
// the detail goes to the log only.
class BackendError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The database aborted a transaction to resolve a lock conflict: a deadlock (on Galera also
// a certification failure), or a wait for another transaction's lock that timed out; or the
// connection was lost before the commit, so nothing of it was stored. Running the
// transaction again may succeed (db/conflict_retry.h); when it is not run again, it is a
// BackendError like any other.
class TransactionConflict : public BackendError {
 public:
  enum class Kind { kDeadlock, kLockWaitTimeout, kConnectionLost };
  TransactionConflict(Kind kind, const std::string& detail) : BackendError(detail), kind_(kind) {}
  Kind GetKind() const { return kind_; }

 private:
  Kind kind_;
};

// Bad configuration; only thrown at start-up. Names the offending key path.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(const std::string& key_path, const std::string& detail)
      : std::runtime_error(key_path.empty() ? detail : key_path + ": " + detail) {}
};

}  // namespace weave
