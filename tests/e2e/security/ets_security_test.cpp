// DTLS security e2e tests, named after the OMA ETS cases (LightweightM2M-1.1-int-401 PSK,
// -402 Certificate, -403 RPK): the real lwm2md registers over DTLS with the libcoap test server
// and serves a Read on that session. The failing cases check that a bad credential never
// registers, is retried, and never falls back to plain CoAP.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
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

constexpr uint8_t kCreated = 0x41;
constexpr uint8_t kContent = 0x45;
// The daemon's key and a different one the server may hold. Neither may ever be logged.
constexpr const char* kPskHex = "5ecbe7f0a1b2c3d4e5f60718293a4b5c";
constexpr const char* kOtherPskHex = "0badc0de0badc0de0badc0de0badc0de";

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

/// The base64 body of a PEM file (its DER), for inline "base64:" config values.
std::string pemBody(const std::string& name) {
  std::string body;
  std::istringstream lines(dataText(name));
  for (std::string line; std::getline(lines, line);)
    if (!line.starts_with("-----")) body += line;
  return body;
}

ServerSecurity pskServer(const std::string& keyHex) {
  ServerSecurity s;
  s.mode = ServerSecurity::Mode::Psk;
  s.pskIdentity = "e2e-gw";
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

ServerSecurity rpkServer() {
  ServerSecurity s;
  s.mode = ServerSecurity::Mode::RawPublicKey;
  s.certificate = dataBytes("server-rpk.pub.der");
  s.privateKey = dataBytes("server-rpk.key.der");
  s.clientPublicKey = dataBytes("client-rpk.pub.der");
  return s;
}

/// A private bus, a DTLS test server and the real daemon. The server is made per test, since
/// each test needs other credentials.
class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(bus_.ok()) << bus_.error();
    ASSERT_TRUE(dir_.ok());
  }

  void TearDown() override {
    if (daemon_ && daemon_->running())
      daemon_->stop(10s, [this] {
        if (server_) server_->pump(10ms);
      });
  }

  void makeServer(ServerSecurity security) {
    server_ = std::make_unique<TestLwm2mServer>(std::move(security));
    ASSERT_TRUE(server_->ok()) << server_->error();
    ASSERT_THAT(server_->uri(), ::testing::StartsWith("coaps://127.0.0.1:"));
  }

  /// Writes a key file the way an administrator must: readable by its owner only.
  std::string privateFile(const std::string& name, const std::string& content, mode_t mode = 0600) {
    const std::string file = dir_.file(name);
    EXPECT_TRUE(writeFile(file, content));
    EXPECT_EQ(::chmod(file.c_str(), mode), 0);
    return file;
  }

  std::string config(const std::string& securityLines,
                     const std::string& logLevel = "debug") const {
    return "endpoint = \"e2e-gw\"\nlog_level = \"" + logLevel +
           "\"\n"
           "[registration]\nretry_initial = 1\nretry_max = 2\n"
           "[device]\nmanufacturer = \"lwm2md tests\"\nmodel = \"E2E\"\n"
           "[[server]]\nuri = \"" +
           server_->uri() + "\"\nshort_id = 1\nlifetime = 60\n" + securityLines;
  }

  void startDaemon(const std::string& configText) {
    const std::string file = dir_.file("lwm2md.toml");
    ASSERT_TRUE(writeFile(file, configText));
    DaemonOptions options;
    options.binary = std::getenv("LWM2MD_BINARY");
    options.configFile = file;
    options.busAddress = bus_.address();
    options.stateDir = dir_.file("state");
    options.env = daemonEnv_;
    options.logLevel.reset();  // the config's log_level decides
    daemon_ = std::make_unique<DaemonProcess>(options);
    ASSERT_TRUE(daemon_->started()) << daemon_->error();
  }

  /// Leaves the daemon's GnuTLS only AES-128-CCM-8 with the key exchange `kx` (a system-wide
  /// override file; an invalid one fails the daemon's TLS setup instead of being ignored).
  void restrictDaemonTo(const std::string& kx) {
    std::string text = "[overrides]\n";
    for (const char* cipher :
         {"AES-128-GCM", "AES-256-GCM", "AES-128-CCM", "AES-256-CCM", "AES-256-CCM-8",
          "AES-128-CBC", "AES-256-CBC", "CHACHA20-POLY1305", "CAMELLIA-128-GCM", "CAMELLIA-256-GCM",
          "CAMELLIA-128-CBC", "CAMELLIA-256-CBC", "3DES-CBC", "ARCFOUR-128"})
      text += std::string("tls-disabled-cipher = ") + cipher + "\n";
    for (const char* other : {"PSK", "ECDHE-PSK", "DHE-PSK", "RSA-PSK", "ECDHE-RSA", "ECDHE-ECDSA",
                              "DHE-RSA", "DHE-DSS", "RSA"})
      if (other != kx) text += std::string("tls-disabled-kx = ") + other + "\n";
    const std::string file = dir_.file("gnutls.config");
    ASSERT_TRUE(writeFile(file, text));
    daemonEnv_["GNUTLS_SYSTEM_PRIORITY_FILE"] = file;
    daemonEnv_["GNUTLS_SYSTEM_PRIORITY_FAIL_ON_INVALID"] = "1";
  }

  /// The Register over DTLS, then a Read of the Manufacturer on the same session.
  void expectRegisterAndRead() {
    auto reg = server_->waitForEvent(Event::Kind::Register, 20s);
    ASSERT_TRUE(reg) << "no Register; daemon output:\n" << daemon_->output();
    EXPECT_EQ(reg->code, kCreated);
    EXPECT_EQ(reg->query["ep"], "e2e-gw");
    EXPECT_FALSE(server_->registerCipherSuite().empty()) << "Register did not come over DTLS";
    auto read = server_->read("/3/0/0", 0);  // text/plain
    ASSERT_TRUE(read) << daemon_->output();
    EXPECT_EQ(read->code, kContent);
    EXPECT_EQ(TestLwm2mServer::text(*read), "lwm2md tests");
    EXPECT_EQ(server_->datagrams().plainCoap, 0);
    EXPECT_GE(server_->datagrams().clientHellos, 1);
  }

  /// No Register within `window`, while the daemon keeps shaking hands (at least twice).
  /// Two handshakes take four ClientHellos (each is repeated with the server's cookie);
  /// `more` adds what else must have been seen by then.
  void expectNoRegistrationButRetries(
      std::chrono::milliseconds window, const std::function<bool()>& more = [] { return true; }) {
    const bool retried =
        server_->waitFor([&] { return server_->datagrams().clientHellos >= 4 && more(); }, window);
    EXPECT_TRUE(retried) << "ClientHellos: " << server_->datagrams().clientHellos << "\n"
                         << daemon_->output();
    EXPECT_TRUE(server_->events().empty()) << "a request got through the failed handshake";
    EXPECT_FALSE(server_->registration());
    EXPECT_EQ(server_->datagrams().plainCoap, 0) << "plain CoAP reached the DTLS port";
    EXPECT_TRUE(daemon_->running()) << daemon_->output();
  }

  PrivateBus bus_;
  TempDir dir_{"lwm2md-e2e-sec"};
  std::unique_ptr<TestLwm2mServer> server_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::map<std::string, std::string> daemonEnv_;
};

