// The shape of a migration: accounts and their records read as a stream from a source (another
// Sync server's database, or our own export format) and written to this server's stores.
// Sources (one per foreign server kind) and the writer are separate so each source is only
// a reader; everything about conflicts, resumption and progress lives in the writer.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace weave {

// One account as the source holds it.
struct MigratedAccount {
  std::string name;   // the Weave user name, as clients send it (lower case)
  std::string email;  // may be empty
  // The password hash in a form VerifyPassword (auth/password_hash.h) understands, or empty
  // when the source's hash cannot be carried over (the account is then reported, and the
  // operator sets a password or sends a reset).
  std::string password_hash;
  std::string unusable_hash_reason;  // why password_hash is empty, for the report
  bool disabled = false;
};

// A collection's own timestamp as the source would answer it in info/collections. Sources
// that keep no such timestamp give the newest record's modified time.
struct MigratedCollection {
  std::string name;
  int64_t modified_cs = 0;  // hundredths of a second since the epoch
};

// One record, exactly as stored: nothing is renumbered, re-timed or re-encoded.
struct MigratedRecord {
  std::string collection;
  std::string id;
  int64_t modified_cs = 0;
  std::optional<int64_t> sortindex;
  std::optional<std::string> parentid;
  std::optional<std::string> predecessorid;
  std::optional<int64_t> expires_s;  // absolute expiry in seconds since the epoch; none: never
  std::string payload;
};

using RecordSink = std::function<void(const MigratedRecord&)>;

// A source of accounts. Implementations stream: no more than one user's record at a time is
// held in memory. Throws std::runtime_error with a message naming the source on unreadable
// input.
class MigrationSource {
 public:
  virtual ~MigrationSource() = default;
  // Every account, in a stable order (so an interrupted import can skip what it finished).
  virtual std::vector<std::string> AccountNames() = 0;
  // The account by name; nullopt if the source has no such account (or it is deleted there).
  virtual std::optional<MigratedAccount> Account(const std::string& name) = 0;
  // The user's collections with their timestamps.
  virtual std::vector<MigratedCollection> Collections(const std::string& name) = 0;
  // Calls sink for each of the user's live records (expired ones included: the server hides
  // them, and the purge removes them, as on the source).
  virtual void ForEachRecord(const std::string& name, const RecordSink& sink) = 0;
  // How many records all accounts hold together, for progress; 0 when the source cannot
  // tell without reading them all.
  virtual int64_t CountRecords() { return 0; }
};

}  // namespace weave
