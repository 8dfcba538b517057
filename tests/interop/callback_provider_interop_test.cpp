// A callback provider (liblwm2md-provider's addCallbackInstance, run in this process) answering
// coap-shepherd end to end: the real lwm2md between them defers each request (empty ACK, then
// the separate response) until the provider has answered over D-Bus.
//
// coap-shepherd decodes 8-byte TLV floats wrong (TOOLCHAIN.md). lwm2md writes a Float in 4
// bytes when a float32 holds it exactly, so the TLV reads use 23.25 and -4.5; a value that
// needs 8 bytes (21.3) is read as text/plain, which the peer asks for with "format":"text".
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sdbus-c++/sdbus-c++.h>

#include <signal.h>

#include <cstdlib>
#include <lwm2md/provider.hpp>

#include "node_peer.hpp"
#include "support/child_process.hpp"
#include "support/ports.hpp"
#include "support/private_bus.hpp"
#include "support/temp_dir.hpp"

namespace lwm2md::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;
using provider::Value;

/// The text behind the peer's "raw" hex (diagnostic payloads).
std::string fromHex(const std::string& hex) {
  std::string text;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    text.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return text;
}

class ShepherdCallbackProvider : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(bus_.ok()) << bus_.error();
    port_ = freeUdpPort();
    ASSERT_NE(port_, 0);
    const std::string script = std::string(std::getenv("LWM2MD_INTEROP_DIR")) + "/shepherd_peer.js";
    // The provider lives on this thread: it answers the daemon whenever the test waits for
    // the peer.
    peer_ = std::make_unique<NodePeer>(script, port_, [this] { pumpProvider(); });
    ASSERT_TRUE(peer_->started());
    ASSERT_TRUE(peer_->waitForEvent("ready", 30s)) << peer_->output();
  }

  void TearDown() override {
    if (daemon_ && daemon_->running()) daemon_->stop(10s, [this] { pumpProvider(); });
  }

  void pumpProvider() {
    if (provider_) (void)provider_->process();
  }

  void startDaemon() {
    const std::string file = dir_.file("lwm2md.toml");
    writeFile(file,
              "endpoint = \"interop-cb\"\n"
              "[device]\nmanufacturer = \"lwm2md interop\"\nmodel = \"NPM\"\n"
              "[[server]]\nuri = \"coap://127.0.0.1:" +
                  std::to_string(port_) +
                  "\"\nshort_id = 1\nlifetime = 120\nversion = \"1.1\"\n"
                  "[dbus]\nprovider_timeout = 5\n");
    DaemonOptions options;
    options.binary = std::getenv("LWM2MD_BINARY");
    options.configFile = file;
    options.busAddress = bus_.address();
    options.stateDir = dir_.file("state");
    daemon_ = std::make_unique<DaemonProcess>(options);
    ASSERT_TRUE(daemon_->started());
  }

  std::string diagnostics() const {
    return "\n--- peer ---\n" + peer_->output() + "\n--- daemon ---\n" + daemon_->output();
  }

  json request(json command) {
    command["ep"] = "interop-cb";
    auto reply = peer_->command(command);
    EXPECT_TRUE(reply) << command.dump() << diagnostics();
    return reply.value_or(json::object());
  }

  /// Starts the daemon, waits until shepherd has it online, connects the provider and adds
  /// the callback instance /3303/0 answering from the members below; returns once shepherd
  /// has taken the Update that announces it.
  void startWithSensor() {
    startDaemon();
    ASSERT_TRUE(peer_->waitForEvent("register", 20s)) << diagnostics();
    ASSERT_TRUE(peer_->waitForEvent("online", 20s)) << diagnostics();
    auto connected = provider::Provider::connect(provider::Bus::at(bus_.address()));
    ASSERT_TRUE(connected) << connected.error().name << ": " << connected.error().message;
    provider_ = std::move(*connected);

    provider::CallbackHandlers handlers;
    handlers.read =
        [this](std::uint16_t oid, std::uint16_t iid,
               const std::vector<std::uint16_t>& rids) -> provider::Result<provider::Values> {
      EXPECT_EQ(oid, 3303);
      EXPECT_EQ(iid, 0);
      readsAsked_.push_back(rids);
      return provider::Values{{5700, Value::floating(temperature_)},
                              {5701, Value::string("Cel")},
                              {5750, Value::string(application_)}};
    };
    handlers.write = [this](std::uint16_t, std::uint16_t, const provider::Values& values,
                            bool replace) -> provider::Status {
      replaces_.push_back(replace);
      for (const auto& [rid, v] : values) written_.emplace_back(rid, v);
      if (auto it = values.find(5750); it != values.end()) {
        if (it->second.asString() == "attic")
          return provider::Error{provider::errors::kInvalidValue, "no sensor in the attic"};
        application_ = *it->second.asString();
      }
      return {};
    };
    handlers.execute = [this](std::uint16_t, std::uint16_t, std::uint16_t rid,
                              const std::string& args) -> provider::Status {
      executed_.push_back(std::to_string(rid) + ":" + args);
      return {};
    };
    auto added = provider_->addCallbackInstance(3303, 0, handlers);
    ASSERT_TRUE(added) << added.error().name << ": " << added.error().message;
    // coap-shepherd answers the Update only after it has read every registered object again
    // (GET /3303 included); the provider is pumped meanwhile by the peer's waits.
    auto update = peer_->waitForEvent("update", 20s);
    ASSERT_TRUE(update) << diagnostics();
    ASSERT_THAT(update->value("payload", ""), HasSubstr("</3303/0>"));
  }

  PrivateBus bus_;
  TempDir dir_{"lwm2md-interop-cb"};
  std::uint16_t port_ = 0;
  std::unique_ptr<NodePeer> peer_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<provider::Provider> provider_;
  // What the provider answers and what it was asked.
  double temperature_ = 23.25;
  std::string application_ = "hall";
  std::vector<std::vector<std::uint16_t>> readsAsked_;
  std::vector<std::pair<std::uint16_t, Value>> written_;
  std::vector<bool> replaces_;
  std::vector<std::string> executed_;
};

