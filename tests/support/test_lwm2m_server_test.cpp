#include "test_lwm2m_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "child_process.hpp"
#include "ports.hpp"

namespace lwm2md::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string programPath(const char* variable, const char* fallback) {
  const char* value = std::getenv(variable);
  return value != nullptr && *value != '\0' ? value : fallback;
}

std::string coapClient() {
  return programPath("LWM2MD_TEST_COAP_CLIENT", "/usr/bin/coap-client-notls");
}
std::string coapServer() {
  return programPath("LWM2MD_TEST_COAP_SERVER", "/usr/bin/coap-server-notls");
}

bool executable(const std::string& path) {
  return ::access(path.c_str(), X_OK) == 0;
}

struct ClientRun {
  std::optional<int> exit;
  std::string output;
};

// Runs coap-client (verbose, so the response's code and options are printed) while the server
// keeps answering.
ClientRun runCoapClient(TestLwm2mServer& server, std::vector<std::string> args,
                        std::chrono::milliseconds timeout = 10s) {
  args.insert(args.begin(), {"-v", "6", "-B", "8"});
  ChildProcess child(coapClient(), args);
  ClientRun run;
  run.exit = child.waitExit(timeout, [&] { server.pump(10ms); });
  run.output = child.output();
  return run;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

RequestOptions registerOptions(const std::string& ep, bool confirmable = true) {
  RequestOptions options;
  options.query = {"ep=" + ep, "lt=60", "lwm2m=1.1", "b=U"};
  options.contentFormat = 40;
  const std::string links = "</1/0>,</3/0>,</3303/0>";
  options.payload.assign(links.begin(), links.end());
  options.confirmable = confirmable;
  options.timeout = 3s;
  return options;
}

TEST(TestLwm2mServerTest, CodeAndTextHelpers) {
  EXPECT_EQ(TestLwm2mServer::codeString(0x45), "2.05");
  EXPECT_EQ(TestLwm2mServer::codeString(0x41), "2.01");
  EXPECT_EQ(TestLwm2mServer::codeString(0x84), "4.04");
  EXPECT_EQ(TestLwm2mServer::codeString(0xA0), "5.00");
  EXPECT_EQ(TestLwm2mServer::codeString(0), "0.00");
  Response response;
  EXPECT_EQ(TestLwm2mServer::text(response), "");
  response.payload = {'2', '1', '.', '5'};
  EXPECT_EQ(TestLwm2mServer::text(response), "21.5");
}

TEST(TestLwm2mServerTest, BindsAnEphemeralLoopbackPort) {
  TestLwm2mServer first;
  TestLwm2mServer second;
  ASSERT_TRUE(first.ok()) << first.error();
  ASSERT_TRUE(second.ok()) << second.error();
  EXPECT_NE(first.port(), 0);
  EXPECT_NE(first.port(), second.port());
  EXPECT_EQ(first.uri(), "coap://127.0.0.1:" + std::to_string(first.port()));
  EXPECT_FALSE(first.hasPeer());
  EXPECT_EQ(first.read("/3/0"), std::nullopt);     // nobody to ask
  EXPECT_FALSE(first.connect("localhost", 5683));  // numeric addresses only
  EXPECT_FALSE(first.connect("", 5683));
}

TEST(TestLwm2mServerTest, RegisterUpdateDeregisterWithCoapClient) {
  if (!executable(coapClient())) GTEST_SKIP() << coapClient() << " missing";
  TestLwm2mServer server;
  ASSERT_TRUE(server.ok()) << server.error();

  auto run = runCoapClient(server, {"-m", "post", "-t", "40", "-e", "</3/0>,</1/0>",
                                    server.uri() + "/rd?ep=node-1&lt=60&lwm2m=1.1&b=U"});
  ASSERT_TRUE(run.exit) << run.output;
  EXPECT_TRUE(has(run.output, "c:2.01")) << run.output;
  EXPECT_TRUE(has(run.output, "Location-Path:rd, Location-Path:1")) << run.output;
  auto registered = server.waitForEvent(Event::Kind::Register, 1s);
  ASSERT_TRUE(registered);
  EXPECT_EQ(registered->location, "/rd/1");
  EXPECT_EQ(registered->code, 0x41);
  EXPECT_EQ(registered->payload, "</3/0>,</1/0>");
  EXPECT_EQ(registered->query, (std::map<std::string, std::string>{
                                   {"ep", "node-1"}, {"lt", "60"}, {"lwm2m", "1.1"}, {"b", "U"}}));
  EXPECT_TRUE(server.hasPeer());
  ASSERT_TRUE(server.registration());
  EXPECT_EQ(server.registration()->endpoint, "node-1");

  // Update with a new lifetime and no payload: the object list stays.
  run = runCoapClient(server, {"-m", "post", server.uri() + "/rd/1?lt=120"});
  EXPECT_TRUE(has(run.output, "c:2.04")) << run.output;
  auto updated = server.waitForEvent(Event::Kind::Update, 1s);
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->location, "/rd/1");
  EXPECT_EQ(updated->code, 0x44);
  EXPECT_EQ(updated->query.at("lt"), "120");
  EXPECT_EQ(server.registration()->query.at("lt"), "120");
  EXPECT_EQ(server.registration()->payload, "</3/0>,</1/0>");

  // Update with a new object list.
  run = runCoapClient(server,
                      {"-m", "post", "-t", "40", "-e", "</3/0>,</3303/0>", server.uri() + "/rd/1"});
  EXPECT_TRUE(has(run.output, "c:2.04")) << run.output;
  EXPECT_EQ(server.registration()->payload, "</3/0>,</3303/0>");

  run = runCoapClient(server, {"-m", "delete", server.uri() + "/rd/1"});
  EXPECT_TRUE(has(run.output, "c:2.02")) << run.output;
  auto deregistered = server.waitForEvent(Event::Kind::Deregister, 1s);
  ASSERT_TRUE(deregistered);
  EXPECT_EQ(deregistered->location, "/rd/1");
  EXPECT_EQ(deregistered->code, 0x42);
  EXPECT_FALSE(server.registration());

  // The location is gone now, and others never existed.
  run = runCoapClient(server, {"-m", "delete", server.uri() + "/rd/1"});
  EXPECT_TRUE(has(run.output, "c:4.04")) << run.output;
  run = runCoapClient(server, {"-m", "post", server.uri() + "/rd/1?lt=60"});
  EXPECT_TRUE(has(run.output, "c:4.04")) << run.output;
  run = runCoapClient(server, {"-m", "post", server.uri() + "/rd/99"});
  EXPECT_TRUE(has(run.output, "c:4.04")) << run.output;
  run = runCoapClient(server, {"-m", "get", server.uri() + "/rd"});
  EXPECT_TRUE(has(run.output, "c:4.05")) << run.output;
  run = runCoapClient(server, {"-m", "get", server.uri() + "/3/0"});
  EXPECT_TRUE(has(run.output, "c:4.04")) << run.output;

  auto failed = server.waitForEvent(Event::Kind::Deregister, 1s);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->code, 0x84);
  EXPECT_EQ(server.waitForEvent(Event::Kind::Deregister, 50ms), std::nullopt);  // all consumed
  EXPECT_EQ(server.events().size(), 7u);
}

