// Bootstrap-Read (TS 1.1 §6.1.7.4: only the Server and Access Control objects) and
// Bootstrap-Discover (§6.1.7.3: the objects and instances, Security and Server instances with
// `ssid`, Security ones also with `uri`, never for the Bootstrap-Server account).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bootstrap_fixture.hpp"
#include "io/link_format.hpp"

namespace lwm2md::test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string text(const DmResponse& response) {
  return response.diagnostic();
}

TEST_F(BootstrapTest, ReadOfTheServerObjectDefaultsToThePreferredFormat) {
  addServerAccount(1, 101, "coap://127.0.0.1:5683");
  auto response = send(CoapMethod::Get, "/1");
  ASSERT_EQ(response.code, CoapCode::Content) << response.diagnostic();
  ASSERT_TRUE(response.contentFormat);
  EXPECT_EQ(*response.contentFormat, static_cast<std::uint16_t>(ContentFormat::SenmlCbor));
  auto decoded = decodeContent(ContentFormat::SenmlCbor, Path(1), response.payload,
                               [this](std::uint16_t rid) -> std::optional<ResourceShape> {
                                 const ResourceDef* res = registry.find(1)->resource(rid);
                                 if (!res) return std::nullopt;
                                 return ResourceShape{res->type, res->multiple};
                               });
  ASSERT_TRUE(decoded) << decoded.error().message;
  ASSERT_EQ(decoded->instances.size(), 1u);
  EXPECT_EQ(decoded->instances[0].id, 1);
}

TEST_F(BootstrapTest, ReadWithAcceptAnswersInThatFormat) {
  addServerAccount(1, 101, "coap://127.0.0.1:5683");
  auto response =
      send(CoapMethod::Get, "/1/1", static_cast<std::uint16_t>(ContentFormat::SenmlJson));
  ASSERT_EQ(response.code, CoapCode::Content) << response.diagnostic();
  EXPECT_EQ(*response.contentFormat, static_cast<std::uint16_t>(ContentFormat::SenmlJson));
  EXPECT_THAT(text(response), HasSubstr("\"bn\":\"/1/1/\""));
}

TEST_F(BootstrapTest, ReadFormatFollowsTheOption) {
  addServerAccount(1, 101, "coap://127.0.0.1:5683");
  handler.setReadFormat(ContentFormat::LwM2MTlv);
  auto response = send(CoapMethod::Get, "/1/1");
  ASSERT_EQ(response.code, CoapCode::Content);
  EXPECT_EQ(*response.contentFormat, static_cast<std::uint16_t>(ContentFormat::LwM2MTlv));
}

TEST_F(BootstrapTest, ReadOfAccessControlIsAllowed) {
  ASSERT_EQ(writeTlv(Path(2, 0), {{0, {integer(0, 3), integer(1, 0), integer(3, 101)}}}).code,
            CoapCode::Changed);
  auto response =
      send(CoapMethod::Get, "/2/0", static_cast<std::uint16_t>(ContentFormat::SenmlJson));
  EXPECT_EQ(response.code, CoapCode::Content) << response.diagnostic();
}

TEST_F(BootstrapTest, ReadOfOtherObjectsIsUnauthorized) {
  // Above all the Security object: keys never leave the client.
  for (const char* path : {"/0", "/0/0", "/3/0", "/3303"}) {
    auto response = send(CoapMethod::Get, path);
    EXPECT_EQ(response.code, CoapCode::Unauthorized) << path;
    EXPECT_TRUE(response.contentFormat == std::nullopt) << path;
  }
}

TEST_F(BootstrapTest, ReadBelowAnInstanceOrOnRootIsBadRequest) {
  addServerAccount(1, 101, "coap://127.0.0.1:5683");
  EXPECT_EQ(send(CoapMethod::Get, "/1/1/1").code, CoapCode::BadRequest);
  EXPECT_EQ(send(CoapMethod::Get, "/").code, CoapCode::BadRequest);
}

TEST_F(BootstrapTest, ReadOfAMissingServerInstanceIsNotFound) {
  EXPECT_EQ(send(CoapMethod::Get, "/1/9").code, CoapCode::NotFound);
}

TEST_F(BootstrapTest, ReadInAFormatThatCannotCarryItIsNotAcceptable) {
  addServerAccount(1, 101, "coap://127.0.0.1:5683");
  auto response =
      send(CoapMethod::Get, "/1/1", static_cast<std::uint16_t>(ContentFormat::TextPlain));
  EXPECT_EQ(response.code, CoapCode::NotAcceptable);
}

