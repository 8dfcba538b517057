#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "temp_dir.hpp"

namespace lwm2md::test {

/// How to start a child process.
struct ChildOptions {
  std::string program;  // looked up in PATH when it has no '/'
  std::vector<std::string> args;
  std::map<std::string, std::string> env;  // added to (or replacing in) the test's environment
  std::vector<std::string> unsetEnv;       // removed from the inherited environment
  /// Extra descriptors for the child: {child fd, parent fd}, e.g. {3, pipeWriteEnd}.
  std::vector<std::pair<int, int>> fds;
};

/// A program started for a test: stdin is /dev/null, stdout and stderr go to one temp file.
/// It runs in its own process group; the destructor SIGKILLs the group and reaps the child, so a
/// failed assertion never leaves a process behind.
class ChildProcess {
 public:
  explicit ChildProcess(ChildOptions options);
  ChildProcess(std::string program, std::vector<std::string> args,
               std::map<std::string, std::string> env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  /// False when the program could not be started; error() says why.
  bool started() const { return pid_ > 0; }
  const std::string& error() const { return error_; }
  pid_t pid() const { return pid_; }

  /// Reaps the child if it has exited.
  bool running();
  /// Waits up to `timeout` for the exit: exit code, 128+signal when killed, nullopt if still
  /// running (or never started). `pump` as for waitForOutput.
  std::optional<int> waitExit(std::chrono::milliseconds timeout,
                              const std::function<void()>& pump = {});
  /// The status once reaped.
  std::optional<int> exitCode() const { return exitCode_; }
  /// Sends a signal to the child itself (not its group); no-op once reaped.
  void signal(int signo);
  /// SIGTERM, wait up to `grace` (pumping), then SIGKILL the group: the final status.
  std::optional<int> terminate(std::chrono::milliseconds grace = std::chrono::seconds(5),
                               const std::function<void()>& pump = {});

  /// Everything written to stdout and stderr so far.
  std::string output() const;
  const std::string& outputPath() const { return outputPath_; }
  /// Waits until output() contains `text`. `pump` runs between checks (for example a short
  /// TestLwm2mServer::pump) so a peer in this thread keeps working; without it the wait sleeps
  /// in short steps. Returns false on timeout or when the child exited without printing it.
  bool waitForOutput(const std::string& text, std::chrono::milliseconds timeout,
                     const std::function<void()>& pump = {});

 private:
  void spawn(const ChildOptions& options);
  void reap(int status);

  TempDir dir_{"lwm2md-child"};
  std::string outputPath_;
  pid_t pid_ = -1;
  std::optional<int> exitCode_;
  std::string error_;
};

/// Command line of the lwm2md daemon under test; the e2e tests fill in what they need.
struct DaemonOptions {
  std::string binary;
  std::optional<std::string> configFile;  // --config
  std::optional<std::string> busAddress;  // --bus-address (a PrivateBus)
  std::optional<std::string> stateDir;    // --state-dir
  std::optional<std::string> logLevel = "debug";
  std::vector<std::string> extraArgs;
  std::map<std::string, std::string> env;
};

/// The daemon as a child process. Journal and systemd notification variables are removed from
/// its environment so it logs to the captured stderr and does not talk to a real service manager.
class DaemonProcess : public ChildProcess {
 public:
  explicit DaemonProcess(const DaemonOptions& options);

  /// The argument list built from the options (without the program).
  static std::vector<std::string> arguments(const DaemonOptions& options);
  /// Orderly stop: SIGTERM, wait, SIGKILL after `timeout`. Pass a pump that runs the
  /// TestLwm2mServer, or the daemon's De-register on SIGTERM gets no answer.
  std::optional<int> stop(std::chrono::milliseconds timeout = std::chrono::seconds(10),
                          const std::function<void()>& pump = {}) {
    return terminate(timeout, pump);
  }
};

}  // namespace lwm2md::test