TEST(TestLwm2mServerTest, DroppedRegisterGetsNoAckSoTheClientRetransmits) {
  if (!executable(coapClient())) GTEST_SKIP() << coapClient() << " missing";
  TestLwm2mServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  server.dropNextRegisters(1);
  auto start = Clock::now();
  auto run =
      runCoapClient(server, {"-m", "post", "-e", "</3/0>", server.uri() + "/rd?ep=slow"}, 15s);
  // The first transmission vanished without an ACK; libcoap's retransmission (after 2-3 s)
  // was answered. An empty ACK would have left coap-client waiting for a separate response.
  EXPECT_GE(Clock::now() - start, 1500ms);
  EXPECT_TRUE(has(run.output, "c:2.01")) << run.output;
  EXPECT_EQ(server.droppedRegisters(), 1);
  EXPECT_EQ(server.events().size(), 1u);
}

class TwoServersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.ok()) << server_.error();
    ASSERT_TRUE(client_.ok()) << client_.error();
    // One thread: whichever side blocks keeps the other one going.
    client_.setSidePump([this] { server_.pump(0ms); });
    server_.setSidePump([this] { client_.pump(0ms); });
    ASSERT_TRUE(client_.connect("127.0.0.1", server_.port()));
  }

  TestLwm2mServer server_;
  TestLwm2mServer client_;  // plays the LwM2M client through request()
};

