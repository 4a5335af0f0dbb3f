// Progress bars and progress lines.
#include "core/progress.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>

namespace weave {
namespace {

int Percent(int64_t done, int64_t total) {
  if (total <= 0) {
    return 0;
  }
  return static_cast<int>(std::clamp<int64_t>(done, 0, total) * 100 / total);
}

}  // namespace

std::string ProgressBar(const std::string& label, int64_t done, int64_t total, int width) {
  if (total <= 0) {
    return label + ": " + std::to_string(done);
  }
  const int64_t shown = std::clamp<int64_t>(done, 0, total);
  const int filled = static_cast<int>(shown * width / total);
  std::string bar = label + " [" + std::string(static_cast<size_t>(filled), '#') +
                    std::string(static_cast<size_t>(width - filled), '.') + "] ";
  const std::string percent = std::to_string(Percent(done, total));
  bar += std::string(3 - std::min<size_t>(3, percent.size()), ' ') + percent + "% ";
  return bar + std::to_string(done) + "/" + std::to_string(total);
}

std::string ProgressLine(const std::string& label, int64_t done, int64_t total) {
  std::string line = label + ": " + std::to_string(done);
  if (total > 0) {
    line += "/" + std::to_string(total) + " (" + std::to_string(Percent(done, total)) + "%)";
  }
  return line;
}

Progress::Progress(std::string label, int64_t total, std::ostream& out, bool terminal)
    : label_(std::move(label)), total_(total), out_(out), terminal_(terminal) {}

Progress Progress::ForStderr(std::string label, int64_t total) {
  return {std::move(label), total, std::cerr, isatty(STDERR_FILENO) != 0};
}

Progress::~Progress() {
  if (line_open_) {
    out_ << '\n' << std::flush;
  }
}

void Progress::Update(int64_t done) {
  if (terminal_) {
    Write(done);
    return;
  }
  const int64_t tenth = total_ > 0 ? Percent(done, total_) / 10 : done;
  if (tenth != last_tenth_) {
    last_tenth_ = tenth;
    Write(done);
  }
}

void Progress::Finish(int64_t done) {
  Write(done);
  if (line_open_) {
    out_ << '\n' << std::flush;
    line_open_ = false;
  }
}

void Progress::Write(int64_t done) {
  const std::string text =
      terminal_ ? ProgressBar(label_, done, total_, 30) : ProgressLine(label_, done, total_);
  if (text == last_written_) {
    return;
  }
  if (terminal_) {
    // Pads over a longer bar drawn before (the count's digits may shrink after a clamp).
    const size_t pad = last_written_.size() > text.size() ? last_written_.size() - text.size() : 0;
    out_ << '\r' << text << std::string(pad, ' ') << std::flush;
    line_open_ = true;
  } else {
    out_ << text << '\n' << std::flush;
  }
  last_written_ = text;
}

}  // namespace weave
