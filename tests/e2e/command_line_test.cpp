// The binary's contract with its caller: exit codes, messages, and busctl as the operator's tool.
#include <gmock/gmock.h>

#include "e2e_fixture.hpp"

namespace lwm2md::test {
namespace {

using ::testing::HasSubstr;

std::optional<int> runToExit(ChildProcess& child) {
  return child.waitExit(10s);
}

TEST(CommandLine, BadUsageExits64) {
  ChildProcess child(std::getenv("LWM2MD_BINARY"), {"--no-such-option"});
  EXPECT_EQ(runToExit(child), 64);
  EXPECT_THAT(child.output(), HasSubstr("--no-such-option"));
  EXPECT_THAT(child.output(), HasSubstr("Usage"));
}

TEST(CommandLine, VersionAndHelpExitZero) {
  ChildProcess version(std::getenv("LWM2MD_BINARY"), {"--version"});
  EXPECT_EQ(runToExit(version), 0);
  EXPECT_THAT(version.output(), HasSubstr("lwm2md "));
  ChildProcess help(std::getenv("LWM2MD_BINARY"), {"--help"});
  EXPECT_EQ(runToExit(help), 0);
  EXPECT_THAT(help.output(), HasSubstr("--session-bus"));
}

TEST(CommandLine, BadConfigExits78NamingFileLineAndKey) {
  TempDir dir("lwm2md-cli");
  const std::string file = dir.file("bad.toml");
  writeFile(file, "endpoint = \"x\"\n[[server]]\nuri = \"coap://127.0.0.1:5683\"\nlifetimes = 5\n");
  ChildProcess child(std::getenv("LWM2MD_BINARY"), {"--config", file});
  EXPECT_EQ(runToExit(child), 78);
  EXPECT_THAT(child.output(), HasSubstr(file + ":4"));
  EXPECT_THAT(child.output(), HasSubstr("server[0].lifetimes"));
}

TEST(CommandLine, MissingConfigExits78) {
  ChildProcess child(std::getenv("LWM2MD_BINARY"), {"--config", "/nonexistent/lwm2md.toml"});
  EXPECT_EQ(runToExit(child), 78);
  EXPECT_THAT(child.output(), HasSubstr("/nonexistent/lwm2md.toml"));
}

/// Operators inspect and feed the daemon with nothing but busctl, as DESIGN.md shows.
TEST_F(DaemonFixture, BusctlTreeAndCallWork) {
  startAndRegister();
  ASSERT_TRUE(waitForBusName());
  auto busctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "--address=" + bus_.address());
    ChildProcess child("busctl", args);
    auto code = child.waitExit(10s, [this] { server_.pump(5ms); });
    EXPECT_EQ(code, 0) << child.output();
    return child.output();
  };
  EXPECT_EQ(busctl({"call", "org.lwm2md1", "/org/lwm2md1", "org.lwm2md1.Manager", "AddInstance",
                    "qqa{qv}a{sv}", "3303", "0", "1", "5700", "d", "21.5", "0"}),
            "o \"/org/lwm2md1/Object/3303/0\"\n");
  const std::string tree = busctl({"tree", "org.lwm2md1"});
  EXPECT_THAT(tree, HasSubstr("/org/lwm2md1/Object/3/0"));
  // busctl's connection ended with its process, so the instance it added is gone again.
  EXPECT_THAT(tree, ::testing::Not(HasSubstr("/org/lwm2md1/Object/3303/0")));
  ASSERT_TRUE(server_.waitFor(
      [&] { return server_.read("/3303/0/5700", 0).value_or(Response{}).code == 0x84; }, 10s));
  EXPECT_EQ(busctl({"get-property", "org.lwm2md1", "/org/lwm2md1", "org.lwm2md1.Manager", "State"}),
            "s \"registered\"\n");
  const std::string values = busctl(
      {"get-property", "org.lwm2md1", "/org/lwm2md1/Object/3/0", "org.lwm2md1.Instance", "Values"});
  EXPECT_THAT(values, HasSubstr("\"lwm2md tests\""));

  // DESIGN.md's sequence: AddInstance, then Set from another busctl process. A shared instance
  // outlives the connection that added it, so the second call finds it.
  EXPECT_EQ(
      busctl({"call", "org.lwm2md1", "/org/lwm2md1", "org.lwm2md1.Manager", "AddInstance",
              "qqa{qv}a{sv}", "3303", "0", "1", "5700", "d", "21.5", "1", "shared", "b", "true"}),
      "o \"/org/lwm2md1/Object/3303/0\"\n");
  busctl({"call", "org.lwm2md1", "/org/lwm2md1/Object/3303/0", "org.lwm2md1.Instance", "Set",
          "a{qv}", "1", "5700", "d", "22.0"});
  auto read = server_.read("/3303/0/5700", 0);
  ASSERT_TRUE(read);
  EXPECT_EQ(TestLwm2mServer::text(*read), "22");
  EXPECT_EQ(busctl({"get-property", "org.lwm2md1", "/org/lwm2md1/Object/3303/0",
                    "org.lwm2md1.Instance", "Owner"}),
            "s \"*\"\n");
  busctl({"call", "org.lwm2md1", "/org/lwm2md1/Object/3303/0", "org.lwm2md1.Instance", "Remove"});
  auto removed = server_.read("/3303/0/5700", 0);
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->code, 0x84);
}

}  // namespace
}  // namespace lwm2md::test
