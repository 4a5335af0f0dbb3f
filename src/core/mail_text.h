// A plain-text mail message in UTF-8 as SMTP carries it: headers (RFC 5322, non-ASCII
// words encoded per RFC 2047) and a body in 7bit or quoted-printable (RFC 2045).
#pragma once

#include <string>
#include <string_view>

namespace weave {

// Header text as one line: line breaks become spaces (no header injection). Text with a
// byte outside printable ASCII, or with "=?", becomes RFC 2047 encoded words
// ("=?UTF-8?B?...?="), each at most 75 characters and holding whole UTF-8 characters, folded
// onto continuation lines. Plain ASCII text is returned as it is.
std::string EncodeHeaderText(std::string_view text);

// text (lines ending in "\n" or "\r\n") in quoted-printable with CRLF line ends: "=", bytes
// outside printable ASCII and white space before a line end as =XX, lines broken with
// soft breaks ("=" at the end) before 76 characters.
std::string QuotedPrintable(std::string_view text);

struct MailParts {
  std::string from;
  std::string to;
  std::string subject;
  std::string text;        // the body, UTF-8, lines ending in "\n"
  std::string date;        // RFC 5322 date-time, e.g. from MailDate()
  std::string message_id;  // "<unique@domain>"
};

// The whole message: Date, From, To, Subject, Message-ID, MIME-Version, Content-Type
// text/plain; charset=utf-8 and Content-Transfer-Encoding: 7bit when the body is short-lined
// ASCII, else quoted-printable; lines end in CRLF.
std::string ComposeTextMail(const MailParts& parts);

// Now as an RFC 5322 date-time in UTC ("Mon, 07 Dec 2026 01:02:03 +0000").
std::string MailDate();

// A new Message-ID "<32 hex digits@domain>" (128 random bits).
std::string NewMessageId(std::string_view domain);

// The domain a Message-ID names: the host of public_url ("https://sync.example.org:8443/x"
// gives "sync.example.org"), else the domain of the from address, else "localhost".
std::string MessageIdDomain(std::string_view public_url, std::string_view from);

}  // namespace weave
