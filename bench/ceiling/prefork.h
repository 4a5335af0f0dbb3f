// Shared scaffolding of the ceiling responders: listen on a FastCGI socket, fork N
// processes that each answer requests in a loop, stop them all on SIGTERM or SIGINT; the
// keys and answers of the one-SELECT ceilings.
#pragma once

#include <fcgiapp.h>
#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <sys/stat.h>
#include <sys/wait.h>

namespace ceiling {

// The listen socket: "unix:/path" or "host:port".
inline int Listen(const std::string& spec) {
  const bool is_unix = spec.rfind("unix:", 0) == 0;
  const std::string address = is_unix ? spec.substr(5) : spec;
  if (is_unix) {
    unlink(address.c_str());
  }
  const int fd = FCGX_OpenSocket(address.c_str(), 1024);
  if (fd < 0) {
    std::fprintf(stderr, "cannot listen on %s\n", spec.c_str());
    std::exit(1);
  }
  if (is_unix) {
    chmod(address.c_str(), 0666);
  }
  return fd;
}

// Runs `child(listen_fd)` in `processes` forked children and waits for a stop signal.
template <typename Child>
int RunPrefork(int listen_fd, int processes, Child child) {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigprocmask(SIG_BLOCK, &stop, nullptr);
  std::vector<pid_t> children;
  for (int i = 0; i < processes; ++i) {
    const pid_t pid = fork();
    if (pid == 0) {
      sigprocmask(SIG_UNBLOCK, &stop, nullptr);
      signal(SIGPIPE, SIG_IGN);
      _exit(child(listen_fd));
    }
    if (pid > 0) {
      children.push_back(pid);
    }
  }
  int sig = 0;
  sigwait(&stop, &sig);
  for (const pid_t pid : children) {
    kill(pid, SIGTERM);
  }
  for (const pid_t pid : children) {
    waitpid(pid, nullptr, 0);
  }
  return 0;
}

inline void Respond(FCGX_Request& request, const std::string& body) {
  const std::string head = "Status: 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n";
  FCGX_PutStr(head.data(), static_cast<int>(head.size()), request.out);
  FCGX_PutStr(body.data(), static_cast<int>(body.size()), request.out);
}

// Answers the requests arriving on listen_fd until the process is stopped, each with the
// body that `answer()` returns.
template <typename Answer>
void Serve(int listen_fd, Answer answer) {
  FCGX_Request request;
  FCGX_InitRequest(&request, listen_fd, 0);
  while (FCGX_Accept_r(&request) >= 0) {
    Respond(request, answer());
    FCGX_Finish_r(&request);
  }
}

// Rows in the table of the one-SELECT ceilings.
constexpr int64_t kRows = 100000;

// The keys a one-SELECT ceiling reads: spread over 1..kRows, a different sequence in each
// process.
class RandomKeys {
 public:
  int64_t Next() {
    next_ = next_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int64_t>((next_ >> 33) % kRows) + 1;
  }

 private:
  uint64_t next_ = static_cast<uint64_t>(getpid()) * 7919;
};

// The answer of a one-SELECT ceiling: {"id":N,"payload":"..."}; the payload is itself JSON
// text, quoted here as a JSON string.
inline void RowBody(std::string& body, int64_t id, std::string_view payload) {
  body = "{\"id\":" + std::to_string(id) + ",\"payload\":\"";
  for (const char c : payload) {
    if (c == '"' || c == '\\') {
      body.push_back('\\');
    }
    body.push_back(c);
  }
  body += "\"}";
}

}  // namespace ceiling
