// Unit tests of the mail encodings: RFC 2047 header words, quoted-printable, the message.
#include "core/mail_text.h"

#include <string>

#include <boost/test/unit_test.hpp>

#include "core/crypto.h"

namespace weave {
namespace {

// The text of every "=?UTF-8?B?...?=" word of header, decoded and joined.
std::string DecodeWords(const std::string& header) {
  std::string text;
  size_t at = 0;
  while ((at = header.find("=?UTF-8?B?", at)) != std::string::npos) {
    const size_t end = header.find("?=", at + 10);
    text += Base64Decode(header.substr(at + 10, end - at - 10)).value_or("<bad>");
    at = end + 2;
  }
  return text;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mail_text)

BOOST_AUTO_TEST_CASE(ascii_headers_stay_as_they_are) {
  BOOST_TEST(EncodeHeaderText("Resetting your Sync password") == "Resetting your Sync password");
  BOOST_TEST(EncodeHeaderText("two\r\nlines") == "two  lines");
}

BOOST_AUTO_TEST_CASE(non_ascii_headers_become_encoded_words_of_whole_characters) {
  const std::string subject =
      "Zur\xc3\xbc"
      "cksetzen Ihres Sync-Passworts";
  const std::string encoded = EncodeHeaderText(subject);
  BOOST_TEST(encoded.rfind("=?UTF-8?B?", 0) == 0U);
  BOOST_TEST(DecodeWords(encoded) == subject);
  // A long subject: several words, each at most 75 characters, folded, no character split.
  std::string long_subject;
  for (int i = 0; i < 40; ++i) {
    long_subject += "\xc3\xa4\xe2\x82\xac";  // a-umlaut and the euro sign
  }
  const std::string folded = EncodeHeaderText(long_subject);
  BOOST_TEST(DecodeWords(folded) == long_subject);
  size_t start = 0;
  int words = 0;
  while (start < folded.size()) {
    size_t end = folded.find("\r\n ", start);
    const std::string word = folded.substr(start, end == std::string::npos ? end : end - start);
    BOOST_TEST(word.size() <= 75U);
    const auto bytes = Base64Decode(word.substr(10, word.size() - 12));
    BOOST_TEST_REQUIRE(bytes.has_value());
    BOOST_TEST((static_cast<unsigned char>(bytes->front()) & 0xc0) != 0x80);  // starts a char
    ++words;
    start = end == std::string::npos ? folded.size() : end + 3;
  }
  BOOST_TEST(words > 1);
  // Text that looks like an encoded word is encoded, so it reads back as typed.
  BOOST_TEST(DecodeWords(EncodeHeaderText("=?x?=")) == "=?x?=");
}

BOOST_AUTO_TEST_CASE(quoted_printable) {
  BOOST_TEST(QuotedPrintable("plain\n") == "plain\r\n");
  BOOST_TEST(QuotedPrintable("\xc3\xb6"
                             "ffnen a=b\n") == "=C3=B6ffnen a=3Db\r\n");
  BOOST_TEST(QuotedPrintable("trailing \nend\t\n") == "trailing=20\r\nend=09\r\n");
  const std::string line(100, 'x');
  const std::string out = QuotedPrintable(line + "\n");
  BOOST_TEST(out == std::string(75, 'x') + "=\r\n" + std::string(25, 'x') + "\r\n");
  // Escapes are never split by a soft break.
  const std::string umlauts = QuotedPrintable(std::string(30, '\xfc'));
  for (size_t at = 0, end; at < umlauts.size(); at = end + 2) {
    end = umlauts.find("\r\n", at);
    const std::string part = umlauts.substr(at, end - at);
    BOOST_TEST(part.size() <= 76U);
    BOOST_TEST((part.back() == '=' || part.size() % 3 == 0));
  }
}

BOOST_AUTO_TEST_CASE(composed_message) {
  const MailParts parts{"sync@example.org",
                        "a@example.org",
                        "Zur\xc3\xbc"
                        "cksetzen",
                        "Hallo\n\xc3\xb6\n",
                        "Mon, 07 Dec 2026 01:02:03 +0000",
                        "<1@example.org>"};
  const std::string message = ComposeTextMail(parts);
  BOOST_TEST(message.find("Date: Mon, 07 Dec 2026 01:02:03 +0000\r\n") == 0U);
  BOOST_TEST(message.find("\r\nMessage-ID: <1@example.org>\r\n") != std::string::npos);
  BOOST_TEST(message.find("\r\nSubject: =?UTF-8?B?") != std::string::npos);
  BOOST_TEST(message.find("\r\nContent-Type: text/plain; charset=utf-8\r\n") != std::string::npos);
  BOOST_TEST(message.find("\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHallo\r\n=C3=B6"
                          "\r\n") != std::string::npos);
  for (const char c : message) {
    BOOST_TEST(static_cast<unsigned char>(c) < 0x80);
  }
  const std::string plain =
      ComposeTextMail({"s@x.org", "a@x.org", "Hi", "Hello\nthere", "date", "<2@x.org>"});
  BOOST_TEST(plain.find("Content-Transfer-Encoding: 7bit\r\n\r\nHello\r\nthere\r\n") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(message_ids) {
  BOOST_TEST(MessageIdDomain("https://sync.example.org:8443/weave/", "x@y.org") ==
             "sync.example.org");
  BOOST_TEST(MessageIdDomain("https://user:pw@sync.example.org/", "") == "sync.example.org");
  BOOST_TEST(MessageIdDomain("", "Sync <sync@mail.example.org>") == "localhost");
  BOOST_TEST(MessageIdDomain("", "sync@mail.example.org") == "mail.example.org");
  BOOST_TEST(MessageIdDomain("https://[::1]:8080/", "") == "localhost");
  BOOST_TEST(MessageIdDomain("", "") == "localhost");
  const std::string first = NewMessageId("example.org");
  BOOST_TEST(first.size() == 1U + 32 + 1 + 11 + 1);
  BOOST_TEST(first.back() == '>');
  BOOST_TEST(first != NewMessageId("example.org"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace weave
