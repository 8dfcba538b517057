// The Bootstrap interface end to end (LwM2M 1.1 TS §6.1): the real daemon, provisioned only
// with a Bootstrap-Server account (ETS client configuration C.13), is bootstrapped by the
// libcoap test server in its Bootstrap-Server role and then registers with the server it was
// given, a second test server. ETS cases int-0, int-4, int-5 and int-9; the state that must
// survive a restart (no second bootstrap).
#include <gmock/gmock.h>

#include <algorithm>
#include <string>
#include <vector>

#include "e2e_fixture.hpp"

namespace lwm2md::test {
namespace {

using ::testing::HasSubstr;

constexpr uint16_t kSenmlJson = 110;
constexpr uint8_t kChanged = 0x44, kDeleted = 0x42, kContent = 0x45, kNotAcceptable = 0x86;

std::vector<uint8_t> bytes(const std::string& text) {
  return {text.begin(), text.end()};
}

class Bootstrap : public DaemonFixture {
 protected:
  void SetUp() override {
    DaemonFixture::SetUp();
    ASSERT_TRUE(bs_.ok()) << bs_.error();
    // Waiting on either server keeps the other one and the D-Bus client going.
    bs_.setSidePump([this] {
      server_.pump(std::chrono::milliseconds(0));
      pumpClient();
    });
    server_.setSidePump([this] {
      bs_.pump(std::chrono::milliseconds(0));
      pumpClient();
    });
  }

  /// ETS configuration C.13: a Bootstrap-Server account and the Device object, no server.
  std::string bootstrapConfig() const {
    return "endpoint = \"e2e-bs\"\nlog_level = \"debug\"\n"
           "[registration]\nretry_initial = 1\nretry_max = 2\n"
           "[device]\nmanufacturer = \"lwm2md tests\"\nmodel = \"E2E\"\nserial = \"0001\"\n"
           "[bootstrap]\nuri = \"" +
           bs_.uri() + "\"\n";
  }

  /// The Security and Server instances of server 101 at `server_`, in SenML JSON.
  std::vector<uint8_t> securityFor101() const {
    return bytes(R"([{"bn":"/0/1/","n":"0","vs":")" + server_.uri() +
                 R"("},{"n":"1","vb":false},{"n":"2","v":3},{"n":"10","v":101}])");
  }
  static std::vector<uint8_t> serverFor101(int lifetime = 60) {
    return bytes(R"([{"bn":"/1/1/","n":"0","v":101},{"n":"1","v":)" + std::to_string(lifetime) +
                 R"(},{"n":"6","vb":false},{"n":"7","vs":"U"}])");
  }

  /// Waits for the client's Bootstrap-Request, then provisions server 101 and finishes.
  void provision(int lifetime = 60) {
    auto request = bs_.waitForEvent(Event::Kind::BootstrapRequest, 10s);
    ASSERT_TRUE(request) << "no Bootstrap-Request; daemon output:\n" << daemon_->output();
    EXPECT_EQ(request->query["ep"], "e2e-bs");
    auto deleted = bs_.bootstrapDelete("/");
    ASSERT_TRUE(deleted);
    EXPECT_EQ(deleted->code, kDeleted) << TestLwm2mServer::text(*deleted);
    auto security = bs_.bootstrapWrite("/0/1", kSenmlJson, securityFor101());
    ASSERT_TRUE(security);
    EXPECT_EQ(security->code, kChanged) << TestLwm2mServer::text(*security);
    auto server = bs_.bootstrapWrite("/1/1", kSenmlJson, serverFor101(lifetime));
    ASSERT_TRUE(server);
    EXPECT_EQ(server->code, kChanged) << TestLwm2mServer::text(*server);
    auto finish = bs_.bootstrapFinish();
    ASSERT_TRUE(finish);
    EXPECT_EQ(finish->code, kChanged) << TestLwm2mServer::text(*finish);
  }

  size_t count(const TestLwm2mServer& server, Event::Kind kind) const {
    return static_cast<size_t>(std::count_if(server.events().begin(), server.events().end(),
                                             [kind](const Event& e) { return e.kind == kind; }));
  }

  std::string managerState() {
    return manager()->getProperty("State").onInterface("org.lwm2md1.Manager").get<std::string>();
  }

  TestLwm2mServer bs_;
};