TEST_F(BootstrapTest, DiscoverOfTheSecurityObjectNamesTheAccounts) {
  addServerAccount(1, 101, "coap://127.0.0.1:5683");
  auto response = discover("/0");
  ASSERT_EQ(response.code, CoapCode::Content) << response.diagnostic();
  EXPECT_EQ(*response.contentFormat, static_cast<std::uint16_t>(ContentFormat::LinkFormat));
  // The Bootstrap-Server account (/0/0) has no ssid and no uri.
  EXPECT_EQ(text(response),
            "</>;lwm2m=1.1,</0>;ver=1.1,</0/0>,</0/1>;ssid=101;uri=\"coap://127.0.0.1:5683\"");
}

TEST_F(BootstrapTest, DiscoverOfRootListsEveryObjectAndInstance) {
  addServerAccount(1, 101, "coap://127.0.0.1:5683");
  auto response = discover("/");
  ASSERT_EQ(response.code, CoapCode::Content) << response.diagnostic();
  auto links = parseLinks(text(response));
  ASSERT_TRUE(links) << links.error().message;
  ASSERT_FALSE(links->empty());
  EXPECT_EQ((*links)[0].target, "/");
  ASSERT_NE((*links)[0].find("lwm2m"), nullptr);
  EXPECT_EQ((*links)[0].find("lwm2m")->value, "1.1");
  auto find = [&](const std::string& target) -> const Link* {
    for (const auto& link : *links)
      if (link.target == target) return &link;
    return nullptr;
  };
  ASSERT_NE(find("/1/1"), nullptr);
  ASSERT_NE(find("/1/1")->find("ssid"), nullptr);
  EXPECT_EQ(find("/1/1")->find("ssid")->value, "101");
  EXPECT_EQ(find("/1/1")->find("uri"), nullptr);  // only Security instances carry the URI
  EXPECT_NE(find("/3/0"), nullptr);
  EXPECT_NE(find("/3303/0"), nullptr);
  // Object 4 (Connectivity Monitoring) has no instance: it appears on its own, with its version.
  ASSERT_NE(find("/4"), nullptr);
  EXPECT_NE(find("/4")->find("ver"), nullptr);
  // Object 2 has no instance either.
  EXPECT_NE(find("/2"), nullptr);
}

TEST_F(BootstrapTest, DiscoverOfAnInstanceIsBadRequestAndOfAnUnknownObjectNotFound) {
  EXPECT_EQ(discover("/0/0").code, CoapCode::BadRequest);
  EXPECT_EQ(discover("/4242").code, CoapCode::NotFound);
}

TEST_F(BootstrapTest, OtherMethodsAreNotBootstrapOperations) {
  addServerAccount(1, 101, "coap://127.0.0.1:5683");
  // Execute (Registration Update Trigger), Create, partial update: POST.
  auto response = send(CoapMethod::Post, "/1/1/8");
  EXPECT_EQ(response.code, CoapCode::MethodNotAllowed);
  EXPECT_THAT(response.diagnostic(), HasSubstr("not Bootstrap operations"));
  EXPECT_EQ(send(CoapMethod::Post, "/1").code, CoapCode::MethodNotAllowed);
  // Write-Attributes.
  EXPECT_EQ(send(CoapMethod::Put, "/1/1/1", std::nullopt, std::nullopt, {}, {"pmin=10"}).code,
            CoapCode::MethodNotAllowed);
  // Composite operations.
  EXPECT_EQ(send(CoapMethod::Fetch, "/").code, CoapCode::MethodNotAllowed);
  EXPECT_EQ(send(CoapMethod::IPatch, "/").code, CoapCode::MethodNotAllowed);
  EXPECT_EQ(valueOf(1, 1, 1), Value(std::int64_t{300}));
}

TEST_F(BootstrapTest, BootstrapPathIsRecognised) {
  EXPECT_TRUE(isBootstrapPath({"bs"}));
  EXPECT_FALSE(isBootstrapPath({"bs", "x"}));
  EXPECT_FALSE(isBootstrapPath({"rd"}));
  EXPECT_FALSE(isBootstrapPath({}));
}

}  // namespace
}  // namespace lwm2md::test