TEST_F(TwoServersTest, RegisterAnswerCarriesLocationPath) {
  auto response = client_.request(Method::Post, "/rd", registerOptions("dev-a"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x41);
  EXPECT_EQ(response->locationPath, (std::vector<std::string>{"rd", "1"}));
  response = client_.request(Method::Post, "/rd", registerOptions("dev-b"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->locationPath, (std::vector<std::string>{"rd", "2"}));
  EXPECT_EQ(server_.registrations().size(), 2u);
  // Registering again under a known name replaces the old registration.
  response = client_.request(Method::Post, "/rd", registerOptions("dev-a"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->locationPath, (std::vector<std::string>{"rd", "3"}));
  EXPECT_EQ(server_.registrations().size(), 2u);
  EXPECT_EQ(server_.registrations().count("/rd/1"), 0u);
  EXPECT_EQ(server_.registration()->location, "/rd/3");
}

TEST_F(TwoServersTest, RegisterWithoutEndpointNameIsBadRequest) {
  RequestOptions options = registerOptions("x");
  options.query = {"lt=60"};
  auto response = client_.request(Method::Post, "/rd", options);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x80);
  EXPECT_TRUE(response->locationPath.empty());
  options.query = {"ep="};
  response = client_.request(Method::Post, "/rd", options);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x80);
  EXPECT_TRUE(server_.registrations().empty());
  ASSERT_EQ(server_.events().size(), 2u);
  EXPECT_TRUE(server_.events()[0].location.empty());
}

TEST_F(TwoServersTest, FlagsWithoutValueAreKept) {
  RequestOptions options = registerOptions("flags");
  options.query.push_back("Q");
  ASSERT_TRUE(client_.request(Method::Post, "/rd", options));
  auto event = server_.waitForEvent(Event::Kind::Register, 1s);
  ASSERT_TRUE(event);
  ASSERT_EQ(event->query.count("Q"), 1u);
  EXPECT_EQ(event->query.at("Q"), "");
}

TEST_F(TwoServersTest, SetRegisterCodeRefusesRegistration) {
  server_.setRegisterCode(0x83);  // 4.03 Forbidden
  auto response = client_.request(Method::Post, "/rd", registerOptions("refused"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x83);
  EXPECT_TRUE(response->locationPath.empty());
  EXPECT_FALSE(server_.registration());
  auto event = server_.waitForEvent(Event::Kind::Register, 1s);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->code, 0x83);
  server_.setRegisterCode(0x41);
  response = client_.request(Method::Post, "/rd", registerOptions("accepted"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x41);
}

TEST_F(TwoServersTest, FailNextUpdatesAnswersWithTheGivenCode) {
  ASSERT_TRUE(client_.request(Method::Post, "/rd", registerOptions("dev")));
  server_.failNextUpdates(2, 0x84);
  RequestOptions update;
  update.query = {"lt=30"};
  for (int i = 0; i < 2; ++i) {
    auto response = client_.request(Method::Post, "/rd/1", update);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->code, 0x84);
  }
  auto response = client_.request(Method::Post, "/rd/1", update);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x44);
  for (uint8_t code : {0x84, 0x84, 0x44}) {
    auto event = server_.waitForEvent(Event::Kind::Update, 1s);
    ASSERT_TRUE(event);
    EXPECT_EQ(event->code, code);
  }
  EXPECT_EQ(server_.registration()->query.at("lt"), "30");
}

TEST_F(TwoServersTest, DropNextRegistersIsSilentForNonRequests) {
  server_.dropNextRegisters(2);
  auto options = registerOptions("lossy", /*confirmable=*/false);
  options.timeout = 300ms;
  EXPECT_EQ(client_.request(Method::Post, "/rd", options), std::nullopt);
  EXPECT_EQ(client_.request(Method::Post, "/rd", options), std::nullopt);
  EXPECT_EQ(server_.droppedRegisters(), 2);
  EXPECT_TRUE(server_.events().empty());
  // Other requests pass while Registers are being dropped.
  server_.dropNextRegisters(1);
  auto update = client_.request(Method::Post, "/rd/7", {});
  ASSERT_TRUE(update);
  EXPECT_EQ(update->code, 0x84);
  EXPECT_EQ(client_.request(Method::Post, "/rd", options), std::nullopt);
  options.timeout = 3s;
  auto response = client_.request(Method::Post, "/rd", options);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x41);
  EXPECT_EQ(server_.droppedRegisters(), 3);
}