TEST_F(Bootstrap, Int0_ClientInitiatedBootstrapThenRegister) {
  startDaemon(bootstrapConfig());
  provision(/*lifetime=*/45);
  auto reg = server_.waitForEvent(Event::Kind::Register, 10s);
  ASSERT_TRUE(reg) << "no Register after Bootstrap-Finish; daemon output:\n" << daemon_->output();
  EXPECT_EQ(reg->query["ep"], "e2e-bs");
  EXPECT_EQ(reg->query["lt"], "45");
  // The registration lists the provisioned Server instance, never the Security object.
  EXPECT_THAT(reg->payload, HasSubstr("</1/1>"));
  EXPECT_THAT(reg->payload, ::testing::Not(HasSubstr("</0/")));
  ASSERT_TRUE(waitForBusName());
  EXPECT_TRUE(server_.waitFor([&] { return managerState() == "registered"; }, 5s));
  // The server sees what the bootstrap server wrote.
  auto lifetime = server_.read("/1/1/1", 0);
  ASSERT_TRUE(lifetime);
  EXPECT_EQ(TestLwm2mServer::text(*lifetime), "45");
}

TEST_F(Bootstrap, RestartWithSavedStateRegistersWithoutBootstrapping) {
  startDaemon(bootstrapConfig());
  provision();
  ASSERT_TRUE(server_.waitForEvent(Event::Kind::Register, 10s)) << daemon_->output();
  ASSERT_EQ(daemon_->stop(10s, [this] { server_.pump(10ms); }), 0) << daemon_->output();
  const size_t requestsBefore = count(bs_, Event::Kind::BootstrapRequest);

  startDaemon(bootstrapConfig());
  auto reg = server_.waitForEvent(Event::Kind::Register, 10s);
  ASSERT_TRUE(reg) << "no Register from the saved state; daemon output:\n" << daemon_->output();
  EXPECT_EQ(reg->query["lt"], "60");
  // A second passes and no Bootstrap-Request came: the saved provisioning was enough.
  bs_.waitFor([] { return false; }, 1000ms);
  EXPECT_EQ(count(bs_, Event::Kind::BootstrapRequest), requestsBefore) << daemon_->output();
}

TEST_F(Bootstrap, Int9_InconsistentConfigurationIsRefusedUntilCorrected) {
  startDaemon(bootstrapConfig());
  ASSERT_TRUE(bs_.waitForEvent(Event::Kind::BootstrapRequest, 10s)) << daemon_->output();
  // A Server instance without a Security instance for its Short Server ID: 4.06 with a reason.
  ASSERT_TRUE(bs_.bootstrapDelete("/"));
  auto server = bs_.bootstrapWrite("/1/1", kSenmlJson, serverFor101());
  ASSERT_TRUE(server);
  EXPECT_EQ(server->code, kChanged);
  auto refused = bs_.bootstrapFinish();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, kNotAcceptable);
  EXPECT_FALSE(TestLwm2mServer::text(*refused).empty()) << "4.06 without a reason";
  EXPECT_EQ(count(server_, Event::Kind::Register), 0u);
  // Corrected, the Finish is accepted and the client registers.
  auto security = bs_.bootstrapWrite("/0/1", kSenmlJson, securityFor101());
  ASSERT_TRUE(security);
  EXPECT_EQ(security->code, kChanged);
  auto finish = bs_.bootstrapFinish();
  ASSERT_TRUE(finish);
  EXPECT_EQ(finish->code, kChanged) << TestLwm2mServer::text(*finish);
  EXPECT_TRUE(server_.waitForEvent(Event::Kind::Register, 10s)) << daemon_->output();
}

TEST_F(Bootstrap, Int4_BootstrapDeleteKeepsTheBootstrapAccountAndDevice) {
  startDaemon(bootstrapConfig());
  provision();
  ASSERT_TRUE(server_.waitForEvent(Event::Kind::Register, 10s)) << daemon_->output();
  // A second bootstrap, asked for over D-Bus, starts from a Bootstrap-Delete of everything.
  ASSERT_TRUE(waitForBusName());
  manager()->callMethod("Bootstrap").onInterface("org.lwm2md1.Manager");
  ASSERT_TRUE(bs_.waitForEvent(Event::Kind::BootstrapRequest, 10s)) << daemon_->output();
  ASSERT_TRUE(bs_.bootstrapDelete("/"));
  auto discover = bs_.bootstrapDiscover("/");
  ASSERT_TRUE(discover);
  EXPECT_EQ(discover->code, kContent);
  const std::string links = TestLwm2mServer::text(*discover);
  EXPECT_THAT(links, HasSubstr("</3/0>"));
  EXPECT_THAT(links, ::testing::Not(HasSubstr("</1/1>")));
  EXPECT_THAT(links, ::testing::Not(HasSubstr("ssid=101")));
  // The bootstrap account is still there (it has no ssid): exactly one Security instance.
  size_t security = 0;
  for (size_t at = links.find("</0/"); at != std::string::npos; at = links.find("</0/", at + 1))
    ++security;
  EXPECT_EQ(security, 1u) << links;
}

