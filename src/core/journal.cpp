// Journal entries through libsystemd (sd_journal_sendv), when the build has it.
#include "core/journal.h"

#include <cerrno>
#include <charconv>
#include <cstring>

#include <sys/stat.h>
#include <sys/uio.h>

#if WITH_SYSTEMD
// No CODE_FILE, CODE_LINE and CODE_FUNC fields: they would name this file, not the caller.
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>
#endif

namespace weave {
namespace {

void AppendCleaned(std::string_view text, std::string& out) {
  for (const char c : text) {
    out.push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  }
}

bool IsFieldName(std::string_view name) {
  if (name.empty()) {
    return false;
  }
  for (const char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool IsJournalStream(const char* journal_stream, int fd) {
#if WITH_SYSTEMD
  if (journal_stream == nullptr) {
    return false;
  }
  const std::string_view text(journal_stream);
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return false;
  }
  unsigned long long device = 0;
  unsigned long long inode = 0;
  const char* device_end = text.data() + colon;
  const char* inode_end = text.data() + text.size();
  const auto parsed_device = std::from_chars(text.data(), device_end, device);
  const auto parsed_inode = std::from_chars(device_end + 1, inode_end, inode);
  if (parsed_device.ec != std::errc() || parsed_device.ptr != device_end ||
      parsed_inode.ec != std::errc() || parsed_inode.ptr != inode_end) {
    return false;
  }
  struct stat status {};
  return fstat(fd, &status) == 0 && status.st_dev == device && status.st_ino == inode;
#else
  static_cast<void>(journal_stream);
  static_cast<void>(fd);
  return false;
#endif
}

std::vector<std::string> JournalFields(
    int priority, std::string_view identifier, std::string_view message,
    const std::vector<std::pair<std::string_view, std::string>>& fields) {
  std::vector<std::string> out;
  out.reserve(fields.size() + 3);
  out.emplace_back("MESSAGE=");
  AppendCleaned(message, out.back());
  out.push_back("PRIORITY=" + std::to_string(priority));
  out.emplace_back("SYSLOG_IDENTIFIER=");
  AppendCleaned(identifier, out.back());
  for (const auto& [name, value] : fields) {
    if (!IsFieldName(name)) {
      continue;
    }
    std::string field = "WEAVE_";
    for (const char c : name) {
      field.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
    }
    field.push_back('=');
    AppendCleaned(value, field);
    out.push_back(std::move(field));
  }
  return out;
}

bool SendToJournal(const std::vector<std::string>& fields) {
#if WITH_SYSTEMD
  std::vector<iovec> parts;
  parts.reserve(fields.size());
  for (const std::string& field : fields) {
    // sd_journal_sendv only reads the buffers.
    parts.push_back(iovec{const_cast<char*>(field.data()), field.size()});
  }
  return sd_journal_sendv(parts.data(), static_cast<int>(parts.size())) == 0;
#else
  static_cast<void>(fields);
  return false;
#endif
}

std::string_view ProgramName() {
  return program_invocation_short_name;
}

}  // namespace weave
