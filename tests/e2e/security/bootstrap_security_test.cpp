// Bootstrap over DTLS end to end, named after the OMA ETS cases (LightweightM2M-1.1-int-1 PSK,
// -int-2 Certificate): the real lwm2md, provisioned only with a secured Bootstrap-Server
// account, is bootstrapped by the libcoap test server over DTLS, receives the key material of
// a DM server in the Security object (/0/1/3, 4, 5 as Opaque) and registers with that server
// over DTLS using exactly those keys. A Bootstrap-Server holding another key never gets a
// request, in DTLS or in clear.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/child_process.hpp"
#include "support/private_bus.hpp"
#include "support/temp_dir.hpp"
#include "support/test_lwm2m_server.hpp"

namespace lwm2md::test {
namespace {

using namespace std::chrono_literals;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using Bytes = std::vector<uint8_t>;

constexpr uint16_t kSenmlJson = 110;
constexpr uint8_t kCreated = 0x41, kChanged = 0x44, kDeleted = 0x42, kContent = 0x45,
                  kBadRequest = 0x80;

// The Bootstrap-Server account's key (in the config) and the DM server's key (only ever sent
// by the Bootstrap-Server). Neither may show up in the daemon's output.
constexpr const char* kBootstrapPskHex = "b0075e12b0075e12b0075e12b0075e12";
constexpr const char* kOtherPskHex = "0badc0de0badc0de0badc0de0badc0de";
constexpr const char* kDmPskHex = "d3ad101d3ad101d3ad101d3ad101aa55";
constexpr const char* kBootstrapIdentity = "bs-e2e-gw";
constexpr const char* kDmIdentity = "dm-101-e2e-gw";

std::string dataDir() {
  const char* dir = std::getenv("LWM2MD_TEST_DTLS_DIR");
  return dir != nullptr ? dir : "tests/data/dtls";
}

Bytes dataBytes(const std::string& name) {
  std::ifstream in(dataDir() + "/" + name, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string dataText(const std::string& name) {
  const Bytes bytes = dataBytes(name);
  return std::string(bytes.begin(), bytes.end());
}

Bytes fromHex(const std::string& hex) {
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

Bytes bytesOf(const std::string& text) {
  return {text.begin(), text.end()};
}

/// RFC 4648 §5 base64url without padding: SenML JSON's "vd" (RFC 8428 §4.3). Written here
/// rather than taken from the daemon so a fault in its codec cannot cancel out.
std::string base64Url(const Bytes& data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    const uint32_t n = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(n >> shift) & 0x3f];
  }
  if (data.size() - i == 1) {
    const uint32_t n = uint32_t{data[i]} << 16;
    out += kAlphabet[(n >> 18) & 0x3f];
    out += kAlphabet[(n >> 12) & 0x3f];
  } else if (data.size() - i == 2) {
    const uint32_t n = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8);
    out += kAlphabet[(n >> 18) & 0x3f];
    out += kAlphabet[(n >> 12) & 0x3f];
    out += kAlphabet[(n >> 6) & 0x3f];
  }
  return out;
}

ServerSecurity pskServer(const std::string& identity, const std::string& keyHex) {
  ServerSecurity s;
  s.mode = ServerSecurity::Mode::Psk;
  s.pskIdentity = identity;
  s.pskKey = fromHex(keyHex);
  return s;
}

ServerSecurity certificateServer() {
  ServerSecurity s;
  s.mode = ServerSecurity::Mode::Certificate;
  s.certificate = dataBytes("server.crt.der");
  s.privateKey = dataBytes("server.key.der");
  s.caCertificate = dataBytes("ca.crt.der");  // client certificates must chain to the test CA
  return s;
}

/// Server 101's Server instance (/1/1): lifetime 60 s, UDP.
Bytes serverFor101() {
  return bytesOf(
      R"([{"bn":"/1/1/","n":"0","v":101},{"n":"1","v":60},{"n":"6","vb":false},{"n":"7","vs":"U"}])");
}

/// Server 101's Security instance (/0/1) in `mode` with the key material as SenML data values.
Bytes securityFor101(const std::string& uri, int mode, const Bytes& identity,
                     const Bytes& serverKey, const Bytes& secretKey) {
  std::string pack = R"([{"bn":"/0/1/","n":"0","vs":")" + uri +
                     R"("},{"n":"1","vb":false},{"n":"2","v":)" + std::to_string(mode) +
                     R"(},{"n":"3","vd":")" + base64Url(identity) + R"("})";
  if (!serverKey.empty()) pack += R"(,{"n":"4","vd":")" + base64Url(serverKey) + R"("})";
  pack += R"(,{"n":"5","vd":")" + base64Url(secretKey) + R"("},{"n":"10","v":101}])";
  return bytesOf(pack);
}

