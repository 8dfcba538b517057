// BootstrapConnection over loopback: the client's CoapEndpoint and EventLoop in this process,
// the TestLwm2mServer as Bootstrap-Server.
// ETS LwM2M-1.1-int-0 (Client Initiated Bootstrap): the client sends POST /bs?ep=<name>&pct=..
// to the pre-provisioned Bootstrap-Server URI; the server answers 2.04 and writes the Security
// and Server instances of a server account; Bootstrap-Finish ends it with 2.04 and the client
// goes on to register (the finished callback).
#include "bootstrap/bootstrap_connection.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bootstrap_fixture.hpp"
#include "coap/coap_endpoint.hpp"
#include "core/event_loop.hpp"
#include "support/test_lwm2m_server.hpp"

namespace lwm2md::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using State = BootstrapMachine::State;

class BootstrapConnectionTest : public BootstrapTest {
 protected:
  void SetUp() override {
    BootstrapTest::SetUp();
    ASSERT_TRUE(server.ok()) << server.error();
    // Point the Bootstrap-Server account at the test server.
    ASSERT_EQ(writeText("/0/0/0", server.uri()).code, CoapCode::Changed);
    coap.setRequestHandler([this](const DmRequest& request, void* peer) {
      if (peer == connection.get()) return connection->serve(request);
      return DmResponse::error(CoapCode::NotFound, "no such peer");
    });
    // One thread: whichever side waits keeps the other going.
    server.setSidePump([this] { loop.runOnce(0ms); });
  }

  void makeConnection(BootstrapConnection::Options options) {
    connection =
        std::make_unique<BootstrapConnection>(loop, coap, tree, &attributes, std::move(options),
                                              [this](bool success, const std::string& reason) {
                                                outcome = success;
                                                outcomeReason = reason;
                                              });
  }

  static BootstrapConnection::Options options() {
    BootstrapConnection::Options o;
    o.endpoint = "node-bs";
    o.retryInitial = 1s;
    o.maxAttempts = 2;
    return o;
  }

  EventLoop loop;
  CoapEndpoint coap{loop};
  TestLwm2mServer server;
  std::unique_ptr<BootstrapConnection> connection;
  std::optional<bool> outcome;
  std::string outcomeReason;
};

TEST_F(BootstrapConnectionTest, Int0ClientInitiatedBootstrapEndToEnd) {
  makeConnection(options());
  connection->start();
  auto request = server.waitForEvent(Event::Kind::BootstrapRequest, 5s);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->query,
            (std::map<std::string, std::string>{{"ep", "node-bs"}, {"pct", "112"}}));
  ASSERT_TRUE(
      server.waitFor([&] { return connection->machine().state() == State::WaitingForFinish; }, 2s));
  EXPECT_EQ(connection->requestsSent(), 1u);

  // Step 1: the configuration, written by the server over the client's session.
  const Content security{Path(0, 1), {{1, securityValues("coap://127.0.0.1:5683", false, 3, 101)}}};
  auto response = server.bootstrapWrite("/0/1", 11542, encode(ContentFormat::LwM2MTlv, security));
  ASSERT_TRUE(response);
  EXPECT_EQ(TestLwm2mServer::codeString(response->code), "2.04");
  const Content account{Path(1, 0), {{0, serverValues(101)}}};
  response = server.bootstrapWrite("/1/0", 11542, encode(ContentFormat::LwM2MTlv, account));
  ASSERT_TRUE(response);
  EXPECT_EQ(TestLwm2mServer::codeString(response->code), "2.04");
  ASSERT_NE(tree.find(1, 0), nullptr);

  response = server.bootstrapDiscover("/0");
  ASSERT_TRUE(response);
  EXPECT_EQ(TestLwm2mServer::codeString(response->code), "2.05");
  EXPECT_THAT(TestLwm2mServer::text(*response), HasSubstr("</0/1>;ssid=101"));

  response = server.bootstrapRead("/1/0");
  ASSERT_TRUE(response);
  EXPECT_EQ(TestLwm2mServer::codeString(response->code), "2.05");
  EXPECT_EQ(response->contentFormat, 112);  // the pct of the request

  // Step 2: Bootstrap-Finish. POST /bs has no LwM2M path, so the endpoint cannot hand it over
  // (yet): it is served here the way the daemon is to route it.
  DmResponse finish = connection->serveFinish();
  EXPECT_EQ(finish.code, CoapCode::Changed) << finish.diagnostic();
  EXPECT_EQ(connection->machine().state(), State::Finished);
  // The callback runs from the loop, after the Finish answer went out.
  EXPECT_FALSE(outcome);
  ASSERT_TRUE(server.waitFor([&] { return outcome.has_value(); }, 2s));
  EXPECT_TRUE(*outcome);
}