TEST_F(TwoServersTest, LargeRegistrationPayloadArrivesWhole) {
  auto options = registerOptions("big");
  std::string links;
  for (int i = 0; i < 400; ++i) links += "</" + std::to_string(10000 + i) + "/0>,";
  links.pop_back();
  ASSERT_GT(links.size(), 3000u);  // several blocks
  options.payload.assign(links.begin(), links.end());
  auto response = client_.request(Method::Post, "/rd", options);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x41);
  ASSERT_TRUE(server_.registration());
  EXPECT_EQ(server_.registration()->payload, links);
}

TEST_F(TwoServersTest, RequestsGoToTheLatestRegisteredClient) {
  ASSERT_TRUE(client_.request(Method::Post, "/rd", registerOptions("dev")));
  ASSERT_TRUE(server_.hasPeer());
  // The "client" here is another TestLwm2mServer: it answers 4.04 to anything but /rd, which
  // proves the request reached it over the registration's session.
  auto response = server_.read("/3/0", 11542);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x84);
  response = server_.request(Method::Delete, "/rd/1");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x84);  // the client side has no registrations of its own
}

class CoapServerPeerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!executable(coapServer())) GTEST_SKIP() << coapServer() << " missing";
    ASSERT_TRUE(server_.ok()) << server_.error();
    port_ = freeUdpPort();
    ASSERT_NE(port_, 0);
    // -d 4: up to four resources created by PUT.
    peer_.emplace(coapServer(), std::vector<std::string>{"-A", "127.0.0.1", "-p",
                                                         std::to_string(port_), "-d", "4"});
    ASSERT_TRUE(peer_->started()) << peer_->error();
    ASSERT_TRUE(server_.connect("127.0.0.1", port_));
    // Ready once it answers; bounded.
    RequestOptions quick;
    quick.timeout = 200ms;
    bool up = false;
    for (int i = 0; i < 50 && !up; ++i) {
      up = server_.request(Method::Get, "/time", quick).has_value();
      // Until it binds, the port refuses at once (ICMP): wait a little before asking again.
      if (!up) server_.waitFor([] { return false; }, 100ms);
    }
    ASSERT_TRUE(up) << peer_->output();
  }

  TestLwm2mServer server_;
  uint16_t port_ = 0;
  std::optional<ChildProcess> peer_;
};

TEST_F(CoapServerPeerTest, ReadsAndMissingResources) {
  auto response = server_.read("/time");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x45);
  EXPECT_EQ(response->contentFormat, std::nullopt);  // coap-server sends none for /time
  EXPECT_FALSE(TestLwm2mServer::text(*response).empty());
  EXPECT_EQ(response->token.size(), 8u);

  response = server_.read("/no/such/thing");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x84);

  RequestOptions non;
  non.confirmable = false;
  response = server_.request(Method::Get, "/time", non);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x45);
}

TEST_F(CoapServerPeerTest, SeparateResponseIsMatchedByToken) {
  RequestOptions options;
  options.query = {"1"};  // answer after one second: empty ACK first, then a CON response
  auto start = Clock::now();
  auto response = server_.request(Method::Get, "/async", options);
  ASSERT_TRUE(response);
  EXPECT_GE(Clock::now() - start, 800ms);
  EXPECT_EQ(response->code, 0x45);
  EXPECT_EQ(TestLwm2mServer::text(*response), "done");
}

TEST_F(CoapServerPeerTest, WriteReadDeleteIncludingBlockwise) {
  auto response = server_.write("/note", 50, std::string("{\"a\":1}"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x41);
  response = server_.read("/note");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x45);
  EXPECT_EQ(response->contentFormat, 50);  // stored with the PUT, returned with the GET
  EXPECT_EQ(TestLwm2mServer::text(*response), "{\"a\":1}");

  std::string large;
  for (int i = 0; large.size() < 5000; ++i) large += std::to_string(i) + ",";
  response = server_.write("/note", 0, large);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x44);
  response = server_.read("/note");
  ASSERT_TRUE(response);
  EXPECT_EQ(TestLwm2mServer::text(*response), large);

  response = server_.request(Method::Delete, "/note");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x42);
  response = server_.read("/note");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x84);
}