/// A private bus, a DTLS Bootstrap-Server, a DTLS DM server and the real daemon. Both servers
/// are made per test, since each test needs other credentials.
class BootstrapSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(bus_.ok()) << bus_.error();
    ASSERT_TRUE(dir_.ok());
  }

  void TearDown() override {
    if (daemon_ && daemon_->running()) daemon_->stop(10s, [this] { pumpBoth(); });
  }

  void pumpBoth() {
    if (bs_) bs_->pump(5ms);
    if (dm_) dm_->pump(5ms);
  }

  void makeServers(ServerSecurity bootstrap, ServerSecurity dm) {
    bs_ = std::make_unique<TestLwm2mServer>(std::move(bootstrap));
    ASSERT_TRUE(bs_->ok()) << bs_->error();
    dm_ = std::make_unique<TestLwm2mServer>(std::move(dm));
    ASSERT_TRUE(dm_->ok()) << dm_->error();
    ASSERT_THAT(bs_->uri(), ::testing::StartsWith("coaps://127.0.0.1:"));
    ASSERT_THAT(dm_->uri(), ::testing::StartsWith("coaps://127.0.0.1:"));
    // Waiting on either server keeps the other one going.
    bs_->setSidePump([this] { dm_->pump(0ms); });
    dm_->setSidePump([this] { bs_->pump(0ms); });
  }

  /// Writes a key file the way an administrator must: readable by its owner only.
  std::string privateFile(const std::string& name, const std::string& content) {
    const std::string file = dir_.file(name);
    EXPECT_TRUE(writeFile(file, content));
    EXPECT_EQ(::chmod(file.c_str(), 0600), 0);
    return file;
  }

  /// ETS configuration C.13 with a secured Bootstrap-Server account: no [[server]].
  std::string config(const std::string& securityLines, const std::string& logLevel = "debug") {
    return "endpoint = \"e2e-gw\"\nlog_level = \"" + logLevel +
           "\"\n"
           "[registration]\nretry_initial = 1\nretry_max = 2\n"
           "[device]\nmanufacturer = \"lwm2md tests\"\nmodel = \"E2E\"\n"
           "[bootstrap]\nuri = \"" +
           bs_->uri() + "\"\n" + securityLines;
  }

  void startDaemon(const std::string& configText) {
    const std::string file = dir_.file("lwm2md.toml");
    ASSERT_TRUE(writeFile(file, configText));
    DaemonOptions options;
    options.binary = std::getenv("LWM2MD_BINARY");
    options.configFile = file;
    options.busAddress = bus_.address();
    options.stateDir = dir_.file("state");
    options.logLevel.reset();  // the config's log_level decides
    daemon_ = std::make_unique<DaemonProcess>(options);
    ASSERT_TRUE(daemon_->started()) << daemon_->error();
  }

  /// The client's Bootstrap-Request, over DTLS.
  void expectBootstrapRequest() {
    auto request = bs_->waitForEvent(Event::Kind::BootstrapRequest, 10s);
    ASSERT_TRUE(request) << "no Bootstrap-Request; daemon output:\n" << daemon_->output();
    EXPECT_EQ(request->query["ep"], "e2e-gw");
  }

  /// The Bootstrap-Request over DTLS, then Delete, the two writes and Finish, each answered
  /// as TS 1.1 §6.1 wants.
  void provision(const Bytes& security, bool waitForRequest = true) {
    if (waitForRequest) {
      ASSERT_NO_FATAL_FAILURE(expectBootstrapRequest());
    }
    auto deleted = bs_->bootstrapDelete("/");
    ASSERT_TRUE(deleted) << daemon_->output();
    EXPECT_EQ(deleted->code, kDeleted) << TestLwm2mServer::text(*deleted);
    auto written = bs_->bootstrapWrite("/0/1", kSenmlJson, security);
    ASSERT_TRUE(written) << daemon_->output();
    EXPECT_EQ(written->code, kChanged) << TestLwm2mServer::text(*written);
    auto server = bs_->bootstrapWrite("/1/1", kSenmlJson, serverFor101());
    ASSERT_TRUE(server) << daemon_->output();
    EXPECT_EQ(server->code, kChanged) << TestLwm2mServer::text(*server);
    auto finish = bs_->bootstrapFinish();
    ASSERT_TRUE(finish) << daemon_->output();
    EXPECT_EQ(finish->code, kChanged) << TestLwm2mServer::text(*finish);
    // The whole exchange went over DTLS.
    EXPECT_EQ(bs_->datagrams().plainCoap, 0);
    EXPECT_GE(bs_->datagrams().clientHellos, 1);
  }

  /// The Register at the DM server over DTLS, then a Read on that session.
  void expectRegisterAndRead() {
    auto reg = dm_->waitForEvent(Event::Kind::Register, 10s);
    ASSERT_TRUE(reg) << "no Register after Bootstrap-Finish; daemon output:\n" << daemon_->output();
    EXPECT_EQ(reg->code, kCreated);
    EXPECT_EQ(reg->query["ep"], "e2e-gw");
    EXPECT_THAT(reg->payload, HasSubstr("</1/1>"));
    EXPECT_FALSE(dm_->registerCipherSuite().empty()) << "Register did not come over DTLS";
    auto read = dm_->read("/3/0/0", 0);  // text/plain
    ASSERT_TRUE(read) << daemon_->output();
    EXPECT_EQ(read->code, kContent);
    EXPECT_EQ(TestLwm2mServer::text(*read), "lwm2md tests");
    EXPECT_EQ(dm_->datagrams().plainCoap, 0);
    EXPECT_GE(dm_->datagrams().clientHellos, 1);
  }

  PrivateBus bus_;
  TempDir dir_{"lwm2md-e2e-bssec"};
  std::unique_ptr<TestLwm2mServer> bs_;
  std::unique_ptr<TestLwm2mServer> dm_;
  std::unique_ptr<DaemonProcess> daemon_;
};

