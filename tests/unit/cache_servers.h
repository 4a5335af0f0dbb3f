// Real memcached and redis-server processes for the cache tests: each started on loopback
// (or a Unix socket) in a private temporary folder, stopped and removed at scope end, and
// stoppable, freezable (SIGSTOP) and restartable by the tests.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "test_support.h"

namespace weave::testing {

// A TCP port on 127.0.0.1 that was free a moment ago.
inline int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("no free port");
  }
  close(fd);
  return ntohs(address.sin_port);
}

// One server process; `command` is run as is (no shell).
class ServerProcess {
 public:
  ServerProcess(std::vector<std::string> command, std::string socket_path, int port)
      : command_(std::move(command)), socket_path_(std::move(socket_path)), port_(port) {
    Start();
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess() { Kill(); }

  // Starts the server and waits until it accepts connections (at most 10 s).
  void Start() {
    pid_ = fork();
    if (pid_ < 0) {
      throw std::runtime_error("fork failed");
    }
    if (pid_ == 0) {
      // Dies with the test process, even when that is killed; keeps quiet, and holds no
      // pipe of the test run open.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      const int null = open("/dev/null", O_RDWR);
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
      std::vector<char*> argv;
      for (std::string& word : command_) {
        argv.push_back(word.data());
      }
      argv.push_back(nullptr);
      execvp(argv[0], argv.data());
      _exit(127);
    }
    for (int attempt = 0; attempt < 1000; ++attempt) {
      if (Accepts()) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    throw std::runtime_error("server did not start: " + command_[0]);
  }
  // Kills the server (SIGKILL: as a crash) and waits for it.
  void Kill() {
    if (pid_ > 0) {
      kill(pid_, SIGCONT);
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (!socket_path_.empty()) {
      unlink(socket_path_.c_str());
    }
  }
  void Restart() {
    Kill();
    Start();
  }
  // Freezes and thaws the server: it keeps its connections and data but answers nothing.
  // SIGSTOP is asynchronous: a thread running on another core can still answer a request
  // sent right after kill(), so Freeze waits until every thread is stopped.
  void Freeze() {
    kill(pid_, SIGSTOP);
    const std::string tasks = "/proc/" + std::to_string(pid_) + "/task";
    for (int attempt = 0; attempt < 1000 && !AllStopped(tasks); ++attempt) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  void Thaw() { kill(pid_, SIGCONT); }

 private:
  // True when every thread under /proc/PID/task is in state T (stopped).
  static bool AllStopped(const std::string& tasks) {
    std::error_code error;
    for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
      std::ifstream stat(task.path() / "stat");
      std::string line;
      std::getline(stat, line);
      const size_t close = line.rfind(')');
      if (close == std::string::npos || close + 2 >= line.size() || line[close + 2] != 'T') {
        return false;
      }
    }
    return !error;
  }
  bool Accepts() const {
    int fd = -1;
    bool connected = false;
    if (!socket_path_.empty()) {
      sockaddr_un address{};
      address.sun_family = AF_UNIX;
      strncpy(address.sun_path, socket_path_.c_str(), sizeof address.sun_path - 1);
      fd = socket(AF_UNIX, SOCK_STREAM, 0);
      connected = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    } else {
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_port = htons(static_cast<uint16_t>(port_));
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      fd = socket(AF_INET, SOCK_STREAM, 0);
      connected = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    }
    close(fd);
    return connected;
  }

  std::vector<std::string> command_;
  std::string socket_path_;
  int port_;
  pid_t pid_ = -1;
};

// memcached on a loopback TCP port; its URL is memcached://127.0.0.1:<port>.
struct MemcachedServer {
  MemcachedServer()
      : port(FreePort()),
        process({"memcached", "-l", "127.0.0.1", "-p", std::to_string(port), "-U", "0", "-m", "16",
                 "-u", "root"},
                "", port) {}
  std::string Url() const { return "memcached://127.0.0.1:" + std::to_string(port); }

  int port;
  ServerProcess process;
};

// redis-server persisting nothing, on a Unix socket in its own folder (URL
// redis+unix://<path>) or on a loopback TCP port (URL redis://127.0.0.1:<port>/3).
struct RedisServer {
  explicit RedisServer(bool tcp = false)
      : port(tcp ? FreePort() : 0),
        socket(tcp ? "" : dir.File("redis.sock")),
        process({"redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1",
                 "--unixsocket", tcp ? dir.File("unused.sock") : socket, "--save", "",
                 "--appendonly", "no", "--dir", dir.Path()},
                socket, port) {}
  std::string Url() const {
    return port != 0 ? "redis://127.0.0.1:" + std::to_string(port) + "/3"
                     : "redis+unix://" + socket;
  }

  TempDir dir;
  int port;
  std::string socket;
  ServerProcess process;
};

}  // namespace weave::testing
