// Bootstrap-Finish (TS 1.1 §6.1.7.2; §6.1.5 Bootstrap and Configuration Consistency; Transport
// TS: POST /bs, 2.04, failures 4.00 / 4.06).
// ETS LwM2M-1.1-int-9 (Bootstrap and Configuration Consistency): the Bootstrap-Server loads a
// configuration the client cannot use and sends Bootstrap-Finish; the client reports the
// inconsistency with an error code (4.06 Not Acceptable here), the server corrects the
// configuration and sends Bootstrap-Finish again, which the client now accepts with 2.04.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bootstrap_fixture.hpp"

namespace lwm2md::test {
namespace {

using ::testing::HasSubstr;

class BootstrapFinishTest : public BootstrapTest {
 protected:
  /// Finish must fail with 4.06 and a diagnostic containing `reason`.
  void expectRefused(const std::string& reason) {
    auto response = handler.finish();
    EXPECT_EQ(response.code, CoapCode::NotAcceptable);
    EXPECT_THAT(response.diagnostic(), HasSubstr(reason));
  }
  void writeSecurity(std::uint16_t iid, std::vector<ResourceData> values) {
    ASSERT_EQ(writeTlv(Path(0, iid), {{iid, std::move(values)}}).code, CoapCode::Changed);
  }
};

TEST_F(BootstrapFinishTest, Int0ConsistentConfigurationIsAccepted) {
  addServerAccount(1, 101, "coap://127.0.0.1:5683");
  auto response = handler.finish();
  EXPECT_EQ(response.code, CoapCode::Changed) << response.diagnostic();
  EXPECT_TRUE(response.payload.empty());
}

TEST_F(BootstrapFinishTest, Int9InconsistentThenCorrectedConfiguration) {
  // A Server instance whose Security instance is missing: no way to reach that server.
  ASSERT_EQ(writeTlv(Path(1, 0), {{0, serverValues(101)}}).code, CoapCode::Changed);
  expectRefused("/1/0 (Short Server ID 101) has no Security instance with that Short Server ID");
  // The Bootstrap-Server corrects it and finishes again.
  writeSecurity(1, securityValues("coap://127.0.0.1:5683", false, 3, 101));
  EXPECT_EQ(handler.finish().code, CoapCode::Changed);
}

TEST_F(BootstrapFinishTest, NoServerAccountAtAll) {
  expectRefused("no LwM2M Server Account");
}

TEST_F(BootstrapFinishTest, SecurityInstanceWithoutServerInstance) {
  addServerAccount(1, 101, "coap://127.0.0.1:5683");
  writeSecurity(2, securityValues("coap://127.0.0.1:5684", false, 3, 102));
  expectRefused("/0/2 (Short Server ID 102) has no Server instance");
}

TEST_F(BootstrapFinishTest, TwoBootstrapServerAccounts) {
  addServerAccount(1, 101, "coap://127.0.0.1:5683");
  writeSecurity(2, securityValues("coap://127.0.0.1:5784", true, 3, std::nullopt));
  expectRefused("/0/0 and /0/2 are both Bootstrap-Server accounts");
}

TEST_F(BootstrapFinishTest, DuplicateShortServerIds) {
  addServerAccount(1, 101, "coap://127.0.0.1:5683");
  writeSecurity(2, securityValues("coap://127.0.0.1:5684", false, 3, 101));
  expectRefused("/0/1 and /0/2 share the Short Server ID 101");
}

TEST_F(BootstrapFinishTest, ServerAccountWithoutShortServerId) {
  writeSecurity(1, securityValues("coap://127.0.0.1:5683", false, 3, std::nullopt));
  expectRefused("/0/1 has no Short Server ID");
}

TEST_F(BootstrapFinishTest, PskModeWithoutKey) {
  auto values = securityValues("coaps://127.0.0.1:5684", false, 0, 101);
  values.push_back(opaque(3, "identity"));
  writeSecurity(1, values);
  ASSERT_EQ(writeTlv(Path(1, 1), {{1, serverValues(101)}}).code, CoapCode::Changed);
  expectRefused("/0/1: security mode 0 needs the PSK key in resource 5");
  ASSERT_EQ(write("/0/1/5", ContentFormat::Opaque, {1, 2, 3, 4}).code, CoapCode::Changed);
  EXPECT_EQ(handler.finish().code, CoapCode::Changed);
}

TEST_F(BootstrapFinishTest, CertificateModeWithoutServerCertificate) {
  auto values = securityValues("coaps://127.0.0.1:5684", false, 2, 101);
  values.push_back(opaque(3, "own-cert"));
  values.push_back(opaque(5, "private-key"));
  writeSecurity(1, values);
  ASSERT_EQ(writeTlv(Path(1, 1), {{1, serverValues(101)}}).code, CoapCode::Changed);
  expectRefused("needs the server certificate in resource 4");
}

TEST_F(BootstrapFinishTest, RpkModeWithoutOwnKey) {
  auto values = securityValues("coaps://127.0.0.1:5684", false, 1, 101);
  values.push_back(opaque(4, "server-key"));
  values.push_back(opaque(5, "private-key"));
  writeSecurity(1, values);
  ASSERT_EQ(writeTlv(Path(1, 1), {{1, serverValues(101)}}).code, CoapCode::Changed);
  expectRefused("needs the own public key in resource 3");
}

TEST_F(BootstrapFinishTest, ModeThatDoesNotFitTheScheme) {
  auto values = securityValues("coap://127.0.0.1:5683", false, 0, 101);
  values.push_back(opaque(3, "identity"));
  values.push_back(opaque(5, "key"));
  writeSecurity(1, values);
  ASSERT_EQ(writeTlv(Path(1, 1), {{1, serverValues(101)}}).code, CoapCode::Changed);
  expectRefused("security mode 0 does not fit the URI 'coap://127.0.0.1:5683'");
}

TEST_F(BootstrapFinishTest, UnsupportedModeAndBadUri) {
  writeSecurity(1, securityValues("coaps://127.0.0.1:5684", false, 4, 101));
  ASSERT_EQ(writeTlv(Path(1, 1), {{1, serverValues(101)}}).code, CoapCode::Changed);
  expectRefused("security mode 4 is not supported");
  ASSERT_EQ(writeText("/0/1/0", "http://example.com").code, CoapCode::Changed);
  expectRefused("/0/1: URI 'http://example.com'");
}

TEST_F(BootstrapFinishTest, ServerInstanceMissingMandatoryResources) {
  addServerAccount(1, 101, "coap://127.0.0.1:5683");
  ASSERT_EQ(writeTlv(Path(1, 2), {{2, {integer(0, 101)}}}).code, CoapCode::Changed);
  expectRefused("/1/2 has no Lifetime");
}

TEST_F(BootstrapFinishTest, ServerInstanceWithUnusableBinding) {
  writeSecurity(1, securityValues("coap://127.0.0.1:5683", false, 3, 101));
  ASSERT_EQ(writeTlv(Path(1, 1), {{1, serverValues(101, 300, "S")}}).code, CoapCode::Changed);
  expectRefused("/1/1: Binding 'S' lacks U");
}

TEST_F(BootstrapFinishTest, AccessControlForAnUnknownServerOrObject) {
  addServerAccount(1, 101, "coap://127.0.0.1:5683");
  ASSERT_EQ(writeTlv(Path(2, 0), {{0, {integer(0, 3), integer(1, 0), integer(3, 999)}}}).code,
            CoapCode::Changed);
  expectRefused("/2/0: Access Control Owner 999 is no configured server");
  ASSERT_EQ(writeTlv(Path(2, 0), {{0, {integer(0, 4242), integer(3, 101)}}}).code,
            CoapCode::Changed);
  expectRefused("/2/0 controls object 4242, which the client does not support");
  ASSERT_EQ(
      writeTlv(Path(2, 0),
               {{0, {integer(0, 3), multiple(2, ResourceType::Integer, {{555, std::int64_t{1}}})}}})
          .code,
      CoapCode::Changed);
  expectRefused("/2/0: ACL entry for server 555");
  ASSERT_EQ(writeTlv(Path(2, 0), {{0,
                                   {multiple(2, ResourceType::Integer,
                                             {{0, std::int64_t{1}}, {101, std::int64_t{31}}})}}})
                .code,
            CoapCode::Changed);
  EXPECT_EQ(handler.finish().code, CoapCode::Changed);
}

TEST_F(BootstrapFinishTest, FinishChangesNothing) {
  ASSERT_EQ(writeTlv(Path(1, 0), {{0, serverValues(101)}}).code, CoapCode::Changed);
  const auto before = tree.allInstances().size();
  EXPECT_EQ(handler.finish().code, CoapCode::NotAcceptable);
  EXPECT_EQ(tree.allInstances().size(), before);
}

}  // namespace
}  // namespace lwm2md::test
