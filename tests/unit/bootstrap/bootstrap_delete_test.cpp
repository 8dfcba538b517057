// Bootstrap-Delete (TS 1.1 §6.1.7.6; Transport TS: DELETE, 2.02, failure 4.00).
// ETS LwM2M-1.1-int-4 (Bootstrap Delete): the Bootstrap-Server deletes everything ("/") and the
// client answers 2.02; what is left is only the Bootstrap-Server account and the Device
// instance, which a Bootstrap-Discover shows; the server then writes a new configuration.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bootstrap_fixture.hpp"

namespace lwm2md::test {
namespace {

using ::testing::HasSubstr;

class BootstrapDeleteTest : public BootstrapTest {
 protected:
  void SetUp() override {
    BootstrapTest::SetUp();
    addServerAccount(1, 101, "coap://127.0.0.1:5683");
    addServerAccount(2, 102, "coap://127.0.0.1:5684");
    ASSERT_EQ(writeTlv(Path(2, 0), {{0, {integer(0, 3), integer(1, 0), integer(3, 101)}}}).code,
              CoapCode::Changed);
    NotificationAttributes pmin;
    pmin.pmin = 10;
    attributes.set(101, Path(1, 1), pmin);
  }
};

TEST_F(BootstrapDeleteTest, Int4DeleteOfRootKeepsTheBootstrapAccountAndTheDevice) {
  auto response = remove("/");
  ASSERT_EQ(response.code, CoapCode::Deleted) << response.diagnostic();
  ASSERT_EQ(tree.instancesOf(0).size(), 1u);
  EXPECT_EQ(tree.instancesOf(0)[0]->instanceId(), 0);  // the Bootstrap-Server account
  EXPECT_NE(tree.find(3, 0), nullptr);
  EXPECT_TRUE(tree.instancesOf(1).empty());
  EXPECT_TRUE(tree.instancesOf(2).empty());
  // The attributes of what was deleted go with it.
  EXPECT_TRUE(attributes.all().empty());
  // What a Bootstrap-Discover shows afterwards: the account without ssid, the Device.
  auto discovered = discover("/0");
  EXPECT_EQ(discovered.diagnostic(), "</>;lwm2m=1.1,</0>;ver=1.1,</0/0>");
}

TEST_F(BootstrapDeleteTest, DeleteOfRootSparesWhatADbusClientProvides) {
  ASSERT_EQ(remove("/").code, CoapCode::Deleted);
  EXPECT_NE(tree.find(3303, 0), nullptr);
}

TEST_F(BootstrapDeleteTest, DeleteOfTheSecurityObjectKeepsTheBootstrapAccount) {
  auto response = remove("/0");
  ASSERT_EQ(response.code, CoapCode::Deleted) << response.diagnostic();
  ASSERT_EQ(tree.instancesOf(0).size(), 1u);
  EXPECT_EQ(tree.instancesOf(0)[0]->instanceId(), 0);
  EXPECT_EQ(tree.instancesOf(1).size(), 2u);  // other objects untouched
}

TEST_F(BootstrapDeleteTest, DeleteOfAnObjectRemovesAllItsInstances) {
  ASSERT_EQ(remove("/1").code, CoapCode::Deleted);
  EXPECT_TRUE(tree.instancesOf(1).empty());
  EXPECT_EQ(tree.instancesOf(0).size(), 3u);
}

TEST_F(BootstrapDeleteTest, DeleteOfOneInstance) {
  ASSERT_EQ(remove("/0/2").code, CoapCode::Deleted);
  EXPECT_EQ(tree.find(0, 2), nullptr);
  EXPECT_NE(tree.find(0, 1), nullptr);
}

TEST_F(BootstrapDeleteTest, DeleteOfTheDeviceObjectLeavesItsInstance) {
  ASSERT_EQ(remove("/3").code, CoapCode::Deleted);
  EXPECT_NE(tree.find(3, 0), nullptr);
}

TEST_F(BootstrapDeleteTest, TargetedDeleteOfTheBootstrapAccountOrDeviceIsBadRequest) {
  auto response = remove("/0/0");
  EXPECT_EQ(response.code, CoapCode::BadRequest);
  EXPECT_THAT(response.diagnostic(), HasSubstr("Bootstrap-Server account"));
  EXPECT_NE(tree.find(0, 0), nullptr);
  response = remove("/3/0");
  EXPECT_EQ(response.code, CoapCode::BadRequest);
  EXPECT_THAT(response.diagnostic(), HasSubstr("Device"));
  EXPECT_NE(tree.find(3, 0), nullptr);
}

TEST_F(BootstrapDeleteTest, TargetedDeleteOfAProvidedInstanceIsBadRequest) {
  auto response = remove("/3303/0");
  EXPECT_EQ(response.code, CoapCode::BadRequest);
  EXPECT_THAT(response.diagnostic(), HasSubstr("D-Bus client"));
}

TEST_F(BootstrapDeleteTest, MissingInstanceOrUnknownObjectIsNotFound) {
  EXPECT_EQ(remove("/1/9").code, CoapCode::NotFound);
  EXPECT_EQ(remove("/4242").code, CoapCode::NotFound);
}

TEST_F(BootstrapDeleteTest, DeleteOfAResourceIsBadRequest) {
  EXPECT_EQ(remove("/1/1/1").code, CoapCode::BadRequest);
  EXPECT_NE(tree.find(1, 1), nullptr);
}

TEST_F(BootstrapDeleteTest, DeleteThenWriteGivesAFreshConfiguration) {
  ASSERT_EQ(remove("/").code, CoapCode::Deleted);
  addServerAccount(1, 201, "coap://127.0.0.1:6000");
  EXPECT_EQ(handler.inconsistency(), std::nullopt);
  EXPECT_EQ(handler.finish().code, CoapCode::Changed);
}

}  // namespace
}  // namespace lwm2md::test
