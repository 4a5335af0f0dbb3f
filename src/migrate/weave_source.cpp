// Reading an export file as a MigrationSource: one checking pass that notes where each
// account starts, then a seek per account (see weave_source.h).
#include "migrate/weave_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>

namespace weave {
namespace {

// Copies standard input into a new temporary file and returns its name.
std::string SpoolStandardInput() {
  const char* base = std::getenv("TMPDIR");
  std::string path =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/weave-import-XXXXXX";
  const int fd = mkstemp(path.data());
  if (fd < 0) {
    throw std::runtime_error("cannot create a temporary file in " + path + ": " +
                             std::strerror(errno));
  }
  std::vector<char> chunk(1 << 20);
  bool ok = true;
  for (;;) {
    const ssize_t got = read(STDIN_FILENO, chunk.data(), chunk.size());
    if (got == 0 || (got < 0 && errno != EINTR)) {
      ok = got == 0;
      break;
    }
    for (ssize_t written = 0; got > 0 && written < got;) {
      const ssize_t put = write(fd, chunk.data() + written, static_cast<size_t>(got - written));
      if (put < 0 && errno != EINTR) {
        ok = false;
        break;
      }
      written += put > 0 ? put : 0;
    }
    if (!ok) {
      break;
    }
  }
  close(fd);
  if (!ok) {
    unlink(path.c_str());
    throw std::runtime_error("cannot copy standard input to a temporary file");
  }
  return path;
}

std::string At(int64_t line_number) {
  return "line " + std::to_string(line_number) + ": ";
}

}  // namespace

WeaveFileSource::WeaveFileSource(const std::string& path, size_t max_line_bytes) {
  if (path == "-") {
    const std::string spooled = SpoolStandardInput();
    file_.open(spooled, std::ios::binary);
    unlink(spooled.c_str());  // the open stream keeps it until the import ends
  } else {
    file_.open(path, std::ios::binary);
  }
  if (!file_) {
    throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  }
  reader_ = std::make_unique<LineReader>(*file_.rdbuf(), max_line_bytes);
  Index();
}

void WeaveFileSource::Index() {
  int64_t number = 0;
  Entry* current = nullptr;
  bool records_started = false;
  std::optional<WeaveEnd> end;
  while (reader_->Next(line_)) {
    ++number;
    WeaveLine parsed;
    try {
      parsed = ParseWeaveLine(line_);
    } catch (const WeaveFormatError& error) {
      throw WeaveFormatError(At(number) + error.what());
    }
    if (number == 1) {
      if (!std::holds_alternative<WeaveHeader>(parsed)) {
        throw WeaveFormatError(At(number) + "not a " + std::string(kWeaveFormatName) + " file");
      }
      continue;
    }
    if (end) {
      throw WeaveFormatError(At(number) + "a line after the end line");
    }
    if (auto* account = std::get_if<MigratedAccount>(&parsed)) {
      const auto [entry, inserted] = accounts_.emplace(account->name, Entry{reader_->LineOffset()});
      if (!inserted) {
        throw WeaveFormatError(At(number) + "account " + account->name + " appears twice");
      }
      order_.push_back(account->name);
      current = &entry->second;
      records_started = false;
    } else if (std::holds_alternative<MigratedCollection>(parsed)) {
      if (current == nullptr || records_started) {
        throw WeaveFormatError(At(number) + "a collection line must follow its account line");
      }
    } else if (std::holds_alternative<MigratedRecord>(parsed)) {
      if (current == nullptr) {
        throw WeaveFormatError(At(number) + "a record before any account line");
      }
      records_started = true;
      ++current->records;
      ++total_records_;
    } else if (auto* last = std::get_if<WeaveEnd>(&parsed)) {
      end = *last;
    } else {
      throw WeaveFormatError(At(number) + "a second header line");
    }
  }
  CheckEnd(number, end);
}

void WeaveFileSource::CheckEnd(int64_t lines, const std::optional<WeaveEnd>& end) const {
  if (lines == 0) {
    throw WeaveFormatError("the file is empty");
  }
  if (!end) {
    throw WeaveFormatError("the end line is missing: the file is cut off");
  }
  if (end->accounts != static_cast<int64_t>(order_.size()) || end->records != total_records_) {
    throw WeaveFormatError("the end line counts " + std::to_string(end->accounts) +
                           " accounts and " + std::to_string(end->records) +
                           " records, the file holds " + std::to_string(order_.size()) + " and " +
                           std::to_string(total_records_));
  }
}

std::vector<std::string> WeaveFileSource::AccountNames() {
  return order_;
}

template <typename Visit>
void WeaveFileSource::ReadAccountLines(const std::string& name, Visit visit) {
  const auto found = accounts_.find(name);
  if (found == accounts_.end()) {
    return;
  }
  reader_->Seek(found->second.offset);
  reader_->Next(line_);  // the account line itself
  while (reader_->Next(line_)) {
    WeaveLine parsed = ParseWeaveLine(line_);
    if (std::holds_alternative<MigratedAccount>(parsed) ||
        std::holds_alternative<WeaveEnd>(parsed) || !visit(parsed)) {
      return;
    }
  }
}

std::optional<MigratedAccount> WeaveFileSource::Account(const std::string& name) {
  const auto found = accounts_.find(name);
  if (found == accounts_.end()) {
    return std::nullopt;
  }
  reader_->Seek(found->second.offset);
  if (!reader_->Next(line_)) {
    throw std::runtime_error("the import file changed while it was read");
  }
  WeaveLine parsed = ParseWeaveLine(line_);
  auto* account = std::get_if<MigratedAccount>(&parsed);
  if (account == nullptr || account->name != name) {
    throw std::runtime_error("the import file changed while it was read");
  }
  return std::move(*account);
}

std::vector<MigratedCollection> WeaveFileSource::Collections(const std::string& name) {
  std::vector<MigratedCollection> collections;
  ReadAccountLines(name, [&](WeaveLine& parsed) {
    auto* collection = std::get_if<MigratedCollection>(&parsed);
    if (collection == nullptr) {
      return false;  // the records follow
    }
    collections.push_back(std::move(*collection));
    return true;
  });
  return collections;
}

void WeaveFileSource::ForEachRecord(const std::string& name, const RecordSink& sink) {
  ReadAccountLines(name, [&](WeaveLine& parsed) {
    if (const auto* record = std::get_if<MigratedRecord>(&parsed)) {
      sink(*record);
    }
    return true;
  });
}

}  // namespace weave