TEST_F(ShepherdCallbackProvider, ShepherdReadsAndWritesThroughACallbackProvider) {
  ASSERT_NO_FATAL_FAILURE(startWithSensor());
  const std::size_t readsBefore = readsAsked_.size();

  // The whole instance in TLV: every resource the provider answered, decoded by shepherd's
  // TLV decoder ("decoded"; its readReq itself fails on its cache, see
  // ShepherdObjectReadIncludesTheCallbackInstance). Its registry lacks 5750 (Application
  // Type), so that one decodes as the hex of the string: "hall".
  auto instance = request({{"op", "read"}, {"path", "/3303/0"}, {"format", "tlv"}});
  EXPECT_EQ(instance["status"], "2.05") << instance.dump() << diagnostics();
  EXPECT_EQ(instance["decoded"]["5700"], 23.25) << instance.dump();
  EXPECT_EQ(instance["decoded"]["5701"], "Cel") << instance.dump();
  EXPECT_EQ(instance["decoded"]["5750"], "68616c6c") << instance.dump();
  ASSERT_EQ(readsAsked_.size(), readsBefore + 1) << "the provider was not asked";
  EXPECT_TRUE(readsAsked_.back().empty() || readsAsked_.back().size() >= 3u);

  // TLV read of the Float: the provider's current value, in 4 bytes (-4.5 is a float32
  // exactly; shepherd decodes 8-byte floats wrong).
  temperature_ = -4.5;
  auto tlv = request({{"op", "read"}, {"path", "/3303/0/5700"}, {"format", "tlv"}});
  EXPECT_EQ(tlv["status"], "2.05") << tlv.dump() << diagnostics();
  EXPECT_EQ(tlv["raw"], "e41644c0900000") << tlv.dump();
  EXPECT_EQ(tlv["decoded"], -4.5) << tlv.dump();
  ASSERT_EQ(readsAsked_.size(), readsBefore + 2);
  EXPECT_EQ(readsAsked_.back(), (std::vector<std::uint16_t>{5700}));

  // A value that needs an 8-byte float goes as text/plain (the peer turns numeric text into
  // a number).
  temperature_ = 21.3;
  auto text = request({{"op", "read"}, {"path", "/3303/0/5700"}, {"format", "text"}});
  EXPECT_EQ(text["status"], "2.05") << text.dump();
  EXPECT_EQ(text["raw"], "32312e33") << text.dump();  // "21.3"
  EXPECT_EQ(text["value"], 21.3) << text.dump();
  EXPECT_EQ(readsAsked_.size(), readsBefore + 3);

  // shepherd's TLV write of the String reaches the provider as a typed value.
  auto write = request({{"op", "write"}, {"path", "/3303/0/5750"}, {"value", "greenhouse"}});
  EXPECT_EQ(write["status"], "2.04") << write.dump() << diagnostics();
  ASSERT_EQ(written_.size(), 1u);
  EXPECT_EQ(written_[0].first, 5750);
  EXPECT_EQ(written_[0].second, Value::string("greenhouse"));
  ASSERT_EQ(replaces_.size(), 1u);
  EXPECT_TRUE(replaces_[0]) << "a PUT on a resource is a Replace";
  EXPECT_EQ(application_, "greenhouse");
  auto back = request({{"op", "read"}, {"path", "/3303/0/5750"}, {"format", "text"}});
  EXPECT_EQ(back["value"], "greenhouse") << back.dump();

  // The provider refuses a value: shepherd gets 4.00 and the value stays.
  auto refused = request({{"op", "write"}, {"path", "/3303/0/5750"}, {"value", "attic"}});
  EXPECT_EQ(refused["status"], "4.00") << refused.dump();
  EXPECT_THAT(fromHex(refused.value("raw", "")), HasSubstr("no sensor in the attic"))
      << refused.dump();
  back = request({{"op", "read"}, {"path", "/3303/0/5750"}, {"format", "text"}});
  EXPECT_EQ(back["value"], "greenhouse") << back.dump();
  // A write to the read-only Float never reaches the provider.
  auto readOnly = request({{"op", "write"}, {"path", "/3303/0/5700"}, {"value", 1.5}});
  EXPECT_EQ(readOnly["status"], "4.05") << readOnly.dump();
  EXPECT_EQ(written_.size(), 2u);

  auto execute = request({{"op", "execute"}, {"path", "/3303/0/5605"}, {"args", "0='x'"}});
  EXPECT_EQ(execute["status"], "2.04") << execute.dump();
  EXPECT_EQ(executed_, (std::vector<std::string>{"5605:0='x'"}));

  // The provider goes: its instance leaves the registration.
  provider_.reset();
  auto gone = peer_->waitForEvent("update", 20s);
  ASSERT_TRUE(gone) << diagnostics();
  EXPECT_THAT(gone->value("payload", ""), Not(HasSubstr("</3303/0>")));

  daemon_->signal(SIGTERM);
  ASSERT_TRUE(peer_->waitForEvent("deregister", 20s)) << diagnostics();
  EXPECT_EQ(daemon_->waitExit(10s), 0);
}

