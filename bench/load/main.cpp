// weave-load: seeds a Sync 1.1 server, replays Mozilla's Sync load-test mix against it and
// checks every answer; or hammers one URL (the ceiling responders).
//
//   weave-load weave --url http://127.0.0.1:PORT [options]   seed, warm up, mix, verify
//   weave-load fixed --url http://127.0.0.1:PORT/path [options]   GET one URL repeatedly
//
// Under a fault campaign (bench/soak.py): --faults 1 logs every answer other than 200 (and
// every transport error) to --fault-log instead of failing on it, for the campaign to judge
// against the faults it injected; --check-all 1 reads every record back at the end and
// compares it with what was seeded and acknowledged since.
//
// Across storage nodes (bench/move_soak.py): --nodes 1 asks the User API's node/weave at
// --url where each user's records live, and asks again after a 401 (the user was moved);
// every node must be reachable through --url's host and port, each under a path of its own.
//
// Exit status: 0 all answers right, 1 wrong answers or errors, 2 usage or set-up failure.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <rapidjson/document.h>

#include "http.h"
#include "records.h"
#include "stats.h"
#include "task.h"

namespace bench {
namespace {

struct Options {
  std::string mode;
  std::string url;
  int connections = 16;
  double seconds = 30;
  int64_t max_requests = 5'000'000;
  int timeout_ms = 10'000;
  double seed_timeout_s = 300;
  int seed_connections = 0;  // 0: all
  bool no_seed = false;      // the accounts hold the data set already (profiling reruns)
  int users = 100;
  int records = 6000;
  int scratch = 16;
  std::string user_prefix = "benchu";
  std::string scratch_prefix = "benchscratch";
  uint64_t seed = 1;
  double warmup_s = 1;  // fixed mode
  int expect_status = 200;
  std::string expect_body;
  std::string basic_auth;  // fixed mode: "user:password" sent as HTTP Basic
  std::string label = "run";
  std::string json_path;
  pid_t server_pid = 0;
  pid_t nginx_pid = 0;
  bool faults = false;     // non-200 answers are logged for a fault campaign, not failures
  std::string fault_log;   // where they are logged
  bool check_all = false;  // read every record back at the end
  bool nodes = false;      // users live on storage nodes named by node/weave
};

// Passwords follow a fixed rule so that bench/run.sh can create the accounts.
std::string PasswordOf(const std::string& user) {
  return user + "-bench-pw";
}

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(in[i]) << 16) |
                       (static_cast<uint8_t>(in[i + 1]) << 8) | static_cast<uint8_t>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == in.size()) {
    const uint32_t n = static_cast<uint8_t>(in[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const uint32_t n = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string Printable(std::string_view text, size_t limit = 160) {
  std::string out;
  for (const char c : text.substr(0, limit)) {
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  if (text.size() > limit) {
    out += "...";
  }
  return out;
}

// Thrown before a request when the phase is over; unwinds the virtual client.
struct Stopped {};

// What every virtual client shares: the current phase, its limits, the failures seen.
struct Run {
  Options options;
  Target target;
  PhaseStats* phase = nullptr;
  Clock::time_point deadline = Clock::time_point::max();
  int64_t sent = 0;
  int64_t request_cap = INT64_MAX;
  int64_t failures = 0;
  std::vector<std::string> messages;
  int64_t records_verified = 0;
  int64_t acknowledged_checked = 0;  // --check-all: records compared with what was acknowledged
  int64_t acknowledged_lost = 0;     // ... and found missing or different
  std::unique_ptr<FILE, int (*)(FILE*)> fault_log{nullptr, &std::fclose};
  int64_t fault_answers = 0;

  void Failure(const std::string& type, const std::string& message) {
    ++failures;
    if (phase != nullptr) {
      phase->Wrong(type);
    }
    if (messages.size() < 25) {
      messages.push_back(phase != nullptr ? phase->Name() + "/" + type + ": " + message
                                          : type + ": " + message);
      std::fprintf(stderr, "FAIL %s\n", messages.back().c_str());
    }
  }
};

struct Pending {
  std::string payload;
  int64_t modified_cs = 0;
};

struct CollectionState {
  int64_t last_sync_cs = 0;   // newer= of the next download, as a second device would send
  int64_t last_write_cs = 0;  // X-Weave-Timestamp of our last POST here
  std::unordered_map<std::string, Pending> pending;  // written since last_sync, not yet read
  std::unordered_set<std::string> unsure;            // state unknown after a failed write
  uint64_t next_new = 0;
  // Since seeding, for the final check of every record: the last acknowledged write of each
  // id, the ids an acknowledged DELETE removed, and those whose fate is unknown (a write or
  // delete that failed may or may not have been applied).
  std::unordered_map<std::string, Pending> acknowledged;
  std::unordered_set<std::string> deleted;
  std::unordered_set<std::string> unknown;

  void Acknowledged(const std::string& id, const Pending& write) {
    acknowledged[id] = write;
    deleted.erase(id);
    unknown.erase(id);
  }
  void Unknown(const std::string& id) {
    acknowledged.erase(id);
    deleted.erase(id);
    unknown.insert(id);
  }
};

struct User {
  uint64_t number = 0;  // the seed key of its records
  std::string name;
  std::string authorization;
  std::string base;         // prefix/1.1/name/ (with --nodes: the node's path/1.1/name/)
  bool node_stale = false;  // --nodes: node/weave must be asked before the next request
  std::array<CollectionState, kCollectionCount> collections;
  std::array<int, kCollectionCount> seeded{};
};

User MakeUser(const Run& run, uint64_t number, const std::string& name) {
  User user;
  user.number = number;
  user.name = name;
  user.authorization = "Basic " + Base64(name + ":" + PasswordOf(name));
  user.base = run.target.prefix + "/1.1/" + name + "/";
  user.seeded = SplitRecords(run.options.records);
  user.node_stale = run.options.nodes;
  return user;
}

struct Client {
  Client(Loop& loop, Run& run_state, int number, uint64_t seed)
      : connection(loop, run_state.target.address, run_state.target.host_header),
        run(run_state),
        index(number),
        rng(seed) {}
  Connection connection;
  Run& run;
  int index;
  Rng rng;
  std::vector<User*> users;
  User* scratch = nullptr;
};

HttpRequest Get(const User& user, const std::string& path) {
  HttpRequest request;
  request.target = user.base + path;
  request.headers.emplace_back("Authorization", user.authorization);
  return request;
}

HttpRequest WithBody(const User& user, const char* method, const std::string& path,
                     std::string body) {
  HttpRequest request = Get(user, path);
  request.method = method;
  request.body = std::move(body);
  request.headers.emplace_back("Content-Type", "text/plain; charset=UTF-8");
  return request;
}

// One line per answer other than 200, for bench/soak.py to judge: wall-clock time, request
// type, status (0: transport error), Retry-After and X-Weave-Backoff ("-" when absent), the
// request, and the start of the body or the transport error.
void LogFaultAnswer(Run& run, const std::string& type, const std::string& what,
                    const HttpResponse& response) {
  ++run.fault_answers;
  if (!run.fault_log) {
    return;
  }
  const auto header = [&response](const char* name) {
    const std::string* value = response.Header(name);
    return value != nullptr && !value->empty() ? Printable(*value, 40) : std::string("-");
  };
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::fprintf(
      run.fault_log.get(), "%.3f %s %d %s %s %s %s\n", now, type.c_str(),
      response.transport_ok ? response.status : 0, header("retry-after").c_str(),
      header("x-weave-backoff").c_str(), Printable(what, 120).c_str(),
      Printable(response.transport_ok ? response.body : response.transport_error, 120).c_str());
  std::fflush(run.fault_log.get());
}

// Sends one request, records its latency under `type`; an unexpected status is an error.
// The caller checks the content.
Task<HttpResponse> Call(Client& client, const std::string& type, HttpRequest request,
                        bool weave = true) {
  Run& run = client.run;
  if (Clock::now() >= run.deadline || run.sent >= run.request_cap) {
    throw Stopped{};
  }
  ++run.sent;
  const std::string what = request.method + " " + request.target;
  HttpResponse response = co_await client.connection.Send(std::move(request));
  const bool http_ok = response.transport_ok && response.status == run.options.expect_status;
  if (run.phase != nullptr) {
    run.phase->Record(type, response, http_ok);
  }
  if (run.options.nodes && response.transport_ok && response.status == 401) {
    // The node no longer holds this user (a move): as Firefox does, ask node/weave again.
    for (User* user : client.users) {
      user->node_stale = user->node_stale || what.find(" " + user->base) != std::string::npos;
    }
    if (client.scratch != nullptr && what.find(" " + client.scratch->base) != std::string::npos) {
      client.scratch->node_stale = true;
    }
  }
  if (!http_ok && run.options.faults) {
    LogFaultAnswer(run, type, what, response);
  } else if (!response.transport_ok) {
    run.Failure(type, what + ": " + response.transport_error);
  } else if (!http_ok) {
    run.Failure(
        type, what + ": HTTP " + std::to_string(response.status) + " " + Printable(response.body));
  } else if (weave && response.Header("x-weave-timestamp") == nullptr) {
    run.Failure(type, what + ": no X-Weave-Timestamp header");
  }
  co_return response;
}

bool Ok(const HttpResponse& response, int status = 200) {
  return response.transport_ok && response.status == status;
}

std::optional<int64_t> HeaderTimestamp(const HttpResponse& response) {
  const std::string* header = response.Header("x-weave-timestamp");
  return header != nullptr ? ParseCentiseconds(*header) : std::nullopt;
}

constexpr unsigned kParseFlags = rapidjson::kParseNumbersAsStringsFlag;

// --nodes: asks node/weave for the user's node if it is not known (or no longer right) and
// points the user's requests there. False while the user has no usable node: the answer
// was not 200, "null" (every node full), or a node outside --url's host and port.
Task<bool> EnsureNode(Client& client, User& user) {
  Run& run = client.run;
  if (!run.options.nodes || !user.node_stale) {
    co_return true;
  }
  HttpRequest request;
  request.target = run.target.prefix + "/user/1.0/" + user.name + "/node/weave";
  const HttpResponse response = co_await Call(client, "node_lookup", std::move(request), false);
  if (!Ok(response)) {
    co_return false;
  }
  Target node;
  std::string error;
  if (!ParseTarget(response.body, node, error) || node.host_header != run.target.host_header) {
    run.Failure("node_lookup", user.name + " node/weave: not a node behind " +
                                   run.target.host_header + ": " + Printable(response.body));
    co_return false;
  }
  user.base = node.prefix + "/1.1/" + user.name + "/";
  user.node_stale = false;
  co_return true;
}

std::optional<int64_t> NumberCs(const rapidjson::Value& value) {
  if (!value.IsString()) {  // numbers arrive as their text (kParseNumbersAsStringsFlag)
    return std::nullopt;
  }
  return ParseCentiseconds(std::string_view(value.GetString(), value.GetStringLength()));
}

std::string_view Text(const rapidjson::Value& value) {
  return {value.GetString(), value.GetStringLength()};
}

// ---------------------------------------------------------------- requests and checks

// POSTs records and checks that the answer lists every id under success; returns the
// X-Weave-Timestamp the records must carry, or nothing if the write is not trustworthy.
Task<std::optional<int64_t>> PostRecords(
    Client& client, User& user, const std::string& collection, const std::string& type,
    const std::vector<std::pair<std::string, std::string>>& records,
    const std::vector<std::string>& bodies) {
  std::string body = "[";
  for (size_t i = 0; i < bodies.size(); ++i) {
    body += i == 0 ? "" : ",";
    body += bodies[i];
  }
  body += "]";
  const std::string path = "storage/" + collection;
  const HttpResponse response =
      co_await Call(client, type, WithBody(user, "POST", path, std::move(body)));
  if (!Ok(response)) {
    co_return std::nullopt;
  }
  Run& run = client.run;
  const std::string where = "POST " + user.name + "/" + path;
  const auto timestamp = HeaderTimestamp(response);
  if (!timestamp) {
    run.Failure(type, where + ": unreadable X-Weave-Timestamp");
    co_return std::nullopt;
  }
  rapidjson::Document document;
  document.Parse<kParseFlags>(response.body.data(), response.body.size());
  if (document.HasParseError() || !document.IsObject() || !document.HasMember("success") ||
      !document["success"].IsArray()) {
    run.Failure(type, where + ": answer is not {success: [...]}: " + Printable(response.body));
    co_return std::nullopt;
  }
  std::unordered_set<std::string> succeeded;
  for (const auto& id : document["success"].GetArray()) {
    if (id.IsString()) {
      succeeded.emplace(Text(id));
    }
  }
  bool all = true;
  for (const auto& [id, payload] : records) {
    if (succeeded.count(id) == 0) {
      all = false;
      run.Failure(type, where + ": id " + id + " not under success: " + Printable(response.body));
      break;
    }
  }
  if (succeeded.size() != records.size()) {
    all = false;
    run.Failure(type, where + ": " + std::to_string(succeeded.size()) + " ids under success for " +
                          std::to_string(records.size()) + " records sent");
  }
  if (document.HasMember("failed") &&
      (!document["failed"].IsObject() || document["failed"].MemberCount() != 0)) {
    all = false;
    run.Failure(type, where + ": failed is not empty: " + Printable(response.body));
  }
  if (document.HasMember("modified")) {
    const auto modified = NumberCs(document["modified"]);
    if (!modified || *modified != *timestamp) {
      run.Failure(type, where + ": body modified differs from X-Weave-Timestamp " +
                            FormatCentiseconds(*timestamp));
    }
  }
  if (!all) {
    co_return std::nullopt;
  }
  co_return timestamp;
}

// GET storage/<c>?full=1&newer=<last sync>, streamed as application/newlines like Firefox.
// Since only this client writes to this user, the answer must be exactly the records it
// wrote since then, with the payloads it sent and the timestamps of their POSTs.
Task<void> DownloadNewer(Client& client, User& user, int collection, const std::string& type) {
  CollectionState& state = user.collections[collection];
  Run& run = client.run;
  const std::string path = std::string("storage/") + kCollections[collection].name +
                           "?full=1&newer=" + FormatCentiseconds(state.last_sync_cs);
  HttpRequest request = Get(user, path);
  request.headers.emplace_back("Accept", "application/newlines");
  const HttpResponse response = co_await Call(client, type, std::move(request));
  if (!Ok(response)) {
    co_return;
  }
  const std::string where = "GET " + user.name + "/" + path;
  const std::string* content_type = response.Header("content-type");
  if (content_type == nullptr || content_type->rfind("application/newlines", 0) != 0) {
    run.Failure(type, where + ": Content-Type is not application/newlines");
  }
  if (!response.body.empty() && response.body.back() != '\n') {
    run.Failure(type, where + ": last record is not terminated by a line feed");
  }
  int64_t newest = state.last_sync_cs;
  std::unordered_set<std::string> seen;
  size_t start = 0;
  int64_t lines = 0;
  while (start < response.body.size()) {
    size_t end = response.body.find('\n', start);
    if (end == std::string::npos) {
      end = response.body.size();
    }
    const std::string_view line(response.body.data() + start, end - start);
    start = end + 1;
    ++lines;
    if (line.empty()) {
      run.Failure(type, where + ": empty line in a newlines body");
      continue;
    }
    rapidjson::Document record;
    record.Parse<kParseFlags>(line.data(), line.size());
    if (record.HasParseError() || !record.IsObject() || !record.HasMember("id") ||
        !record["id"].IsString() || !record.HasMember("modified")) {
      run.Failure(type, where + ": not a record: " + Printable(line));
      continue;
    }
    const std::string id(Text(record["id"]));
    const auto modified = NumberCs(record["modified"]);
    if (!modified) {
      run.Failure(type, where + ": record " + id + " has no readable modified");
      continue;
    }
    newest = std::max(newest, *modified);
    if (*modified <= state.last_sync_cs) {
      run.Failure(type, where + ": record " + id + " modified " + FormatCentiseconds(*modified) +
                            " is not newer than " + FormatCentiseconds(state.last_sync_cs));
    }
    seen.insert(id);
    const auto found = state.pending.find(id);
    if (found == state.pending.end()) {
      if (state.unsure.erase(id) == 0) {
        run.Failure(type, where + ": record " + id + " was not written since the last sync");
      }
      continue;
    }
    if (!record.HasMember("payload") || !record["payload"].IsString() ||
        Text(record["payload"]) != found->second.payload) {
      run.Failure(type, where + ": payload of " + id + " differs from what was POSTed");
    } else if (*modified != found->second.modified_cs) {
      run.Failure(type, where + ": " + id + " modified " + FormatCentiseconds(*modified) +
                            " but its POST answered X-Weave-Timestamp " +
                            FormatCentiseconds(found->second.modified_cs));
    } else {
      ++run.records_verified;
    }
  }
  for (const auto& [id, pending] : state.pending) {
    newest = std::max(newest, pending.modified_cs);
    if (seen.count(id) == 0) {
      run.Failure(type, where + ": record " + id + " acknowledged by a POST at " +
                            FormatCentiseconds(pending.modified_cs) + " is missing");
    }
  }
  if (const std::string* records = response.Header("x-weave-records")) {
    if (*records != std::to_string(lines)) {
      run.Failure(type, where + ": X-Weave-Records " + *records + " for " + std::to_string(lines) +
                            " records");
    }
  }
  state.pending.clear();
  state.unsure.clear();
  state.last_sync_cs = newest;
}

Task<void> PostTen(Client& client, User& user, int collection, const std::string& type) {
  CollectionState& state = user.collections[collection];
  const CollectionSpec& spec = kCollections[collection];
  std::vector<std::pair<std::string, std::string>> records;
  std::vector<std::string> bodies;
  std::set<std::string> ids;
  while (records.size() < 10) {
    // Half new records, half changes to existing ones.
    std::string id =
        client.rng.Uniform() < 0.5
            ? RecordId(user.number, collection, 1'000'000'000ULL + state.next_new++)
            : RecordId(user.number, collection,
                       client.rng.Below(static_cast<uint64_t>(user.seeded[collection])));
    if (!ids.insert(id).second) {
      continue;
    }
    std::string payload = MakePayload(client.rng, spec);
    const std::optional<int64_t> sortindex =
        spec.sortindex ? std::optional<int64_t>(static_cast<int64_t>(client.rng.Below(2000)))
                       : std::nullopt;
    bodies.push_back(WboJson(id, payload, sortindex, spec.ttl));
    records.emplace_back(std::move(id), std::move(payload));
  }
  const auto timestamp = co_await PostRecords(client, user, spec.name, type, records, bodies);
  if (!timestamp) {
    for (auto& [id, payload] : records) {
      state.pending.erase(id);
      state.unsure.insert(id);
      state.Unknown(id);
    }
    co_return;
  }
  if (*timestamp <= state.last_sync_cs) {
    client.run.Failure(type, "POST " + user.name + "/storage/" + spec.name + " timestamp " +
                                 FormatCentiseconds(*timestamp) + " is not after an earlier one " +
                                 FormatCentiseconds(state.last_sync_cs));
  }
  for (auto& [id, payload] : records) {
    state.Acknowledged(id, Pending{payload, *timestamp});
    state.pending[id] = Pending{std::move(payload), *timestamp};
  }
  state.last_write_cs = std::max(state.last_write_cs, *timestamp);
}

Task<void> InfoCollections(Client& client, User& user, const std::string& type, bool initial) {
  const HttpResponse response = co_await Call(client, type, Get(user, "info/collections"));
  if (!Ok(response)) {
    co_return;
  }
  Run& run = client.run;
  rapidjson::Document document;
  document.Parse<kParseFlags>(response.body.data(), response.body.size());
  if (document.HasParseError() || !document.IsObject()) {
    run.Failure(type, user.name + " info/collections: not an object: " + Printable(response.body));
    co_return;
  }
  for (int c = 0; c < kCollectionCount; ++c) {
    CollectionState& state = user.collections[c];
    const char* name = kCollections[c].name;
    if (!document.HasMember(name)) {
      run.Failure(type,
                  user.name + " info/collections lacks " + name + ": " + Printable(response.body));
      continue;
    }
    const auto stamp = NumberCs(document[name]);
    if (!stamp) {
      run.Failure(type, user.name + " info/collections: bad timestamp for " + name);
      continue;
    }
    if (initial) {
      state.last_sync_cs = std::max(state.last_sync_cs, *stamp);
    } else if (*stamp < state.last_write_cs) {
      run.Failure(type, user.name + " info/collections " + name + "=" + FormatCentiseconds(*stamp) +
                            " is older than our write at " +
                            FormatCentiseconds(state.last_write_cs));
    }
  }
}

Task<void> MetaGlobal(Client& client, User& user, const std::string& type) {
  const HttpResponse response = co_await Call(client, type, Get(user, "storage/meta/global"));
  if (!Ok(response)) {
    co_return;
  }
  rapidjson::Document document;
  document.Parse<kParseFlags>(response.body.data(), response.body.size());
  if (document.HasParseError() || !document.IsObject() || !document.HasMember("payload") ||
      !document["payload"].IsString() ||
      Text(document["payload"]) != MetaGlobalPayload(user.number) || !document.HasMember("id") ||
      !document["id"].IsString() || Text(document["id"]) != "global") {
    client.run.Failure(type, user.name + " meta/global differs from the seeded record: " +
                                 Printable(response.body));
  }
}

// DELETE storage/<c>?ids=... (raw ids, as Firefox sends them), then check they are gone.
Task<void> DeleteSome(Client& client, User& user, int collection) {
  CollectionState& state = user.collections[collection];
  std::vector<std::string> ids;
  const int count = 1 + static_cast<int>(client.rng.Below(5));
  for (int i = 0; i < count; ++i) {
    ids.push_back(RecordId(user.number, collection,
                           client.rng.Below(static_cast<uint64_t>(user.seeded[collection]))));
  }
  if (!state.pending.empty()) {
    ids.push_back(state.pending.begin()->first);
  }
  std::string list;
  for (const auto& id : ids) {
    list += list.empty() ? "" : ",";
    list += id;
  }
  const std::string path = std::string("storage/") + kCollections[collection].name + "?ids=" + list;
  HttpRequest request = Get(user, path);
  request.method = "DELETE";
  const HttpResponse response = co_await Call(client, "delete_ids", std::move(request));
  for (const auto& id : ids) {
    state.pending.erase(id);
    if (!Ok(response)) {
      state.unsure.insert(id);
      state.Unknown(id);
    } else {
      state.acknowledged.erase(id);
      state.unknown.erase(id);
      state.deleted.insert(id);
    }
  }
  if (!Ok(response)) {
    co_return;
  }
  if (!ParseCentiseconds(response.body)) {
    client.run.Failure("delete_ids", "DELETE " + user.name + "/" + path +
                                         ": body is not a timestamp: " + Printable(response.body));
  }
  const HttpResponse check = co_await Call(client, "verify_deleted", Get(user, path));
  if (Ok(check) && check.body != "[]") {
    client.run.Failure("verify_deleted", "GET " + user.name + "/" + path +
                                             " after deleting them: " + Printable(check.body));
  }
}

std::vector<std::string> TenRecordBodies(
    Client& client, User& user, std::vector<std::pair<std::string, std::string>>& records) {
  std::vector<std::string> bodies;
  for (int i = 0; i < 10; ++i) {
    std::string id = RecordId(user.number, 0, 2'000'000'000ULL + user.collections[0].next_new++);
    std::string payload = MakePayload(client.rng, kCollections[0]);
    bodies.push_back(WboJson(id, payload, 1, 0));
    records.emplace_back(std::move(id), std::move(payload));
  }
  return bodies;
}

// A scratch account gets a few records so that a wipe has something to remove.
Task<void> RestockScratch(Client& client) {
  User& user = *client.scratch;
  std::vector<std::pair<std::string, std::string>> records;
  const auto bodies = TenRecordBodies(client, user, records);
  co_await PostRecords(client, user, kCollections[0].name, "post_collection", records, bodies);
}

// DELETE /storage of the client's scratch account, then check that it is empty.
Task<void> WipeScratch(Client& client) {
  User& user = *client.scratch;
  HttpRequest wipe = Get(user, "storage");  // no trailing slash, as Firefox sends it
  wipe.method = "DELETE";
  wipe.headers.emplace_back("X-Confirm-Delete", "1");
  const HttpResponse response = co_await Call(client, "delete_storage", std::move(wipe));
  if (Ok(response)) {
    const HttpResponse check = co_await Call(client, "verify_wiped", Get(user, "info/collections"));
    if (Ok(check) && check.body != "{}") {
      client.run.Failure("verify_wiped", user.name + " info/collections after DELETE storage: " +
                                             Printable(check.body));
    }
  }
  co_await RestockScratch(client);
}

// One sync session of Mozilla's load test.
Task<void> Session(Client& client) {
  static constexpr std::array<int, 5> kGetWeights = {71, 15, 7, 4, 3};
  static constexpr std::array<int, 5> kPostWeights = {67, 18, 9, 4, 2};
  User& user = *client.users[client.rng.Below(client.users.size())];
  if (!co_await EnsureNode(client, user)) {
    co_return;
  }
  co_await InfoCollections(client, user, "info_collections", false);
  if (client.rng.Uniform() < 0.6) {
    co_await MetaGlobal(client, user, "meta_global");
  }
  // A 401 (the user moved) ends the session, as it ends a Firefox sync; the next one asks
  // node/weave first.
  const int gets = user.node_stale ? 0 : client.rng.Weighted(kGetWeights);
  for (int i = 0; i < gets && !user.node_stale; ++i) {
    co_await DownloadNewer(client, user, static_cast<int>(client.rng.Below(kCollectionCount)),
                           "get_collection");
  }
  const int posts = user.node_stale ? 0 : client.rng.Weighted(kPostWeights);
  for (int i = 0; i < posts && !user.node_stale; ++i) {
    co_await PostTen(client, user, static_cast<int>(client.rng.Below(kCollectionCount)),
                     "post_collection");
  }
  if (client.rng.Uniform() < 0.01) {
    co_await DeleteSome(client, user, static_cast<int>(client.rng.Below(kCollectionCount)));
  }
  if (client.rng.Uniform() < 0.01 && co_await EnsureNode(client, *client.scratch)) {
    co_await WipeScratch(client);
  }
}

Task<void> MixClient(Client& client) {
  try {
    while (true) {
      co_await Session(client);
    }
  } catch (const Stopped&) {
  }
}

Task<void> WarmClient(Client& client) {
  try {
    // Several rounds so that each server worker has verified each password once.
    for (int round = 0; round < 16; ++round) {
      for (User* user : client.users) {
        if (co_await EnsureNode(client, *user)) {
          co_await InfoCollections(client, *user, "info_collections", true);
        }
      }
    }
    if (co_await EnsureNode(client, *client.scratch)) {
      co_await RestockScratch(client);
    }
  } catch (const Stopped&) {
  }
}

// After the timed mix: download everything still unread, so every acknowledged write is
// checked at least once.
Task<void> FinalVerifyClient(Client& client) {
  try {
    for (User* user : client.users) {
      // Read from the node the user lives on now.
      user->node_stale = client.run.options.nodes;
      if (!co_await EnsureNode(client, *user)) {
        continue;  // its pending records are read by the final check, or reported there
      }
      for (int c = 0; c < kCollectionCount; ++c) {
        if (!user->collections[c].pending.empty()) {
          co_await DownloadNewer(client, *user, c, "get_collection");
        }
      }
    }
  } catch (const Stopped&) {
  }
}

// ---------------------------------------------------------------- the final check (--check-all)

// GET storage/<c>?full=1 as application/newlines, tried again while it fails (a fault
// campaign may have just ended): id -> (payload, modified); nothing if it never succeeded.
Task<std::optional<std::unordered_map<std::string, Pending>>> ReadCollection(Client& client,
                                                                             User& user, int c) {
  const std::string path = std::string("storage/") + kCollections[c].name + "?full=1";
  for (int attempt = 0; attempt < 30; ++attempt) {
    // --nodes: a 401 means the user moved meanwhile; the next try asks node/weave first.
    if (!co_await EnsureNode(client, user)) {
      usleep(500'000);
      continue;
    }
    HttpRequest request = Get(user, path);
    request.headers.emplace_back("Accept", "application/newlines");
    const HttpResponse response = co_await Call(client, "final_check", std::move(request));
    if (!Ok(response)) {
      usleep(500'000);  // blocks every client: only ever while the server is unavailable
      continue;
    }
    std::unordered_map<std::string, Pending> records;
    size_t start = 0;
    while (start < response.body.size()) {
      size_t end = response.body.find('\n', start);
      end = end == std::string::npos ? response.body.size() : end;
      rapidjson::Document record;
      record.Parse<kParseFlags>(response.body.data() + start, end - start);
      start = end + 1;
      if (record.HasParseError() || !record.IsObject() || !record.HasMember("id") ||
          !record["id"].IsString() || !record.HasMember("payload") ||
          !record["payload"].IsString() || !record.HasMember("modified")) {
        client.run.Failure("final_check", "GET " + user.name + "/" + path + ": not a record");
        continue;
      }
      records[std::string(Text(record["id"]))] =
          Pending{std::string(Text(record["payload"])), NumberCs(record["modified"]).value_or(-1)};
    }
    co_return records;
  }
  co_return std::nullopt;
}

// Compares one collection of a user with what was seeded and acknowledged since: every
// record whose state is known must be there byte for byte (and with the timestamp its write
// was acknowledged with), every acknowledged delete must have removed its record.
Task<void> CheckCollection(Client& client, User& user, int c) {
  const CollectionState& state = user.collections[c];
  Run& run = client.run;
  const std::string where = user.name + "/" + kCollections[c].name;
  const auto stored = co_await ReadCollection(client, user, c);
  const auto find = [&stored](const std::string& id) -> const Pending* {
    if (!stored) {
      return nullptr;
    }
    const auto found = stored->find(id);
    return found != stored->end() ? &found->second : nullptr;
  };
  const auto lost = [&run, &where](const std::string& id, const std::string& why) {
    ++run.acknowledged_lost;
    run.Failure("final_check", where + " record " + id + ": " + why);
  };
  for (int i = 0; i < user.seeded[c]; ++i) {
    const std::string id = RecordId(user.number, c, static_cast<uint64_t>(i));
    if (state.acknowledged.count(id) != 0 || state.deleted.count(id) != 0 ||
        state.unknown.count(id) != 0) {
      continue;  // written or deleted since seeding: checked below, or unknown
    }
    ++run.acknowledged_checked;
    const Pending* found = find(id);
    if (found == nullptr) {
      lost(id, stored ? "seeded record is missing" : "could not be read");
    } else if (found->payload != SeedPayload(user.number, c, static_cast<uint64_t>(i))) {
      lost(id, "payload differs from the seeded one");
    }
  }
  for (const auto& [id, write] : state.acknowledged) {
    ++run.acknowledged_checked;
    const Pending* found = find(id);
    if (found == nullptr) {
      lost(id, "acknowledged at " + FormatCentiseconds(write.modified_cs) + ", missing");
    } else if (found->payload != write.payload) {
      lost(id,
           "payload differs from the one acknowledged at " + FormatCentiseconds(write.modified_cs));
    } else if (found->modified_cs != write.modified_cs) {
      lost(id, "modified " + FormatCentiseconds(found->modified_cs) + " but acknowledged at " +
                   FormatCentiseconds(write.modified_cs));
    }
  }
  for (const auto& id : state.deleted) {
    if (find(id) != nullptr) {
      run.Failure("final_check", where + " record " + id + " is back after its delete");
    }
  }
}

Task<void> CheckAllClient(Client& client) {
  try {
    for (User* user : client.users) {
      user->node_stale = client.run.options.nodes;
      co_await EnsureNode(client, *user);  // if it fails, the reads below report the records
      for (int c = 0; c < kCollectionCount; ++c) {
        co_await CheckCollection(client, *user, c);
      }
    }
  } catch (const Stopped&) {
  }
}

// ---------------------------------------------------------------- seeding

struct SeedProgress {
  std::vector<User>* users = nullptr;
  size_t next = 0;
  int64_t records = 0;
  int64_t bytes = 0;
};

Task<void> PutOne(Client& client, User& user, const std::string& path, const std::string& id,
                  const std::string& payload, int ttl) {
  const HttpResponse response =
      co_await Call(client, "seed_put", WithBody(user, "PUT", path, WboJson(id, payload, {}, ttl)));
  if (Ok(response)) {
    const auto timestamp = HeaderTimestamp(response);
    if (!timestamp || ParseCentiseconds(response.body) != timestamp) {
      client.run.Failure("seed_put",
                         "PUT " + user.name + "/" + path +
                             ": body is not the X-Weave-Timestamp: " + Printable(response.body));
    }
  }
}

Task<void> SeedUser(Client& client, User& user, SeedProgress& progress) {
  if (!co_await EnsureNode(client, user)) {
    co_return;  // counted as records not seeded
  }
  HttpRequest wipe = Get(user, "storage");
  wipe.method = "DELETE";
  wipe.headers.emplace_back("X-Confirm-Delete", "1");
  co_await Call(client, "seed_wipe", std::move(wipe));
  co_await PutOne(client, user, "storage/meta/global", "global", MetaGlobalPayload(user.number), 0);
  {
    Rng rng(Mix(user.number, 0xc0ffee));
    co_await PutOne(client, user, "storage/crypto/keys", "keys", MakePayload(rng, kCollections[2]),
                    0);
    std::vector<std::pair<std::string, std::string>> records;
    records.emplace_back(RecordId(user.number, 0, 999'999'999ULL),
                         MakePayload(rng, kCollections[1]));
    const std::vector<std::string> bodies = {
        WboJson(records[0].first, records[0].second, {}, 1814400)};
    co_await PostRecords(client, user, "clients", "seed_post", records, bodies);
  }
  for (int c = 0; c < kCollectionCount; ++c) {
    const CollectionSpec& spec = kCollections[c];
    for (int start = 0; start < user.seeded[c]; start += 100) {
      const int end = std::min(user.seeded[c], start + 100);
      std::vector<std::pair<std::string, std::string>> records;
      std::vector<std::string> bodies;
      for (int i = start; i < end; ++i) {
        std::string id = RecordId(user.number, c, static_cast<uint64_t>(i));
        std::string payload = SeedPayload(user.number, c, static_cast<uint64_t>(i));
        bodies.push_back(WboJson(id, payload,
                                 spec.sortindex ? std::optional<int64_t>(i % 1000) : std::nullopt,
                                 spec.ttl));
        progress.bytes += static_cast<int64_t>(bodies.back().size());
        records.emplace_back(std::move(id), std::move(payload));
      }
      const auto timestamp =
          co_await PostRecords(client, user, spec.name, "seed_post", records, bodies);
      if (timestamp) {
        progress.records += end - start;
      }
    }
  }
}

Task<void> SeedClient(Client& client, SeedProgress& progress) {
  const int limit = client.run.options.seed_connections;
  if (limit > 0 && client.index >= limit) {
    co_return;
  }
  try {
    while (progress.next < progress.users->size()) {
      User& user = (*progress.users)[progress.next++];
      co_await SeedUser(client, user, progress);
    }
  } catch (const Stopped&) {
  }
}

// Counts per collection must match what was seeded; ten seeded records per user are read
// back and compared byte for byte.
Task<void> SeedCheckClient(Client& client, SeedProgress& progress) {
  try {
    while (progress.next < progress.users->size()) {
      User& user = (*progress.users)[progress.next++];
      if (!co_await EnsureNode(client, user)) {
        continue;
      }
      const HttpResponse counts =
          co_await Call(client, "seed_check", Get(user, "info/collection_counts"));
      if (Ok(counts)) {
        rapidjson::Document document;
        document.Parse<kParseFlags>(counts.body.data(), counts.body.size());
        std::map<std::string, std::string> expected;
        for (int c = 0; c < kCollectionCount; ++c) {
          expected[kCollections[c].name] = std::to_string(user.seeded[c]);
        }
        expected["meta"] = "1";
        expected["crypto"] = "1";
        expected["clients"] = "1";
        bool same = !document.HasParseError() && document.IsObject() &&
                    document.MemberCount() == expected.size();
        for (const auto& [name, count] : expected) {
          same = same && document.HasMember(name.c_str()) && document[name.c_str()].IsString() &&
                 Text(document[name.c_str()]) == count;
        }
        if (!same) {
          client.run.Failure("seed_check", user.name + " info/collection_counts after seeding: " +
                                               Printable(counts.body, 300));
        }
      }
      const int c = static_cast<int>(client.rng.Below(kCollectionCount));
      std::vector<uint64_t> picks;
      std::string list;
      for (int i = 0; i < 10; ++i) {
        picks.push_back(client.rng.Below(static_cast<uint64_t>(user.seeded[c])));
        list += list.empty() ? "" : ",";
        list += RecordId(user.number, c, picks.back());
      }
      const HttpResponse sample = co_await Call(
          client, "seed_check",
          Get(user, std::string("storage/") + kCollections[c].name + "?full=1&ids=" + list));
      if (!Ok(sample)) {
        continue;
      }
      rapidjson::Document document;
      document.Parse<kParseFlags>(sample.body.data(), sample.body.size());
      std::map<std::string, std::string> got;
      if (!document.HasParseError() && document.IsArray()) {
        for (const auto& record : document.GetArray()) {
          if (record.IsObject() && record.HasMember("id") && record["id"].IsString() &&
              record.HasMember("payload") && record["payload"].IsString()) {
            got[std::string(Text(record["id"]))] = std::string(Text(record["payload"]));
          }
        }
      }
      for (const uint64_t index : picks) {
        const std::string id = RecordId(user.number, c, index);
        const auto found = got.find(id);
        if (found == got.end()) {
          client.run.Failure("seed_check", user.name + "/" + kCollections[c].name + " record " +
                                               id + " missing after seeding");
        } else if (found->second != SeedPayload(user.number, c, index)) {
          client.run.Failure("seed_check", user.name + "/" + kCollections[c].name + " record " +
                                               id + " payload differs after seeding");
        } else {
          ++client.run.records_verified;
        }
      }
    }
  } catch (const Stopped&) {
  }
}

// ---------------------------------------------------------------- fixed URL (ceilings)

Task<void> FixedClient(Client& client, std::string path) {
  try {
    while (true) {
      HttpRequest request;
      request.target = path;
      if (!client.run.options.basic_auth.empty()) {
        request.headers.emplace_back("Authorization",
                                     "Basic " + Base64(client.run.options.basic_auth));
      }
      const HttpResponse response = co_await Call(client, client.run.options.label, request, false);
      if (Ok(response, client.run.options.expect_status) &&
          ((!client.run.options.expect_body.empty() &&
            response.body != client.run.options.expect_body) ||
           response.body.empty())) {
        client.run.Failure(client.run.options.label,
                           "unexpected body: " + Printable(response.body));
      }
    }
  } catch (const Stopped&) {
  }
}

// ---------------------------------------------------------------- driver

template <typename Make>
void RunPhase(Loop& loop, std::vector<std::unique_ptr<Client>>& clients, Make make) {
  std::vector<Task<void>> tasks;
  tasks.reserve(clients.size());
  for (auto& client : clients) {
    tasks.push_back(make(*client));
  }
  for (auto& task : tasks) {
    task.Start();
  }
  loop.Run([&tasks] {
    return std::all_of(tasks.begin(), tasks.end(),
                       [](const Task<void>& task) { return task.Done(); });
  });
  for (auto& task : tasks) {
    task.Rethrow();
  }
}

struct Resources {
  double load_cpu_start = 0;
  double busy_start = 0;
  double other_cpu = 0;    // CPU used by anything but the measured processes
  bool hwm_reset = false;  // the workers' VmHWM counts from the phase's start
  Clock::time_point started;
  double wall_seconds = 0;
  std::map<pid_t, double> cpu_start;
  double load_cpu = 0;
  double server_cpu = 0;
  double nginx_cpu = 0;
  std::vector<ProcessSample> workers;

  static std::vector<pid_t> Family(pid_t parent) {
    std::vector<pid_t> pids;
    if (parent > 0) {
      pids.push_back(parent);
      for (const pid_t child : ChildrenOf(parent)) {
        pids.push_back(child);
      }
    }
    return pids;
  }
  void Start(const Options& options) {
    started = Clock::now();
    busy_start = MachineBusySeconds();
    load_cpu_start = SelfCpuSeconds();
    for (const pid_t parent : {options.server_pid, options.nginx_pid}) {
      for (const pid_t pid : Family(parent)) {
        cpu_start[pid] = SampleProcess(pid).cpu_seconds;
      }
    }
    // Restart the workers' peak-RSS counters, so the peak is this phase's own (Linux 4.0+,
    // needs the right to write /proc/PID/clear_refs).
    if (options.server_pid > 0) {
      hwm_reset = true;
      for (const pid_t pid : ChildrenOf(options.server_pid)) {
        std::ofstream clear("/proc/" + std::to_string(pid) + "/clear_refs");
        clear << "5";
        clear.flush();
        hwm_reset = hwm_reset && clear.good();
      }
    }
  }
  void Stop(const Options& options) {
    load_cpu = SelfCpuSeconds() - load_cpu_start;
    const auto delta = [this](pid_t parent) {
      double total = 0;
      for (const pid_t pid : Family(parent)) {
        const auto found = cpu_start.find(pid);
        total += SampleProcess(pid).cpu_seconds - (found != cpu_start.end() ? found->second : 0.0);
      }
      return total;
    };
    server_cpu = delta(options.server_pid);
    nginx_cpu = delta(options.nginx_pid);
    wall_seconds = std::chrono::duration<double>(Clock::now() - started).count();
    other_cpu =
        std::max(0.0, MachineBusySeconds() - busy_start - load_cpu - server_cpu - nginx_cpu);
    workers.clear();
    if (options.server_pid > 0) {
      for (const pid_t pid : ChildrenOf(options.server_pid)) {
        workers.push_back(SampleProcess(pid));
      }
    }
  }
  std::string Json(double seconds) const {
    std::ostringstream out;
    int64_t peak = 0;
    out << "{\"load_cpu_s\":" << JsonNumber(load_cpu)
        << ",\"load_cpu_pct\":" << JsonNumber(100 * load_cpu / std::max(seconds, 1e-9), 1)
        << ",\"server_cpu_s\":" << JsonNumber(server_cpu)
        << ",\"nginx_cpu_s\":" << JsonNumber(nginx_cpu)
        << ",\"other_cpu_s\":" << JsonNumber(other_cpu)
        << ",\"other_cpu_pct\":" << JsonNumber(100 * other_cpu / std::max(wall_seconds, 1e-9), 1)
        << ",\"workers\":[";
    for (size_t i = 0; i < workers.size(); ++i) {
      peak = std::max(peak, workers[i].vm_hwm_kb);
      out << (i == 0 ? "" : ",") << "{\"pid\":" << workers[i].pid
          << ",\"vm_hwm_kb\":" << workers[i].vm_hwm_kb << ",\"vm_rss_kb\":" << workers[i].vm_rss_kb
          << ",\"rss_anon_kb\":" << workers[i].rss_anon_kb
          << ",\"rss_file_kb\":" << workers[i].rss_file_kb
          << ",\"rss_shmem_kb\":" << workers[i].rss_shmem_kb << "}";
    }
    out << "],\"worker_peak_rss_kb\":" << peak
        << ",\"peak_since_phase_start\":" << (hwm_reset ? "true" : "false") << "}";
    return out.str();
  }
  void Print(double seconds) const {
    int64_t peak = 0;
    for (const auto& worker : workers) {
      peak = std::max(peak, worker.vm_hwm_kb);
    }
    std::printf("  load tool CPU %.2f s (%.0f %% of one core); server %.2f s, nginx %.2f s",
                load_cpu, 100 * load_cpu / std::max(seconds, 1e-9), server_cpu, nginx_cpu);
    if (!workers.empty()) {
      std::printf("; worker peak RSS (VmHWM%s) %.1f MB over %zu workers",
                  hwm_reset ? " in this phase" : "", peak / 1024.0, workers.size());
    }
    std::printf("\n");
    // Other processes on the machine skew the numbers: say so.
    const double other_pct = 100 * other_cpu / std::max(wall_seconds, 1e-9);
    if (other_pct > 10) {
      std::printf(
          "  WARNING: %.0f %% of a core went to other processes (other programs, kernel"
          " threads) meanwhile: the machine was not quiet\n",
          other_pct);
    }
    std::fflush(stdout);
  }
};

void Usage() {
  std::cerr << "usage: weave-load weave|fixed --url http://127.0.0.1:PORT[/path] [options]\n"
               "  --connections N   concurrent clients (16)\n"
               "  --seconds S       timed phase length (30)\n"
               "  --max-requests N  stop the timed phase after N requests\n"
               "  --timeout-ms N    per-request timeout (10000)\n"
               "  --users N --records N --scratch N   weave: accounts and records per account\n"
               "  --user-prefix P --scratch-prefix P  weave: account names P001...\n"
               "  --seed N          random seed\n"
               "  --seed-connections N   connections that upload the data set (all)\n"
               "  --no-seed 1       skip seeding: the server holds the data set from a run before\n"
               "  --server-pid P --nginx-pid P        measure CPU and worker RSS\n"
               "  --label L --expect-body B --warmup S --auth USER:PASSWORD   fixed mode\n"
               "  --json FILE       write the results as JSON\n"
               "  --faults 1 --fault-log FILE   weave: log answers other than 200 there (a\n"
               "                    fault campaign judges them) instead of failing on them\n"
               "  --check-all 1     weave: read every record back at the end\n"
               "  --nodes 1         weave: each user's node from node/weave at --url, asked\n"
               "                    again after a 401 (all nodes behind --url's host:port)\n";
}

bool ParseOptions(int argc, char** argv, Options& options) {
  if (argc < 2) {
    return false;
  }
  options.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "missing value for " << flag << "\n";
      return false;
    }
    const std::string value = argv[++i];
    try {
      if (flag == "--url") {
        options.url = value;
      } else if (flag == "--connections") {
        options.connections = std::stoi(value);
      } else if (flag == "--seconds") {
        options.seconds = std::stod(value);
      } else if (flag == "--max-requests") {
        options.max_requests = std::stoll(value);
      } else if (flag == "--timeout-ms") {
        options.timeout_ms = std::stoi(value);
      } else if (flag == "--no-seed") {
        options.no_seed = value == "1";
      } else if (flag == "--seed-connections") {
        options.seed_connections = std::stoi(value);
      } else if (flag == "--seed-timeout") {
        options.seed_timeout_s = std::stod(value);
      } else if (flag == "--users") {
        options.users = std::stoi(value);
      } else if (flag == "--records") {
        options.records = std::stoi(value);
      } else if (flag == "--scratch") {
        options.scratch = std::stoi(value);
      } else if (flag == "--user-prefix") {
        options.user_prefix = value;
      } else if (flag == "--scratch-prefix") {
        options.scratch_prefix = value;
      } else if (flag == "--seed") {
        options.seed = std::stoull(value);
      } else if (flag == "--warmup") {
        options.warmup_s = std::stod(value);
      } else if (flag == "--expect-body") {
        options.expect_body = value;
      } else if (flag == "--auth") {
        options.basic_auth = value;
      } else if (flag == "--label") {
        options.label = value;
      } else if (flag == "--json") {
        options.json_path = value;
      } else if (flag == "--server-pid") {
        options.server_pid = static_cast<pid_t>(std::stoi(value));
      } else if (flag == "--nginx-pid") {
        options.nginx_pid = static_cast<pid_t>(std::stoi(value));
      } else if (flag == "--faults") {
        options.faults = value == "1";
      } else if (flag == "--fault-log") {
        options.fault_log = value;
      } else if (flag == "--check-all") {
        options.check_all = value == "1";
      } else if (flag == "--nodes") {
        options.nodes = value == "1";
      } else {
        std::cerr << "unknown option " << flag << "\n";
        return false;
      }
    } catch (const std::exception&) {
      std::cerr << "bad value for " << flag << ": " << value << "\n";
      return false;
    }
  }
  if (options.mode != "weave" && options.mode != "fixed") {
    return false;
  }
  if (options.connections < 1 || options.connections > 1000 || options.seconds <= 0 ||
      options.seconds > 3600 || options.max_requests < 1) {
    std::cerr << "connections must be 1..1000, seconds 0..3600\n";
    return false;
  }
  return true;
}

std::string UserName(const std::string& prefix, int number) {
  char text[16];
  std::snprintf(text, sizeof text, "%03d", number);
  return prefix + text;
}

std::string Now() {
  const time_t now = time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
  return text;
}

void TimedPhase(Run& run, Loop& loop, std::vector<std::unique_ptr<Client>>& clients,
                PhaseStats& stats, double seconds, int64_t cap,
                const std::function<Task<void>(Client&)>& make) {
  run.phase = &stats;
  run.deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(seconds));
  run.sent = 0;
  run.request_cap = cap;
  stats.Begin();
  RunPhase(loop, clients, make);
  stats.End();
  run.phase = nullptr;
}

int Finish(Run& run, std::ostringstream& json);
int MixAndVerify(Run& run, Loop& loop, std::vector<std::unique_ptr<Client>>& clients,
                 std::ostringstream& json);

int Main(int argc, char** argv) {
  Run run;
  if (!ParseOptions(argc, argv, run.options)) {
    Usage();
    return 2;
  }
  const Options& options = run.options;
  std::string error;
  if (!ParseTarget(options.url, run.target, error)) {
    std::cerr << "weave-load: " << error << "\n";
    return 2;
  }
  if (!options.fault_log.empty()) {
    run.fault_log.reset(std::fopen(options.fault_log.c_str(), "w"));
    if (!run.fault_log) {
      std::cerr << "weave-load: cannot write " << options.fault_log << "\n";
      return 2;
    }
  }
  if (options.check_all && options.no_seed) {
    std::cerr << "weave-load: --check-all needs the data set seeded by this run\n";
    return 2;
  }
  Loop loop(std::chrono::milliseconds(options.timeout_ms));
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < options.connections; ++i) {
    clients.push_back(std::make_unique<Client>(
        loop, run, i, Mix(options.seed, 0xc11e47, static_cast<uint64_t>(i))));
  }
  std::ostringstream json;
  json << "{\"tool\":\"weave-load\",\"mode\":" << JsonQuoted(options.mode)
       << ",\"label\":" << JsonQuoted(options.label) << ",\"started\":" << JsonQuoted(Now())
       << ",\"connections\":" << options.connections;

  if (options.mode == "fixed") {
    const std::string path = run.target.prefix.empty() ? "/" : run.target.prefix;
    PhaseStats warm("warmup");
    TimedPhase(run, loop, clients, warm, options.warmup_s, options.max_requests,
               [&path](Client& client) { return FixedClient(client, path); });
    PhaseStats stats(options.label);
    Resources resources;
    resources.Start(options);
    TimedPhase(run, loop, clients, stats, options.seconds, options.max_requests,
               [&path](Client& client) { return FixedClient(client, path); });
    resources.Stop(options);
    stats.PrintTable();
    resources.Print(stats.Seconds());
    json << ",\"url\":" << JsonQuoted(options.url) << ",\"phases\":{\"timed\":" << stats.Json()
         << "},\"resources\":" << resources.Json(stats.Seconds());
  } else {
    if (options.users < options.connections) {
      std::cerr << "weave-load: need at least as many users as connections\n";
      return 2;
    }
    if (options.scratch < options.connections) {
      std::cerr << "weave-load: need one scratch account per connection\n";
      return 2;
    }
    std::vector<User> users;
    std::vector<User> scratch;
    users.reserve(static_cast<size_t>(options.users));
    for (int i = 1; i <= options.users; ++i) {
      users.push_back(MakeUser(run, static_cast<uint64_t>(i), UserName(options.user_prefix, i)));
    }
    for (int i = 1; i <= options.scratch; ++i) {
      scratch.push_back(
          MakeUser(run, 100000 + static_cast<uint64_t>(i), UserName(options.scratch_prefix, i)));
    }
    // Each user belongs to one client, so that client knows exactly what the server holds.
    for (size_t i = 0; i < users.size(); ++i) {
      clients[i % clients.size()]->users.push_back(&users[i]);
    }
    for (size_t i = 0; i < clients.size(); ++i) {
      clients[i]->scratch = &scratch[i];
    }

    if (options.no_seed) {
      json << ",\"phases\":{";
      return MixAndVerify(run, loop, clients, json);
    }
    // 1. Seed through the API.
    PhaseStats seed_stats("seed");
    SeedProgress progress;
    progress.users = &users;
    Resources seed_resources;
    seed_resources.Start(options);
    TimedPhase(run, loop, clients, seed_stats, options.seed_timeout_s, INT64_MAX,
               [&progress](Client& client) { return SeedClient(client, progress); });
    seed_resources.Stop(options);
    const double seed_seconds = seed_stats.Seconds();
    const int64_t expected_records = static_cast<int64_t>(options.users) * options.records;
    std::printf("seeded %lld of %lld records (%d users) in %.2f s: %.0f records/s, %.1f MB/s\n",
                static_cast<long long>(progress.records), static_cast<long long>(expected_records),
                options.users, seed_seconds, progress.records / std::max(seed_seconds, 1e-9),
                progress.bytes / 1e6 / std::max(seed_seconds, 1e-9));
    seed_stats.PrintTable();
    seed_resources.Print(seed_seconds);
    if (progress.records != expected_records) {
      run.Failure("seed", "seeding incomplete: " + std::to_string(progress.records) + " of " +
                              std::to_string(expected_records) + " records acknowledged");
    }
    PhaseStats check_stats("seed_check");
    SeedProgress check;
    check.users = &users;
    TimedPhase(run, loop, clients, check_stats, 120, INT64_MAX,
               [&check](Client& client) { return SeedCheckClient(client, check); });
    json << ",\"url\":" << JsonQuoted(options.url) << ",\"users\":" << options.users
         << ",\"records_per_user\":" << options.records
         << ",\"seed\":{\"seconds\":" << JsonNumber(seed_seconds)
         << ",\"records\":" << progress.records << ",\"bytes\":" << progress.bytes
         << ",\"records_per_s\":" << JsonNumber(progress.records / std::max(seed_seconds, 1e-9), 1)
         << ",\"stats\":" << seed_stats.Json()
         << ",\"resources\":" << seed_resources.Json(seed_seconds) << "}";

    if (run.failures > 0) {
      // No point in timing a server that did not store the data set.
      std::printf("seeding failed: the mix is not run\n");
      json << ",\"phases\":{\"seed_check\":" << check_stats.Json() << "}";
      return Finish(run, json);
    }

    // The seeding left much data to be written back; let that settle before timing.
    const auto sync_start = Clock::now();
    sync();
    const double sync_seconds = std::chrono::duration<double>(Clock::now() - sync_start).count();
    std::printf("sync after seeding: %.2f s\n", sync_seconds);
    json << ",\"sync_after_seed_s\":" << JsonNumber(sync_seconds)
         << ",\"phases\":{\"seed_check\":" << check_stats.Json() << ",";
    return MixAndVerify(run, loop, clients, json);
  }
  return Finish(run, json);
}

// Warm-up, the timed mix, and the final read-back; appends the phases to `json`, whose
// "phases" object is open.
int MixAndVerify(Run& run, Loop& loop, std::vector<std::unique_ptr<Client>>& clients,
                 std::ostringstream& json) {
  const Options& options = run.options;
  // 2. Warm up: every client learns its users' collection times (its "last sync"), and
  // every worker verifies every password once.
  PhaseStats warm_stats("warmup");
  TimedPhase(run, loop, clients, warm_stats, 120, INT64_MAX,
             [](Client& client) { return WarmClient(client); });

  // 3. The timed mix (the lines around it tell a fault campaign when to inject).
  PhaseStats mix("mix");
  Resources resources;
  resources.Start(options);
  std::printf("mix: started\n");
  std::fflush(stdout);
  TimedPhase(run, loop, clients, mix, options.seconds, options.max_requests,
             [](Client& client) { return MixClient(client); });
  std::printf("mix: ended\n");
  std::fflush(stdout);
  resources.Stop(options);
  mix.PrintTable();
  resources.Print(mix.Seconds());

  // 4. Read back whatever was written and not yet downloaded.
  PhaseStats final_stats("final_verify");
  TimedPhase(run, loop, clients, final_stats, 120, INT64_MAX,
             [](Client& client) { return FinalVerifyClient(client); });
  json << "\"mix\":" << mix.Json() << ",\"final_verify\":" << final_stats.Json();
  // 5. Every record, against what was seeded and acknowledged.
  if (options.check_all) {
    PhaseStats check_stats("final_check");
    TimedPhase(run, loop, clients, check_stats, 900, INT64_MAX,
               [](Client& client) { return CheckAllClient(client); });
    std::printf("final check: %lld records compared with what was acknowledged, %lld lost\n",
                static_cast<long long>(run.acknowledged_checked),
                static_cast<long long>(run.acknowledged_lost));
    json << ",\"final_check\":" << check_stats.Json();
  }
  json << "},\"resources\":" << resources.Json(mix.Seconds());
  return Finish(run, json);
}

int Finish(Run& run, std::ostringstream& json) {
  const Options& options = run.options;
  const bool ok = run.failures == 0;
  json << ",\"verification\":{\"records_verified\":" << run.records_verified
       << ",\"acknowledged_checked\":" << run.acknowledged_checked
       << ",\"acknowledged_lost\":" << run.acknowledged_lost
       << ",\"fault_answers\":" << run.fault_answers << ",\"failures\":" << run.failures
       << ",\"messages\":[";
  for (size_t i = 0; i < run.messages.size(); ++i) {
    json << (i == 0 ? "" : ",") << JsonQuoted(run.messages[i]);
  }
  json << "]},\"ok\":" << (ok ? "true" : "false") << "}\n";
  if (!options.json_path.empty()) {
    std::ofstream out(options.json_path);
    out << json.str();
  }
  if (ok) {
    std::printf("verification: OK (%lld records compared byte for byte)\n",
                static_cast<long long>(run.records_verified));
    return 0;
  }
  std::printf("VERIFICATION FAILED: %lld wrong answers or errors; first ones:\n",
              static_cast<long long>(run.failures));
  for (size_t i = 0; i < run.messages.size() && i < 5; ++i) {
    std::printf("  %s\n", run.messages[i].c_str());
  }
  return 1;
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  try {
    return bench::Main(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "weave-load: " << error.what() << "\n";
    return 2;
  }
}
