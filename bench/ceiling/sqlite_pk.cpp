// Ceiling (b): a libfcgi responder that does one primary-key SELECT on an SQLite file per
// request and returns the row as JSON. What one indexed read through the same stack costs.
//   ceiling-sqlite SOCKET PROCESSES DBFILE
// The file is created with kRows rows (a few hundred bytes each) when it has none.
#include <fcgiapp.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "prefork.h"

namespace {

using ceiling::kRows;

void Check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "sqlite %s: %s\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

void CreateRows(const char* path) {
  sqlite3* db = nullptr;
  Check(sqlite3_open(path, &db), db, "open");
  Check(
      sqlite3_exec(db,
                   "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                   "CREATE TABLE IF NOT EXISTS kv (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)",
                   nullptr, nullptr, nullptr),
      db, "schema");
  sqlite3_stmt* count = nullptr;
  Check(sqlite3_prepare_v2(db, "SELECT count(*) FROM kv", -1, &count, nullptr), db, "prepare");
  Check(sqlite3_step(count), db, "count");
  const int64_t have = sqlite3_column_int64(count, 0);
  sqlite3_finalize(count);
  if (have >= kRows) {
    sqlite3_close(db);
    return;
  }
  Check(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), db, "begin");
  sqlite3_stmt* insert = nullptr;
  Check(sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO kv (id, payload) VALUES (?, ?)", -1, &insert,
                           nullptr),
        db, "prepare");
  uint64_t state = 88172645463325252ULL;
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int64_t id = 1; id <= kRows; ++id) {
    std::string payload = R"({"ciphertext":")";
    for (int i = 0; i < 300; ++i) {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      payload.push_back(kAlphabet[state & 63]);
    }
    payload += R"(","IV":"AAAAAAAAAAAAAAAAAAAAAA==","hmac":"00"})";
    sqlite3_bind_int64(insert, 1, id);
    sqlite3_bind_text(insert, 2, payload.data(), static_cast<int>(payload.size()),
                      SQLITE_TRANSIENT);
    Check(sqlite3_step(insert), db, "insert");
    sqlite3_reset(insert);
  }
  sqlite3_finalize(insert);
  Check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "commit");
  sqlite3_close(db);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: ceiling-sqlite unix:/path|host:port PROCESSES DBFILE\n");
    return 2;
  }
  const std::string path = argv[3];
  CreateRows(path.c_str());
  FCGX_Init();
  const int fd = ceiling::Listen(argv[1]);
  return ceiling::RunPrefork(fd, std::atoi(argv[2]), [&path](int listen_fd) {
    sqlite3* db = nullptr;  // one connection per process, opened after the fork
    Check(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), db, "open");
    sqlite3_busy_timeout(db, 5000);  // the processes open the WAL file at the same moment
    sqlite3_stmt* select = nullptr;
    Check(sqlite3_prepare_v2(db, "SELECT id, payload FROM kv WHERE id = ?", -1, &select, nullptr),
          db, "prepare");
    ceiling::RandomKeys keys;
    std::string body;
    ceiling::Serve(listen_fd, [&]() -> const std::string& {
      sqlite3_bind_int64(select, 1, keys.Next());
      if (sqlite3_step(select) == SQLITE_ROW) {
        ceiling::RowBody(
            body, sqlite3_column_int64(select, 0),
            std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(select, 1)),
                             static_cast<size_t>(sqlite3_column_bytes(select, 1))));
      } else {
        body = "null";
      }
      sqlite3_reset(select);
      return body;
    });
    sqlite3_finalize(select);
    sqlite3_close(db);
    return 0;
  });
}
