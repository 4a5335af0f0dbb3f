// Progress of a long operator command (weave-admin wipe, delete, purge, import, move): a bar
// redrawn in place on a terminal, plain lines when the output is a file or a pipe.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

namespace weave {

class Progress {
 public:
  // label says what is being done ("purging expired records"); total is the expected count
  // (0: unknown, then only counts are shown). terminal: draw a bar (see ForStderr).
  Progress(std::string label, int64_t total, std::ostream& out, bool terminal);
  // On standard error, as a bar when it is a terminal.
  static Progress ForStderr(std::string label, int64_t total);
  // Completes the line on a terminal if Finish was not called (an error on the way).
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  Progress(Progress&&) = delete;
  Progress& operator=(Progress&&) = delete;

  // done items so far. A bar is redrawn when its text changes; a plain line is written when
  // another tenth of the total is done (each update when the total is unknown), so a log
  // gets at most about ten lines.
  void Update(int64_t done);
  // The last state (unless just written), ending the bar's line.
  void Finish(int64_t done);

 private:
  void Write(int64_t done);

  const std::string label_;
  const int64_t total_;
  std::ostream& out_;
  const bool terminal_;
  std::string last_written_;  // the bar or line last written (never twice the same)
  int64_t last_tenth_ = -1;   // plain: the tenth of the total last written
  bool line_open_ = false;    // terminal: a bar waits for its newline
};

// "label [#####.....]  50% 5/10" (width characters inside the brackets); with total 0,
// "label: 5". done above total shows as 100 %.
std::string ProgressBar(const std::string& label, int64_t done, int64_t total, int width);
// "label: 5/10 (50%)", or "label: 5" with total 0.
std::string ProgressLine(const std::string& label, int64_t done, int64_t total);

}  // namespace weave
