#include "coap/session_security.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "build_config.hpp"
#include "coap/coap_endpoint.hpp"
#include "core/event_loop.hpp"
#include "ddf/object_registry.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Bytes = std::vector<std::uint8_t>;

ResourceData integer(std::uint16_t rid, std::int64_t value) {
  return {rid, ResourceType::Integer, false, Value{value}, {}};
}
ResourceData opaque(std::uint16_t rid, Bytes value) {
  return {rid, ResourceType::Opaque, false, Value{std::move(value)}, {}};
}
ResourceData text(std::uint16_t rid, const std::string& value) {
  return {rid, ResourceType::String, false, Value{value}, {}};
}

// A Security object instance /0/7 built from the shipped object definition.
class SessionSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> errors;
    ASSERT_GT(registry_.loadDirectory(LWM2MD_SOURCE_OBJECTS_DIR, errors), 2u);
  }
  const Instance& security(const std::vector<ResourceData>& values) {
    std::vector<ResourceData> all{text(0, "coaps://127.0.0.1")};
    all.insert(all.end(), values.begin(), values.end());
    auto added = tree_.addInstance(0, 7, all, "");
    EXPECT_TRUE(added.ok()) << added.error().message;
    return **added;
  }
  ObjectRegistry registry_;
  ObjectTree tree_{registry_};
};

TEST_F(SessionSecurityTest, PskTakesIdentityAndKey) {
  auto s = sessionSecurityFrom(
      security({integer(2, 0), opaque(3, {'g', 'w'}), opaque(4, {9, 9}), opaque(5, {1, 2, 3})}));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->mode, SecurityMode::Psk);
  EXPECT_EQ(s->identity, (Bytes{'g', 'w'}));
  EXPECT_EQ(s->secretKey, (Bytes{1, 2, 3}));
  EXPECT_TRUE(s->serverKey.empty());  // PSK has no server key
}

TEST_F(SessionSecurityTest, CertificateAndRpkTakeAllThree) {
  auto cert = sessionSecurityFrom(
      security({integer(2, 2), opaque(3, {0x30, 0}), opaque(4, {0x30, 1}), opaque(5, {7})}));
  ASSERT_TRUE(cert.ok()) << cert.error().message;
  EXPECT_EQ(cert->mode, SecurityMode::Certificate);
  EXPECT_EQ(cert->identity, (Bytes{0x30, 0}));
  EXPECT_EQ(cert->serverKey, (Bytes{0x30, 1}));
  EXPECT_EQ(cert->secretKey, (Bytes{7}));
  ASSERT_TRUE(tree_.removeInstance(0, 7).ok());
  // The server key is optional: without it the server is not verified (connect warns).
  auto rpk = sessionSecurityFrom(security({integer(2, 1), opaque(3, {1}), opaque(5, {2})}));
  ASSERT_TRUE(rpk.ok()) << rpk.error().message;
  EXPECT_EQ(rpk->mode, SecurityMode::Rpk);
  EXPECT_TRUE(rpk->serverKey.empty());
}

TEST_F(SessionSecurityTest, NoSecIgnoresKeyMaterial) {
  auto s = sessionSecurityFrom(security({integer(2, 3), opaque(3, {1}), opaque(5, {2})}));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->mode, SecurityMode::NoSec);
  EXPECT_TRUE(s->identity.empty());
  EXPECT_TRUE(s->secretKey.empty());
}

struct Missing {
  const char* name;
  std::int64_t mode;
  bool identity, secret;
  const char* message;
};

class SessionSecurityMissing : public SessionSecurityTest,
                               public ::testing::WithParamInterface<Missing> {};

TEST_P(SessionSecurityMissing, NamesTheResource) {
  const Missing& m = GetParam();
  std::vector<ResourceData> values{integer(2, m.mode)};
  if (m.identity) values.push_back(opaque(3, {0x11, 0x22}));
  if (m.secret) values.push_back(opaque(5, {0x33, 0x44}));
  auto s = sessionSecurityFrom(security(values));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, m.message);
  EXPECT_EQ(s.error().code, CoapCode::BadRequest);
}