TEST_F(CoapServerPeerTest, ObserveCollectsNotificationsUntilCancelled) {
  auto first = server_.startObserve("/time");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->code, 0x45);
  ASSERT_TRUE(first->observe);
  const Token token = first->token;
  ASSERT_TRUE(server_.waitForNotifications(token, 2, 5s));
  const auto& notes = server_.notifications(token);
  ASSERT_GE(notes.size(), 2u);
  EXPECT_EQ(notes[0].code, 0x45);
  ASSERT_TRUE(notes[0].observe && notes[1].observe);
  EXPECT_GT(*notes[1].observe, *notes[0].observe);
  EXPECT_EQ(notes[0].token, token);

  auto cancelled = server_.cancelObserve(token);
  ASSERT_TRUE(cancelled);
  EXPECT_EQ(cancelled->code, 0x45);
  EXPECT_FALSE(cancelled->observe);
  const size_t count = server_.notifications(token).size();
  server_.waitFor([] { return false; }, 2500ms);
  EXPECT_EQ(server_.notifications(token).size(), count);

  EXPECT_EQ(server_.cancelObserve(Token{1, 2, 3}), std::nullopt);  // unknown token
  EXPECT_TRUE(server_.notifications(Token{1, 2, 3}).empty());
}

TEST_F(CoapServerPeerTest, ForgottenObservationIsResetByTheNextNotification) {
  auto first = server_.startObserve("/time");
  ASSERT_TRUE(first && first->observe);
  server_.forgetObserve(first->token);
  // Our RST to the next notification ends the observation at the peer; a later one starts fresh.
  server_.waitFor([] { return false; }, 1500ms);
  EXPECT_TRUE(server_.notifications(first->token).empty());
  auto second = server_.startObserve("/time");
  ASSERT_TRUE(second && second->observe);
  EXPECT_NE(second->token, first->token);
  EXPECT_TRUE(server_.waitForNotifications(second->token, 1, 5s));
}

TEST_F(CoapServerPeerTest, ObserveOnAPlainResourceIsNotEstablished) {
  auto response = server_.startObserve("/");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x45);
  EXPECT_FALSE(response->observe);
}

TEST(TestLwm2mServerPeerlessTest, RequestToAClosedPortFailsWithinTheTimeout) {
  TestLwm2mServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  ASSERT_TRUE(server.connect("127.0.0.1", freeUdpPort()));
  RequestOptions options;
  options.timeout = 500ms;
  auto start = Clock::now();
  EXPECT_EQ(server.request(Method::Get, "/3/0", options), std::nullopt);
  EXPECT_LT(Clock::now() - start, 2s);
}

}  // namespace
}  // namespace lwm2md::test

namespace lwm2md::test {
namespace {

// The Bootstrap-Server role: POST /bs is a Bootstrap-Request, recorded with its query and
// answered 2.04 (or the configured code); the bootstrap helpers then go to its sender.
TEST_F(TwoServersTest, BootstrapRequestIsRecordedAndMakesItsSenderThePeer) {
  RequestOptions options;
  options.query = {"ep=node-bs", "pct=112"};
  options.timeout = 3s;
  auto response = client_.request(Method::Post, "/bs", options);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x44);
  auto event = server_.waitForEvent(Event::Kind::BootstrapRequest, 1s);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->code, 0x44);
  EXPECT_EQ(event->query, (std::map<std::string, std::string>{{"ep", "node-bs"}, {"pct", "112"}}));
  EXPECT_TRUE(server_.hasPeer());
  EXPECT_TRUE(server_.registrations().empty());  // a Bootstrap-Request registers nothing

  // The "client" is another TestLwm2mServer: its answers prove where each helper's request went
  // and with which method. POST /bs (Bootstrap-Finish) is a Bootstrap-Request to it: 2.04 and an
  // event on its side.
  response = server_.bootstrapFinish();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x44);
  auto finish = client_.waitForEvent(Event::Kind::BootstrapRequest, 1s);
  ASSERT_TRUE(finish);
  EXPECT_TRUE(finish->query.empty());
  // Anything else but /rd is 4.04 there.
  const std::vector<uint8_t> tlv{0xc1, 0x00, 0x01};
  response = server_.bootstrapWrite("/1/0", 11542, tlv);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x84);
  response = server_.bootstrapDiscover("/");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x84);
  response = server_.bootstrapRead("/1/0", 11542);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x84);
  response = server_.bootstrapDelete("/");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x84);
}

