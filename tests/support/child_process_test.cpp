#include "child_process.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>

namespace lwm2md::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

ChildProcess shell(const std::string& script, std::map<std::string, std::string> env = {}) {
  return ChildProcess("/bin/sh", {"-c", script}, std::move(env));
}

// A reaped process is gone; one whose parent died may linger as a zombie under an init that
// does not reap (containers). Either way it no longer runs.
bool processGone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string pidField, comm, state;
  stat >> pidField >> comm >> state;
  return state == "Z" || state == "X";
}

TEST(ChildProcessTest, ReportsExitCode) {
  auto child = shell("exit 3");
  ASSERT_TRUE(child.started()) << child.error();
  EXPECT_EQ(child.waitExit(5s), 3);
  EXPECT_FALSE(child.running());
  EXPECT_EQ(child.exitCode(), 3);
}

TEST(ChildProcessTest, CapturesStdoutAndStderr) {
  auto child = shell("echo to-stdout; echo to-stderr >&2");
  ASSERT_EQ(child.waitExit(5s), 0);
  const std::string output = child.output();
  EXPECT_NE(output.find("to-stdout"), std::string::npos) << output;
  EXPECT_NE(output.find("to-stderr"), std::string::npos) << output;
}

TEST(ChildProcessTest, PassesArgumentsVerbatim) {
  ChildProcess child("/bin/sh", {"-c", "printf '[%s]' \"$@\"", "sh", "a b", "", "*"});
  ASSERT_EQ(child.waitExit(5s), 0);
  EXPECT_EQ(child.output(), "[a b][][*]");
}

TEST(ChildProcessTest, AddsAndRemovesEnvironment) {
  ::setenv("LWM2MD_TEST_INHERITED", "inherited", 1);
  ::setenv("LWM2MD_TEST_REMOVED", "present", 1);
  ChildOptions options;
  options.program = "/bin/sh";
  options.args = {
      "-c", "echo \"$LWM2MD_TEST_ADDED/$LWM2MD_TEST_INHERITED/${LWM2MD_TEST_REMOVED:-gone}\""};
  options.env = {{"LWM2MD_TEST_ADDED", "added"}, {"LWM2MD_TEST_INHERITED", "overridden"}};
  options.unsetEnv = {"LWM2MD_TEST_REMOVED"};
  ChildProcess child(options);
  ASSERT_EQ(child.waitExit(5s), 0);
  EXPECT_EQ(child.output(), "added/overridden/gone\n");
  ::unsetenv("LWM2MD_TEST_INHERITED");
  ::unsetenv("LWM2MD_TEST_REMOVED");
}

TEST(ChildProcessTest, ReportsSignalAs128PlusSignal) {
  auto child = shell("exec sleep 30");
  ASSERT_TRUE(child.running());
  child.signal(SIGTERM);
  EXPECT_EQ(child.waitExit(5s), 128 + SIGTERM);
}

TEST(ChildProcessTest, WaitExitTimesOutWhileRunning) {
  auto child = shell("exec sleep 30");
  auto start = Clock::now();
  EXPECT_EQ(child.waitExit(100ms), std::nullopt);
  auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, 100ms);
  EXPECT_LT(elapsed, 2s);
  EXPECT_TRUE(child.running());
}

TEST(ChildProcessTest, TerminateEscalatesToSigkill) {
  // The shell ignores SIGTERM, so only the SIGKILL after the grace period ends it.
  auto child = shell("trap '' TERM; echo armed; while :; do sleep 1; done");
  ASSERT_TRUE(child.waitForOutput("armed", 5s));
  auto start = Clock::now();
  EXPECT_EQ(child.terminate(200ms), 128 + SIGKILL);
  EXPECT_LT(Clock::now() - start, 3s);
}

TEST(ChildProcessTest, WaitForOutputSeesLateOutputAndRunsThePump) {
  auto child = shell("sleep 0.2; echo ready; exec sleep 30");
  int pumped = 0;
  EXPECT_TRUE(child.waitForOutput("ready", 5s, [&] {
    ++pumped;
    std::this_thread::sleep_for(5ms);
  }));
  EXPECT_GT(pumped, 0);
  auto start = Clock::now();
  EXPECT_FALSE(child.waitForOutput("never printed", 150ms));
  EXPECT_LT(Clock::now() - start, 2s);
}

TEST(ChildProcessTest, WaitForOutputStopsWhenTheChildExits) {
  auto child = shell("echo bye");
  auto start = Clock::now();
  EXPECT_FALSE(child.waitForOutput("never printed", 10s));
  EXPECT_LT(Clock::now() - start, 5s);
  EXPECT_TRUE(child.waitForOutput("bye", 1s));  // already printed, child already gone
}

TEST(ChildProcessTest, MissingProgramIsReportedNotThrown) {
  ChildProcess child("/nonexistent/lwm2md-no-such-program", {});
  EXPECT_FALSE(child.started());
  EXPECT_FALSE(child.error().empty());
  EXPECT_FALSE(child.running());
  EXPECT_EQ(child.waitExit(10ms), std::nullopt);
  EXPECT_EQ(child.output(), "");
}

