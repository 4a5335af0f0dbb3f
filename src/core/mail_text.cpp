// Plain-text mail in UTF-8: RFC 2047 header words, quoted-printable bodies, the message.
#include "core/mail_text.h"

#include <ctime>

#include "core/crypto.h"

namespace weave {
namespace {

constexpr size_t kMaxEncodedWord = 75;  // RFC 2047 section 2
constexpr size_t kMaxQpLine = 76;       // RFC 2045 section 6.7, with the soft break's "="
constexpr std::string_view kWordStart = "=?UTF-8?B?";
constexpr std::string_view kWordEnd = "?=";

bool IsPrintableAscii(unsigned char c) {
  return c >= 0x20 && c < 0x7f;
}

std::string OneLine(std::string_view text) {
  std::string out;
  for (const char c : text) {
    out.push_back(c == '\r' || c == '\n' ? ' ' : c);
  }
  return out;
}

bool NeedsEncoding(std::string_view text) {
  for (const char c : text) {
    if (!IsPrintableAscii(static_cast<unsigned char>(c))) {
      return true;
    }
  }
  return text.find("=?") != std::string_view::npos;
}

// Bytes in the UTF-8 character that starts with lead (1 for a stray continuation byte, so
// that invalid input still moves on).
size_t CharLength(unsigned char lead) {
  if (lead >= 0xf0 && lead < 0xf8) {
    return 4;
  }
  if (lead >= 0xe0 && lead < 0xf0) {
    return 3;
  }
  if (lead >= 0xc0 && lead < 0xe0) {
    return 2;
  }
  return 1;
}

std::string HexByte(unsigned char c) {
  constexpr char kDigits[] = "0123456789ABCDEF";
  return {'=', kDigits[c >> 4], kDigits[c & 15]};
}

// One line (without its end) in quoted-printable, soft-broken before kMaxQpLine.
void AppendQpLine(std::string_view line, std::string& out) {
  size_t column = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    const bool last = i + 1 == line.size();
    const bool blank = c == ' ' || c == '\t';
    const bool literal = (IsPrintableAscii(c) && c != '=' && !blank) || (blank && !last);
    const std::string piece = literal ? std::string(1, static_cast<char>(c)) : HexByte(c);
    if (column + piece.size() > kMaxQpLine - 1) {
      out += "=\r\n";
      column = 0;
    }
    out += piece;
    column += piece.size();
  }
  out += "\r\n";
}

}  // namespace

std::string EncodeHeaderText(std::string_view text) {
  std::string line = OneLine(text);
  if (!NeedsEncoding(line)) {
    return line;
  }
  // Base64 of n bytes takes 4 * ceil(n / 3) characters.
  const size_t room = kMaxEncodedWord - kWordStart.size() - kWordEnd.size();
  const size_t max_bytes = room / 4 * 3;
  std::string out;
  size_t start = 0;
  while (start < line.size()) {
    size_t end = start;
    while (end < line.size()) {
      const size_t next = end + CharLength(static_cast<unsigned char>(line[end]));
      if (next - start > max_bytes || next > line.size()) {
        break;
      }
      end = next;
    }
    if (end == start) {
      end = line.size();  // a truncated character at the very end
    }
    if (!out.empty()) {
      out += "\r\n ";
    }
    out += std::string(kWordStart) + Base64Encode(line.substr(start, end - start)) +
           std::string(kWordEnd);
    start = end;
  }
  return out;
}

std::string QuotedPrintable(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    const size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    AppendQpLine(line, out);
  }
  return out;
}

std::string ComposeTextMail(const MailParts& parts) {
  bool plain = true;
  size_t line_length = 0;
  for (const char c : parts.text) {
    line_length = c == '\n' ? 0 : line_length + 1;
    if ((!IsPrintableAscii(static_cast<unsigned char>(c)) && c != '\n' && c != '\t') ||
        line_length > 998 - 2) {
      plain = false;
    }
  }
  std::string message = "Date: " + OneLine(parts.date) + "\r\nFrom: " + OneLine(parts.from) +
                        "\r\nTo: " + OneLine(parts.to) +
                        "\r\nSubject: " + EncodeHeaderText(parts.subject) +
                        "\r\nMessage-ID: " + OneLine(parts.message_id) +
                        "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                        "Content-Transfer-Encoding: " +
                        (plain ? "7bit" : "quoted-printable") + "\r\n\r\n";
  if (plain) {
    for (const char c : parts.text) {
      if (c == '\n') {
        message += "\r\n";
      } else {
        message.push_back(c);
      }
    }
    if (!parts.text.empty() && parts.text.back() != '\n') {
      message += "\r\n";
    }
  } else {
    message += QuotedPrintable(parts.text);
  }
  return message;
}

std::string MailDate() {
  char text[64];
  const time_t now = time(nullptr);
  tm utc{};
  gmtime_r(&now, &utc);
  strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S +0000", &utc);
  return text;
}

std::string NewMessageId(std::string_view domain) {
  return "<" + HexEncode(RandomBytes(16)) + "@" + std::string(domain) + ">";
}

std::string MessageIdDomain(std::string_view public_url, std::string_view from) {
  // A domain made only of these characters cannot break the header.
  const auto clean = [](std::string_view host) {
    for (const char c : host) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-';
      if (!ok) {
        return false;
      }
    }
    return !host.empty();
  };
  const size_t scheme = public_url.find("://");
  if (scheme != std::string_view::npos) {
    std::string_view host = public_url.substr(scheme + 3);
    host = host.substr(0, host.find_first_of("/?#"));
    if (const size_t at = host.rfind('@'); at != std::string_view::npos) {
      host = host.substr(at + 1);
    }
    host = host.substr(0, host.find(':'));
    if (clean(host)) {
      return std::string(host);
    }
  }
  const size_t at = from.rfind('@');
  if (at != std::string_view::npos && clean(from.substr(at + 1))) {
    return std::string(from.substr(at + 1));
  }
  return "localhost";
}

}  // namespace weave
