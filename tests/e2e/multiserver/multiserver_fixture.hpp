#pragma once

#include <gmock/gmock.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "e2e_fixture.hpp"

namespace lwm2md::test {

namespace multi {
constexpr uint8_t kCreated = 0x41, kDeleted = 0x42, kChanged = 0x44, kContent = 0x45,
                  kBadRequest = 0x80, kUnauthorized = 0x81, kNotFound = 0x84,
                  kMethodNotAllowed = 0x85;
constexpr uint16_t kText = 0, kLink = 40, kSenmlJson = 110;
/// The D-Bus provider's instance every server may use (default ACL entry R|W|E).
constexpr uint16_t kTemperature = 3303;
/// A test object servers may create instances of (when an ACL grants Create).
constexpr uint16_t kCreatable = 32771;
/// Short Server IDs and lifetimes of the two factory servers (ETS configuration C.14 gives
/// two servers with different ids; different lifetimes tell their registrations apart).
constexpr uint16_t kSsid1 = 1, kSsid2 = 2;
constexpr int kLifetime1 = 60, kLifetime2 = 90;
}  // namespace multi

/// The test object servers create: one optional writable String.
constexpr const char* kCreatableDdf = R"(<?xml version="1.0" encoding="UTF-8"?>
<LWM2M>
  <Object ObjectType="MODefinition">
    <Name>Multi-server Test</Name>
    <Description1>End-to-end test object for Access Control.</Description1>
    <ObjectID>32771</ObjectID>
    <ObjectURN>urn:oma:lwm2m:x:32771</ObjectURN>
    <LWM2MVersion>1.1</LWM2MVersion>
    <ObjectVersion>1.0</ObjectVersion>
    <MultipleInstances>Multiple</MultipleInstances>
    <Mandatory>Optional</Mandatory>
    <Resources>
      <Item ID="0"><Name>Note</Name><Operations>RW</Operations>
        <MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory>
        <Type>String</Type><RangeEnumeration></RangeEnumeration><Units></Units>
        <Description>Free text.</Description></Item>
    </Resources>
  </Object>
</LWM2M>
)";

/// The real daemon with two LwM2M servers (`server_` has Short Server ID 1, `second_` has 2),
/// and a Bootstrap-Server (`bs_`) that only the tests which need one put in the config. All
/// three are libcoap test servers on loopback; waiting on any of them pumps the others and the
/// D-Bus client, so the daemon's traffic to every server is handled whichever one a test waits
/// on.
class MultiServerFixture : public DaemonFixture {
 protected:
  void SetUp() override {
    DaemonFixture::SetUp();
    ASSERT_TRUE(second_.ok()) << second_.error();
    ASSERT_TRUE(bs_.ok()) << bs_.error();
    // pump() ignores re-entry, so the three may pump one another.
    server_.setSidePump([this] {
      pumpClient();
      second_.pump(std::chrono::milliseconds(0));
      bs_.pump(std::chrono::milliseconds(0));
    });
    second_.setSidePump([this] {
      pumpClient();
      server_.pump(std::chrono::milliseconds(0));
      bs_.pump(std::chrono::milliseconds(0));
    });
    bs_.setSidePump([this] {
      pumpClient();
      server_.pump(std::chrono::milliseconds(0));
      second_.pump(std::chrono::milliseconds(0));
    });
  }

  /// Two [[server]] tables (and a [bootstrap] table when asked for) and the test object.
  std::string multiConfig(bool withBootstrap) {
    const std::string objects = dir_.file("objects");
    std::filesystem::create_directories(objects);
    writeFile(objects + "/32771.xml", kCreatableDdf);
    auto serverTable = [](const std::string& uri, int shortId, int lifetime) {
      return "[[server]]\nuri = \"" + uri + "\"\nshort_id = " + std::to_string(shortId) +
             "\nlifetime = " + std::to_string(lifetime) + "\nbinding = \"U\"\nversion = \"1.1\"\n";
    };
    return "endpoint = \"e2e-multi\"\n"
           "log_level = \"debug\"\n"
           "object_dirs = [\"" +
           objects +
           "\"]\n"
           "[registration]\nretry_initial = 1\nretry_max = 4\n"
           "[device]\nmanufacturer = \"lwm2md tests\"\nmodel = \"E2E\"\nserial = \"0001\"\n"
           "firmware_version = \"1.2.3\"\n" +
           (withBootstrap ? "[bootstrap]\nuri = \"" + bs_.uri() + "\"\n" : std::string()) +
           serverTable(server_.uri(), multi::kSsid1, multi::kLifetime1) +
           serverTable(second_.uri(), multi::kSsid2, multi::kLifetime2);
  }

  /// Starts the daemon, waits for the Register at both servers and for the bus name; with
  /// `provider`, adds the D-Bus provider's Temperature instance /3303/0 (Sensor Value 20.5).
  /// Returns when the traffic that follows (Updates for new instances) has died down.
  void start(bool provider, bool withBootstrap = false) {
    startDaemon(multiConfig(withBootstrap));
    auto first = server_.waitForEvent(Event::Kind::Register, 10s);
    ASSERT_TRUE(first) << "no Register at server 1; daemon output:\n" << daemon_->output();
    auto second = second_.waitForEvent(Event::Kind::Register, 10s);
    ASSERT_TRUE(second) << "no Register at server 2; daemon output:\n" << daemon_->output();
    register1_ = *first;
    register2_ = *second;
    ASSERT_TRUE(waitForBusName());
    if (provider) {
      sensor_ =
          addInstance(multi::kTemperature, 0,
                      {{5700, sdbus::Variant(20.5)}, {5701, sdbus::Variant(std::string("Cel"))}});
      ASSERT_EQ(std::string(sensor_), "/org/lwm2md1/Object/3303/0");
    }
    settle();
  }

