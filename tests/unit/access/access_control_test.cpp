// AccessControl on its own (TS 1.1 Core §7.3, object 2 in §E.3): when it applies, how rights
// are found (own entry, owner, default entry), Create rights, and malformed ACL data.
#include "acl_fixture.hpp"

namespace lwm2md::test {
namespace {

using ::testing::HasSubstr;

TEST_F(AclTest, EnforcedOnlyWithMoreThanOneServer) {
  EXPECT_TRUE(access.enforced());
  ASSERT_TRUE(tree.removeInstance(1, 1).ok());
  EXPECT_FALSE(access.enforced());
  // One server: full access, no Access Control instance needed (§7.3.1).
  EXPECT_TRUE(access.check(1, AccessOperation::Delete, Path(32769, 0)));
  EXPECT_TRUE(access.check(1, AccessOperation::Create, Path(32769)));
  ASSERT_TRUE(tree.removeInstance(1, 0).ok());
  EXPECT_FALSE(access.enforced());
}

TEST_F(AclTest, ServerCounterOverridesTheTree) {
  std::size_t servers = 1;
  AccessControl counted(tree, [&servers] { return servers; });
  EXPECT_FALSE(counted.enforced());  // the tree has two /1 instances, the counter says one
  EXPECT_TRUE(counted.check(2, AccessOperation::Write, Path(32769, 0, 2)));
  servers = 3;
  EXPECT_TRUE(counted.enforced());
  EXPECT_FALSE(counted.check(2, AccessOperation::Write, Path(32769, 0, 2)));
}

TEST_F(AclTest, NoAccessControlInstanceGrantsNothing) {
  const auto decision = access.check(1, AccessOperation::Read, Path(3303, 0));
  EXPECT_FALSE(decision);
  EXPECT_EQ(decision.code, CoapCode::Unauthorized);
  EXPECT_THAT(decision.reason, HasSubstr("no Access Control instance"));
  EXPECT_EQ(access.rightsOn(1, 3303, 0), 0);
}

TEST_F(AclTest, EachBitGrantsExactlyItsOperations) {
  struct Case {
    std::int64_t bits;
    std::vector<AccessOperation> allowed;
  };
  const std::vector<AccessOperation> all{AccessOperation::Read,    AccessOperation::Discover,
                                         AccessOperation::Observe, AccessOperation::WriteAttributes,
                                         AccessOperation::Write,   AccessOperation::Execute,
                                         AccessOperation::Delete};
  const std::vector<Case> cases{
      {acl::kRead,
       {AccessOperation::Read, AccessOperation::Discover, AccessOperation::Observe,
        AccessOperation::WriteAttributes}},
      {acl::kWrite, {AccessOperation::Write}},
      {acl::kExecute, {AccessOperation::Execute}},
      {acl::kDelete, {AccessOperation::Delete}},
      {acl::kCreate, {}},  // Create means nothing on an instance
      {0, {}},
  };
  for (const auto& c : cases) {
    const std::uint16_t id = addAcl(32769, 0, 3, {{1, c.bits}});
    for (AccessOperation op : all) {
      const bool expected = std::find(c.allowed.begin(), c.allowed.end(), op) != c.allowed.end();
      EXPECT_EQ(access.check(1, op, Path(32769, 0, 2)).allowed, expected)
          << "bits " << c.bits << " op " << toString(op);
    }
    ASSERT_TRUE(tree.removeInstance(kAclObject, id).ok());
  }
}

TEST_F(AclTest, OwnEntryThenOwnerThenDefault) {
  addAcl(32769, 0, /*owner=*/1, {{0, acl::kRead}, {2, acl::kWrite}});
  // Server 2 has its own entry: Write only, the default does not add Read.
  EXPECT_EQ(access.rightsOn(2, 32769, 0), acl::kWrite);
  // Server 1 owns it and has no entry: every instance right (not the default's Read only).
  EXPECT_EQ(access.rightsOn(1, 32769, 0), acl::kFullInstance);
  // Server 7 neither: the default entry.
  EXPECT_EQ(access.rightsOn(7, 32769, 0), acl::kRead);
}

TEST_F(AclTest, OwnersOwnEntryLimitsIt) {
  addAcl(32769, 0, 1, {{1, acl::kRead}});
  EXPECT_TRUE(access.check(1, AccessOperation::Read, Path(32769, 0)));
  EXPECT_FALSE(access.check(1, AccessOperation::Write, Path(32769, 0)));
}

TEST_F(AclTest, NoEntryNoDefaultNotOwnerIsNothing) {
  addAcl(32769, 0, 1, {{2, acl::kRead}});
  EXPECT_EQ(access.rightsOn(3, 32769, 0), 0);
  EXPECT_FALSE(access.check(3, AccessOperation::Read, Path(32769, 0)));
}

TEST_F(AclTest, CreateNeedsTheObjectLevelInstance) {
  // A Create bit on an instance-level entry is no Create right on the object.
  addAcl(32769, 0, 1, {{1, 31}});
  EXPECT_FALSE(access.check(1, AccessOperation::Create, Path(32769)));
  addAcl(32769, acl::kMaxId, acl::kMaxId, {{1, acl::kCreate}});
  EXPECT_TRUE(access.check(1, AccessOperation::Create, Path(32769)));
  EXPECT_FALSE(access.check(2, AccessOperation::Create, Path(32769)));
  // Another object's entry does not count.
  EXPECT_FALSE(access.check(1, AccessOperation::Create, Path(3303)));
}

TEST_F(AclTest, CreateFromDefaultEntryButNotFromOwnership) {
  addAcl(3303, acl::kMaxId, /*owner=*/2, {{0, acl::kCreate}, {1, acl::kRead}});
  EXPECT_TRUE(access.check(2, AccessOperation::Create, Path(3303)));   // default
  EXPECT_FALSE(access.check(1, AccessOperation::Create, Path(3303)));  // own entry: Read only
  addAcl(32769, acl::kMaxId, /*owner=*/2);
  EXPECT_FALSE(access.check(2, AccessOperation::Create, Path(32769)));  // owning is not C
}

TEST_F(AclTest, SecurityObjectNeverAccessible) {
  addAcl(0, 0, 1, {{1, 31}});
  EXPECT_FALSE(access.check(1, AccessOperation::Read, Path(0, 0)));
  EXPECT_FALSE(access.check(1, AccessOperation::Read, Path(0)));
  ASSERT_TRUE(tree.removeInstance(1, 1).ok());  // also with one server
  EXPECT_FALSE(access.check(1, AccessOperation::Read, Path(0, 0, 0)));
}

TEST_F(AclTest, MalformedAclValuesGrantNothing) {
  addAcl(32769, 0, 3, {{1, -1}, {2, 70000}, {0, acl::kRead}});
  // An out-of-range entry is still the server's own entry: it grants nothing (no default).
  EXPECT_EQ(access.rightsOn(1, 32769, 0), 0);
  EXPECT_EQ(access.rightsOn(2, 32769, 0), 0);
  // Reserved bits above Create are ignored.
  addAcl(3303, 0, 3, {{1, 0x7FE1}});
  EXPECT_EQ(access.rightsOn(1, 3303, 0), acl::kRead);
}

TEST_F(AclTest, AccessControlInstanceWithoutTargetIsIgnored) {
  // Missing /2/x/1: it controls nothing.
  ASSERT_TRUE(tree.addInstance(kAclObject, 9,
                               {single(0, ResourceType::Integer, std::int64_t{32769}),
                                single(3, ResourceType::Integer, std::int64_t{1})},
                               "")
                  .ok());
  EXPECT_EQ(access.controlOf(32769, 0), nullptr);
  EXPECT_FALSE(access.check(1, AccessOperation::Read, Path(32769, 0)));
}

TEST_F(AclTest, AccessControlInstancesBelongToTheirOwner) {
  const std::uint16_t mine = addAcl(32769, 0, 1);
  const std::uint16_t bootstrapOnly = addAcl(3303, 0, acl::kMaxId, {{1, 31}, {2, 31}});
  for (AccessOperation op : {AccessOperation::Read, AccessOperation::Write,
                             AccessOperation::Discover, AccessOperation::WriteAttributes}) {
    EXPECT_TRUE(access.check(1, op, Path(kAclObject, mine))) << toString(op);
    EXPECT_FALSE(access.check(2, op, Path(kAclObject, mine))) << toString(op);
    // 65535: only the Bootstrap server manages it; ACL entries on the target do not count.
    EXPECT_FALSE(access.check(1, op, Path(kAclObject, bootstrapOnly))) << toString(op);
  }
  // Its lifetime is the client's: not even the owner deletes it.
  EXPECT_FALSE(access.check(1, AccessOperation::Delete, Path(kAclObject, mine)));
}

TEST_F(AclTest, ObjectLevelReadIsLeftToFiltering) {
  EXPECT_TRUE(access.check(1, AccessOperation::Read, Path(32769)));
  EXPECT_TRUE(access.check(1, AccessOperation::Discover, Path(32769)));
  EXPECT_FALSE(access.mayRead(1, Path(32769, 0)));
}

}  // namespace
}  // namespace lwm2md::test