// int-1: the Bootstrap-Server account uses a PSK; it provisions server 101 in PSK mode with
// another identity and key, which the client then uses to register.
TEST_F(BootstrapSecurityTest, Int1_PskBootstrapThenPskRegistration) {
  makeServers(pskServer(kBootstrapIdentity, kBootstrapPskHex), pskServer(kDmIdentity, kDmPskHex));
  startDaemon(config("security = \"psk\"\npsk_identity = \"" + std::string(kBootstrapIdentity) +
                     "\"\npsk_key_file = \"" +
                     privateFile("bs.psk", std::string(kBootstrapPskHex) + "\n") + "\"\n"));
  provision(securityFor101(dm_->uri(), 0, bytesOf(kDmIdentity), {}, fromHex(kDmPskHex)));
  EXPECT_THAT(bs_->pskIdentitiesSeen(), Contains(kBootstrapIdentity));
  expectRegisterAndRead();
  // The DM server saw the identity the Bootstrap-Server wrote, never the bootstrap one.
  EXPECT_THAT(dm_->pskIdentitiesSeen(), Contains(kDmIdentity));
  EXPECT_THAT(dm_->pskIdentitiesSeen(), Not(Contains(kBootstrapIdentity)));
  EXPECT_THAT(dm_->registerCipherSuite(), HasSubstr("PSK"));
  // Neither key is logged, in hex or as it travelled (base64url).
  const std::string log = daemon_->output();
  EXPECT_THAT(log, Not(HasSubstr(kBootstrapPskHex)));
  EXPECT_THAT(log, Not(HasSubstr(kDmPskHex)));
  EXPECT_THAT(log, Not(HasSubstr(base64Url(fromHex(kDmPskHex)))));
}

