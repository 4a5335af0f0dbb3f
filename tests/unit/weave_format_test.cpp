// The export format: round trips through the writer and the reader, and hostile input
// (bad JSON, other versions, cut-off files, lines too long) refused with a clean error.
#include "migrate/weave_format.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "migrate/weave_source.h"
#include "test_support.h"

namespace weave {
namespace {

MigratedRecord SampleRecord(const std::string& collection, const std::string& id) {
  MigratedRecord record;
  record.collection = collection;
  record.id = id;
  record.modified_cs = 123456789012;
  record.sortindex = -42;
  record.parentid = "parent-\"quoted\"";
  record.predecessorid = std::nullopt;
  record.expires_s = 1999999999;
  record.payload = "{\"ciphertext\":\"Gr\xc3\xbc\xc3\x9f\x65 \xe2\x9c\x93 \xf0\x9f\x98\x80\\n\"}";
  return record;
}

std::string WriteFile(const testing::TempDir& dir, const std::string& text) {
  const std::string path = dir.File("export.jsonl");
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// A whole export of two accounts, as text.
std::string SampleExport() {
  std::ostringstream out;
  WeaveFormatWriter writer(out);
  writer.Account({"alice", "alice@example.org", "$2b$10$abcdefghijklmnopqrstuv", "", false});
  writer.Collection({"bookmarks", 130000000000});
  writer.Collection({"custom_one", 130000000100});
  writer.Record(SampleRecord("bookmarks", "rec1"));
  writer.Record(SampleRecord("custom_one", "rec2"));
  writer.Account({"bob", "", "", "unknown hash format", true});
  writer.Record(SampleRecord("tabs", "x"));
  writer.Finish();
  return out.str();
}

bool SameRecord(const MigratedRecord& a, const MigratedRecord& b) {
  return a.collection == b.collection && a.id == b.id && a.modified_cs == b.modified_cs &&
         a.sortindex == b.sortindex && a.parentid == b.parentid &&
         a.predecessorid == b.predecessorid && a.expires_s == b.expires_s && a.payload == b.payload;
}

void ExpectRefused(const std::string& text, const std::string& message_part,
                   size_t max_line = kDefaultMaxLineBytes) {
  testing::TempDir dir;
  const std::string path = WriteFile(dir, text);
  try {
    WeaveFileSource source(path, max_line);
    BOOST_ERROR("accepted: " << text.substr(0, 200));
  } catch (const WeaveFormatError& error) {
    BOOST_TEST(std::string(error.what()).find(message_part) != std::string::npos,
               "message \"" << error.what() << "\" lacks \"" << message_part << "\"");
  }
}

const std::string kHeader = "{\"format\":\"weave-sync-export\",\"version\":1}\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(weave_format)

BOOST_AUTO_TEST_CASE(record_lines_round_trip_exactly) {
  std::ostringstream out;
  WeaveFormatWriter writer(out);
  MigratedRecord full = SampleRecord("bookmarks", "a b/c");
  MigratedRecord bare;
  bare.collection = "tabs";
  bare.id = "x";
  bare.payload = std::string("nul \0 inside", 12);
  writer.Record(full);
  writer.Record(bare);
  std::istringstream in(out.str());
  std::string line;
  std::getline(in, line);
  BOOST_TEST(std::holds_alternative<WeaveHeader>(ParseWeaveLine(line)));
  std::getline(in, line);
  BOOST_TEST(SameRecord(std::get<MigratedRecord>(ParseWeaveLine(line)), full));
  std::getline(in, line);
  BOOST_TEST(SameRecord(std::get<MigratedRecord>(ParseWeaveLine(line)), bare));
  BOOST_TEST(writer.Records() == 2);
  BOOST_TEST(writer.PayloadBytes() == static_cast<int64_t>(full.payload.size() + 12));
}

BOOST_AUTO_TEST_CASE(file_source_gives_back_what_was_written) {
  testing::TempDir dir;
  WeaveFileSource source(WriteFile(dir, SampleExport()));
  BOOST_TEST(source.AccountNames() == (std::vector<std::string>{"alice", "bob"}));
  BOOST_TEST(source.CountRecords() == 3);
  const auto alice = source.Account("alice");
  BOOST_REQUIRE(alice);
  BOOST_TEST(alice->email == "alice@example.org");
  BOOST_TEST(alice->password_hash == "$2b$10$abcdefghijklmnopqrstuv");
  const auto bob = source.Account("bob");
  BOOST_REQUIRE(bob);
  BOOST_TEST(bob->disabled);
  BOOST_TEST(bob->unusable_hash_reason == "unknown hash format");
  BOOST_TEST(!source.Account("carol"));
  const auto collections = source.Collections("alice");
  BOOST_REQUIRE(collections.size() == 2u);
  BOOST_TEST(collections[1].name == "custom_one");
  BOOST_TEST(collections[1].modified_cs == 130000000100);
  BOOST_TEST(source.Collections("bob").empty());
  std::vector<MigratedRecord> records;
  source.ForEachRecord("alice", [&](const MigratedRecord& record) { records.push_back(record); });
  BOOST_REQUIRE(records.size() == 2u);
  BOOST_TEST(SameRecord(records[0], SampleRecord("bookmarks", "rec1")));
  BOOST_TEST(SameRecord(records[1], SampleRecord("custom_one", "rec2")));
  records.clear();
  source.ForEachRecord("bob", [&](const MigratedRecord& record) { records.push_back(record); });
  BOOST_REQUIRE(records.size() == 1u);
  BOOST_TEST(records[0].id == "x");
}

BOOST_AUTO_TEST_CASE(hostile_files_are_refused_before_anything_is_read) {
  const std::string full = SampleExport();
  ExpectRefused("", "empty");
  ExpectRefused("{\"format\":\"weave-sync-export\",\"version\":2}\n", "version 2");
  ExpectRefused("{\"format\":\"something-else\",\"version\":1}\n", "not a weave-sync-export");
  ExpectRefused("{\"type\":\"end\",\"accounts\":0,\"records\":0}\n", "line 1");
  ExpectRefused(kHeader + "{\"type\":\"account\",\"name\":\"a\"\n", "line 2: not JSON");
  ExpectRefused(kHeader + "[1,2]\n", "not a JSON object");
  ExpectRefused(kHeader + "{} {}\n", "must not be followed by other values");
  ExpectRefused(kHeader + "{\"type\":\"account\",\"name\":\"\xff\"}\n", "not JSON");
  ExpectRefused(kHeader + "{\"type\":\"record\",\"collection\":\"c\",\"id\":\"i\",\"modified\":1," +
                    "\"payload\":\"p\"}\n",
                "before any account");
  ExpectRefused(kHeader + "{\"type\":\"account\",\"name\":\"a\"}\n{\"type\":\"record\"," +
                    "\"collection\":\"c\",\"id\":\"i\",\"modified\":\"1\",\"payload\":\"p\"}\n",
                "\"modified\" is missing or not an integer");
  ExpectRefused(kHeader + "{\"type\":\"account\",\"name\":\"a\"}\n{\"type\":\"account\"," +
                    "\"name\":\"a\"}\n{\"type\":\"end\",\"accounts\":2,\"records\":0}\n",
                "appears twice");
  ExpectRefused(kHeader + "{\"type\":\"weird\"}\n", "unknown line type");
  // Cut off anywhere before the end line, or with counts that do not match.
  ExpectRefused(full.substr(0, full.rfind("{\"type\":\"end\"")), "cut off");
  ExpectRefused(full.substr(0, full.size() - 10), "not JSON");
  std::string wrong_counts = full;
  wrong_counts.replace(wrong_counts.rfind("\"records\":3"), 11, "\"records\":4");
  ExpectRefused(wrong_counts, "the file holds 2 and 3");
  ExpectRefused(full + "{\"type\":\"account\",\"name\":\"late\"}\n", "after the end line");
}

BOOST_AUTO_TEST_CASE(a_line_over_the_bound_is_refused_without_reading_it_whole) {
  const std::string huge(3 * 1024 * 1024, 'x');  // one line, no line feed in it
  ExpectRefused(kHeader + "{\"type\":\"account\",\"name\":\"" + huge, "longer than 4096 bytes",
                4096);
  ExpectRefused(kHeader + huge + "\n", "longer than 4096 bytes", 4096);
}

BOOST_AUTO_TEST_CASE(line_reader_crosses_buffer_boundaries_and_seeks) {
  std::string text;
  std::vector<std::string> lines;
  for (int i = 0; i < 5; ++i) {
    lines.push_back(std::string(100000 * static_cast<size_t>(i + 1), static_cast<char>('a' + i)));
    text += lines.back() + "\n";
  }
  text += "last without line feed";
  std::stringbuf buffer(text);
  LineReader reader(buffer, 1 << 20);
  std::string line;
  std::vector<uint64_t> offsets;
  for (const std::string& expected : lines) {
    BOOST_REQUIRE(reader.Next(line));
    BOOST_TEST((line == expected));
    offsets.push_back(reader.LineOffset());
  }
  BOOST_REQUIRE(reader.Next(line));
  BOOST_TEST(line == "last without line feed");
  BOOST_TEST(!reader.Next(line));
  reader.Seek(offsets[3]);
  BOOST_REQUIRE(reader.Next(line));
  BOOST_TEST((line == lines[3]));
}

BOOST_AUTO_TEST_CASE(writer_refuses_text_json_cannot_carry) {
  std::ostringstream out;
  WeaveFormatWriter writer(out);
  MigratedRecord record = SampleRecord("tabs", "x");
  record.payload = "bad \xc3 utf-8";
  BOOST_CHECK_THROW(writer.Record(record), WeaveFormatError);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace weave
