// Interop with real LwM2M servers from the npm registry: coap-shepherd and lwm2m-node-lib,
// each driven by a remote-controlled peer script, against the real lwm2md binary with a
// D-Bus client providing the values.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sdbus-c++/sdbus-c++.h>

#include <signal.h>

#include <cstdlib>
#include <thread>

#include "node_peer.hpp"
#include "support/child_process.hpp"
#include "support/ports.hpp"
#include "support/private_bus.hpp"
#include "support/temp_dir.hpp"

namespace lwm2md::test {
namespace {

using namespace std::chrono_literals;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using DbusValues = std::map<std::uint16_t, sdbus::Variant>;
using json = nlohmann::json;

struct PeerCase {
  std::string name;     // test name suffix
  std::string script;   // peer script in tests/interop
  std::string version;  // LwM2M version the daemon registers with
  bool tlv;             // the peer reads and writes TLV (else text/plain only)
};

class NpmServerInterop : public ::testing::TestWithParam<PeerCase> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(bus_.ok()) << bus_.error();
    client_ = sdbus::createSessionBusConnectionWithAddress(bus_.address());
    port_ = freeUdpPort();
    ASSERT_NE(port_, 0);
    const std::string script =
        std::string(std::getenv("LWM2MD_INTEROP_DIR")) + "/" + GetParam().script;
    peer_ = std::make_unique<NodePeer>(script, port_, [this] { pumpClient(); });
    ASSERT_TRUE(peer_->started());
    ASSERT_TRUE(peer_->waitForEvent("ready", 30s)) << peer_->output();
  }

  void TearDown() override {
    if (daemon_ && daemon_->running()) daemon_->stop(10s);
  }

  void pumpClient() {
    if (client_)
      while (client_->processPendingRequest()) {
      }
  }

  void startDaemon() {
    const std::string file = dir_.file("lwm2md.toml");
    writeFile(file,
              "endpoint = \"interop-gw\"\n"
              "[device]\nmanufacturer = \"lwm2md interop\"\nmodel = \"NPM\"\n"
              "[[server]]\nuri = \"coap://127.0.0.1:" +
                  std::to_string(port_) + "\"\nshort_id = 1\nlifetime = 120\nversion = \"" +
                  GetParam().version + "\"\n");
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
    command["ep"] = "interop-gw";
    auto reply = peer_->command(command);
    EXPECT_TRUE(reply) << command.dump() << diagnostics();
    return reply.value_or(json::object());
  }

  PrivateBus bus_;
  TempDir dir_{"lwm2md-interop"};
  std::unique_ptr<sdbus::IConnection> client_;
  std::uint16_t port_ = 0;
  std::unique_ptr<NodePeer> peer_;
  std::unique_ptr<DaemonProcess> daemon_;
};