// Block1 sequences that crashed libcoap 4.3.1 inside the daemon (a null body dereferenced) when
// it reassembled request bodies itself, sent over DTLS, where the daemon cannot look at a
// datagram before libcoap: a body without Size1 followed by a last block adding nothing to it
// (the body anew in one block, an empty last block), the next such body to the same path (whose
// last block got 4.08), a lone last block announcing Size1, a block after a completed body, and
// blocks of the wrong size (RFC 7959 §2.2). Each gets its answer; the daemon serves on.
TEST_F(SecurityTest, Block1SequencesAreAnsweredOverDtls) {
  makeServer(pskServer(kPskHex));
  startDaemon(config(
      "security = \"psk\"\npsk_identity = \"e2e-gw\"\npsk_key = \"" + std::string(kPskHex) + "\"\n",
      "info"));
  expectRegisterAndRead();

  constexpr uint8_t kContinue = 2 << 5 | 31;
  constexpr uint8_t kBadRequest = 4 << 5 | 0;
  constexpr uint8_t kNotFound = 4 << 5 | 4;  // object 45000 does not exist
  constexpr uint8_t kIncomplete = 4 << 5 | 8;
  struct Step {
    uint32_t num;
    bool more;
    uint32_t szx;
    size_t bytes;
    std::optional<uint32_t> size1;
    uint8_t expected;
  };
  const std::vector<Step> steps = {
      {0, true, 0, 16, {}, kContinue},    {0, false, 0, 5, {}, kNotFound},   // anew, one block
      {0, true, 0, 16, {}, kContinue},    {1, false, 0, 0, {}, kNotFound},   // empty last block
      {0, true, 0, 16, {}, kContinue},    {1, false, 0, 3, {}, kNotFound},   // the next body
      {1, false, 0, 3, {}, kIncomplete},                                     // after it: none
      {1, false, 0, 4, 20u, kIncomplete},                                    // lone, with Size1
      {0, true, 0, 16, 20u, kContinue},   {1, false, 0, 4, 20u, kNotFound},  // with Size1
      {0, true, 1, 16, {}, kBadRequest},  {0, true, 0, 0, {}, kBadRequest},  // wrong sizes
  };
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& step = steps[i];
    RequestOptions options;
    options.contentFormat = 42;
    options.payload.assign(step.bytes, static_cast<uint8_t>('a' + i));
    options.block1 = step.num << 4 | (step.more ? 8u : 0u) | step.szx;
    options.size1 = step.size1;
    auto answer = server_->request(Method::Put, "/45000/1", options);
    ASSERT_TRUE(answer) << "step " << i << " not answered\n" << daemon_->output();
    EXPECT_EQ(TestLwm2mServer::codeString(answer->code), TestLwm2mServer::codeString(step.expected))
        << "step " << i << ": " << TestLwm2mServer::text(*answer);
  }
  EXPECT_TRUE(daemon_->running()) << daemon_->output();
  auto read = server_->read("/3/0/0", 0);
  ASSERT_TRUE(read) << daemon_->output();
  EXPECT_EQ(read->code, kContent);
}

