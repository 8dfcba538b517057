#include "config/cli.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"

namespace lwm2md {
namespace {

using testing::HasSubstr;
using Args = std::vector<std::string>;

TEST(CommandLine, NoArgumentsGiveTheDefaults) {
  auto cl = parseCommandLine({});
  ASSERT_TRUE(cl.ok()) << cl.error().message;
  EXPECT_FALSE(cl->configFile);
  EXPECT_EQ(cl->bus, CommandLine::Bus::System);
  EXPECT_FALSE(cl->stateDir);
  EXPECT_FALSE(cl->logLevel);
  EXPECT_FALSE(cl->showVersion);
  EXPECT_FALSE(cl->showHelp);
}

TEST(CommandLine, ReadsEveryOptionInBothForms) {
  auto spaced = parseCommandLine({"--config", "/tmp/a.toml", "--state-dir", "/tmp/st",
                                  "--log-level", "debug", "--version", "--help", "--session-bus"});
  ASSERT_TRUE(spaced.ok()) << spaced.error().message;
  EXPECT_EQ(spaced->configFile, "/tmp/a.toml");
  EXPECT_EQ(spaced->stateDir, "/tmp/st");
  EXPECT_EQ(spaced->logLevel, "debug");
  EXPECT_TRUE(spaced->showVersion);
  EXPECT_TRUE(spaced->showHelp);
  EXPECT_EQ(spaced->bus, CommandLine::Bus::Session);

  auto joined = parseCommandLine({"--config=b.toml", "--state-dir=st", "--log-level=off",
                                  "--bus-address=unix:path=/run/x,guid=1"});
  ASSERT_TRUE(joined.ok()) << joined.error().message;
  EXPECT_EQ(joined->configFile, "b.toml");
  EXPECT_EQ(joined->stateDir, "st");
  EXPECT_EQ(joined->logLevel, "off");
  // Only the first '=' separates: D-Bus addresses contain more.
  EXPECT_EQ(joined->bus, CommandLine::Bus::Address);
  EXPECT_EQ(joined->busAddress, "unix:path=/run/x,guid=1");
}

TEST(CommandLine, ValueMayStartWithDashesInTheJoinedForm) {
  auto cl = parseCommandLine({"--config=--odd"});
  ASSERT_TRUE(cl.ok()) << cl.error().message;
  EXPECT_EQ(cl->configFile, "--odd");
}

struct BadArgs {
  Args args;
  const char* message;
};

class CommandLineBad : public testing::TestWithParam<BadArgs> {};

TEST_P(CommandLineBad, IsRefusedNamingTheArgument) {
  auto cl = parseCommandLine(GetParam().args);
  ASSERT_FALSE(cl.ok());
  EXPECT_EQ(cl.error().message, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    All, CommandLineBad,
    testing::Values(
        BadArgs{{"--frobnicate"}, "unknown option '--frobnicate'"},
        BadArgs{{"--frob=1"}, "unknown option '--frob'"},
        BadArgs{{"-h"}, "unexpected argument '-h': lwm2md takes no positional arguments"},
        BadArgs{{"conf.toml"},
                "unexpected argument 'conf.toml': lwm2md takes no positional arguments"},
        BadArgs{{"--"}, "unexpected argument '--': lwm2md takes no positional arguments"},
        BadArgs{{"--config", "a", "b"},
                "unexpected argument 'b': lwm2md takes no positional arguments"},
        BadArgs{{"--config"}, "option '--config' needs a value"},
        BadArgs{{"--config", "--session-bus"}, "option '--config' needs a value"},
        BadArgs{{"--config="}, "option '--config' needs a non-empty value"},
        BadArgs{{"--state-dir", ""}, "option '--state-dir' needs a non-empty value"},
        BadArgs{{"--bus-address"}, "option '--bus-address' needs a value"},
        BadArgs{{"--help=yes"}, "option '--help' takes no value"},
        BadArgs{{"--session-bus="}, "option '--session-bus' takes no value"},
        BadArgs{{"--config", "a", "--config=b"}, "option '--config' given twice"},
        BadArgs{{"--version", "--version"}, "option '--version' given twice"},
        BadArgs{{"--session-bus", "--session-bus"}, "option '--session-bus' given twice"},
        BadArgs{{"--session-bus", "--bus-address", "unix:path=/x"},
                "'--bus-address' cannot be combined with '--session-bus'"},
        BadArgs{{"--bus-address=unix:path=/x", "--session-bus"},
                "'--session-bus' cannot be combined with '--bus-address'"},
        BadArgs{{"--log-level", "loud"},
                "option '--log-level': 'loud' is not one of trace, debug, info, warn, error, "
                "critical, off"},
        BadArgs{{"--log-level=INFO"},
                "option '--log-level': 'INFO' is not one of trace, debug, info, warn, error, "
                "critical, off"}));

TEST(CommandLine, UsageListsEveryOption) {
  const std::string usage = usageText();
  for (const char* option : {"--config FILE", "--session-bus", "--bus-address ADDR",
                             "--state-dir DIR", "--log-level LEVEL", "--version", "--help"}) {
    EXPECT_THAT(usage, HasSubstr(option));
  }
}

TEST(CommandLine, OverridesStateDirAndLogLevel) {
  Config config;
  applyCommandLine(*parseCommandLine({}), config);
  EXPECT_EQ(config.stateDir, "/var/lib/lwm2md");
  EXPECT_EQ(config.logLevel, "info");

  applyCommandLine(*parseCommandLine({"--state-dir=/tmp/s", "--log-level=trace"}), config);
  EXPECT_EQ(config.stateDir, "/tmp/s");
  EXPECT_EQ(config.logLevel, "trace");
}

}  // namespace
}  // namespace lwm2md
