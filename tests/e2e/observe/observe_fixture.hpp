#pragma once

#include <gmock/gmock.h>

#include <filesystem>
#include <string>
#include <vector>

#include "e2e_fixture.hpp"

namespace lwm2md::test {

namespace code {
constexpr uint8_t kChanged = 0x44, kContent = 0x45, kNotFound = 0x84;
}

constexpr uint16_t kText = 0, kOpaque = 42, kTlv = 11542;
constexpr uint16_t kTestObject = 32770;

/// A test object for observations: a Float, a multiple Integer, a String and an Opaque
/// resource, all writable; written as DDF into the test's object_dirs.
constexpr const char* kObserveObjectDdf = R"(<?xml version="1.0" encoding="UTF-8"?>
<LWM2M>
  <Object ObjectType="MODefinition">
    <Name>Observe Test</Name>
    <Description1>End-to-end test object for Information Reporting.</Description1>
    <ObjectID>32770</ObjectID>
    <ObjectURN>urn:oma:lwm2m:x:32770</ObjectURN>
    <LWM2MVersion>1.1</LWM2MVersion>
    <ObjectVersion>1.0</ObjectVersion>
    <MultipleInstances>Multiple</MultipleInstances>
    <Mandatory>Optional</Mandatory>
    <Resources>
      <Item ID="0"><Name>Value</Name><Operations>RW</Operations>
        <MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory>
        <Type>Float</Type><RangeEnumeration></RangeEnumeration><Units></Units>
        <Description>A measurement.</Description></Item>
      <Item ID="1"><Name>Counts</Name><Operations>RW</Operations>
        <MultipleInstances>Multiple</MultipleInstances><Mandatory>Optional</Mandatory>
        <Type>Integer</Type><RangeEnumeration></RangeEnumeration><Units></Units>
        <Description>Numbers.</Description></Item>
      <Item ID="2"><Name>Label</Name><Operations>RW</Operations>
        <MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory>
        <Type>String</Type><RangeEnumeration></RangeEnumeration><Units></Units>
        <Description>A name.</Description></Item>
      <Item ID="3"><Name>Blob</Name><Operations>RW</Operations>
        <MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory>
        <Type>Opaque</Type><RangeEnumeration></RangeEnumeration><Units></Units>
        <Description>Bytes.</Description></Item>
    </Resources>
  </Object>
</LWM2M>
)";

/// The daemon with the observe test object, registered at the libcoap test server (or at any
/// URI), and a D-Bus provider that owns instance 0 of the test object.
class ObserveFixture : public DaemonFixture {
 protected:
  using Clock = std::chrono::steady_clock;

  /// `serverKeys` are appended to the [[server]] table (default_pmin, notify_confirmable, ...);
  /// `more` is appended after it (e.g. a second [[server]]).
  std::string observeConfig(const std::string& serverKeys = "", const std::string& uri = "",
                            const std::string& more = "") {
    const std::string objects = dir_.file("objects");
    std::filesystem::create_directories(objects);
    writeFile(objects + "/32770.xml", kObserveObjectDdf);
    return "endpoint = \"e2e-observe\"\n"
           "log_level = \"debug\"\n"
           "object_dirs = [\"" +
           objects +
           "\"]\n"
           "[registration]\nretry_initial = 1\nretry_max = 4\n"
           "[device]\nmanufacturer = \"lwm2md tests\"\nmodel = \"E2E\"\nserial = \"0001\"\n"
           "firmware_version = \"1.2.3\"\n"
           "[[server]]\nuri = \"" +
           (uri.empty() ? server_.uri() : uri) +
           "\"\nshort_id = 1\nlifetime = 60\nbinding = \"U\"\nversion = \"1.1\"\n" + serverKeys +
           more;
  }

  /// Starts the daemon against the test server and adds instance 0 (Value 20.0).
  void start(const std::string& serverKeys = "", const std::string& more = "") {
    startDaemon(observeConfig(serverKeys, "", more));
    ASSERT_TRUE(server_.waitForEvent(Event::Kind::Register, 10s)) << daemon_->output();
    ASSERT_TRUE(waitForBusName());
    addSensor();
  }

  void addSensor() {
    sensor_ = addInstance(kTestObject, 0,
                          {{0, sdbus::Variant(20.0)}, {2, sdbus::Variant(std::string("a"))}});
    ASSERT_EQ(std::string(sensor_), "/org/lwm2md1/Object/32770/0");
  }

  /// The provider's Set on instance 0 (one D-Bus call, one tree change).
  void set(const DbusValues& values) {
    sdbus::createProxy(*client_, "org.lwm2md1", sensor_)
        ->callMethod("Set")
        .onInterface("org.lwm2md1.Instance")
        .withArguments(values);
  }
  void setValue(double value) { set({{0, sdbus::Variant(value)}}); }

  /// Observes `path` at the test server and insists that the observation was accepted.
  Token observe(const std::string& path, std::optional<uint16_t> accept = kText) {
    auto response = server_.startObserve(path, accept);
    EXPECT_TRUE(response) << "no answer to Observe " << path << "\n" << daemon_->output();
    if (!response) return {};
    EXPECT_EQ(response->code, code::kContent) << TestLwm2mServer::text(*response);
    EXPECT_TRUE(response->observe) << "no Observe option in the first response";
    return response->token;
  }

  /// Waits for notification number `count` (1-based) of `token`.
  bool waitNotifications(const Token& token, size_t count, std::chrono::milliseconds timeout) {
    return server_.waitForNotifications(token, count, timeout);
  }
  /// True when no notification beyond the first `count` arrives within `quiet`.
  bool staysQuiet(const Token& token, size_t count, std::chrono::milliseconds quiet) {
    return !server_.waitForNotifications(token, count + 1, quiet);
  }
  const std::vector<Response>& notes(const Token& token) { return server_.notifications(token); }
  static double number(const Response& response) {
    return std::stod(TestLwm2mServer::text(response));
  }
  static double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

  sdbus::ObjectPath sensor_;
};

}  // namespace lwm2md::test
