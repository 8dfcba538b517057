// Bootstrap-Write (TS 1.1 §6.1.7.5; Transport TS: PUT, 2.04, failures 4.00 / 4.15).
// ETS LwM2M-1.1-int-0 (Client Initiated Bootstrap), int-1 (Full, PSK) and int-2 (Full, Cert):
// after the Bootstrap-Request the Bootstrap-Server writes a Security instance (with the keys of
// the mode under test) and a Server instance, each answered 2.04; the tests below write what
// those cases write and check that it lands in the tree.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bootstrap_fixture.hpp"

namespace lwm2md::test {
namespace {

using ::testing::HasSubstr;

TEST_F(BootstrapTest, Int0WriteOfSecurityAndServerInstancesCreatesThem) {
  // The TS: "the LwM2M Client MUST write the value included in the payload regardless of an
  // existence of the targeted Object Instance(s)".
  ASSERT_EQ(tree.find(0, 1), nullptr);
  auto response =
      writeTlv(Path(0, 1), {{1, securityValues("coap://127.0.0.1:5683", false, 3, 101)}});
  EXPECT_EQ(response.code, CoapCode::Changed) << response.diagnostic();
  response = writeTlv(Path(1, 0), {{0, serverValues(101, 60)}});
  EXPECT_EQ(response.code, CoapCode::Changed) << response.diagnostic();
  ASSERT_NE(tree.find(0, 1), nullptr);
  EXPECT_EQ(valueOf(0, 1, 0), Value(std::string("coap://127.0.0.1:5683")));
  EXPECT_EQ(valueOf(0, 1, 10), Value(std::int64_t{101}));
  EXPECT_EQ(valueOf(1, 0, 1), Value(std::int64_t{60}));
  // Read-only for a DM server (/1/x/0 is R, the Security object has no operations at all), yet
  // the Bootstrap-Server writes them.
  EXPECT_EQ(valueOf(1, 0, 0), Value(std::int64_t{101}));
}

TEST_F(BootstrapTest, Int1WriteCarriesPskIdentityAndKey) {
  auto values = securityValues("coaps://127.0.0.1:5684", false, 0, 101);
  values.push_back(opaque(3, "client-identity"));
  values.push_back(opaque(5, std::string_view("\x01\x02\x03\x04\x05\x06\x07\x08", 8)));
  auto response = writeTlv(Path(0, 1), {{1, values}});
  ASSERT_EQ(response.code, CoapCode::Changed) << response.diagnostic();
  EXPECT_EQ(valueOf(0, 1, 3), Value(Opaque{'c', 'l', 'i', 'e', 'n', 't', '-', 'i', 'd', 'e', 'n',
                                           't', 'i', 't', 'y'}));
  EXPECT_EQ(valueOf(0, 1, 5), Value(Opaque{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(valueOf(0, 1, 2), Value(std::int64_t{0}));
}

TEST_F(BootstrapTest, Int2WriteCarriesCertificatesAndPrivateKeyInSenmlCbor) {
  auto values = securityValues("coaps://127.0.0.1:5684", false, 2, 101);
  values.push_back(opaque(3, "own-cert-der"));
  values.push_back(opaque(4, "server-cert-der"));
  values.push_back(opaque(5, "private-key-der"));
  const Content content{Path(0, 2), {{2, values}}};
  auto response =
      write("/0/2", ContentFormat::SenmlCbor, encode(ContentFormat::SenmlCbor, content));
  ASSERT_EQ(response.code, CoapCode::Changed) << response.diagnostic();
  EXPECT_EQ(valueOf(0, 2, 4), Value(Opaque{'s', 'e', 'r', 'v', 'e', 'r', '-', 'c', 'e', 'r', 't',
                                           '-', 'd', 'e', 'r'}));
}

TEST_F(BootstrapTest, ObjectLevelWriteCreatesSeveralInstancesInOneMessage) {
  // Only in the Bootstrap interface may a Write target just an Object ID (TS 1.1 §6.1.7.5).
  auto response = writeTlv(Path(1), {{0, serverValues(101)}, {1, serverValues(102)}});
  ASSERT_EQ(response.code, CoapCode::Changed) << response.diagnostic();
  EXPECT_EQ(tree.instancesOf(1).size(), 2u);
  EXPECT_EQ(valueOf(1, 1, 0), Value(std::int64_t{102}));
}

TEST_F(BootstrapTest, ObjectLevelWriteInSenmlJsonAndLwm2mJson) {
  const Content content{Path(1), {{4, serverValues(104)}}};
  auto response = write("/1", ContentFormat::SenmlJson, encode(ContentFormat::SenmlJson, content));
  ASSERT_EQ(response.code, CoapCode::Changed) << response.diagnostic();
  EXPECT_EQ(valueOf(1, 4, 0), Value(std::int64_t{104}));
  const Content json{Path(1), {{5, serverValues(105)}}};
  response = write("/1", ContentFormat::LwM2MJson, encode(ContentFormat::LwM2MJson, json));
  ASSERT_EQ(response.code, CoapCode::Changed) << response.diagnostic();
  EXPECT_EQ(valueOf(1, 5, 0), Value(std::int64_t{105}));
}

TEST_F(BootstrapTest, WriteOfAnExistingInstanceReplacesTheGivenResourcesAndKeepsTheOthers) {
  addServerAccount(1, 101, "coap://127.0.0.1:5683");
  ASSERT_EQ(writeTlv(Path(1, 1), {{1, {integer(1, 900)}}}).code, CoapCode::Changed);
  EXPECT_EQ(valueOf(1, 1, 1), Value(std::int64_t{900}));
  EXPECT_EQ(valueOf(1, 1, 7), Value(std::string("U")));  // not in the payload: kept
}

TEST_F(BootstrapTest, ResourceWriteInPlainTextAndOpaque) {
  addServerAccount(1, 101, "coap://127.0.0.1:5683");
  auto response = writeText("/0/1/0", "coap://192.0.2.1:5683");
  ASSERT_EQ(response.code, CoapCode::Changed) << response.diagnostic();
  EXPECT_EQ(valueOf(0, 1, 0), Value(std::string("coap://192.0.2.1:5683")));
  response = write("/0/1/5", ContentFormat::Opaque, {0xde, 0xad});
  ASSERT_EQ(response.code, CoapCode::Changed) << response.diagnostic();
  EXPECT_EQ(valueOf(0, 1, 5), Value(Opaque{0xde, 0xad}));
}

TEST_F(BootstrapTest, ResourceWriteToAMissingInstanceCreatesIt) {
  auto response = writeText("/1/7/1", "120");
  ASSERT_EQ(response.code, CoapCode::Changed) << response.diagnostic();
  EXPECT_EQ(valueOf(1, 7, 1), Value(std::int64_t{120}));
}

TEST_F(BootstrapTest, MultipleResourceIsReplacedAsAWhole) {
  const Content first{
      Path(2, 0),
      {{0,
        {integer(0, 3), integer(1, 0),
         multiple(2, ResourceType::Integer, {{101, std::int64_t{1}}, {102, std::int64_t{1}}}),
         integer(3, 101)}}}};
  ASSERT_EQ(write("/2/0", ContentFormat::LwM2MTlv, encode(ContentFormat::LwM2MTlv, first)).code,
            CoapCode::Changed);
  ASSERT_EQ(
      writeTlv(Path(2, 0), {{0, {multiple(2, ResourceType::Integer, {{101, std::int64_t{31}}})}}})
          .code,
      CoapCode::Changed);
  auto acl = tree.find(2, 0)->resource(2);
  ASSERT_TRUE(acl);
  EXPECT_EQ(acl->instances, (std::map<std::uint16_t, Value>{{101, std::int64_t{31}}}));
}

TEST_F(BootstrapTest, WriteToTheDeviceInstanceIsAllowed) {
  auto response = writeText("/3/0/14", "+02:00");
  EXPECT_EQ(response.code, CoapCode::Changed) << response.diagnostic();
  EXPECT_EQ(valueOf(3, 0, 14), Value(std::string("+02:00")));
}

// --- Error paths: each leaves the tree as it was. ---

TEST_F(BootstrapTest, MalformedTlvIsBadRequestAndChangesNothing) {
  auto response = write("/1/0", ContentFormat::LwM2MTlv, {0xc8, 0x00, 0x14, 0x01});  // truncated
  EXPECT_EQ(response.code, CoapCode::BadRequest);
  EXPECT_FALSE(response.diagnostic().empty());
  EXPECT_EQ(tree.find(1, 0), nullptr);
}

TEST_F(BootstrapTest, MalformedSenmlJsonIsBadRequest) {
  auto response = write("/1/0", ContentFormat::SenmlJson, bytes("[{\"n\":\"0\",\"v\":"));
  EXPECT_EQ(response.code, CoapCode::BadRequest);
  EXPECT_EQ(tree.find(1, 0), nullptr);
}

TEST_F(BootstrapTest, WrongValueTypeIsBadRequest) {
  auto response = writeText("/1/0/1", "sixty");
  EXPECT_EQ(response.code, CoapCode::BadRequest);
  EXPECT_EQ(tree.find(1, 0), nullptr);
}

TEST_F(BootstrapTest, UnknownObjectIsNotFound) {
  auto response = writeText("/4242/0/0", "x");
  EXPECT_EQ(response.code, CoapCode::NotFound);
  EXPECT_THAT(response.diagnostic(), HasSubstr("4242"));
}

TEST_F(BootstrapTest, UnknownResourceOfAResourceWriteIsNotFound) {
  auto response = writeText("/1/0/999", "1");
  EXPECT_EQ(response.code, CoapCode::NotFound);
  EXPECT_EQ(tree.find(1, 0), nullptr);
}

TEST_F(BootstrapTest, MissingContentFormatIsBadRequest) {
  auto response = send(CoapMethod::Put, "/1/0", std::nullopt, std::nullopt, bytes("x"));
  EXPECT_EQ(response.code, CoapCode::BadRequest);
  EXPECT_THAT(response.diagnostic(), HasSubstr("Content-Format"));
}

TEST_F(BootstrapTest, UnsupportedContentFormatIs415) {
  auto response = send(CoapMethod::Put, "/1/0", std::nullopt, 9999, bytes("x"));
  EXPECT_EQ(response.code, CoapCode::UnsupportedContentFormat);
}

TEST_F(BootstrapTest, WriteOnRootOrResourceInstanceIsBadRequest) {
  EXPECT_EQ(write("/", ContentFormat::LwM2MTlv, {}).code, CoapCode::BadRequest);
  EXPECT_EQ(writeText("/3/0/11/0", "1").code, CoapCode::BadRequest);
}

TEST_F(BootstrapTest, PayloadForAnotherInstanceIsBadRequest) {
  // SenML names say which instance they are for: /1/4/... sent to /1/3.
  const Content other{Path(1), {{4, serverValues(101)}}};
  auto response = write("/1/3", ContentFormat::SenmlJson, encode(ContentFormat::SenmlJson, other));
  EXPECT_EQ(response.code, CoapCode::BadRequest);
  EXPECT_EQ(tree.find(1, 3), nullptr);
  EXPECT_EQ(tree.find(1, 4), nullptr);
}

TEST_F(BootstrapTest, AllOrNothingAcrossInstances) {
  // The second instance is bad (Lifetime as a string): the first must not be created either.
  const Content content{Path(1),
                        {{0, serverValues(101)},
                         {1, {integer(0, 102), text(1, "long"), boolean(6, false), text(7, "U")}}}};
  auto response = write("/1", ContentFormat::SenmlJson, encode(ContentFormat::SenmlJson, content));
  EXPECT_EQ(response.code, CoapCode::BadRequest);
  EXPECT_TRUE(tree.instancesOf(1).empty());
}

TEST_F(BootstrapTest, SecondInstanceOfASingleInstanceObjectIsBadRequest) {
  auto response = writeTlv(Path(3, 1), {{1, {text(0, "Other")}}});
  EXPECT_EQ(response.code, CoapCode::BadRequest);
  EXPECT_THAT(response.diagnostic(), HasSubstr("single-instance"));
  EXPECT_EQ(tree.find(3, 1), nullptr);
}

TEST_F(BootstrapTest, EmptyPayloadIsBadRequest) {
  EXPECT_EQ(write("/1", ContentFormat::SenmlJson, bytes("[]")).code, CoapCode::BadRequest);
}

}  // namespace
}  // namespace lwm2md::test