TEST_F(Bootstrap, Int5_BootstrapRequestTriggerFromTheServer) {
  startDaemon(bootstrapConfig());
  provision();
  ASSERT_TRUE(server_.waitForEvent(Event::Kind::Register, 10s)) << daemon_->output();
  const size_t before = count(bs_, Event::Kind::BootstrapRequest);
  auto trigger = server_.execute("/1/1/9");
  ASSERT_TRUE(trigger);
  EXPECT_EQ(trigger->code, kChanged);
  EXPECT_TRUE(bs_.waitFor([&] { return count(bs_, Event::Kind::BootstrapRequest) > before; }, 10s))
      << daemon_->output();
  // Provisioned again (a new lifetime), the client registers anew with it.
  const size_t updates = count(server_, Event::Kind::Update);
  ASSERT_TRUE(bs_.bootstrapDelete("/"));
  ASSERT_TRUE(bs_.bootstrapWrite("/0/1", kSenmlJson, securityFor101()));
  ASSERT_TRUE(bs_.bootstrapWrite("/1/1", kSenmlJson, serverFor101(75)));
  // Nothing of the bootstrap in progress reaches the server (no Update with lt=75 or with
  // an object list lacking /1/1): it is not the client's configuration before the Finish.
  server_.waitFor([] { return false; }, 300ms);
  EXPECT_EQ(count(server_, Event::Kind::Update), updates) << daemon_->output();
  auto finish = bs_.bootstrapFinish();
  ASSERT_TRUE(finish);
  EXPECT_EQ(finish->code, kChanged);
  EXPECT_TRUE(server_.waitFor(
      [&] {
        for (const auto& e : server_.events())
          if (e.kind == Event::Kind::Register && e.query.count("lt") && e.query.at("lt") == "75")
            return true;
        return false;
      },
      10s))
      << daemon_->output();
}

TEST_F(Bootstrap, ServerInitiatedBootstrapWithoutARequest) {
  // Provisioned at the factory with a server and a Bootstrap-Server account: the client
  // registers, and keeps a session open from which the Bootstrap-Server can reach it.
  startDaemon(bootstrapConfig() + "[[server]]\nuri = \"" + server_.uri() +
              "\"\nshort_id = 1\nlifetime = 60\n");
  ASSERT_TRUE(server_.waitForEvent(Event::Kind::Register, 10s)) << daemon_->output();
  // Its CoAP ping shows the Bootstrap-Server where it can be reached.
  ASSERT_TRUE(daemon_->waitForOutput("listening for a server-initiated bootstrap", 5s, [this] {
    server_.pump(10ms);
  })) << daemon_->output();
  ASSERT_TRUE(bs_.waitFor([&] { return bs_.hasPeer(); }, 5s)) << daemon_->output();

  // No Bootstrap-Request was sent: the Bootstrap-Server writes on its own initiative.
  EXPECT_EQ(count(bs_, Event::Kind::BootstrapRequest), 0u);
  auto deleted = bs_.bootstrapDelete("/");
  ASSERT_TRUE(deleted) << daemon_->output();
  EXPECT_EQ(deleted->code, kDeleted);
  ASSERT_TRUE(bs_.bootstrapWrite("/0/1", kSenmlJson, securityFor101()));
  ASSERT_TRUE(bs_.bootstrapWrite("/1/1", kSenmlJson, serverFor101(33)));
  auto finish = bs_.bootstrapFinish();
  ASSERT_TRUE(finish);
  EXPECT_EQ(finish->code, kChanged) << TestLwm2mServer::text(*finish);
  EXPECT_TRUE(server_.waitFor(
      [&] {
        for (const auto& e : server_.events())
          if (e.kind == Event::Kind::Register && e.query.count("lt") && e.query.at("lt") == "33")
            return true;
        return false;
      },
      10s))
      << daemon_->output();
  EXPECT_EQ(count(bs_, Event::Kind::BootstrapRequest), 0u);
}