TEST(ChildProcessTest, DestructorKillsTheChildAndItsHelpers) {
  pid_t pid = -1;
  pid_t helper = -1;
  {
    auto child = shell("sleep 30 & echo helper=$!; wait");
    ASSERT_TRUE(child.waitForOutput("helper=", 5s));
    ASSERT_TRUE(child.waitForOutput("\n", 5s));
    pid = child.pid();
    helper = std::atoi(child.output().substr(child.output().find('=') + 1).c_str());
    ASSERT_GT(helper, 0);
  }
  EXPECT_TRUE(processGone(pid));
  // The helper is not our child: allow the kernel a moment to deliver the group SIGKILL.
  for (int i = 0; i < 200 && !processGone(helper); ++i) std::this_thread::sleep_for(5ms);
  EXPECT_TRUE(processGone(helper));
}

TEST(TempDirTest, CreatesAndRemovesRecursively) {
  std::string path;
  {
    TempDir dir("lwm2md-selftest");
    ASSERT_TRUE(dir.ok());
    path = dir.path();
    EXPECT_TRUE(std::filesystem::is_directory(path));
    EXPECT_NE(path.find("lwm2md-selftest-"), std::string::npos);
    std::filesystem::create_directories(dir.file("a/b"));
    ASSERT_TRUE(writeFile(dir.file("a/b/c.txt"), "nested\n"));
    EXPECT_EQ(readFile(dir.file("a/b/c.txt")), "nested\n");
    TempDir other("lwm2md-selftest");
    EXPECT_NE(other.path(), path);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(TempDirTest, FileHelpersReportErrors) {
  EXPECT_FALSE(writeFile("/nonexistent-dir/x/file", "text"));
  EXPECT_EQ(readFile("/nonexistent-dir/x/file"), std::nullopt);
  TempDir dir;
  ASSERT_TRUE(writeFile(dir.file("f"), "first, longer"));
  ASSERT_TRUE(writeFile(dir.file("f"), "second"));  // truncates
  EXPECT_EQ(readFile(dir.file("f")), "second");
  ASSERT_TRUE(writeFile(dir.file("empty"), ""));
  EXPECT_EQ(readFile(dir.file("empty")), "");
}

TEST(DaemonProcessTest, BuildsTheCommandLine) {
  DaemonOptions options;
  options.binary = "lwm2md";
  options.configFile = "/tmp/c.toml";
  options.busAddress = "unix:path=/tmp/bus";
  options.stateDir = "/tmp/state";
  options.extraArgs = {"--extra"};
  EXPECT_EQ(
      DaemonProcess::arguments(options),
      (std::vector<std::string>{"--config", "/tmp/c.toml", "--bus-address", "unix:path=/tmp/bus",
                                "--state-dir", "/tmp/state", "--log-level", "debug", "--extra"}));
  options.logLevel.reset();
  options.configFile.reset();
  EXPECT_EQ(DaemonProcess::arguments(options),
            (std::vector<std::string>{"--bus-address", "unix:path=/tmp/bus", "--state-dir",
                                      "/tmp/state", "--extra"}));
}

TEST(DaemonProcessTest, StartsWithoutServiceManagerVariables) {
  TempDir dir;
  const std::string fake = dir.file("fake-daemon");
  ASSERT_TRUE(writeFile(fake,
                        "#!/bin/sh\n"
                        "echo \"args: $*\"\n"
                        "echo \"journal=${JOURNAL_STREAM:-unset} notify=${NOTIFY_SOCKET:-unset} "
                        "mine=$LWM2MD_FAKE\"\n"
                        "trap 'echo stopping; exit 0' TERM\n"
                        "while :; do sleep 0.05; done\n"));
  ASSERT_EQ(::chmod(fake.c_str(), 0755), 0);
  ::setenv("JOURNAL_STREAM", "8:1234", 1);
  ::setenv("NOTIFY_SOCKET", "/run/systemd/notify", 1);
  DaemonOptions options;
  options.binary = fake;
  options.configFile = dir.file("lwm2md.toml");
  options.env = {{"LWM2MD_FAKE", "yes"}};
  DaemonProcess daemon(options);
  ::unsetenv("JOURNAL_STREAM");
  ::unsetenv("NOTIFY_SOCKET");
  ASSERT_TRUE(daemon.started()) << daemon.error();
  ASSERT_TRUE(daemon.waitForOutput("mine=", 5s)) << daemon.output();
  EXPECT_NE(
      daemon.output().find("args: --config " + dir.file("lwm2md.toml") + " --log-level debug"),
      std::string::npos)
      << daemon.output();
  EXPECT_NE(daemon.output().find("journal=unset notify=unset mine=yes"), std::string::npos)
      << daemon.output();
  int pumped = 0;
  EXPECT_EQ(daemon.stop(5s,
                        [&] {
                          ++pumped;
                          std::this_thread::sleep_for(2ms);
                        }),
            0);
  EXPECT_GT(pumped, 0);
  EXPECT_NE(daemon.output().find("stopping"), std::string::npos);
}

}  // namespace
}  // namespace lwm2md::test