// int-401: registration with a pre-shared key (key in a 0600 file), then a Read.
TEST_F(SecurityTest, Int401_PskRegistration) {
  makeServer(pskServer(kPskHex));
  const std::string keyFile = privateFile("server.psk", std::string(kPskHex) + "\n");
  startDaemon(config("security = \"psk\"\npsk_identity = \"e2e-gw\"\npsk_key_file = \"" + keyFile +
                     "\"\n"));
  expectRegisterAndRead();
  EXPECT_THAT(server_->pskIdentitiesSeen(), Contains("e2e-gw"));
  EXPECT_THAT(server_->registerCipherSuite(), HasSubstr("PSK"));
  EXPECT_THAT(daemon_->output(), Not(HasSubstr(kPskHex)));
}

// LwM2M 1.1 (Transport §5.2.8.1): PSK-AES128-CCM8 must be supported. The daemon's GnuTLS is
// restricted (system-wide override file) to that one suite; the handshake still succeeds and
// the server sees that suite.
TEST_F(SecurityTest, Int401_PskAes128Ccm8IsNegotiable) {
  makeServer(pskServer(kPskHex));
  restrictDaemonTo("PSK");
  startDaemon(config("security = \"psk\"\npsk_identity = \"e2e-gw\"\npsk_key = \"" +
                     std::string(kPskHex) + "\"\n"));
  expectRegisterAndRead();
  EXPECT_EQ(server_->registerCipherSuite(), "PSK_AES_128_CCM_8");
}

// The same for the certificate suite, ECDHE-ECDSA-AES128-CCM8 (Transport §5.2.8.3).
TEST_F(SecurityTest, Int402_EcdheEcdsaAes128Ccm8IsNegotiable) {
  makeServer(certificateServer());
  restrictDaemonTo("ECDHE-ECDSA");
  startDaemon(config("security = \"cert\"\ncertificate = \"base64:" + pemBody("client.crt") +
                     "\"\nprivate_key_file = \"" +
                     privateFile("client.key", dataText("client.key")) +
                     "\"\nserver_certificate = \"base64:" + pemBody("ca.crt") + "\"\n"));
  expectRegisterAndRead();
  EXPECT_EQ(server_->registerCipherSuite(), "ECDHE_ECDSA_AES_128_CCM_8");
}

// int-402: registration with X.509 certificates from PEM files; each side checks the other's
// chain against the test CA.
TEST_F(SecurityTest, Int402_CertificateRegistration) {
  makeServer(certificateServer());
  const std::string cert = privateFile("client.crt", dataText("client.crt"));
  const std::string key = privateFile("client.key", dataText("client.key"));
  const std::string ca = privateFile("ca.crt", dataText("ca.crt"));
  startDaemon(config("security = \"cert\"\ncertificate_file = \"" + cert +
                     "\"\nprivate_key_file = \"" + key + "\"\nserver_certificate_file = \"" + ca +
                     "\"\n"));
  expectRegisterAndRead();
  ASSERT_FALSE(server_->peerKeysSeen().empty());
  EXPECT_EQ(server_->peerKeysSeen().front(), dataBytes("client.crt.der"));
  EXPECT_THAT(server_->registerCipherSuite(), HasSubstr("ECDHE_ECDSA"));
}