TEST_F(BootstrapConnectionTest, InconsistentFinishKeepsWaiting) {
  makeConnection(options());
  connection->start();
  ASSERT_TRUE(server.waitForEvent(Event::Kind::BootstrapRequest, 5s));
  DmResponse finish = connection->serveFinish();
  EXPECT_EQ(finish.code, CoapCode::NotAcceptable);
  EXPECT_THAT(finish.diagnostic(), HasSubstr("no LwM2M Server Account"));
  EXPECT_EQ(connection->machine().state(), State::WaitingForFinish);
  EXPECT_FALSE(outcome);
}

TEST_F(BootstrapConnectionTest, RefusedRequestIsRetriedThenFails) {
  server.setBootstrapRequestCode(0x80);  // 4.00
  makeConnection(options());
  connection->start();
  ASSERT_TRUE(server.waitForEvent(Event::Kind::BootstrapRequest, 5s));
  // The retry after retryInitial (1 s) is the second and last attempt.
  ASSERT_TRUE(server.waitForEvent(Event::Kind::BootstrapRequest, 5s));
  ASSERT_TRUE(server.waitFor([&] { return outcome.has_value(); }, 3s));
  EXPECT_FALSE(*outcome);
  EXPECT_THAT(outcomeReason, HasSubstr("4.00"));
  EXPECT_EQ(connection->machine().state(), State::Failed);
  EXPECT_EQ(connection->requestsSent(), 2u);
}

TEST_F(BootstrapConnectionTest, HoldOffTimeOfTheAccountIsHonoured) {
  ASSERT_EQ(writeText("/0/0/11", "1").code, CoapCode::Changed);
  makeConnection(options());
  const auto started = std::chrono::steady_clock::now();
  connection->start();
  EXPECT_EQ(connection->machine().state(), State::HoldOff);
  ASSERT_TRUE(server.waitForEvent(Event::Kind::BootstrapRequest, 5s));
  EXPECT_GE(std::chrono::steady_clock::now() - started, 900ms);
}

TEST_F(BootstrapConnectionTest, WithoutAnyBootstrapUriTheAttemptsFail) {
  ASSERT_EQ(remove("/").code, CoapCode::Deleted);
  ASSERT_TRUE(tree.find(0, 0));                 // the account survives a Delete...
  ASSERT_TRUE(tree.removeInstance(0, 0).ok());  // ...so remove it behind the handler's back
  auto o = options();
  o.maxAttempts = 1;
  makeConnection(o);
  connection->start();
  ASSERT_TRUE(server.waitFor([&] { return outcome.has_value(); }, 2s));
  EXPECT_FALSE(*outcome);
  EXPECT_THAT(outcomeReason, HasSubstr("cannot open a session"));
}

TEST_F(BootstrapConnectionTest, AccountTimeoutPurgesTheAccount) {
  ASSERT_EQ(writeText("/0/0/12", "1").code, CoapCode::Changed);
  makeConnection(options());
  connection->start();
  ASSERT_TRUE(server.waitForEvent(Event::Kind::BootstrapRequest, 5s));
  addServerAccount(1, 101, "coap://127.0.0.1:5683");
  ASSERT_EQ(connection->serveFinish().code, CoapCode::Changed);
  ASSERT_TRUE(server.waitFor([&] { return tree.find(0, 0) == nullptr; }, 3s));
  EXPECT_NE(tree.find(0, 1), nullptr);  // the server account stays
}

TEST(BootstrapRequestQueryTest, EndpointAndPreferredFormat) {
  EXPECT_EQ(bootstrapRequestQuery({"dev", 112}), (std::vector<std::string>{"ep=dev", "pct=112"}));
  EXPECT_EQ(bootstrapRequestQuery({"dev", std::nullopt}), (std::vector<std::string>{"ep=dev"}));
}

}  // namespace
}  // namespace lwm2md::test