TEST_P(NpmServerInterop, RegisterReadWriteExecuteProviderLeavesDeregister) {
  const PeerCase& peer = GetParam();
  startDaemon();
  auto reg = peer_->waitForEvent("register", 20s);
  ASSERT_TRUE(reg) << diagnostics();
  EXPECT_EQ((*reg)["ep"], "interop-gw");
  EXPECT_THAT((*reg)["payload"].get<std::string>(), HasSubstr("</3/0>"));
  if (peer.tlv) {
    ASSERT_TRUE(peer_->waitForEvent("online", 20s)) << diagnostics();
  }

  auto manufacturer = request({{"op", "read"}, {"path", "/3/0/0"}, {"format", "text"}});
  EXPECT_EQ(manufacturer["status"], "2.05") << manufacturer.dump();
  EXPECT_EQ(manufacturer["value"], "lwm2md interop");

  // A D-Bus provider publishes a temperature sensor; the server hears of it in an Update.
  auto manager = sdbus::createProxy(*client_, "org.lwm2md1", "/org/lwm2md1");
  sdbus::ObjectPath path;
  manager->callMethod("AddInstance")
      .onInterface("org.lwm2md1.Manager")
      .withArguments(std::uint16_t{3303}, std::uint16_t{0},
                     DbusValues{{5700, sdbus::Variant(21.5)}},
                     std::map<std::string, sdbus::Variant>{})
      .storeResultsTo(path);
  auto update = peer_->waitForEvent("update", 20s);
  ASSERT_TRUE(update) << diagnostics();
  EXPECT_THAT(update->value("payload", ""), HasSubstr("</3303/0>"));

  auto text = request({{"op", "read"}, {"path", "/3303/0/5700"}, {"format", "text"}});
  EXPECT_EQ(text["status"], "2.05") << text.dump();
  EXPECT_EQ(text["value"].is_string() ? std::stod(text["value"].get<std::string>())
                                      : text["value"].get<double>(),
            21.5);
  if (peer.tlv) {
    auto tlv = request({{"op", "read"}, {"path", "/3303/0/5700"}, {"format", "tlv"}});
    EXPECT_EQ(tlv["status"], "2.05") << tlv.dump();
    EXPECT_EQ(tlv["value"], 21.5) << tlv.dump();
    EXPECT_EQ(tlv["raw"], "e4164441ac0000");
  }

  // A server write reaches the provider as Written; an execute as Executed.
  auto sensor = sdbus::createProxy(*client_, "org.lwm2md1", path);
  std::vector<std::string> written;
  std::vector<std::uint16_t> executed;
  sensor->uponSignal("Written").onInterface("org.lwm2md1.Instance").call([&](const DbusValues& v) {
    if (v.count(5750)) written.push_back(v.at(5750).get<std::string>());
  });
  sensor->uponSignal("Executed")
      .onInterface("org.lwm2md1.Instance")
      .call([&](std::uint16_t rid, const std::string&) { executed.push_back(rid); });
  sensor->finishRegistration();
  auto write = request({{"op", "write"},
                        {"path", "/3303/0/5750"},
                        {"value", "greenhouse"},
                        {"format", peer.tlv ? "tlv" : "text"}});
  EXPECT_EQ(write["status"], "2.04") << write.dump() << diagnostics();
  auto execute = request({{"op", "execute"}, {"path", "/3303/0/5605"}});
  EXPECT_EQ(execute["status"], "2.04") << execute.dump();
  for (int i = 0; i < 200 && (written.empty() || executed.empty()); ++i) {
    pumpClient();
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_THAT(written, Contains("greenhouse"));
  EXPECT_THAT(executed, Contains(5605));

  // The provider leaves the bus: the next Update no longer lists its instance.
  sensor.reset();
  manager.reset();
  client_.reset();
  auto gone = peer_->waitForEvent("update", 20s);
  ASSERT_TRUE(gone) << diagnostics();
  EXPECT_THAT(gone->value("payload", ""), Not(HasSubstr("</3303/0>")));

  daemon_->signal(SIGTERM);
  ASSERT_TRUE(peer_->waitForEvent("deregister", 20s)) << diagnostics();
  EXPECT_EQ(daemon_->waitExit(10s), 0);
}

/// Issue 3 against coap-shepherd: discover, write-attributes, observe and cancel in TLV, with the
/// values coming from a D-Bus provider.
using CoapShepherdInterop = NpmServerInterop;

TEST_P(CoapShepherdInterop, DiscoverWriteAttributesObserveCancelInTlv) {
  startDaemon();
  ASSERT_TRUE(peer_->waitForEvent("register", 20s)) << diagnostics();
  ASSERT_TRUE(peer_->waitForEvent("online", 20s)) << diagnostics();

  auto manager = sdbus::createProxy(*client_, "org.lwm2md1", "/org/lwm2md1");
  sdbus::ObjectPath path;
  manager->callMethod("AddInstance")
      .onInterface("org.lwm2md1.Manager")
      .withArguments(
          std::uint16_t{3303}, std::uint16_t{0},
          DbusValues{{5700, sdbus::Variant(20.0)}, {5701, sdbus::Variant(std::string("Cel"))}},
          std::map<std::string, sdbus::Variant>{})
      .storeResultsTo(path);
  ASSERT_TRUE(peer_->waitForEvent("update", 20s)) << diagnostics();
  auto sensor = sdbus::createProxy(*client_, "org.lwm2md1", path);
  auto set = [&](double value) {
    sensor->callMethod("Set")
        .onInterface("org.lwm2md1.Instance")
        .withArguments(DbusValues{{5700, sdbus::Variant(value)}});
  };

  auto discover = request({{"op", "discover"}, {"path", "/3303/0"}});
  EXPECT_EQ(discover["status"], "2.05") << discover.dump();
  EXPECT_THAT(discover.value("text", ""), HasSubstr("</3303/0/5700>"));
  EXPECT_THAT(discover.value("text", ""), HasSubstr("</3303/0/5701>"));

  auto attrs = request({{"op", "write-attributes"},
                        {"path", "/3303/0/5700"},
                        {"attrs", {{"pmin", 1}, {"pmax", 30}}}});
  EXPECT_EQ(attrs["status"], "2.04") << attrs.dump();
  auto withAttrs = request({{"op", "discover"}, {"path", "/3303/0/5700"}});
  EXPECT_THAT(withAttrs.value("text", ""), HasSubstr("pmin=1"));
  EXPECT_THAT(withAttrs.value("text", ""), HasSubstr("pmax=30"));

  auto observe = request({{"op", "observe"}, {"path", "/3303/0/5700"}});
  EXPECT_EQ(observe["status"], "2.05") << observe.dump();
  EXPECT_EQ(observe["value"], 20.0);

  set(21.5);
  auto first = peer_->waitForEvent("notify", 10s);
  ASSERT_TRUE(first) << diagnostics();
  EXPECT_EQ((*first)["path"], "/3303/0/5700");
  EXPECT_EQ((*first)["value"], 21.5);
  set(22.5);
  auto second = peer_->waitForEvent("notify", 10s);
  ASSERT_TRUE(second) << diagnostics();
  EXPECT_EQ((*second)["value"], 22.5);

  auto cancel = request({{"op", "cancel"}, {"path", "/3303/0/5700"}});
  EXPECT_EQ(cancel["status"], "2.05") << cancel.dump();
  set(23.5);
  EXPECT_FALSE(peer_->waitForEvent("notify", 2500ms)) << "a notification after the cancel";

  auto tlv = request({{"op", "read"}, {"path", "/3303/0"}, {"format", "tlv"}});
  EXPECT_EQ(tlv["status"], "2.05") << tlv.dump();
  EXPECT_EQ(tlv["value"]["5700"], 23.5) << tlv.dump();
}

INSTANTIATE_TEST_SUITE_P(
    Shepherd, CoapShepherdInterop,
    ::testing::Values(PeerCase{"CoapShepherd", "shepherd_peer.js", "1.1", true}),
    [](const ::testing::TestParamInfo<PeerCase>& param) { return param.param.name; });

INSTANTIATE_TEST_SUITE_P(
    Peers, NpmServerInterop,
    ::testing::Values(PeerCase{"CoapShepherd", "shepherd_peer.js", "1.1", true},
                      PeerCase{"LwM2mNodeLib", "nodelib_peer.js", "1.0", false}),
    [](const ::testing::TestParamInfo<PeerCase>& param) { return param.param.name; });

}  // namespace
}  // namespace lwm2md::test
