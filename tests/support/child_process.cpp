#include "child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <thread>

extern char** environ;

namespace lwm2md::test {

namespace {

using Clock = std::chrono::steady_clock;

// Without a pump the waits sleep in steps this long: short enough for snappy tests, long
// enough not to spin.
constexpr std::chrono::milliseconds kSleepStep{5};

std::vector<std::string> buildEnvironment(const ChildOptions& options) {
  std::set<std::string> drop(options.unsetEnv.begin(), options.unsetEnv.end());
  for (const auto& [key, value] : options.env) drop.insert(key);
  std::vector<std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string text(*entry);
    auto eq = text.find('=');
    if (drop.count(text.substr(0, eq)) == 0) env.push_back(std::move(text));
  }
  for (const auto& [key, value] : options.env) env.push_back(key + "=" + value);
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int decodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

ChildProcess::ChildProcess(ChildOptions options) {
  spawn(options);
}

ChildProcess::ChildProcess(std::string program, std::vector<std::string> args,
                           std::map<std::string, std::string> env) {
  ChildOptions options;
  options.program = std::move(program);
  options.args = std::move(args);
  options.env = std::move(env);
  spawn(options);
}

ChildProcess::~ChildProcess() {
  if (pid_ <= 0 || exitCode_) return;
  // The child leads its own process group: take helpers it started down with it.
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

void ChildProcess::spawn(const ChildOptions& options) {
  if (!dir_.ok()) {
    error_ = "cannot create a temp dir for the output";
    return;
  }
  outputPath_ = dir_.file("output.log");
  int out = ::open(outputPath_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (out < 0) {
    error_ = std::string("cannot open output file: ") + std::strerror(errno);
    return;
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out, 1);
  posix_spawn_file_actions_adddup2(&actions, out, 2);
  for (const auto& [childFd, parentFd] : options.fds) {
    posix_spawn_file_actions_adddup2(&actions, parentFd, childFd);
  }

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // A clean signal state whatever the test runner did, and an own group for the destructor.
  sigset_t none;
  sigemptyset(&none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int signo : {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2}) {
    sigaddset(&defaults, signo);
  }
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

  std::vector<std::string> argv{options.program};
  argv.insert(argv.end(), options.args.begin(), options.args.end());
  std::vector<std::string> env = buildEnvironment(options);
  auto argvPtrs = pointers(argv);
  auto envPtrs = pointers(env);

  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, options.program.c_str(), &actions, &attr, argvPtrs.data(),
                          envPtrs.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out);
  if (rc != 0) {
    error_ = "cannot start " + options.program + ": " + std::strerror(rc);
    return;
  }
  pid_ = pid;
}

void ChildProcess::reap(int status) {
  exitCode_ = decodeStatus(status);
}

bool ChildProcess::running() {
  if (pid_ <= 0 || exitCode_) return false;
  int status = 0;
  pid_t rc = ::waitpid(pid_, &status, WNOHANG);
  if (rc == pid_) {
    reap(status);
    return false;
  }
  return rc == 0;
}

std::optional<int> ChildProcess::waitExit(std::chrono::milliseconds timeout,
                                          const std::function<void()>& pump) {
  auto deadline = Clock::now() + timeout;
  while (running()) {
    if (Clock::now() >= deadline) return std::nullopt;
    if (pump) {
      pump();
    } else {
      std::this_thread::sleep_for(kSleepStep);
    }
  }
  return exitCode_;
}

void ChildProcess::signal(int signo) {
  if (pid_ > 0 && !exitCode_) ::kill(pid_, signo);
}

std::optional<int> ChildProcess::terminate(std::chrono::milliseconds grace,
                                           const std::function<void()>& pump) {
  if (pid_ <= 0) return std::nullopt;
  if (exitCode_) return exitCode_;
  signal(SIGTERM);
  if (auto code = waitExit(grace, pump)) return code;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  return waitExit(std::chrono::seconds(5));
}

std::string ChildProcess::output() const {
  if (outputPath_.empty()) return {};
  return readFile(outputPath_).value_or(std::string{});
}

bool ChildProcess::waitForOutput(const std::string& text, std::chrono::milliseconds timeout,
                                 const std::function<void()>& pump) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    if (output().find(text) != std::string::npos) return true;
    // Checked after the output so that a last line printed just before exiting still counts.
    if (!running()) return output().find(text) != std::string::npos;
    if (Clock::now() >= deadline) return false;
    if (pump) {
      pump();
    } else {
      std::this_thread::sleep_for(kSleepStep);
    }
  }
}

DaemonProcess::DaemonProcess(const DaemonOptions& options)
    : ChildProcess([&options] {
        ChildOptions child;
        child.program = options.binary;
        child.args = arguments(options);
        child.env = options.env;
        child.unsetEnv = {"JOURNAL_STREAM", "NOTIFY_SOCKET", "WATCHDOG_USEC",
                          "WATCHDOG_PID",   "LISTEN_FDS",    "LISTEN_PID"};
        return child;
      }()) {}

std::vector<std::string> DaemonProcess::arguments(const DaemonOptions& options) {
  std::vector<std::string> args;
  if (options.configFile) args.insert(args.end(), {"--config", *options.configFile});
  if (options.busAddress) args.insert(args.end(), {"--bus-address", *options.busAddress});
  if (options.stateDir) args.insert(args.end(), {"--state-dir", *options.stateDir});
  if (options.logLevel) args.insert(args.end(), {"--log-level", *options.logLevel});
  args.insert(args.end(), options.extraArgs.begin(), options.extraArgs.end());
  return args;
}

}  // namespace lwm2md::test