// The server's certificate does not chain to the configured CA: the daemon must refuse it.
TEST_F(SecurityTest, Int402_ServerFromAnotherCaNeverRegisters) {
  makeServer(certificateServer());
  startDaemon(config("security = \"cert\"\ncertificate = \"base64:" + pemBody("client.crt") +
                     "\"\nprivate_key_file = \"" +
                     privateFile("client.key", dataText("client.key")) +
                     "\"\nserver_certificate = \"base64:" + pemBody("other-ca.crt") + "\"\n"));
  expectNoRegistrationButRetries(20s);
}

// int-403: registration with raw public keys; the daemon pins the server's key (resource 4) and
// the server only accepts the client's key.
TEST_F(SecurityTest, Int403_RawPublicKeyRegistration) {
  makeServer(rpkServer());
  startDaemon(config("security = \"rpk\"\npublic_key = \"base64:" + pemBody("client-rpk.pub") +
                     "\"\nprivate_key_file = \"" +
                     privateFile("client-rpk.key", dataText("client-rpk.key")) +
                     "\"\nserver_public_key_file = \"" +
                     privateFile("server-rpk.pub", dataText("server-rpk.pub")) + "\"\n"));
  expectRegisterAndRead();
  ASSERT_FALSE(server_->peerKeysSeen().empty());
  EXPECT_EQ(server_->peerKeysSeen().front(), dataBytes("client-rpk.pub.der"));
}

// The server presents a raw public key other than the pinned one: no registration.
TEST_F(SecurityTest, Int403_UnknownServerKeyNeverRegisters) {
  makeServer(rpkServer());
  startDaemon(config("security = \"rpk\"\npublic_key = \"base64:" + pemBody("client-rpk.pub") +
                     "\"\nprivate_key_file = \"" +
                     privateFile("client-rpk.key", dataText("client-rpk.key")) +
                     "\"\nserver_public_key = \"base64:" + pemBody("client-rpk.pub") + "\"\n"));
  expectNoRegistrationButRetries(20s);
}

// The server holds another key for the identity: every handshake fails, the daemon retries
// (new handshakes, never plain CoAP), and neither key shows up in its log.
TEST_F(SecurityTest, WrongPskNeverRegistersAndIsRetried) {
  makeServer(pskServer(kOtherPskHex));
  // At trace level libcoap logs too (its debug level): the keys must not show up there either.
  startDaemon(config(
      "security = \"psk\"\npsk_identity = \"e2e-gw\"\npsk_key = \"" + std::string(kPskHex) + "\"\n",
      "trace"));
  // The identity arrives late in each handshake: wait for the second one too.
  expectNoRegistrationButRetries(30s, [this] { return server_->pskIdentitiesSeen().size() >= 2; });
  EXPECT_GE(server_->pskIdentitiesSeen().size(), 2u) << daemon_->output();
  EXPECT_THAT(server_->pskIdentitiesSeen(), Contains("e2e-gw"));
  const std::string log = daemon_->output();
  EXPECT_THAT(log, Not(HasSubstr(kPskHex)));
  EXPECT_THAT(log, Not(HasSubstr(kOtherPskHex)));
}

// A key file every user can read is refused at start (EX_CONFIG), naming the file and the key
// and not showing the key.
TEST_F(SecurityTest, KeyFileWorldReadableIsRefused) {
  makeServer(pskServer(kPskHex));
  const std::string keyFile = privateFile("server.psk", std::string(kPskHex) + "\n", 0644);
  startDaemon(config("security = \"psk\"\npsk_identity = \"e2e-gw\"\npsk_key_file = \"" + keyFile +
                     "\"\n"));
  auto code = daemon_->waitExit(10s, [this] { server_->pump(10ms); });
  ASSERT_TRUE(code) << daemon_->output();
  EXPECT_EQ(*code, 78);
  const std::string log = daemon_->output();
  EXPECT_THAT(log, HasSubstr("key 'server[0].psk_key_file'"));
  EXPECT_THAT(log, HasSubstr(keyFile + " is readable by every user"));
  EXPECT_THAT(log, Not(HasSubstr(kPskHex)));
  EXPECT_TRUE(server_->events().empty());
  EXPECT_EQ(server_->datagrams().clientHellos, 0);
}

}  // namespace
}  // namespace lwm2md::test
