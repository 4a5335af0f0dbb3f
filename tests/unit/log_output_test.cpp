// Unit tests of the log's outputs: JSON lines, journal fields, the journal stream check,
// and the service manager's state lines; hostile text must not break or forge anything.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <boost/test/unit_test.hpp>
#include <rapidjson/document.h>
#include <sys/stat.h>

#include "core/journal.h"
#include "core/log_json.h"
#include "core/service_notify.h"
#include "core/utf8.h"

namespace weave {
namespace {

using Fields = std::vector<std::pair<std::string_view, std::string>>;

// The line parsed as JSON, after checking that it is exactly one line.
rapidjson::Document ParseLine(const std::string& line) {
  BOOST_REQUIRE(!line.empty());
  BOOST_CHECK_EQUAL(line.back(), '\n');
  BOOST_CHECK_EQUAL(line.find('\n'), line.size() - 1);
  rapidjson::Document document;
  document.Parse<rapidjson::kParseValidateEncodingFlag>(line.data(), line.size() - 1);
  BOOST_REQUIRE(!document.HasParseError());
  BOOST_REQUIRE(document.IsObject());
  return document;
}

std::string Member(const rapidjson::Document& document, const char* name) {
  const auto found = document.FindMember(name);
  BOOST_REQUIRE(found != document.MemberEnd());
  BOOST_REQUIRE(found->value.IsString());
  return {found->value.GetString(), found->value.GetStringLength()};
}

bool HasField(const std::vector<std::string>& fields, const std::string& field) {
  return std::find(fields.begin(), fields.end(), field) != fields.end();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(log_output)

BOOST_AUTO_TEST_CASE(json_line_has_the_line_and_its_fields) {
  const std::string line = FormatJsonLogLine("2026-01-02T03:04:05.678Z", "info", 42, "hello",
                                             Fields{{"event", "request"}, {"user", "alice"}});
  const rapidjson::Document document = ParseLine(line);
  BOOST_CHECK_EQUAL(Member(document, "time"), "2026-01-02T03:04:05.678Z");
  BOOST_CHECK_EQUAL(Member(document, "level"), "info");
  BOOST_CHECK_EQUAL(document["pid"].GetInt64(), 42);
  BOOST_CHECK_EQUAL(Member(document, "message"), "hello");
  BOOST_CHECK_EQUAL(Member(document, "event"), "request");
  BOOST_CHECK_EQUAL(Member(document, "user"), "alice");
  BOOST_CHECK_EQUAL(document.MemberCount(), 6U);
}

BOOST_AUTO_TEST_CASE(hostile_text_stays_inside_its_json_string) {
  const std::string hostile = "bob\",\"level\":\"error\"}\n{\"forged\":\"1\\\r\t\x01";
  const std::string line = FormatJsonLogLine("t", "info", 1, "m " + hostile,
                                             Fields{{"user", hostile}, {"path", "/a\xff\xc0/b"}});
  const rapidjson::Document document = ParseLine(line);
  BOOST_CHECK_EQUAL(Member(document, "user"), hostile);
  BOOST_CHECK_EQUAL(Member(document, "message"), "m " + hostile);
  BOOST_CHECK_EQUAL(Member(document, "level"), "info");
  BOOST_CHECK(document.FindMember("forged") == document.MemberEnd());
  // Invalid UTF-8 becomes U+FFFD, byte by byte; the rest stays.
  BOOST_CHECK_EQUAL(Member(document, "path"), "/a\xEF\xBF\xBD\xEF\xBF\xBD/b");
}

BOOST_AUTO_TEST_CASE(json_field_cannot_shadow_the_lines_own_members) {
  const std::string line = FormatJsonLogLine(
      "t", "warning", 7, "real",
      Fields{{"message", "forged"}, {"level", "debug"}, {"time", "x"}, {"pid", "0"}});
  const rapidjson::Document document = ParseLine(line);
  BOOST_CHECK_EQUAL(document.MemberCount(), 4U);
  BOOST_CHECK_EQUAL(Member(document, "message"), "real");
  BOOST_CHECK_EQUAL(Member(document, "level"), "warning");
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_replaced_valid_kept) {
  BOOST_CHECK_EQUAL(ToValidUtf8("plain"), "plain");
  BOOST_CHECK_EQUAL(ToValidUtf8("caf\xc3\xa9 \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xf0\x9f\x98\x80");
  BOOST_CHECK_EQUAL(ToValidUtf8("\xc3"), "\xEF\xBF\xBD");  // cut short
  BOOST_CHECK_EQUAL(ToValidUtf8("\xed\xa0\x80"),
                    "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");                 // surrogate
  BOOST_CHECK_EQUAL(ToValidUtf8("\xc0\xafx"), "\xEF\xBF\xBD\xEF\xBF\xBDx");  // overlong
  BOOST_CHECK(IsValidUtf8(ToValidUtf8("\xff\xfe\x80 ok \xe2\x82")));
}

BOOST_AUTO_TEST_CASE(journal_fields_map_names_and_priority) {
  const std::vector<std::string> fields =
      JournalFields(4, "weave-server", "failed login",
                    Fields{{"event", "login_failed"}, {"user", "alice"}, {"user_id", "7"}});
  BOOST_REQUIRE_EQUAL(fields.size(), 6U);
  BOOST_CHECK_EQUAL(fields[0], "MESSAGE=failed login");
  BOOST_CHECK_EQUAL(fields[1], "PRIORITY=4");
  BOOST_CHECK_EQUAL(fields[2], "SYSLOG_IDENTIFIER=weave-server");
  BOOST_CHECK_EQUAL(fields[3], "WEAVE_EVENT=login_failed");
  BOOST_CHECK_EQUAL(fields[4], "WEAVE_USER=alice");
  BOOST_CHECK_EQUAL(fields[5], "WEAVE_USER_ID=7");
}

BOOST_AUTO_TEST_CASE(journal_fields_cannot_be_forged) {
  const std::vector<std::string> fields = JournalFields(
      6, "weave-server", "a\nPRIORITY=0",
      Fields{
          {"user", "x\nWEAVE_EVENT=forged\nPRIORITY=0"}, {"Bad", "1"}, {"_PID", "1"}, {"", "1"}});
  BOOST_REQUIRE_EQUAL(fields.size(), 4U);
  BOOST_CHECK_EQUAL(fields[0], "MESSAGE=a?PRIORITY=0");
  BOOST_CHECK_EQUAL(fields[1], "PRIORITY=6");
  BOOST_CHECK_EQUAL(fields[3], "WEAVE_USER=x?WEAVE_EVENT=forged?PRIORITY=0");
  BOOST_CHECK(!HasField(fields, "WEAVE_EVENT=forged"));
  for (const std::string& field : fields) {
    BOOST_CHECK_EQUAL(field.find('\n'), std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(journal_stream_matches_only_its_own_file) {
  char path[] = "/tmp/weave-journal-stream-XXXXXX";
  const int fd = mkstemp(path);
  BOOST_REQUIRE(fd >= 0);
  unlink(path);
  struct stat status {};
  BOOST_REQUIRE_EQUAL(fstat(fd, &status), 0);
  const std::string device = std::to_string(status.st_dev);
  const std::string inode = std::to_string(status.st_ino);
#if WITH_SYSTEMD
  BOOST_CHECK(IsJournalStream((device + ":" + inode).c_str(), fd));
#else
  BOOST_CHECK(!IsJournalStream((device + ":" + inode).c_str(), fd));  // no journal support
#endif
  BOOST_CHECK(!IsJournalStream((device + ":" + std::to_string(status.st_ino + 1)).c_str(), fd));
  BOOST_CHECK(!IsJournalStream((device + ":" + inode + "x").c_str(), fd));
  BOOST_CHECK(!IsJournalStream((device + inode).c_str(), fd));
  BOOST_CHECK(!IsJournalStream((":" + inode).c_str(), fd));
  BOOST_CHECK(!IsJournalStream("", fd));
  BOOST_CHECK(!IsJournalStream(nullptr, fd));
  close(fd);
}

BOOST_AUTO_TEST_CASE(service_state_status_cannot_add_assignments) {
  BOOST_CHECK_EQUAL(ServiceState("READY=1", "serving, 4 workers"),
                    "READY=1\nSTATUS=serving, 4 workers");
  BOOST_CHECK_EQUAL(ServiceState("", "starting"), "STATUS=starting");
  BOOST_CHECK_EQUAL(ServiceState("STOPPING=1", "bad key\nREADY=1\r"),
                    "STOPPING=1\nSTATUS=bad key READY=1 ");
  const std::string reloading = ReloadingState();
  BOOST_CHECK_EQUAL(reloading.rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0U);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace weave
