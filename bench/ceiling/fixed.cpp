// Ceiling (a): a bare libfcgi responder that answers every request with the same small
// JSON body. What nginx + FastCGI + the load tool cost on their own.
//   ceiling-fixed SOCKET PROCESSES
#include <fcgiapp.h>

#include <cstdlib>
#include <string>

#include "prefork.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: ceiling-fixed unix:/path|host:port PROCESSES\n");
    return 2;
  }
  FCGX_Init();
  const int fd = ceiling::Listen(argv[1]);
  return ceiling::RunPrefork(fd, std::atoi(argv[2]), [](int listen_fd) {
    // Shaped like an info/collections answer.
    const std::string body =
        R"({"bookmarks":1700000000.25,"clients":1700000000.11,"crypto":1700000000.10,)"
        R"("forms":1700000000.31,"history":1700000000.47,"meta":1700000000.10,)"
        R"("passwords":1700000000.12})";
    ceiling::Serve(listen_fd, [&body]() -> const std::string& { return body; });
    return 0;
  });
}
