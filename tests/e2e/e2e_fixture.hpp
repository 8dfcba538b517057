#pragma once

#include <gtest/gtest.h>
#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "support/child_process.hpp"
#include "support/private_bus.hpp"
#include "support/temp_dir.hpp"
#include "support/test_lwm2m_server.hpp"

namespace lwm2md::test {

using namespace std::chrono_literals;
using DbusValues = std::map<std::uint16_t, sdbus::Variant>;

/// A private bus, a test LwM2M server on loopback and the real lwm2md binary, wired together.
/// Everything is pumped on the test thread: the server's libcoap context and the D-Bus client.
class DaemonFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(bus_.ok()) << bus_.error();
    ASSERT_TRUE(server_.ok()) << server_.error();
    ASSERT_TRUE(dir_.ok());
    client_ = sdbus::createSessionBusConnectionWithAddress(bus_.address());
    server_.setSidePump([this] { pumpClient(); });
  }

  void TearDown() override {
    if (daemon_ && daemon_->running()) daemon_->stop(10s, [this] { server_.pump(10ms); });
  }

  /// The config every test starts from; `extra` is appended (more tables or keys).
  std::string config(const std::string& version = "1.1", const std::string& extra = "") const {
    return "endpoint = \"e2e-gw\"\n"
           "log_level = \"debug\"\n"
           "[registration]\nretry_initial = 1\nretry_max = 4\n"
           "[device]\nmanufacturer = \"lwm2md tests\"\nmodel = \"E2E\"\nserial = \"0001\"\n"
           "firmware_version = \"1.2.3\"\n"
           "[[server]]\nuri = \"" +
           server_.uri() + "\"\nshort_id = 1\nlifetime = 60\nbinding = \"U\"\nversion = \"" +
           version + "\"\n" + extra;
  }

  void startDaemon(const std::string& configText) {
    const std::string file = dir_.file("lwm2md.toml");
    writeFile(file, configText);
    DaemonOptions options;
    options.binary = std::getenv("LWM2MD_BINARY");
    options.configFile = file;
    options.busAddress = bus_.address();
    options.stateDir = dir_.file("state");
    options.env = daemonEnv_;
    daemon_ = std::make_unique<DaemonProcess>(options);
    ASSERT_TRUE(daemon_->started()) << daemon_->error();
  }

  /// Starts the daemon and waits for its Register.
  Event startAndRegister(const std::string& version = "1.1") {
    startDaemon(config(version));
    auto reg = server_.waitForEvent(Event::Kind::Register, 10s);
    EXPECT_TRUE(reg) << "no Register; daemon output:\n" << daemon_->output();
    return reg.value_or(Event{});
  }

  void pumpClient() {
    if (client_)
      while (client_->processPendingRequest()) {
      }
  }

  std::unique_ptr<sdbus::IProxy> manager() {
    return sdbus::createProxy(*client_, "org.lwm2md1", "/org/lwm2md1");
  }

  sdbus::ObjectPath addInstance(std::uint16_t oid, std::uint16_t iid, const DbusValues& values) {
    sdbus::ObjectPath path;
    manager()
        ->callMethod("AddInstance")
        .onInterface("org.lwm2md1.Manager")
        .withArguments(oid, iid, values, std::map<std::string, sdbus::Variant>{})
        .storeResultsTo(path);
    return path;
  }

  /// Waits until the daemon's bus name is there (it requests it before registering).
  bool waitForBusName() {
    auto dbus = sdbus::createProxy(*client_, "org.freedesktop.DBus", "/org/freedesktop/DBus");
    return server_.waitFor(
        [&] {
          bool has = false;
          dbus->callMethod("NameHasOwner")
              .onInterface("org.freedesktop.DBus")
              .withArguments(std::string("org.lwm2md1"))
              .storeResultsTo(has);
          return has;
        },
        10s);
  }

  PrivateBus bus_;
  TestLwm2mServer server_;
  TempDir dir_{"lwm2md-e2e"};
  std::unique_ptr<sdbus::IConnection> client_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::map<std::string, std::string> daemonEnv_;
};

}  // namespace lwm2md::test
