// systemd's journal: whether stderr leads there, and entries with structured fields.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weave {

// True when fd is the stream that JOURNAL_STREAM ("device:inode", set by systemd for a
// service whose output goes to the journal) names: the check sd_journal_stream_fd(3)
// documents. False for a NULL or malformed value, or when the build has no libsystemd.
bool IsJournalStream(const char* journal_stream, int fd);

// One journal entry's fields, "NAME=value" each: MESSAGE (control characters shown as
// '?', as in text lines), PRIORITY (syslog's 0-7), SYSLOG_IDENTIFIER, then WEAVE_<NAME>
// for each of fields whose name is lowercase letters, digits and '_' (others are left
// out, so no field can pose as one of systemd's). Values are cleaned like MESSAGE; each
// is one field whatever it holds. Exposed for tests.
std::vector<std::string> JournalFields(
    int priority, std::string_view identifier, std::string_view message,
    const std::vector<std::pair<std::string_view, std::string>>& fields);

// Sends one entry (sd_journal_sendv); false if it could not (no journal, or a build
// without libsystemd): the caller then writes the line elsewhere.
bool SendToJournal(const std::vector<std::string>& fields);

// The program's name for SYSLOG_IDENTIFIER ("weave-server").
std::string_view ProgramName();

}  // namespace weave
