#include "private_bus.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lwm2md::test {

namespace {

using Clock = std::chrono::steady_clock;

std::string configText(const std::string& socketDir, const std::string& extraConfig) {
  return "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
         " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
         "<busconfig>\n"
         "  <type>session</type>\n"
         "  <listen>unix:dir=" +
         socketDir +
         "</listen>\n"
         "  <auth>EXTERNAL</auth>\n"
         "  <policy context=\"default\">\n"
         "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
         "    <allow eavesdrop=\"true\"/>\n"
         "    <allow own=\"*\"/>\n"
         "  </policy>\n" +
         extraConfig +
         "\n"
         "</busconfig>\n";
}

// Descriptors at or above this number cannot collide with the child's fd 3, so the dup2 in the
// child always happens (and clears close-on-exec).
constexpr int kHighFd = 10;

int moveHigh(int fd) {
  int high = ::fcntl(fd, F_DUPFD_CLOEXEC, kHighFd);
  ::close(fd);
  return high;
}

}  // namespace

PrivateBus::PrivateBus(const std::string& extraConfig, std::chrono::milliseconds startTimeout) {
  if (!dir_.ok()) {
    error_ = "cannot create a temp dir";
    return;
  }
  // Readable by all so that a test may connect as an unprivileged user too.
  ::chmod(dir_.path().c_str(), 0755);
  const std::string configPath = dir_.file("bus.conf");
  if (!writeFile(configPath, configText(dir_.path(), extraConfig))) {
    error_ = "cannot write " + configPath;
    return;
  }

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    error_ = std::string("pipe: ") + std::strerror(errno);
    return;
  }
  int readEnd = moveHigh(fds[0]);
  int writeEnd = moveHigh(fds[1]);
  if (readEnd < 0 || writeEnd < 0) {
    if (readEnd >= 0) ::close(readEnd);
    if (writeEnd >= 0) ::close(writeEnd);
    error_ = "cannot move pipe descriptors";
    return;
  }

  ChildOptions options;
  options.program = "dbus-daemon";
  options.args = {"--config-file=" + configPath, "--nofork", "--nopidfile", "--print-address=3"};
  options.fds = {{3, writeEnd}};
  process_ = std::make_unique<ChildProcess>(options);
  ::close(writeEnd);  // only the child holds it now: EOF tells us it died
  if (!process_->started()) {
    error_ = process_->error();
    ::close(readEnd);
    return;
  }

  std::string line;
  auto deadline = Clock::now() + startTimeout;
  while (line.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      error_ = "dbus-daemon printed no address in time";
      break;
    }
    pollfd pfd{readEnd, POLLIN, 0};
    int rc = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) continue;
    char buffer[256];
    ssize_t n = ::read(readEnd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error_ = "dbus-daemon exited: " + process_->output();
      break;
    }
    line.append(buffer, static_cast<size_t>(n));
  }
  ::close(readEnd);
  auto newline = line.find('\n');
  if (newline != std::string::npos && newline > 0) address_ = line.substr(0, newline);
}

PrivateBus::~PrivateBus() {
  // dbus-daemon shuts down cleanly on SIGTERM; ChildProcess SIGKILLs if it lingers.
  if (process_) process_->terminate(std::chrono::seconds(2));
}

}  // namespace lwm2md::test
