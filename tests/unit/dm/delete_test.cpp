// Delete (TS 1.1 §5.4.7): object instances only, never the client's own core objects.
#include "dm_fixture.hpp"

namespace lwm2md::test {
namespace {

using ::testing::HasSubstr;

class DeleteTest : public DmTest {};

TEST_F(DeleteTest, DeletesAnInstanceAndTheAttributesAttachedBelowIt) {
  NotificationAttributes pmin;
  pmin.pmin = 5;
  attributes.set(1, Path(kTestObject, 0, 2), pmin);
  attributes.set(2, Path(kTestObject, 0), pmin);
  attributes.set(1, Path(kTestObject), pmin);
  auto r = request(CoapMethod::Delete, "/32769/0");
  ASSERT_EQ(r.code, CoapCode::Deleted) << r.diagnostic();
  EXPECT_EQ(tree.find(kTestObject, 0), nullptr);
  EXPECT_EQ(listener.removed,
            (std::vector<std::pair<std::uint16_t, std::uint16_t>>{{kTestObject, 0}}));
  EXPECT_TRUE(attributes.at(1, Path(kTestObject, 0, 2)).empty());
  EXPECT_TRUE(attributes.at(2, Path(kTestObject, 0)).empty());
  EXPECT_EQ(attributes.at(1, Path(kTestObject)).pmin, 5u);  // the object's stay
  EXPECT_EQ(request(CoapMethod::Delete, "/32769/0").code, CoapCode::NotFound);
}

TEST_F(DeleteTest, AServerMayDeleteAProvidersInstance) {
  EXPECT_EQ(request(CoapMethod::Delete, "/3303/0").code, CoapCode::Deleted);
  EXPECT_EQ(tree.find(3303, 0), nullptr);
}

TEST_F(DeleteTest, MissingThingsAre404) {
  EXPECT_EQ(request(CoapMethod::Delete, "/32769/9").code, CoapCode::NotFound);
  EXPECT_EQ(request(CoapMethod::Delete, "/9999/0").code, CoapCode::NotFound);
  EXPECT_TRUE(listener.quiet());
}

TEST_F(DeleteTest, TheRootObjectsResourcesAndCoreInstancesAre405) {
  for (const char* path : {"/", "/32769", "/32769/0/2", "/32769/0/1/0", "/3/0", "/1/0"}) {
    auto r = request(CoapMethod::Delete, path);
    EXPECT_EQ(r.code, CoapCode::MethodNotAllowed) << path;
    EXPECT_FALSE(r.diagnostic().empty()) << path;
  }
  EXPECT_THAT(request(CoapMethod::Delete, "/3/0").diagnostic(), HasSubstr("Device"));
  EXPECT_NE(tree.find(3, 0), nullptr);
  EXPECT_NE(tree.find(1, 0), nullptr);
  EXPECT_NE(tree.find(kTestObject, 0), nullptr);
  EXPECT_TRUE(listener.quiet());
}

}  // namespace
}  // namespace lwm2md::test