  /// Pumps until neither server has seen a registration-interface event for `quiet` (at most
  /// `limit`): the Updates that new instances cause are over.
  void settle(std::chrono::milliseconds quiet = 800ms, std::chrono::milliseconds limit = 6s) {
    auto total = [this] { return server_.events().size() + second_.events().size(); };
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      const size_t before = total();
      server_.waitFor([&] { return total() != before; }, quiet);
      if (total() == before) return;
    }
  }

  /// Keeps everything pumping for `duration`.
  void idle(std::chrono::milliseconds duration) {
    server_.waitFor([] { return false; }, duration);
  }

  /// Sends a request and insists on an answer.
  Response call(TestLwm2mServer& server, Method method, const std::string& path,
                RequestOptions options = {}) {
    auto r = server.request(method, path, options);
    EXPECT_TRUE(r) << "no answer to " << path << "; daemon output:\n" << daemon_->output();
    return r.value_or(Response{});
  }
  Response read(TestLwm2mServer& server, const std::string& path,
                std::optional<uint16_t> accept = multi::kText) {
    RequestOptions options;
    options.accept = accept;
    return call(server, Method::Get, path, options);
  }
  Response writeText(TestLwm2mServer& server, const std::string& path, const std::string& text) {
    RequestOptions options;
    options.contentFormat = multi::kText;
    options.payload.assign(text.begin(), text.end());
    return call(server, Method::Put, path, options);
  }
  Response execute(TestLwm2mServer& server, const std::string& path) {
    return call(server, Method::Post, path);
  }
  /// Create (POST on the object) with a SenML JSON payload.
  Response create(TestLwm2mServer& server, const std::string& objectPath,
                  const std::string& senml) {
    RequestOptions options;
    options.contentFormat = multi::kSenmlJson;
    options.payload.assign(senml.begin(), senml.end());
    return call(server, Method::Post, objectPath, options);
  }

  /// The Server object instance that describes `shortId`, as `server` finds it: the instance
  /// whose Short Server ID (/1/x/0) it may read and that holds `shortId`.
  std::optional<uint16_t> ownServerInstance(TestLwm2mServer& server, uint16_t shortId) {
    for (uint16_t iid = 0; iid < 8; ++iid) {
      auto r = server.read("/1/" + std::to_string(iid) + "/0", multi::kText);
      if (r && r->code == multi::kContent && TestLwm2mServer::text(*r) == std::to_string(shortId))
        return iid;
    }
    return std::nullopt;
  }

  /// The full names of the records of a SenML JSON pack (base name applied), e.g. "/1/0/1".
  /// Enough for the daemon's packs: flat records, string values without escaped quotes.
  static std::vector<std::string> senmlNames(const std::string& pack) {
    std::vector<std::string> names;
    std::string base;
    auto field = [](const std::string& record,
                    const std::string& key) -> std::optional<std::string> {
      const std::string open = "\"" + key + "\":\"";
      const auto at = record.find(open);
      if (at == std::string::npos) return std::nullopt;
      const auto end = record.find('"', at + open.size());
      if (end == std::string::npos) return std::nullopt;
      return record.substr(at + open.size(), end - at - open.size());
    };
    for (size_t at = pack.find('{'); at != std::string::npos; at = pack.find('{', at + 1)) {
      const std::string record = pack.substr(at, pack.find('}', at) - at);
      if (auto bn = field(record, "bn")) base = *bn;
      names.push_back(base + field(record, "n").value_or(""));
    }
    return names;
  }
  /// Whether a SenML JSON pack holds a record under `prefix` (e.g. "/1/0/").
  static bool holds(const Response& pack, const std::string& prefix) {
    const auto names = senmlNames(TestLwm2mServer::text(pack));
    return std::any_of(names.begin(), names.end(),
                       [&](const std::string& name) { return name.rfind(prefix, 0) == 0; });
  }

  static size_t count(const TestLwm2mServer& server, Event::Kind kind) {
    return static_cast<size_t>(std::count_if(server.events().begin(), server.events().end(),
                                             [kind](const Event& e) { return e.kind == kind; }));
  }

  /// A property of /org/lwm2md1/Server/<shortId> (org.lwm2md1.Server).
  sdbus::Variant serverProperty(uint16_t shortId, const std::string& name) {
    auto proxy = sdbus::createProxy(*client_, "org.lwm2md1",
                                    "/org/lwm2md1/Server/" + std::to_string(shortId));
    return proxy->getProperty(name).onInterface("org.lwm2md1.Server");
  }
  std::string serverState(uint16_t shortId) {
    return serverProperty(shortId, "State").get<std::string>();
  }
  uint32_t observationsOf(uint16_t shortId) {
    return serverProperty(shortId, "Observations").get<uint32_t>();
  }

  /// The provider's Set on /3303/0 (a value change that did not come from any server).
  void setSensor(double value) {
    sdbus::createProxy(*client_, "org.lwm2md1", sensor_)
        ->callMethod("Set")
        .onInterface("org.lwm2md1.Instance")
        .withArguments(DbusValues{{5700, sdbus::Variant(value)}});
  }

  TestLwm2mServer second_;
  TestLwm2mServer bs_;
  Event register1_;
  Event register2_;
  sdbus::ObjectPath sensor_;
};

#define EXPECT_CODE(response, expected)                                                          \
  EXPECT_EQ(TestLwm2mServer::codeString((response).code), TestLwm2mServer::codeString(expected)) \
      << TestLwm2mServer::text(response)

}  // namespace lwm2md::test