TEST_F(ShepherdCallbackProvider, ShepherdObjectReadIncludesTheCallbackInstance) {
  // After an Update that changes the object list, coap-shepherd reads every object (GET /3303,
  // TLV) to fill its cache, and its later resource reads update that cache. lwm2md serves an
  // object-level Read from its own values, without asking the provider, and a callback
  // instance has none there: /3303 comes back empty, and shepherd's first read of
  // /3303/0/5700 then fails inside the library ("No such property
  // so.temperature.0.sensorValue") although the right bytes came off the wire.
  ASSERT_NO_FATAL_FAILURE(startWithSensor());
  auto object = request({{"op", "read"}, {"path", "/3303"}, {"format", "tlv"}});
  EXPECT_EQ(object["status"], "2.05") << object.dump() << diagnostics();
  EXPECT_EQ(object["value"]["0"]["5700"], 23.25) << object.dump();
  EXPECT_FALSE(readsAsked_.empty()) << "the provider was never asked";

  auto tlv = request({{"op", "read"}, {"path", "/3303/0/5700"}, {"format", "tlv"}});
  EXPECT_EQ(tlv["status"], "2.05") << tlv.dump();
  EXPECT_EQ(tlv["raw"], "e4164441ba0000") << tlv.dump();
  EXPECT_EQ(tlv["decoded"], 23.25) << tlv.dump();
  EXPECT_EQ(tlv["value"], 23.25) << tlv.dump();
  EXPECT_FALSE(tlv.contains("libraryError")) << tlv.dump();
}

}  // namespace
}  // namespace lwm2md::test
