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

}  // namespace
}  // namespace lwm2md