TEST_F(TwoServersTest, BootstrapRequestCodeIsConfigurable) {
  server_.setBootstrapRequestCode(0x80);  // 4.00 Bad Request
  RequestOptions options;
  options.query = {"ep=refused"};
  options.timeout = 3s;
  auto response = client_.request(Method::Post, "/bs", options);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x80);
  auto event = server_.waitForEvent(Event::Kind::BootstrapRequest, 1s);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->code, 0x80);
  EXPECT_EQ(event->query.at("ep"), "refused");
  // GET /bs is no Bootstrap-Request.
  response = client_.request(Method::Get, "/bs", options);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x84);
  EXPECT_EQ(server_.events().size(), 1u);
}

}  // namespace
}  // namespace lwm2md::test

namespace lwm2md::test {
namespace {

// A hand-made CoAP client on a raw UDP socket: it registers, answers the server's Observe and
// then sends CON notifications, repeating some byte for byte as a client does whose ACK was lost.
class RawCoapPeer {
 public:
  explicit RawCoapPeer(uint16_t serverPort) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    server_ = local;
    server_.sin_port = htons(serverPort);
    if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawCoapPeer() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawCoapPeer(const RawCoapPeer&) = delete;
  RawCoapPeer& operator=(const RawCoapPeer&) = delete;

  bool ok() const { return fd_ >= 0; }

  struct Message {
    uint8_t type = 0;
    uint8_t code = 0;
    uint16_t mid = 0;
    Token token;
    std::vector<std::pair<uint16_t, std::vector<uint8_t>>> options;  // in ascending order
    std::vector<uint8_t> payload;
  };

  static std::vector<uint8_t> encode(const Message& m) {
    std::vector<uint8_t> out{static_cast<uint8_t>(0x40 | (m.type << 4) | m.token.size()), m.code,
                             static_cast<uint8_t>(m.mid >> 8), static_cast<uint8_t>(m.mid)};
    out.insert(out.end(), m.token.begin(), m.token.end());
    uint16_t last = 0;
    for (const auto& [number, value] : m.options) {
      // Deltas and lengths below 13 only: enough for these tests' options.
      out.push_back(static_cast<uint8_t>(((number - last) << 4) | value.size()));
      out.insert(out.end(), value.begin(), value.end());
      last = number;
    }
    if (!m.payload.empty()) {
      out.push_back(0xff);
      out.insert(out.end(), m.payload.begin(), m.payload.end());
    }
    return out;
  }

  // Header, token and the Observe option (6) of a datagram; nullopt if it is not CoAP.
  static std::optional<Message> decode(const std::vector<uint8_t>& bytes) {
    if (bytes.size() < 4 || (bytes[0] >> 6) != 1) return std::nullopt;
    Message m;
    m.type = (bytes[0] >> 4) & 3;
    const size_t tkl = bytes[0] & 15;
    if (tkl > 8 || bytes.size() < 4 + tkl) return std::nullopt;
    m.code = bytes[1];
    m.mid = static_cast<uint16_t>(bytes[2] << 8 | bytes[3]);
    m.token.assign(bytes.begin() + 4, bytes.begin() + 4 + static_cast<long>(tkl));
    size_t i = 4 + tkl;
    uint16_t number = 0;
    while (i < bytes.size() && bytes[i] != 0xff) {
      unsigned delta = bytes[i] >> 4, length = bytes[i] & 15;
      ++i;
      auto extended = [&](unsigned& v) {
        if (v == 13 && i < bytes.size())
          v = 13u + bytes[i++];
        else if (v == 14 && i + 1 < bytes.size()) {
          v = 269u + (bytes[i] << 8 | bytes[i + 1]);
          i += 2;
        }
      };
      extended(delta);
      extended(length);
      number = static_cast<uint16_t>(number + delta);
      if (i + length > bytes.size()) return std::nullopt;
      m.options.push_back(
          {number,
           {bytes.begin() + static_cast<long>(i), bytes.begin() + static_cast<long>(i + length)}});
      i += length;
    }
    return m;
  }

  void send(const Message& m) { sendRaw(encode(m)); }
  void sendRaw(const std::vector<uint8_t>& bytes) {
    ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<const sockaddr*>(&server_),
             sizeof(server_));
  }

  // Every datagram waiting on the socket (non-blocking).
  std::vector<Message> drain() {
    std::vector<Message> out;
    std::vector<uint8_t> buffer(2048);
    for (int i = 0; i < 64; ++i) {
      const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
      if (n < 0) break;
      if (auto m = decode({buffer.begin(), buffer.begin() + n})) out.push_back(*m);
    }
    return out;
  }

