#include "registration/registration_payload.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "build_config.hpp"
#include "ddf/object_registry.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {
namespace {

class RegistrationPayloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> errors;
    ASSERT_GT(registry.loadDirectory(LWM2MD_SOURCE_OBJECTS_DIR, errors), 4u);
    ResourceData uri{0, ResourceType::String, false, Value{std::string("coap://x")}, {}};
    ASSERT_TRUE(tree.addInstance(0, 0, {uri}, "").ok());
    ASSERT_TRUE(tree.addInstance(1, 0, {}, "").ok());
    ASSERT_TRUE(tree.addInstance(3, 0, {}, "").ok());
    ASSERT_TRUE(tree.addInstance(3303, 0, {}, ":1.1").ok());
    ASSERT_TRUE(tree.addInstance(3303, 1, {}, ":1.1").ok());
  }
  ObjectRegistry registry;
  ObjectTree tree{registry};
};

TEST_F(RegistrationPayloadTest, Version10ListsInstancesWithoutSecurity) {
  EXPECT_EQ(registrationPayload(tree, "1.0"), "</1/0>,</3/0>,</3303/0>,</3303/1>");
}

TEST_F(RegistrationPayloadTest, Version11AddsRootLinkAndObjectVersions) {
  const std::string payload = registrationPayload(tree, "1.1");
  EXPECT_THAT(payload, ::testing::StartsWith("</>;rt=\"oma.lwm2m\";ct=112,"));
  EXPECT_THAT(payload, ::testing::HasSubstr("</1>;ver=1.1,</1/0>"));
  EXPECT_THAT(payload, ::testing::HasSubstr("</3>;ver=1.1,</3/0>"));
  EXPECT_THAT(payload, ::testing::Not(::testing::HasSubstr("</0")));
}

TEST(RegisterQuery, CarriesEndpointLifetimeVersionBinding) {
  EXPECT_EQ(registerQuery("gw-1", 300, "1.1", "U"),
            (std::vector<std::string>{"ep=gw-1", "lt=300", "lwm2m=1.1", "b=U"}));
}

TEST(RegisterQuery, QueueModeIsItsOwnItemIn11AndAnUnchangedBindingIn10) {
  EXPECT_EQ(registerQuery("gw-1", 60, "1.1", "UQ"),
            (std::vector<std::string>{"ep=gw-1", "lt=60", "lwm2m=1.1", "b=U", "Q"}));
  EXPECT_EQ(registerQuery("gw-1", 60, "1.0", "UQ"),
            (std::vector<std::string>{"ep=gw-1", "lt=60", "lwm2m=1.0", "b=UQ"}));
}

TEST(UpdateQuery, CarriesOnlyWhatChanged) {
  EXPECT_TRUE(updateQuery(std::nullopt, std::nullopt, "1.1").empty());
  EXPECT_EQ(updateQuery(63u, std::nullopt, "1.1"), (std::vector<std::string>{"lt=63"}));
  EXPECT_EQ(updateQuery(std::nullopt, std::string("US"), "1.1"),
            (std::vector<std::string>{"b=US"}));
  EXPECT_EQ(updateQuery(5u, std::string("UQ"), "1.1"),
            (std::vector<std::string>{"lt=5", "b=U", "Q"}));
  EXPECT_EQ(updateQuery(std::nullopt, std::string("UQ"), "1.0"),
            (std::vector<std::string>{"b=UQ"}));
}

}  // namespace
}  // namespace lwm2md
