// The README's busctl examples, run as written against the real daemon: every busctl line of
// the "## D-Bus API" section's ```sh blocks, with its --system swapped for the test's private
// bus. A command the README gains, loses or changes fails here until its expectation is updated,
// so the documentation cannot drift from the daemon.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "e2e_fixture.hpp"
#include "readme_commands.hpp"

namespace lwm2md::test {
namespace {

using ::testing::HasSubstr;

constexpr const char* kSection = "## D-Bus API";
constexpr uint8_t kContent = 0x45;   // 2.05
constexpr uint8_t kNotFound = 0x84;  // 4.04

/// What one README command must print (exit code 0 always).
struct Expectation {
  std::string command;              // exactly as the README shows it
  std::vector<std::string> output;  // substrings of its output, blanks squeezed (see squeezed())
};

/// `text` with every run of blanks as one space: busctl pads its tables to the widest entry.
std::string squeezed(const std::string& text) {
  std::string out;
  for (const char c : text)
    if (c != ' ' || out.empty() || out.back() != ' ') out += c;
  return out;
}

/// The README's busctl commands in order, with what each prints. Run in this order against one
/// daemon: the later commands see what the earlier ones did.
const std::vector<Expectation>& expectations() {
  static const std::vector<Expectation> kExpectations = {
      {"busctl --system tree org.lwm2md1", {"/org/lwm2md1/Object/3/0", "/org/lwm2md1/Server/1"}},
      {"busctl --system introspect org.lwm2md1 /org/lwm2md1/Object/3/0",
       {"org.lwm2md1.Instance interface", ".Get method aq a{qv}", ".Set method a{qv} -",
        ".Values property a{qv}", ".Written signal a{qv}"}},
      {"busctl --system get-property org.lwm2md1 /org/lwm2md1 org.lwm2md1.Manager State",
       {"s \"registered\""}},
      {"busctl --system get-property org.lwm2md1 /org/lwm2md1/Server/1 org.lwm2md1.Server "
       "RegistrationId",
       {"s \"rd/"}},
      {"busctl --system call org.lwm2md1 /org/lwm2md1 org.lwm2md1.Manager AddInstance "
       "qqa{qv}a{sv} 3303 0 1 5700 d 21.5 1 shared b true",
       {"o \"/org/lwm2md1/Object/3303/0\""}},
      {"busctl --system call org.lwm2md1 /org/lwm2md1/Object/3303/0 org.lwm2md1.Instance Set "
       "a{qv} 1 5700 d 22.0",
       {}},
      {"busctl --system call org.lwm2md1 /org/lwm2md1/Object/3303/0 org.lwm2md1.Instance Get aq "
       "1 5700",
       {"a{qv} 1 5700 d 22"}},
      {"busctl --system call org.lwm2md1 /org/lwm2md1/Object/3/0 org.lwm2md1.Instance Set a{qv} "
       "1 9 x 87",
       {}},
      {"busctl --system get-property org.lwm2md1 /org/lwm2md1/Object/3/0 org.lwm2md1.Instance "
       "Values",
       {"a{qv} ", " 9 x 87 "}},
      {"busctl --system call org.lwm2md1 /org/lwm2md1/Object/3303/0 org.lwm2md1.Instance Remove",
       {}},
  };
  return kExpectations;
}

std::string readme() {
  const char* path = std::getenv("LWM2MD_README");
  if (path == nullptr) return {};
  return readFile(path).value_or("");
}

std::vector<std::string> readmeCommands() {
  return shellCommands(readme(), kSection, "busctl");
}

const Expectation* expectationFor(const std::string& command) {
  for (const auto& expectation : expectations())
    if (expectation.command == command) return &expectation;
  return nullptr;
}

TEST(ReadmeCommands, TakesShellBlockLinesOfTheSectionOnly) {
  const std::string markdown =
      "# Title\n"
      "```sh\nbusctl --system tree before-the-section\n```\n"
      "## D-Bus API\n"
      "Text mentioning busctl --system status is no command.\n"
      "```sh\n"
      "busctl --system tree org.lwm2md1\r\n"
      "  busctl --system status indented\n"
      "busctlx --system not-busctl\n"
      "lwm2mctl status\n"
      "busctl\n"
      "```\n"
      "```\nbusctl --system in-a-plain-block\n```\n"
      "```json\n{\"busctl\": 1}\n```\n"
      "### A subsection still belongs to it\n"
      "```sh\n# ## not a heading inside a block\nbusctl --system call in-subsection\n```\n"
      "## Next section\n"
      "```sh\nbusctl --system tree after-the-section\n```\n";
  EXPECT_EQ(shellCommands(markdown, "## D-Bus API", "busctl"),
            (std::vector<std::string>{"busctl --system tree org.lwm2md1",
                                      "busctl --system status indented", "busctl",
                                      "busctl --system call in-subsection"}));
}

TEST(ReadmeCommands, EdgeInput) {
  EXPECT_TRUE(shellCommands("", "## D-Bus API", "busctl").empty());
  // No such section, or only a longer heading that starts the same.
  EXPECT_TRUE(
      shellCommands("## D-Bus APIs\n```sh\nbusctl tree\n```\n", "## D-Bus API", "busctl").empty());
  // An unterminated block still yields its lines (the README's reader sees them too).
  EXPECT_EQ(shellCommands("## D-Bus API\n```sh\nbusctl tree x", "## D-Bus API", "busctl"),
            (std::vector<std::string>{"busctl tree x"}));
}

TEST(ReadmeCommands, OnBusSwapsExactlyOneBusOption) {
  EXPECT_EQ(onBus("busctl --system tree org.lwm2md1", "unix:path=/tmp/b"),
            "busctl --address=unix:path=/tmp/b tree org.lwm2md1");
  EXPECT_EQ(onBus("busctl --user call a  b", "unix:path=/x"),
            "busctl --address=unix:path=/x call a  b");
  EXPECT_EQ(onBus("busctl tree org.lwm2md1 --system", "A"), "busctl tree org.lwm2md1 --address=A");
  EXPECT_EQ(onBus("busctl tree org.lwm2md1", "A"), std::nullopt);
  EXPECT_EQ(onBus("busctl --system --user tree", "A"), std::nullopt);
  EXPECT_EQ(onBus("busctl --system-x tree", "A"), std::nullopt);
  EXPECT_EQ(onBus("", "A"), std::nullopt);
}

// Without a daemon: the README and the expectations above list the same commands in the same
// order, and every one names its bus.
TEST(ReadmeBusctl, ReadmeListsExactlyTheTestedCommands) {
  ASSERT_FALSE(readme().empty()) << "LWM2MD_README does not name a readable README";
  const auto commands = readmeCommands();
  std::vector<std::string> expected;
  for (const auto& expectation : expectations()) expected.push_back(expectation.command);
  EXPECT_EQ(commands, expected) << "README.md's busctl commands changed: update expectations()";
  for (const auto& command : commands)
    EXPECT_TRUE(onBus(command, "A")) << "no single --system/--user in: " << command;
}

class ReadmeBusctlDaemon : public DaemonFixture {
 protected:
  struct Run {
    int code = -1;
    std::string output;
  };

