// LDAP filter and DN escaping, and the text rules of directory values.
#include "auth/ldap/ldap_text.h"

#include "core/crypto.h"

namespace weave {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

void AppendHexEscape(std::string& out, unsigned char byte) {
  out.push_back('\\');
  out.push_back(kHexDigits[byte >> 4]);
  out.push_back(kHexDigits[byte & 0x0f]);
}

char LowerAscii(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

std::string EscapeFilterValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '*' || c == '(' || c == ')' || c == '\\' || byte < 0x20 || byte == 0x7f) {
      AppendHexEscape(out, byte);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string EscapeFilterBytes(std::string_view value) {
  std::string out;
  out.reserve(value.size() * 3);
  for (const char c : value) {
    AppendHexEscape(out, static_cast<unsigned char>(c));
  }
  return out;
}

std::string EscapeDnValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    const auto byte = static_cast<unsigned char>(c);
    const bool leading = i == 0 && (c == ' ' || c == '#');
    const bool trailing = i + 1 == value.size() && c == ' ';
    if (byte < 0x20 || byte == 0x7f) {
      AppendHexEscape(out, byte);
    } else if (leading || trailing || c == '"' || c == '+' || c == ',' || c == ';' || c == '<' ||
               c == '>' || c == '\\' || c == '=') {
      out.push_back('\\');
      out.push_back(c);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string FillTemplate(std::string_view text, std::string_view placeholder,
                         std::string_view value) {
  std::string out;
  size_t from = 0;
  while (true) {
    const size_t at = text.find(placeholder, from);
    if (at == std::string_view::npos) {
      out.append(text.substr(from));
      return out;
    }
    out.append(text.substr(from, at - from));
    out.append(value);
    from = at + placeholder.size();
  }
}

std::string CheckFilterTemplate(std::string_view text, std::string_view placeholder) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') {
    return "must be one filter in parentheses";
  }
  int depth = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;  // an escaped character, e.g. \28
      continue;
    }
    depth += text[i] == '(' ? 1 : text[i] == ')' ? -1 : 0;
    if (depth < 0 || (depth == 0 && i + 1 < text.size())) {
      return "unbalanced parentheses";
    }
  }
  if (depth != 0) {
    return "unbalanced parentheses";
  }
  size_t at = text.find(placeholder);
  if (at == std::string_view::npos) {
    return "must contain " + std::string(placeholder);
  }
  for (; at != std::string_view::npos; at = text.find(placeholder, at + 1)) {
    const size_t end = at + placeholder.size();
    if (at == 0 || text[at - 1] != '=' || end >= text.size() || text[end] != ')') {
      return std::string(placeholder) +
             " must be a whole value, as in (uid=" + std::string(placeholder) + ")";
    }
  }
  return {};
}

bool IsAttributeName(std::string_view name) {
  if (name.empty() || name.size() > 128) {
    return false;
  }
  const bool oid = name.front() >= '0' && name.front() <= '9';
  for (const char c : name) {
    const bool digit = c >= '0' && c <= '9';
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (oid ? !(digit || c == '.') : !(digit || letter || c == '-')) {
      return false;
    }
  }
  return oid || ((name.front() >= 'a' && name.front() <= 'z') ||
                 (name.front() >= 'A' && name.front() <= 'Z'));
}

std::string SshaPasswordWithSalt(std::string_view password, std::string_view salt) {
  std::string salted(password);
  salted.append(salt);
  std::string blob = Sha1(salted);
  blob.append(salt);
  return "{SSHA}" + Base64Encode(blob);
}

std::string SshaPassword(std::string_view password) {
  return SshaPasswordWithSalt(password, RandomBytes(8));
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (LowerAscii(a[i]) != LowerAscii(b[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace weave
