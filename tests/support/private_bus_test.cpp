#include "private_bus.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <sdbus-c++/sdbus-c++.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

namespace lwm2md::test {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> listNames(sdbus::IConnection& connection) {
  auto proxy = sdbus::createProxy(connection, "org.freedesktop.DBus", "/org/freedesktop/DBus");
  std::vector<std::string> names;
  proxy->callMethod("ListNames").onInterface("org.freedesktop.DBus").storeResultsTo(names);
  return names;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

TEST(PrivateBusTest, OwnsANameOnItsOwnBus) {
  PrivateBus bus;
  ASSERT_TRUE(bus.ok()) << bus.error();
  EXPECT_EQ(bus.address().rfind("unix:", 0), 0u) << bus.address();
  EXPECT_GT(bus.pid(), 0);

  try {
    auto connection = sdbus::createSessionBusConnectionWithAddress(bus.address());
    EXPECT_FALSE(contains(listNames(*connection), "org.lwm2md1.SelfTest"));
    connection->requestName("org.lwm2md1.SelfTest");
    auto names = listNames(*connection);
    EXPECT_TRUE(contains(names, "org.lwm2md1.SelfTest"));
    EXPECT_TRUE(contains(names, connection->getUniqueName()));

    // A second client sees the first one's name: both talk to the same private daemon.
    auto other = sdbus::createSessionBusConnectionWithAddress(bus.address());
    EXPECT_TRUE(contains(listNames(*other), "org.lwm2md1.SelfTest"));
    connection->releaseName("org.lwm2md1.SelfTest");
    EXPECT_FALSE(contains(listNames(*other), "org.lwm2md1.SelfTest"));
  } catch (const sdbus::Error& e) {
    FAIL() << e.getName() << ": " << e.getMessage();
  }
}

TEST(PrivateBusTest, BusesAreSeparate) {
  PrivateBus first;
  PrivateBus second;
  ASSERT_TRUE(first.ok()) << first.error();
  ASSERT_TRUE(second.ok()) << second.error();
  EXPECT_NE(first.address(), second.address());
  try {
    auto a = sdbus::createSessionBusConnectionWithAddress(first.address());
    auto b = sdbus::createSessionBusConnectionWithAddress(second.address());
    a->requestName("org.lwm2md1.OnlyOnFirst");
    EXPECT_TRUE(contains(listNames(*a), "org.lwm2md1.OnlyOnFirst"));
    EXPECT_FALSE(contains(listNames(*b), "org.lwm2md1.OnlyOnFirst"));
  } catch (const sdbus::Error& e) {
    FAIL() << e.getName() << ": " << e.getMessage();
  }
}

TEST(PrivateBusTest, DestructorStopsAndReapsTheDaemon) {
  pid_t pid = -1;
  std::string address;
  {
    PrivateBus bus;
    ASSERT_TRUE(bus.ok()) << bus.error();
    pid = bus.pid();
    address = bus.address();
    EXPECT_EQ(::kill(pid, 0), 0);
  }
  // Reaped, not a zombie: the pid is gone.
  errno = 0;
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  EXPECT_THROW((void)sdbus::createSessionBusConnectionWithAddress(address), sdbus::Error);
}

TEST(PrivateBusTest, BrokenExtraConfigFailsCleanly) {
  PrivateBus bus("<not-closed>", 5s);
  EXPECT_FALSE(bus.ok());
  EXPECT_FALSE(bus.error().empty());
  EXPECT_TRUE(bus.address().empty());
}

}  // namespace
}  // namespace lwm2md::test
