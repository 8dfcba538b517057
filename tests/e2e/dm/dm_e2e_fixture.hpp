#pragma once

#include <gmock/gmock.h>

#include <filesystem>
#include <string>

#include "e2e_fixture.hpp"
#include "tlv.hpp"

namespace lwm2md::test {

namespace code {
constexpr uint8_t kCreated = 0x41, kDeleted = 0x42, kChanged = 0x44, kContent = 0x45,
                  kBadRequest = 0x80, kUnauthorized = 0x81, kNotFound = 0x84,
                  kMethodNotAllowed = 0x85, kNotAcceptable = 0x86, kUnsupported = 0x8f;
}

constexpr uint16_t kText = 0, kLink = 40, kOpaque = 42, kSenmlJson = 110, kSenmlCbor = 112,
                   kTlv = 11542, kLwm2mJson = 11543;

/// A test object with an Opaque resource (block-wise), a multiple Integer resource and a
/// mandatory String, all writable; written as DDF into the test's object_dirs.
constexpr const char* kTestObjectDdf = R"(<?xml version="1.0" encoding="UTF-8"?>
<LWM2M>
  <Object ObjectType="MODefinition">
    <Name>DM Test</Name>
    <Description1>End-to-end test object.</Description1>
    <ObjectID>32769</ObjectID>
    <ObjectURN>urn:oma:lwm2m:x:32769</ObjectURN>
    <LWM2MVersion>1.1</LWM2MVersion>
    <ObjectVersion>1.0</ObjectVersion>
    <MultipleInstances>Multiple</MultipleInstances>
    <Mandatory>Optional</Mandatory>
    <Resources>
      <Item ID="0"><Name>Blob</Name><Operations>RW</Operations>
        <MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory>
        <Type>Opaque</Type><RangeEnumeration></RangeEnumeration><Units></Units>
        <Description>Bytes.</Description></Item>
      <Item ID="1"><Name>Values</Name><Operations>RW</Operations>
        <MultipleInstances>Multiple</MultipleInstances><Mandatory>Optional</Mandatory>
        <Type>Integer</Type><RangeEnumeration></RangeEnumeration><Units></Units>
        <Description>Numbers.</Description></Item>
      <Item ID="2"><Name>Label</Name><Operations>RW</Operations>
        <MultipleInstances>Single</MultipleInstances><Mandatory>Mandatory</Mandatory>
        <Type>String</Type><RangeEnumeration></RangeEnumeration><Units></Units>
        <Description>A name.</Description></Item>
    </Resources>
  </Object>
</LWM2M>
)";

/// The daemon with the ETS client configuration C.3 values it takes from its config (Device
/// manufacturer, model, serial, firmware; Server short id 1, lifetime 86400, default pmin 1 and
/// pmax 10, binding U) and the test object's definition.
class DmFixture : public DaemonFixture {
 protected:
  std::string dmConfig(const std::string& version = "1.1") {
    const std::string objects = dir_.file("objects");
    std::filesystem::create_directories(objects);
    writeFile(objects + "/32769.xml", kTestObjectDdf);
    return "endpoint = \"e2e-dm\"\n"
           "log_level = \"debug\"\n"
           "object_dirs = [\"" +
           objects +
           "\"]\n"
           "[registration]\nretry_initial = 1\nretry_max = 4\n"
           "[device]\nmanufacturer = \"Open Mobile Alliance\"\n"
           "model = \"Lightweight M2M Client\"\nserial = \"345000123\"\n"
           "firmware_version = \"1.0\"\n"
           "[[server]]\nuri = \"" +
           server_.uri() +
           "\"\nshort_id = 1\nlifetime = 86400\nbinding = \"U\"\n"
           "default_pmin = 1\ndefault_pmax = 10\nversion = \"" +
           version + "\"\n";
  }

  Event startDm(const std::string& version = "1.1") {
    startDaemon(dmConfig(version));
    auto reg = server_.waitForEvent(Event::Kind::Register, 10s);
    EXPECT_TRUE(reg) << "no Register; daemon output:\n" << daemon_->output();
    EXPECT_TRUE(waitForBusName());
    return reg.value_or(Event{});
  }

  /// Supplies the ETS configuration C.3 Device values the daemon cannot know itself, the way a
  /// gateway's power/memory provider does: Set on the daemon-owned /3/0 (resources 6-11, 20 and
  /// 21 are open to any client). Available Power Sources 1 (internal battery) and 5 (USB),
  /// their voltages 3800 and 5000 mV and currents 125 and 900 mA, Battery Level 100 %, Memory
  /// Free 15 KiB.
  void supplyDeviceC3() {
    auto device = sdbus::createProxy(*client_, "org.lwm2md1", "/org/lwm2md1/Object/3/0");
    auto pair = [](std::int64_t first, std::int64_t second) {
      return sdbus::Variant(DbusValues{{0, sdbus::Variant(first)}, {1, sdbus::Variant(second)}});
    };
    DbusValues values{{6, pair(1, 5)},
                      {7, pair(3800, 5000)},
                      {8, pair(125, 900)},
                      {9, sdbus::Variant(std::int64_t{100})},
                      {10, sdbus::Variant(std::int64_t{15})}};
    try {
      device->callMethod("Set").onInterface("org.lwm2md1.Instance").withArguments(values);
    } catch (const sdbus::Error& e) {
      ADD_FAILURE() << "cannot supply the Device values: " << e.getName() << ": " << e.getMessage()
                    << "\ndaemon output:\n"
                    << daemon_->output();
    }
  }

  /// Sends a request and insists on an answer.
  Response call(Method method, const std::string& path, RequestOptions options = {}) {
    auto r = server_.request(method, path, options);
    EXPECT_TRUE(r) << "no answer to " << path << "; daemon output:\n" << daemon_->output();
    return r.value_or(Response{});
  }
  Response read(const std::string& path, std::optional<uint16_t> accept = {}) {
    RequestOptions options;
    options.accept = accept;
    return call(Method::Get, path, options);
  }
  Response send(Method method, const std::string& path, uint16_t format,
                const std::vector<uint8_t>& payload) {
    RequestOptions options;
    options.contentFormat = format;
    options.payload = payload;
    return call(method, path, options);
  }
  Response sendText(Method method, const std::string& path, const std::string& text) {
    return send(method, path, kText, std::vector<uint8_t>(text.begin(), text.end()));
  }
  Response attributes(const std::string& path, std::vector<std::string> query) {
    RequestOptions options;
    options.query = std::move(query);
    return call(Method::Put, path, options);
  }
  std::string readText(const std::string& path) {
    Response r = read(path, kText);
    EXPECT_EQ(TestLwm2mServer::codeString(r.code), "2.05")
        << path << ": " << TestLwm2mServer::text(r);
    return TestLwm2mServer::text(r);
  }
  std::string discover(const std::string& path) {
    Response r = read(path, kLink);
    EXPECT_EQ(TestLwm2mServer::codeString(r.code), "2.05")
        << path << ": " << TestLwm2mServer::text(r);
    EXPECT_EQ(r.contentFormat, kLink);
    return TestLwm2mServer::text(r);
  }
};

#define EXPECT_CODE(response, expected)                                                          \
  EXPECT_EQ(TestLwm2mServer::codeString((response).code), TestLwm2mServer::codeString(expected)) \
      << TestLwm2mServer::text(response)

}  // namespace lwm2md::test
