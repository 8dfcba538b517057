// The data model enforcing Access Control (TS 1.1 Core §7.3) on each DM operation: every right
// bit allowing and refusing its operations with 4.01, nothing changed on refusal, 4.04 before
// 4.01 for what does not exist, and no checks with a single server or without AccessControl.
#include "acl_fixture.hpp"

namespace lwm2md::test {
namespace {

using ::testing::HasSubstr;

TEST_F(AclTest, ReadNeedsTheReadBit) {
  addAcl(32769, 0, 3, {{1, acl::kRead}, {2, acl::kWrite | acl::kExecute | acl::kDelete}});
  EXPECT_EQ(as(1, CoapMethod::Get, "/32769/0").code, CoapCode::Content);
  EXPECT_EQ(as(1, CoapMethod::Get, "/32769/0/0", kTextPlain).code, CoapCode::Content);
  EXPECT_EQ(as(1, CoapMethod::Get, "/32769/0/1/1", kTextPlain).code, CoapCode::Content);
  for (const char* path : {"/32769/0", "/32769/0/0", "/32769/0/1/1"}) {
    auto r = as(2, CoapMethod::Get, path);
    EXPECT_EQ(r.code, CoapCode::Unauthorized) << path;
    EXPECT_THAT(r.diagnostic(), HasSubstr("no Read right on /32769/0"));
  }
}

TEST_F(AclTest, DiscoverNeedsTheReadBit) {
  addAcl(32769, 0, 3, {{1, acl::kRead}, {2, acl::kWrite}});
  EXPECT_EQ(as(1, CoapMethod::Get, "/32769/0", kLinkFormat).code, CoapCode::Content);
  EXPECT_EQ(as(1, CoapMethod::Get, "/32769/0/1", kLinkFormat).code, CoapCode::Content);
  EXPECT_EQ(as(2, CoapMethod::Get, "/32769/0", kLinkFormat).code, CoapCode::Unauthorized);
  EXPECT_EQ(as(2, CoapMethod::Get, "/32769/0/1", kLinkFormat).code, CoapCode::Unauthorized);
}

TEST_F(AclTest, WriteAttributesNeedsTheReadBit) {
  addAcl(32769, 0, 3, {{1, acl::kRead}, {2, acl::kWrite}});
  EXPECT_EQ(as(1, CoapMethod::Put, "/32769/0/2", {}, {}, "", {"pmin=5"}).code, CoapCode::Changed);
  auto r = as(2, CoapMethod::Put, "/32769/0/2", {}, {}, "", {"pmin=7"});
  EXPECT_EQ(r.code, CoapCode::Unauthorized);
  EXPECT_FALSE(attributes.at(2, Path(32769, 0, 2)).pmin.has_value());
  EXPECT_EQ(as(2, CoapMethod::Put, "/32769/0", {}, {}, "", {"pmax=9"}).code,
            CoapCode::Unauthorized);
}

TEST_F(AclTest, ObserveFollowsTheReadRight) {
  // The observation layer reads through the data model and asks mayRead.
  addAcl(32769, 0, 3, {{1, acl::kRead}});
  EXPECT_TRUE(model.mayRead(1, Path(32769, 0, 2)));
  EXPECT_FALSE(model.mayRead(2, Path(32769, 0, 2)));
  model.setAccessControl(nullptr);
  EXPECT_TRUE(model.mayRead(2, Path(32769, 0, 2)));
}

TEST_F(AclTest, WriteNeedsTheWriteBit) {
  addAcl(32769, 0, 3, {{1, acl::kWrite}, {2, acl::kRead | acl::kExecute | acl::kDelete}});
  EXPECT_EQ(writeLevel(1, "2.5").code, CoapCode::Changed);
  EXPECT_EQ(valueOf(32769, 0, 2), Value(2.5));
  listener = RecordingListener{};
  auto r = writeLevel(2, "9.5");
  EXPECT_EQ(r.code, CoapCode::Unauthorized);
  EXPECT_THAT(r.diagnostic(), HasSubstr("no Write right"));
  EXPECT_EQ(valueOf(32769, 0, 2), Value(2.5));
  EXPECT_TRUE(listener.quiet());
  // Partial update (POST on the instance) is a Write too.
  EXPECT_EQ(as(2, CoapMethod::Post, "/32769/0", {}, kSenmlJson,
               R"([{"bn":"/32769/0/","n":"0","vs":"x"}])")
                .code,
            CoapCode::Unauthorized);
  EXPECT_EQ(valueOf(32769, 0, 0), Value(std::string("first")));
}

TEST_F(AclTest, ExecuteNeedsTheExecuteBit) {
  addAcl(32769, 0, 3, {{1, acl::kExecute}, {2, acl::kRead | acl::kWrite | acl::kDelete}});
  EXPECT_EQ(as(2, CoapMethod::Post, "/32769/0/4").code, CoapCode::Unauthorized);
  EXPECT_TRUE(listener.executes.empty());
  EXPECT_EQ(as(1, CoapMethod::Post, "/32769/0/4").code, CoapCode::Changed);
  ASSERT_EQ(listener.executes.size(), 1u);
  EXPECT_EQ(listener.executes[0].rid, 4);
}

TEST_F(AclTest, DeleteNeedsTheDeleteBit) {
  addAcl(32769, 0, 3, {{1, acl::kDelete}, {2, acl::kRead | acl::kWrite | acl::kExecute}});
  EXPECT_EQ(as(2, CoapMethod::Delete, "/32769/0").code, CoapCode::Unauthorized);
  EXPECT_NE(tree.find(32769, 0), nullptr);
  EXPECT_EQ(as(1, CoapMethod::Delete, "/32769/0").code, CoapCode::Deleted);
  EXPECT_EQ(tree.find(32769, 0), nullptr);
}

TEST_F(AclTest, DefaultEntryAppliesToUnlistedServers) {
  addAcl(32769, 0, 3, {{0, acl::kRead}, {1, acl::kWrite}});
  EXPECT_EQ(as(2, CoapMethod::Get, "/32769/0/0", kTextPlain).code, CoapCode::Content);
  EXPECT_EQ(writeLevel(2, "3").code, CoapCode::Unauthorized);
  // Server 1 has its own entry: the default does not add Read to it.
  EXPECT_EQ(as(1, CoapMethod::Get, "/32769/0/0", kTextPlain).code, CoapCode::Unauthorized);
  EXPECT_EQ(writeLevel(1, "3").code, CoapCode::Changed);
}

TEST_F(AclTest, OwnerWithoutEntryHasEveryInstanceRight) {
  addAcl(32769, 0, /*owner=*/2, {{0, acl::kRead}});
  EXPECT_EQ(writeLevel(2, "4").code, CoapCode::Changed);
  EXPECT_EQ(as(2, CoapMethod::Post, "/32769/0/4").code, CoapCode::Changed);
  EXPECT_EQ(writeLevel(1, "5").code, CoapCode::Unauthorized);  // default: Read only
  EXPECT_EQ(as(2, CoapMethod::Delete, "/32769/0").code, CoapCode::Deleted);
}

TEST_F(AclTest, MissingTargetIsNotFoundBeforeUnauthorized) {
  // No rights anywhere: what exists is 4.01, what does not is 4.04.
  EXPECT_EQ(as(1, CoapMethod::Get, "/32769/0").code, CoapCode::Unauthorized);
  EXPECT_EQ(as(1, CoapMethod::Get, "/32769/7").code, CoapCode::NotFound);
  EXPECT_EQ(as(1, CoapMethod::Get, "/32769/7/0").code, CoapCode::NotFound);
  EXPECT_EQ(as(1, CoapMethod::Put, "/32769/7/2", {}, kTextPlain, "1").code, CoapCode::NotFound);
  EXPECT_EQ(as(1, CoapMethod::Post, "/32769/7/4").code, CoapCode::NotFound);
  EXPECT_EQ(as(1, CoapMethod::Delete, "/32769/7").code, CoapCode::NotFound);
  EXPECT_EQ(as(1, CoapMethod::Get, "/32769/7", kLinkFormat).code, CoapCode::NotFound);
  EXPECT_EQ(as(1, CoapMethod::Get, "/4242/0").code, CoapCode::NotFound);
}

TEST_F(AclTest, OperationErrorsOfTheDefinitionComeFirstOnlyWhenAllowed) {
  // A server without rights learns nothing about the resource: 4.01, not 4.05.
  addAcl(32769, 0, 3, {{1, acl::kRead}});
  EXPECT_EQ(as(2, CoapMethod::Put, "/32769/0/5", {}, kTextPlain, "x").code, CoapCode::Unauthorized);
  EXPECT_EQ(as(1, CoapMethod::Put, "/32769/0/5", {}, kTextPlain, "x").code,
            CoapCode::Unauthorized);  // no W
  addAcl(3303, 0, 1);
  EXPECT_EQ(as(1, CoapMethod::Put, "/3303/0/5700", {}, kTextPlain, "1").code,
            CoapCode::MethodNotAllowed);  // allowed, but the resource is read-only
}

TEST_F(AclTest, SecurityObjectRefusedToEveryServer) {
  ASSERT_TRUE(tree.addInstance(0, 0,
                               {single(0, ResourceType::String, std::string("coap://x")),
                                single(1, ResourceType::Boolean, false),
                                single(2, ResourceType::Integer, std::int64_t{3})},
                               "")
                  .ok());
  addAcl(0, 0, 1, {{1, 31}});
  EXPECT_EQ(as(1, CoapMethod::Get, "/0/0").code, CoapCode::Unauthorized);
  EXPECT_EQ(as(1, CoapMethod::Get, "/0").code, CoapCode::Unauthorized);
  EXPECT_EQ(as(1, CoapMethod::Get, "/0/5").code, CoapCode::Unauthorized);
}

TEST_F(AclTest, SingleServerHasFullAccessWithoutAccessControlInstances) {
  ASSERT_TRUE(tree.removeInstance(1, 1).ok());
  EXPECT_EQ(as(1, CoapMethod::Get, "/32769/0").code, CoapCode::Content);
  EXPECT_EQ(writeLevel(1, "6").code, CoapCode::Changed);
  EXPECT_EQ(as(1, CoapMethod::Post, "/32769/0/4").code, CoapCode::Changed);
  EXPECT_EQ(as(1, CoapMethod::Post, "/32769", {}, kSenmlJson,
               R"([{"bn":"/32769/3/","n":"0","vs":"new"}])")
                .code,
            CoapCode::Created);
  EXPECT_EQ(as(1, CoapMethod::Delete, "/32769/0").code, CoapCode::Deleted);
  // A second server appears: the rules apply again.
  ASSERT_TRUE(tree.addInstance(1, 5,
                               {single(0, ResourceType::Integer, std::int64_t{9}),
                                single(1, ResourceType::Integer, std::int64_t{60}),
                                single(6, ResourceType::Boolean, false),
                                single(7, ResourceType::String, std::string("U"))},
                               "")
                  .ok());
  EXPECT_EQ(as(9, CoapMethod::Get, "/3303/0").code, CoapCode::Unauthorized);
}

TEST_F(AclTest, WithoutAccessControlNothingIsChecked) {
  model.setAccessControl(nullptr);
  EXPECT_EQ(as(2, CoapMethod::Get, "/32769/0").code, CoapCode::Content);
  EXPECT_EQ(writeLevel(2, "7").code, CoapCode::Changed);
}

TEST_F(AclTest, WriteCompositeRefusedAsAWholeWhenOneInstanceIsDenied) {
  addAcl(32769, 0, 3, {{1, acl::kWrite}});
  addAcl(3, 0, 3, {{1, acl::kRead}});
  listener = RecordingListener{};
  auto r = as(1, CoapMethod::IPatch, "/", {}, kSenmlJson,
              R"([{"n":"/32769/0/2","v":8.5},{"n":"/3/0/14","vs":"+02:00"}])");
  EXPECT_EQ(r.code, CoapCode::Unauthorized);
  EXPECT_THAT(r.diagnostic(), HasSubstr("/3/0"));
  EXPECT_TRUE(listener.quiet());
  EXPECT_EQ(valueOf(32769, 0, 2), Value(1.5));
  // Only the writable instance: accepted.
  EXPECT_EQ(as(1, CoapMethod::IPatch, "/", {}, kSenmlJson, R"([{"n":"/32769/0/2","v":8.5}])").code,
            CoapCode::Changed);
  EXPECT_EQ(valueOf(32769, 0, 2), Value(8.5));
}

}  // namespace
}  // namespace lwm2md::test
