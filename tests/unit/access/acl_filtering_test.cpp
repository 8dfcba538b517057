// What object-level and composite reads show a server under Access Control (TS 1.1 Core
// §7.3): only the instances it may read; a listed path it may not read is left out with its
// 4.01, which is the answer only when nothing else could be read.
#include <nlohmann/json.hpp>

#include "acl_fixture.hpp"

namespace lwm2md::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class AclFilteringTest : public AclTest {
 protected:
  void SetUp() override {
    AclTest::SetUp();
    ASSERT_TRUE(tree.addInstance(kTestObject, 1,
                                 {single(0, ResourceType::String, std::string("second"))}, "")
                    .ok());
    ASSERT_TRUE(tree.addInstance(kTestObject, 2,
                                 {single(0, ResourceType::String, std::string("third"))}, "")
                    .ok());
    addAcl(kTestObject, 0, 3, {{1, acl::kRead}});
    addAcl(kTestObject, 1, 3, {{1, acl::kWrite}, {2, acl::kRead}});
    addAcl(kTestObject, 2, 1);  // server 1 owns it
    addAcl(3, 0, 3, {{0, acl::kRead}});
  }

  /// The full names in a SenML JSON answer, base names resolved.
  static std::set<std::string> names(const DmResponse& r) {
    std::set<std::string> out;
    auto pack = nlohmann::json::parse(r.diagnostic(), nullptr, false);
    std::string base;
    for (const auto& record : pack) {
      if (record.contains("bn")) base = record["bn"];
      out.insert(base + record.value("n", ""));
    }
    return out;
  }

  DmResponse fetch(std::uint16_t server, std::string_view paths) {
    return as(server, CoapMethod::Fetch, "/", {}, kSenmlJson, paths);
  }
};

TEST_F(AclFilteringTest, ObjectReadHoldsOnlyReadableInstances) {
  auto r = as(1, CoapMethod::Get, "/32769", kSenmlJson);
  ASSERT_EQ(r.code, CoapCode::Content) << r.diagnostic();
  const auto all = names(r);
  EXPECT_TRUE(all.contains("/32769/0/0"));
  EXPECT_TRUE(all.contains("/32769/2/0"));   // owner
  EXPECT_FALSE(all.contains("/32769/1/0"));  // Write only
  r = as(2, CoapMethod::Get, "/32769", kSenmlJson);
  ASSERT_EQ(r.code, CoapCode::Content) << r.diagnostic();
  EXPECT_EQ(names(r), (std::set<std::string>{"/32769/1/0"}));
}

TEST_F(AclFilteringTest, ObjectReadWithNothingReadableIsEmpty) {
  // /3303/0 has no Access Control instance: the object reads as empty, not as an error.
  auto r = as(1, CoapMethod::Get, "/3303", kSenmlJson);
  ASSERT_EQ(r.code, CoapCode::Content) << r.diagnostic();
  EXPECT_THAT(r.diagnostic(), Not(HasSubstr("5700")));
}

TEST_F(AclFilteringTest, ObjectDiscoverListsOnlyReadableInstances) {
  auto r = as(2, CoapMethod::Get, "/32769", kLinkFormat);
  ASSERT_EQ(r.code, CoapCode::Content) << r.diagnostic();
  const std::string links = r.diagnostic();
  EXPECT_THAT(links, HasSubstr("</32769>"));
  EXPECT_THAT(links, HasSubstr("</32769/1>"));
  EXPECT_THAT(links, HasSubstr("</32769/1/0>"));
  EXPECT_THAT(links, Not(HasSubstr("</32769/0")));
  EXPECT_THAT(links, Not(HasSubstr("</32769/2")));
}

TEST_F(AclFilteringTest, AccessControlObjectReadShowsOnlyOwnedInstances) {
  auto r = as(1, CoapMethod::Get, "/2", kSenmlJson);
  ASSERT_EQ(r.code, CoapCode::Content) << r.diagnostic();
  const auto id = access.controlOf(kTestObject, 2)->instanceId();
  std::set<std::uint16_t> seen;
  for (const auto& name : names(r)) seen.insert(Path::parse(name)->instanceId());
  EXPECT_EQ(seen, (std::set<std::uint16_t>{id}));
  r = as(2, CoapMethod::Get, "/2", kSenmlJson);
  ASSERT_EQ(r.code, CoapCode::Content) << r.diagnostic();
  EXPECT_TRUE(names(r).empty());
}

TEST_F(AclFilteringTest, CompositeLeavesOutWhatTheServerMayNotRead) {
  auto r = fetch(1, R"([{"n":"/32769"},{"n":"/3/0/0"},{"n":"/3303/0/5700"}])");
  ASSERT_EQ(r.code, CoapCode::Content) << r.diagnostic();
  const auto all = names(r);
  EXPECT_TRUE(all.contains("/32769/0/0"));
  EXPECT_TRUE(all.contains("/32769/2/0"));
  EXPECT_FALSE(all.contains("/32769/1/0"));
  EXPECT_TRUE(all.contains("/3/0/0"));         // default entry
  EXPECT_FALSE(all.contains("/3303/0/5700"));  // no Access Control instance
}

TEST_F(AclFilteringTest, CompositeRootHoldsOnlyReadableInstances) {
  auto r = fetch(2, R"([{"n":"/"}])");
  ASSERT_EQ(r.code, CoapCode::Content) << r.diagnostic();
  std::set<std::string> instances;
  for (const auto& name : names(r)) {
    auto path = *Path::parse(name);
    instances.insert(Path(path.objectId(), path.instanceId()).toString());
  }
  EXPECT_EQ(instances, (std::set<std::string>{"/3/0", "/32769/1"}));
}

TEST_F(AclFilteringTest, CompositeOfOnlyRefusedPathsIsUnauthorized) {
  auto r = fetch(2, R"([{"n":"/32769/0/0"},{"n":"/3303/0"}])");
  EXPECT_EQ(r.code, CoapCode::Unauthorized);
  // A missing instance first: its 4.04 is the answer (the first path's error).
  r = fetch(2, R"([{"n":"/32769/9"},{"n":"/32769/0"}])");
  EXPECT_EQ(r.code, CoapCode::NotFound);
}

TEST_F(AclFilteringTest, SingleServerSeesEverything) {
  ASSERT_TRUE(tree.removeInstance(1, 1).ok());
  auto r = as(2, CoapMethod::Get, "/32769", kSenmlJson);
  ASSERT_EQ(r.code, CoapCode::Content);
  EXPECT_EQ(names(r).size(), 7u);  // /32769/0: 0, 1/0, 1/1, 2, 5; /32769/1/0; /32769/2/0
  EXPECT_TRUE(names(fetch(2, R"([{"n":"/3303/0/5700"}])")).contains("/3303/0/5700"));
}

}  // namespace
}  // namespace lwm2md::test