TEST_F(Bootstrap, BootstrapOnRegistrationFailure) {
  // Server 101 refuses every Register; its Server instance allows two attempts in one
  // communication sequence (/1/1/17 = 2, 18 = 1 s, 20 = 1). Once the sequence has failed the
  // client turns to its Bootstrap-Server again (TS 1.1 E.2 resource 16, true by default).
  server_.setRegisterCode(0x83);  // 4.03 Forbidden
  startDaemon(bootstrapConfig());
  ASSERT_TRUE(bs_.waitForEvent(Event::Kind::BootstrapRequest, 10s)) << daemon_->output();
  ASSERT_TRUE(bs_.bootstrapDelete("/"));
  ASSERT_TRUE(bs_.bootstrapWrite("/0/1", kSenmlJson, securityFor101()));
  auto server = bs_.bootstrapWrite(
      "/1/1", kSenmlJson,
      bytes(R"([{"bn":"/1/1/","n":"0","v":101},{"n":"1","v":60},{"n":"6","vb":false},)"
            R"({"n":"7","vs":"U"},{"n":"17","v":2},{"n":"18","v":1},{"n":"19","v":1},)"
            R"({"n":"20","v":1}])"));
  ASSERT_TRUE(server);
  EXPECT_EQ(server->code, kChanged) << TestLwm2mServer::text(*server);
  auto finish = bs_.bootstrapFinish();
  ASSERT_TRUE(finish);
  EXPECT_EQ(finish->code, kChanged);
  EXPECT_TRUE(bs_.waitFor([&] { return count(bs_, Event::Kind::BootstrapRequest) == 2; }, 15s))
      << daemon_->output();
  EXPECT_GE(count(server_, Event::Kind::Register), 2u);
}

TEST_F(Bootstrap, ClientHoldOffTimeDelaysTheBootstrapRequest) {
  // hold_off = 1 becomes the account's Client Hold Off Time (/0/x/11): the Bootstrap-Request
  // waits for it.
  const auto start = std::chrono::steady_clock::now();
  startDaemon(bootstrapConfig() + "hold_off = 1\n");
  ASSERT_TRUE(bs_.waitForEvent(Event::Kind::BootstrapRequest, 10s)) << daemon_->output();
  EXPECT_GE(std::chrono::steady_clock::now() - start, 950ms);
}

TEST_F(Bootstrap, SecretKeyNeverShowsOnTheBus) {
  startDaemon(bootstrapConfig());
  ASSERT_TRUE(bs_.waitForEvent(Event::Kind::BootstrapRequest, 10s)) << daemon_->output();
  ASSERT_TRUE(bs_.bootstrapDelete("/"));
  // A Secret Key (/0/1/5, "secret" in SenML's base64url) beside the account.
  auto security = bs_.bootstrapWrite(
      "/0/1", kSenmlJson,
      bytes(R"([{"bn":"/0/1/","n":"0","vs":")" + server_.uri() +
            R"("},{"n":"1","vb":false},{"n":"2","v":3},{"n":"5","vd":"c2VjcmV0"},)"
            R"({"n":"10","v":101}])"));
  ASSERT_TRUE(security);
  EXPECT_EQ(security->code, kChanged) << TestLwm2mServer::text(*security);
  ASSERT_TRUE(bs_.bootstrapWrite("/1/1", kSenmlJson, serverFor101()));
  auto finish = bs_.bootstrapFinish();
  ASSERT_TRUE(finish);
  EXPECT_EQ(finish->code, kChanged);
  ASSERT_TRUE(server_.waitForEvent(Event::Kind::Register, 10s)) << daemon_->output();
  ASSERT_TRUE(waitForBusName());
  auto account = sdbus::createProxy(*client_, "org.lwm2md1", "/org/lwm2md1/Object/0/1");
  const auto values = account->getProperty("Values")
                          .onInterface("org.lwm2md1.Instance")
                          .get<std::map<uint16_t, sdbus::Variant>>();
  EXPECT_TRUE(values.count(0)) << "the account's URI is shown";
  EXPECT_FALSE(values.count(5)) << "the Secret Key is on the bus";
  try {
    std::map<uint16_t, sdbus::Variant> got;
    account->callMethod("Get")
        .onInterface("org.lwm2md1.Instance")
        .withArguments(std::vector<uint16_t>{5})
        .storeResultsTo(got);
    ADD_FAILURE() << "Get of the Secret Key answered";
  } catch (const sdbus::Error& error) {
    EXPECT_EQ(error.getName(), "org.lwm2md1.Error.NotPermitted");
  }
  EXPECT_EQ(daemon_->output().find("c2VjcmV0"), std::string::npos);
}

}  // namespace
}  // namespace lwm2md::test
