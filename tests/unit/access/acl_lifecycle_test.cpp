// Access Control instances over an instance's lifetime (TS 1.1 Core §7.3.1): Create needs the
// object-level C bit and gives the creator a fresh Access Control instance; Delete takes it
// away; Access Control instances themselves are managed by their owner only.
#include "acl_fixture.hpp"

namespace lwm2md::test {
namespace {

using ::testing::HasSubstr;

std::int64_t integer(const std::optional<Value>& value) {
  return value && std::holds_alternative<std::int64_t>(*value) ? std::get<std::int64_t>(*value)
                                                               : -1;
}

class AclLifecycleTest : public AclTest {
 protected:
  DmResponse createAs(std::uint16_t server, std::uint16_t iid) {
    return as(server, CoapMethod::Post, "/32769", {}, kSenmlJson,
              R"([{"bn":"/32769/)" + std::to_string(iid) + R"(/","n":"0","vs":"made"}])");
  }
};

TEST_F(AclLifecycleTest, CreateNeedsTheCreateBit) {
  // No object-level instance: nobody creates.
  auto r = createAs(1, 4);
  EXPECT_EQ(r.code, CoapCode::Unauthorized);
  EXPECT_THAT(r.diagnostic(), HasSubstr("no Create right on object 32769"));
  EXPECT_EQ(tree.find(32769, 4), nullptr);
  addAcl(32769, acl::kMaxId, acl::kMaxId, {{1, acl::kCreate}, {2, acl::kRead | acl::kWrite}});
  EXPECT_EQ(createAs(2, 4).code, CoapCode::Unauthorized);
  EXPECT_EQ(tree.find(32769, 4), nullptr);
  EXPECT_EQ(createAs(1, 4).code, CoapCode::Created);
  EXPECT_NE(tree.find(32769, 4), nullptr);
}

TEST_F(AclLifecycleTest, CreateThroughTheDefaultEntry) {
  addAcl(32769, acl::kMaxId, acl::kMaxId, {{0, acl::kCreate}});
  EXPECT_EQ(createAs(2, 6).code, CoapCode::Created);
}

TEST_F(AclLifecycleTest, CreateMakesAnAccessControlInstanceOwnedByTheCreator) {
  addAcl(32769, acl::kMaxId, acl::kMaxId, {{0, acl::kCreate}});
  const std::size_t before = tree.instancesOf(kAclObject).size();
  auto r = createAs(2, 4);
  ASSERT_EQ(r.code, CoapCode::Created) << r.diagnostic();
  EXPECT_EQ(r.locationPath, (std::vector<std::string>{"32769", "4"}));
  ASSERT_EQ(tree.instancesOf(kAclObject).size(), before + 1);
  const Instance* control = access.controlOf(32769, 4);
  ASSERT_NE(control, nullptr);
  EXPECT_EQ(integer(valueOf(kAclObject, control->instanceId(), 0)), 32769);
  EXPECT_EQ(integer(valueOf(kAclObject, control->instanceId(), 1)), 4);
  EXPECT_EQ(integer(valueOf(kAclObject, control->instanceId(), 3)), 2);
  EXPECT_FALSE(control->resource(2).has_value());  // no entries: the owner rule applies
  // The creator has every instance right; the other server none.
  EXPECT_EQ(as(2, CoapMethod::Put, "/32769/4/2", {}, kTextPlain, "1.25").code, CoapCode::Changed);
  EXPECT_EQ(as(1, CoapMethod::Get, "/32769/4").code, CoapCode::Unauthorized);
  // The creator grants server 1 Read through its Access Control instance.
  const std::string aclPath = "/2/" + std::to_string(control->instanceId()) + "/2/1";
  EXPECT_EQ(as(2, CoapMethod::Put, aclPath, {}, kTextPlain, "1").code, CoapCode::Changed);
  EXPECT_EQ(as(1, CoapMethod::Get, "/32769/4").code, CoapCode::Content);
  EXPECT_EQ(as(1, CoapMethod::Put, "/32769/4/2", {}, kTextPlain, "2").code, CoapCode::Unauthorized);
}

TEST_F(AclLifecycleTest, CreateWithoutIdPicksOneAndControlsIt) {
  addAcl(32769, acl::kMaxId, acl::kMaxId, {{1, acl::kCreate}});
  auto r = as(1, CoapMethod::Post, "/32769");
  // The test object's resource 0 is mandatory: an empty Create is a 4.00, and leaves no
  // Access Control instance behind.
  EXPECT_EQ(r.code, CoapCode::BadRequest);
  EXPECT_EQ(tree.instancesOf(kAclObject).size(), 1u);
}

TEST_F(AclLifecycleTest, CreateReplacesAStaleAccessControlInstance) {
  addAcl(32769, acl::kMaxId, acl::kMaxId, {{0, acl::kCreate}});
  addAcl(32769, 4, 1, {{1, 31}});  // left behind for an instance that no longer exists
  ASSERT_EQ(createAs(2, 4).code, CoapCode::Created);
  const Instance* control = access.controlOf(32769, 4);
  ASSERT_NE(control, nullptr);
  EXPECT_EQ(integer(valueOf(kAclObject, control->instanceId(), 3)), 2);
  EXPECT_EQ(tree.instancesOf(kAclObject).size(), 2u);
}

TEST_F(AclLifecycleTest, DeleteRemovesTheAccessControlInstance) {
  const std::uint16_t control = addAcl(32769, 0, 1);
  const std::uint16_t other = addAcl(3303, 0, 1);
  ASSERT_EQ(as(1, CoapMethod::Put, "/2/" + std::to_string(control), {}, {}, "", {"pmin=3"}).code,
            CoapCode::Changed);
  listener = RecordingListener{};
  ASSERT_EQ(as(1, CoapMethod::Delete, "/32769/0").code, CoapCode::Deleted);
  EXPECT_EQ(tree.find(kAclObject, control), nullptr);
  EXPECT_NE(tree.find(kAclObject, other), nullptr);
  EXPECT_EQ(access.controlOf(32769, 0), nullptr);
  // Listeners hear of both removals; the attributes of the Access Control instance go too.
  EXPECT_THAT(listener.removed, ::testing::UnorderedElementsAre(
                                    std::pair<std::uint16_t, std::uint16_t>{32769, 0},
                                    std::pair<std::uint16_t, std::uint16_t>{kAclObject, control}));
  EXPECT_FALSE(attributes.at(1, Path(kAclObject, control)).pmin.has_value());
}

TEST_F(AclLifecycleTest, RefusedDeleteKeepsTheAccessControlInstance) {
  const std::uint16_t control = addAcl(32769, 0, 1);
  EXPECT_EQ(as(2, CoapMethod::Delete, "/32769/0").code, CoapCode::Unauthorized);
  EXPECT_NE(tree.find(kAclObject, control), nullptr);
}

TEST_F(AclLifecycleTest, OnlyTheOwnerManagesAnAccessControlInstance) {
  const std::uint16_t id = addAcl(32769, 0, 1, {{2, acl::kRead}});
  const std::string path = "/2/" + std::to_string(id);
  EXPECT_EQ(as(1, CoapMethod::Get, path).code, CoapCode::Content);
  EXPECT_EQ(as(2, CoapMethod::Get, path).code, CoapCode::Unauthorized);
  EXPECT_EQ(as(2, CoapMethod::Get, path, kLinkFormat).code, CoapCode::Unauthorized);
  // Server 2 may not grant itself Write.
  EXPECT_EQ(as(2, CoapMethod::Put, path + "/2/2", {}, kTextPlain, "3").code,
            CoapCode::Unauthorized);
  EXPECT_EQ(writeLevel(2, "4").code, CoapCode::Unauthorized);
  // The owner may.
  EXPECT_EQ(as(1, CoapMethod::Put, path + "/2/2", {}, kTextPlain, "3").code, CoapCode::Changed);
  EXPECT_EQ(writeLevel(2, "4").code, CoapCode::Changed);
  // Nobody deletes it: it goes with its target.
  EXPECT_EQ(as(1, CoapMethod::Delete, path).code, CoapCode::Unauthorized);
  EXPECT_NE(tree.find(kAclObject, id), nullptr);
  // Nobody creates one either (the client does, TS §E.3).
  EXPECT_EQ(as(1, CoapMethod::Post, "/2", {}, kSenmlJson,
               R"([{"bn":"/2/40/","n":"0","v":3303},{"n":"1","v":0},{"n":"3","v":1}])")
                .code,
            CoapCode::MethodNotAllowed);
}

TEST_F(AclLifecycleTest, BootstrapOwnedAccessControlInstanceIsReadOnlyToAll) {
  const std::uint16_t id = addAcl(32769, 0, acl::kMaxId, {{1, 31}, {2, 31}});
  EXPECT_EQ(as(1, CoapMethod::Get, "/2/" + std::to_string(id)).code, CoapCode::Unauthorized);
  EXPECT_EQ(as(1, CoapMethod::Put, "/2/" + std::to_string(id) + "/3", {}, kTextPlain, "1").code,
            CoapCode::Unauthorized);
  // Its entries still govern the target.
  EXPECT_EQ(writeLevel(2, "4").code, CoapCode::Changed);
}

}  // namespace
}  // namespace lwm2md::test