// int-2: the Bootstrap-Server account uses X.509 certificates (PEM files); it provisions
// server 101 in Certificate mode with DER certificate, CA and private key, and the DM server
// receives exactly that client certificate.
TEST_F(BootstrapSecurityTest, Int2_CertificateBootstrapThenCertificateRegistration) {
  makeServers(certificateServer(), certificateServer());
  startDaemon(config(
      "security = \"cert\"\ncertificate_file = \"" +
      privateFile("client.crt", dataText("client.crt")) + "\"\nprivate_key_file = \"" +
      privateFile("client.key", dataText("client.key")) + "\"\nserver_certificate_file = \"" +
      privateFile("ca.crt", dataText("ca.crt")) + "\"\n"));
  provision(securityFor101(dm_->uri(), 2, dataBytes("client.crt.der"), dataBytes("ca.crt.der"),
                           dataBytes("client.key.der")));
  ASSERT_FALSE(bs_->peerKeysSeen().empty());
  EXPECT_EQ(bs_->peerKeysSeen().front(), dataBytes("client.crt.der"));
  expectRegisterAndRead();
  ASSERT_FALSE(dm_->peerKeysSeen().empty()) << daemon_->output();
  EXPECT_EQ(dm_->peerKeysSeen().back(), dataBytes("client.crt.der"));
  EXPECT_THAT(dm_->registerCipherSuite(), HasSubstr("ECDHE_ECDSA"));
  EXPECT_THAT(daemon_->output(), Not(HasSubstr(base64Url(dataBytes("client.key.der")))));
}

// Key material the SenML JSON decoder must refuse (RFC 8428 §4.3: "vd" is base64url without
// padding; an Opaque resource is no string): each Bootstrap-Write fails with 4.00, and neither
// the answer nor the log repeats the key. The correct write afterwards still provisions.
TEST_F(BootstrapSecurityTest, MalformedKeyInBootstrapWriteIsRefusedWithoutEchoingIt) {
  makeServers(pskServer(kBootstrapIdentity, kBootstrapPskHex), pskServer(kDmIdentity, kDmPskHex));
  startDaemon(config("security = \"psk\"\npsk_identity = \"" + std::string(kBootstrapIdentity) +
                     "\"\npsk_key = \"" + std::string(kBootstrapPskHex) + "\"\n"));
  ASSERT_NO_FATAL_FAILURE(expectBootstrapRequest());
  const std::string key = base64Url(fromHex(kDmPskHex));
  const std::string prefix = R"([{"bn":"/0/1/","n":"0","vs":")" + dm_->uri() +
                             R"("},{"n":"1","vb":false},{"n":"2","v":0},{"n":"3","vd":")" +
                             base64Url(bytesOf(kDmIdentity)) + R"("},)";
  const std::string suffix = R"(,{"n":"10","v":101}])";
  for (const std::string& badKey : {R"({"n":"5","vd":")" + key + R"(=="})",    // padded
                                    R"({"n":"5","vs":")" + key + R"("})",      // a string
                                    R"({"n":"5","vd":")" + key + R"(*"})"}) {  // not base64url
    auto refused = bs_->bootstrapWrite("/0/1", kSenmlJson, bytesOf(prefix + badKey + suffix));
    ASSERT_TRUE(refused) << daemon_->output();
    EXPECT_EQ(refused->code, kBadRequest) << badKey << ": " << TestLwm2mServer::text(*refused);
    EXPECT_THAT(TestLwm2mServer::text(*refused), Not(HasSubstr(key)));
  }
  provision(securityFor101(dm_->uri(), 0, bytesOf(kDmIdentity), {}, fromHex(kDmPskHex)),
            /*waitForRequest=*/false);
  expectRegisterAndRead();
  EXPECT_THAT(dm_->pskIdentitiesSeen(), Contains(kDmIdentity));
  const std::string log = daemon_->output();
  EXPECT_THAT(log, Not(HasSubstr(key)));
  EXPECT_THAT(log, Not(HasSubstr(kDmPskHex)));
}