  /// Runs one command line through the shell, as a reader would (at most 20 s), pumping the
  /// test LwM2M server meanwhile.
  Run shell(const std::string& commandLine) {
    ChildProcess process("/bin/sh", {"-c", commandLine});
    EXPECT_TRUE(process.started()) << process.error();
    const auto code = process.waitExit(20s, [this] { server_.pump(5ms); });
    return {code.value_or(-1), process.output()};
  }

  std::string managerState() {
    std::string state;
    try {
      state = manager()->getProperty("State").onInterface("org.lwm2md1.Manager").get<std::string>();
    } catch (const sdbus::Error&) {
    }
    return state;
  }

  /// The text/plain value the LwM2M server reads from `path` ("" unless 2.05).
  std::string serverRead(const std::string& path) {
    auto response = server_.read(path, 0);
    if (!response || response->code != kContent) return {};
    return TestLwm2mServer::text(*response);
  }
};

TEST_F(ReadmeBusctlDaemon, EveryReadmeCommandWorksAsWritten) {
  const auto commands = readmeCommands();
  ASSERT_FALSE(commands.empty()) << "no busctl commands in README.md's " << kSection;
  startAndRegister();
  ASSERT_TRUE(server_.waitFor([&] { return managerState() == "registered"; }, 10s))
      << daemon_->output();

  // What the LwM2M server sees after some of the commands: busctl's exit code alone would not
  // show that the call changed the daemon's data.
  const std::map<std::string, std::function<void()>> serverChecks = {
      {"AddInstance", [&] { EXPECT_EQ(serverRead("/3303/0/5700"), "21.5"); }},
      {"/3303/0 org.lwm2md1.Instance Set",
       [&] { EXPECT_DOUBLE_EQ(std::atof(serverRead("/3303/0/5700").c_str()), 22.0); }},
      {"/3/0 org.lwm2md1.Instance Set", [&] { EXPECT_EQ(serverRead("/3/0/9"), "87"); }},
      {"Remove",
       [&] {
         auto response = server_.read("/3303/0", 0);
         ASSERT_TRUE(response);
         EXPECT_EQ(response->code, kNotFound);
       }},
  };

  for (const auto& command : commands) {
    SCOPED_TRACE(command);
    const Expectation* expectation = expectationFor(command);
    ASSERT_NE(expectation, nullptr) << "no expectation for this README command";
    const auto onPrivateBus = onBus(command, bus_.address());
    ASSERT_TRUE(onPrivateBus);
    const Run run = shell(*onPrivateBus);
    std::printf("$ %s\n%s", command.c_str(), run.output.c_str());  // the log shows what ran
    EXPECT_EQ(run.code, 0) << run.output << "\ndaemon:\n" << daemon_->output();
    for (const auto& text : expectation->output) EXPECT_THAT(squeezed(run.output), HasSubstr(text));
    for (const auto& [needle, check] : serverChecks)
      if (command.find(needle) != std::string::npos) check();
  }
}

// The README's claim that a non-shared instance goes with busctl's connection, and the
// signature in its AddInstance: the same call without the option leaves nothing behind.
TEST_F(ReadmeBusctlDaemon, InstanceAddedWithoutSharedGoesWithBusctl) {
  startAndRegister();
  const Run add = shell("busctl --address=" + bus_.address() +
                        " call org.lwm2md1 /org/lwm2md1 org.lwm2md1.Manager AddInstance "
                        "qqa{qv}a{sv} 3303 0 1 5700 d 21.5 0");
  EXPECT_EQ(add.code, 0) << add.output;
  EXPECT_THAT(add.output, HasSubstr("o \"/org/lwm2md1/Object/3303/0\""));
  const Run set = shell("busctl --address=" + bus_.address() +
                        " call org.lwm2md1 /org/lwm2md1/Object/3303/0 org.lwm2md1.Instance Set "
                        "a{qv} 1 5700 d 22.0");
  EXPECT_NE(set.code, 0) << set.output;
  auto response = server_.read("/3303/0", 0);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, kNotFound);
  // A wrong signature (the old documentation's qqa{sv}) is refused, not half-applied.
  const Run wrong = shell("busctl --address=" + bus_.address() +
                          " call org.lwm2md1 /org/lwm2md1 org.lwm2md1.Manager AddInstance "
                          "qqa{sv} 3303 1 0");
  EXPECT_NE(wrong.code, 0) << wrong.output;
  EXPECT_THAT(wrong.output, HasSubstr("Call failed"));
  auto absent = server_.read("/3303/1", 0);
  ASSERT_TRUE(absent);
  EXPECT_EQ(absent->code, kNotFound);
}

// The README's refusals: busctl exits 1 with the daemon's message, and the refused Set changes
// nothing (not even the permitted resource named with it).
TEST_F(ReadmeBusctlDaemon, RefusalsAsTheReadmeDescribes) {
  startAndRegister();
  const std::string busctl = "busctl --address=" + bus_.address() + " ";
  const Run manufacturer = shell(busctl +
                                 "call org.lwm2md1 /org/lwm2md1/Object/3/0 org.lwm2md1.Instance "
                                 "Set a{qv} 2 9 x 50 0 s ACME");
  EXPECT_EQ(manufacturer.code, 1) << manufacturer.output;
  EXPECT_THAT(manufacturer.output,
              HasSubstr("Call failed: resource 0 (Manufacturer) of /3/0 is owned by the daemon"));
  EXPECT_EQ(serverRead("/3/0/0"), "lwm2md tests");
  EXPECT_NE(serverRead("/3/0/9"), "50");
  const Run bootstrap =
      shell(busctl + "call org.lwm2md1 /org/lwm2md1 org.lwm2md1.Manager Bootstrap");
  EXPECT_EQ(bootstrap.code, 1) << bootstrap.output;
  EXPECT_THAT(bootstrap.output, HasSubstr("no Bootstrap-Server account is provisioned"));
  // Malformed busctl input never reaches the daemon's data: a count larger than the entries.
  const Run truncated = shell(busctl +
                              "call org.lwm2md1 /org/lwm2md1/Object/3/0 org.lwm2md1.Instance "
                              "Set a{qv} 2 9 x 51");
  EXPECT_NE(truncated.code, 0) << truncated.output;
  EXPECT_NE(serverRead("/3/0/9"), "51");
  EXPECT_TRUE(daemon_->running()) << daemon_->output();
}

}  // namespace
}  // namespace lwm2md::test