 private:
  int fd_ = -1;
  sockaddr_in server_{};
};

std::vector<uint8_t> bytesOf(const std::string& text) {
  return {text.begin(), text.end()};
}

class RetransmittedNotificationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.ok()) << server_.error();
    ASSERT_TRUE(peer_.ok());
    // Register, so that the server's requests go to the raw peer through its own endpoint.
    RawCoapPeer::Message reg;
    reg.type = 0;
    reg.code = 0x02;
    reg.mid = 0x0100;
    reg.token = {0xaa};
    reg.options = {{11, bytesOf("rd")}, {15, bytesOf("ep=raw")}};
    peer_.send(reg);
    ASSERT_TRUE(server_.waitForEvent(Event::Kind::Register, 2s));
    ASSERT_TRUE(server_.waitFor([&] { return hasAck(reg.mid); }, 2s));

    // The Observe: answered with a piggybacked 2.05 carrying Observe 1.
    server_.setSidePump([this] {
      for (auto& m : collect()) {
        if (m.type != 0 || m.code != 0x01) continue;
        RawCoapPeer::Message ack;
        ack.type = 2;
        ack.code = 0x45;
        ack.mid = m.mid;
        ack.token = m.token;
        ack.options = {{6, {1}}, {12, {}}};
        ack.payload = bytesOf("1");
        peer_.send(ack);
      }
    });
    auto observed = server_.startObserve("/3303/0/5700", 0, 2s);
    server_.setSidePump({});
    ASSERT_TRUE(observed);
    ASSERT_TRUE(observed->observe);
    token_ = observed->token;
  }

  // Datagrams from the server, kept for the assertions.
  std::vector<RawCoapPeer::Message> collect() {
    auto fresh = peer_.drain();
    received_.insert(received_.end(), fresh.begin(), fresh.end());
    return fresh;
  }
  int acksFor(uint16_t mid) {
    collect();
    return static_cast<int>(std::count_if(received_.begin(), received_.end(), [&](const auto& m) {
      return m.type == 2 && m.mid == mid;
    }));
  }
  int resetsFor(uint16_t mid) {
    collect();
    return static_cast<int>(std::count_if(received_.begin(), received_.end(), [&](const auto& m) {
      return m.type == 3 && m.mid == mid;
    }));
  }
  bool hasAck(uint16_t mid) { return acksFor(mid) > 0; }

  RawCoapPeer::Message notification(uint16_t mid, uint8_t observe, const std::string& value) {
    RawCoapPeer::Message m;
    m.type = 0;
    m.code = 0x45;
    m.mid = mid;
    m.token = token_;
    m.options = {{6, {observe}}, {12, {}}};
    m.payload = bytesOf(value);
    return m;
  }

  TestLwm2mServer server_;
  RawCoapPeer peer_{server_.port()};
  Token token_;
  std::vector<RawCoapPeer::Message> received_;
};

// RFC 7252 §4.5: every copy of a CON message is acknowledged, the duplicate is not processed
// again.
TEST_F(RetransmittedNotificationTest, EveryCopyOfACONNotificationIsAcknowledged) {
  const auto note = notification(0x2000, 2, "21.5");
  peer_.send(note);
  ASSERT_TRUE(server_.waitFor([&] { return acksFor(note.mid) >= 1; }, 2s));
  // The client's ACK_TIMEOUT later: the same message again, byte for byte.
  server_.waitFor([] { return false; }, 100ms);
  peer_.send(note);
  EXPECT_TRUE(server_.waitFor([&] { return acksFor(note.mid) >= 2; }, 2s))
      << "the retransmitted notification got " << acksFor(note.mid) << " ACK(s) in all";
  server_.waitFor([] { return false; }, 100ms);
  const auto& notes = server_.notifications(token_);
  ASSERT_EQ(notes.size(), 1u) << "a duplicate was handed on as a new notification";
  EXPECT_EQ(server_.answeredRetransmissions(), 1);
  EXPECT_EQ(TestLwm2mServer::text(notes[0]), "21.5");
  for (const auto& m : received_) {
    if (m.mid != note.mid) continue;
    EXPECT_EQ(m.type, 2) << "not an ACK";
    EXPECT_EQ(m.code, 0) << "not an empty ACK";
    EXPECT_TRUE(m.token.empty());
  }
}