// The Bootstrap-Server holds another key for the identity: every handshake fails, the daemon
// retries with new handshakes, never sends the Bootstrap-Request in clear, and neither key
// shows up in its log (at trace level, where libcoap logs too).
TEST_F(BootstrapSecurityTest, BootstrapWithWrongPskNeverFallsBackToPlain) {
  makeServers(pskServer(kBootstrapIdentity, kOtherPskHex), pskServer(kDmIdentity, kDmPskHex));
  startDaemon(config("security = \"psk\"\npsk_identity = \"" + std::string(kBootstrapIdentity) +
                         "\"\npsk_key = \"" + std::string(kBootstrapPskHex) + "\"\n",
                     "trace"));
  // Two handshakes take four ClientHellos (each is repeated with the server's cookie); the
  // identity arrives late in each: wait for the second one too.
  const bool retried = bs_->waitFor(
      [&] { return bs_->datagrams().clientHellos >= 4 && bs_->pskIdentitiesSeen().size() >= 2; },
      25s);
  EXPECT_TRUE(retried) << "ClientHellos: " << bs_->datagrams().clientHellos
                       << ", identities: " << bs_->pskIdentitiesSeen().size() << "\n"
                       << daemon_->output();
  EXPECT_THAT(bs_->pskIdentitiesSeen(), Contains(kBootstrapIdentity));
  EXPECT_TRUE(bs_->events().empty()) << "a request got through the failed handshake";
  EXPECT_EQ(bs_->datagrams().plainCoap, 0) << "plain CoAP reached the Bootstrap-Server";
  EXPECT_TRUE(dm_->events().empty());
  EXPECT_EQ(dm_->datagrams().dtlsRecords + dm_->datagrams().plainCoap, 0);
  EXPECT_TRUE(daemon_->running()) << daemon_->output();
  const std::string log = daemon_->output();
  EXPECT_THAT(log, Not(HasSubstr(kBootstrapPskHex)));
  EXPECT_THAT(log, Not(HasSubstr(kOtherPskHex)));
}

// Server-initiated bootstrap over DTLS: the client is provisioned at the factory with a PSK
// server and a PSK Bootstrap-Server account. It registers, then opens its DTLS session to the
// Bootstrap-Server and pings it; the Bootstrap-Server provisions it unasked (no
// Bootstrap-Request), and the client registers with what it was given.
TEST_F(BootstrapSecurityTest, ServerInitiatedBootstrapOverDtls) {
  makeServers(pskServer(kBootstrapIdentity, kBootstrapPskHex), pskServer(kDmIdentity, kDmPskHex));
  startDaemon(config("security = \"psk\"\npsk_identity = \"" + std::string(kBootstrapIdentity) +
                     "\"\npsk_key = \"" + kBootstrapPskHex + "\"\n") +
              "[[server]]\nuri = \"" + dm_->uri() +
              "\"\nshort_id = 1\nsecurity = \"psk\"\npsk_identity = \"" + kDmIdentity +
              "\"\npsk_key = \"" + kDmPskHex + "\"\n");
  ASSERT_TRUE(dm_->waitForEvent(Event::Kind::Register, 10s)) << daemon_->output();
  ASSERT_TRUE(bs_->waitFor([this] { return bs_->hasPeer(); }, 10s)) << daemon_->output();
  EXPECT_THAT(bs_->pskIdentitiesSeen(), Contains(kBootstrapIdentity));
  provision(securityFor101(dm_->uri(), 0, bytesOf(kDmIdentity), {}, fromHex(kDmPskHex)),
            /*waitForRequest=*/false);
  // Registered anew with server 101 (its Server instance /1/1), over DTLS.
  auto reg = dm_->waitForEvent(Event::Kind::Register, 10s);
  ASSERT_TRUE(reg) << daemon_->output();
  EXPECT_THAT(reg->payload, HasSubstr("</1/1>"));
  EXPECT_EQ(dm_->datagrams().plainCoap, 0);
  const size_t requests = static_cast<size_t>(
      std::count_if(bs_->events().begin(), bs_->events().end(),
                    [](const Event& e) { return e.kind == Event::Kind::BootstrapRequest; }));
  EXPECT_EQ(requests, 0u);
}

}  // namespace
}  // namespace lwm2md::test