INSTANTIATE_TEST_SUITE_P(
    All, SessionSecurityMissing,
    ::testing::Values(
        Missing{"PskIdentity", 0, false, true,
                "/0/7: Security Mode PSK needs the PSK identity (resource 3)"},
        Missing{"PskKey", 0, true, false,
                "/0/7: Security Mode PSK needs the pre-shared key (resource 5)"},
        Missing{"RpkPublicKey", 1, false, true,
                "/0/7: Security Mode RPK needs the own public key (resource 3)"},
        Missing{"RpkPrivateKey", 1, true, false,
                "/0/7: Security Mode RPK needs the own private key (resource 5)"},
        Missing{"Certificate", 2, false, true,
                "/0/7: Security Mode Certificate needs the own certificate (resource 3)"},
        Missing{"CertificateKey", 2, true, false,
                "/0/7: Security Mode Certificate needs the own private key (resource 5)"},
        Missing{"Est", 4, true, true,
                "/0/7: Security Mode 4 (Certificate with EST) is not supported"},
        Missing{"Undefined", 9, true, true, "/0/7: Security Mode 9 is not defined (0..4)"},
        Missing{"Negative", -1, true, true, "/0/7: Security Mode -1 is not defined (0..4)"}),
    [](const auto& param) { return std::string(param.param.name); });

TEST_F(SessionSecurityTest, EmptyOpaqueCountsAsMissing) {
  auto s = sessionSecurityFrom(security({integer(2, 0), opaque(3, {'i'}), opaque(5, {})}));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message, HasSubstr("pre-shared key (resource 5)"));
}

TEST_F(SessionSecurityTest, MissingModeIsAnError) {
  auto s = sessionSecurityFrom(security({opaque(3, {'i'})}));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "/0/7: has no Security Mode (resource 2)");
}

TEST_F(SessionSecurityTest, ModeNames) {
  EXPECT_EQ(toString(SecurityMode::Psk), "PSK");
  EXPECT_EQ(toString(SecurityMode::Rpk), "RPK");
  EXPECT_EQ(toString(SecurityMode::Certificate), "Certificate");
  EXPECT_EQ(toString(SecurityMode::NoSec), "NoSec");
}

// connect() refuses a scheme that does not fit the mode before any packet is sent, and says
// so with the URI and never the key bytes.
TEST(CoapEndpointConnect, SchemeAndModeMustAgree) {
  EventLoop loop;
  CoapEndpoint endpoint(loop);
  SessionSecurity psk{SecurityMode::Psk, {'i', 'd'}, {}, {0xc0, 0xff, 0xee}};
  auto plain = endpoint.connect("coap://127.0.0.1:5683", nullptr, psk);
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.error().message,
            "'coap://127.0.0.1:5683': Security Mode PSK needs a coaps:// URI; refusing plain "
            "CoAP");
  EXPECT_THAT(plain.error().message, Not(HasSubstr("c0ffee")));
  auto nosec = endpoint.connect("coaps://127.0.0.1:5684", nullptr, SessionSecurity{});
  ASSERT_FALSE(nosec.ok());
  EXPECT_EQ(nosec.error().message,
            "'coaps://127.0.0.1:5684': coaps:// needs Security Mode PSK, RPK or Certificate, not "
            "NoSec");
  auto other = endpoint.connect("http://127.0.0.1", nullptr, psk);
  EXPECT_FALSE(other.ok());
  // The matching pairs open sessions (no server needed: nothing is awaited here).
  auto secure = endpoint.connect("coaps://127.0.0.1:5684", nullptr, psk);
  ASSERT_TRUE(secure.ok()) << secure.error().message;
  EXPECT_EQ(coap_session_get_proto(*secure), COAP_PROTO_DTLS);
  endpoint.release(*secure);
  auto udp = endpoint.connect("coap://127.0.0.1:5683", nullptr);
  ASSERT_TRUE(udp.ok()) << udp.error().message;
  EXPECT_EQ(coap_session_get_proto(*udp), COAP_PROTO_UDP);
  endpoint.release(*udp);
}

}  // namespace
}  // namespace lwm2md