// Queued together before the server looks (each datagram is peeked more than once before
// libcoap reads it): the first copy still goes through, every later one gets its own ACK.
TEST_F(RetransmittedNotificationTest, CopiesQueuedTogetherAreEachAnswered) {
  const auto note = notification(0x2100, 3, "22");
  peer_.send(note);
  peer_.send(note);
  peer_.send(note);
  EXPECT_TRUE(server_.waitFor([&] { return acksFor(note.mid) >= 3; }, 2s))
      << acksFor(note.mid) << " ACK(s)";
  server_.waitFor([] { return false; }, 100ms);
  EXPECT_EQ(acksFor(note.mid), 3);
  EXPECT_EQ(server_.answeredRetransmissions(), 2);
  ASSERT_EQ(server_.notifications(token_).size(), 1u);
  EXPECT_EQ(TestLwm2mServer::text(server_.notifications(token_)[0]), "22");
}

// New messages are not copies: a reordered older notification, and a message id used again
// for other bytes (a client that restarted) go to libcoap and are acknowledged once each.
TEST_F(RetransmittedNotificationTest, NewMessagesAreNotMistakenForCopies) {
  peer_.send(notification(0x3001, 5, "b"));
  ASSERT_TRUE(server_.waitFor([&] { return acksFor(0x3001) >= 1; }, 2s));
  peer_.send(notification(0x3000, 4, "a"));
  ASSERT_TRUE(server_.waitFor([&] { return acksFor(0x3000) >= 1; }, 2s));
  server_.waitFor([] { return false; }, 100ms);
  peer_.send(notification(0x3000, 6, "c"));  // same id, other bytes
  server_.waitFor([] { return false; }, 300ms);
  EXPECT_EQ(acksFor(0x3001), 1);
  EXPECT_EQ(server_.answeredRetransmissions(), 0);
  const auto& notes = server_.notifications(token_);
  ASSERT_GE(notes.size(), 2u);
  EXPECT_EQ(TestLwm2mServer::text(notes[0]), "b");
  EXPECT_EQ(TestLwm2mServer::text(notes[1]), "a");
}

// A notification nobody observes any more is reset (RFC 7641 §3.6), and so is its copy.
TEST_F(RetransmittedNotificationTest, ACopyOfAnUnwantedNotificationIsResetAgain) {
  server_.forgetObserve(token_);
  const auto note = notification(0x2200, 7, "23");
  peer_.send(note);
  ASSERT_TRUE(server_.waitFor([&] { return acksFor(note.mid) + resetsFor(note.mid) >= 1; }, 2s));
  server_.waitFor([] { return false; }, 100ms);
  peer_.send(note);
  EXPECT_TRUE(server_.waitFor([&] { return resetsFor(note.mid) >= 2; }, 2s))
      << resetsFor(note.mid) << " RST(s), " << acksFor(note.mid) << " ACK(s)";
  EXPECT_EQ(acksFor(note.mid), 0);
  EXPECT_TRUE(server_.notifications(token_).empty());
}

// Malformed (token length 8, two token bytes) and requests: never answered as copies.
TEST_F(RetransmittedNotificationTest, MalformedMessagesAndRequestsAreLeftToLibcoap) {
  const std::vector<uint8_t> truncated{static_cast<uint8_t>(0x48), 0x45, 0x23, 0x00, 1, 2};
  RawCoapPeer::Message get;
  get.type = 0;
  get.code = 0x01;
  get.mid = 0x2301;
  get.token = {0x42};
  get.options = {{11, bytesOf("rd")}};
  for (int copy = 0; copy < 2; ++copy) {
    peer_.sendRaw(truncated);
    peer_.send(get);
    server_.waitFor([] { return false; }, 150ms);
  }
  EXPECT_EQ(server_.answeredRetransmissions(), 0);
  collect();
  for (const auto& m : received_) {
    if (m.mid == 0x2300) {
      EXPECT_FALSE(m.type == 2 && m.code == 0) << "empty ACK to garbage";
    }
  }
  // libcoap answers the GET itself (4.05 on /rd), both times or once and the copy ignored.
  EXPECT_TRUE(server_.waitFor([&] { return hasAck(0x2301); }, 2s));
  EXPECT_EQ(server_.answeredRetransmissions(), 0);
}

}  // namespace
}  // namespace lwm2md::test
