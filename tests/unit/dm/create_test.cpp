// Create (TS 1.1 §5.4.6): POST on an object, with or without an instance id.
#include "dm_fixture.hpp"

namespace lwm2md::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class CreateTest : public DmTest {
 protected:
  DmResponse create(std::string_view path, std::vector<std::uint8_t> payload,
                    std::optional<std::uint16_t> format = 11542) {
    return send(CoapMethod::Post, path, std::nullopt, format, std::move(payload));
  }
  static std::vector<ResourceData> named(const char* name) {
    return {single(0, ResourceType::String, std::string(name))};
  }
};

TEST_F(CreateTest, WithAnInstanceIdInTheObjectInstanceWrapper) {
  auto r = create("/32769", tlv(Content{Path(kTestObject), {{5, named("five")}}}));
  ASSERT_EQ(r.code, CoapCode::Created) << r.diagnostic();
  EXPECT_THAT(r.locationPath, ElementsAre("32769", "5"));
  const Instance* created = tree.find(kTestObject, 5);
  ASSERT_NE(created, nullptr);
  EXPECT_EQ(created->owner(), "");  // the daemon owns what a server creates
  EXPECT_EQ(valueOf(kTestObject, 5, 0), Value{std::string("five")});
  EXPECT_EQ(listener.added,
            (std::vector<std::pair<std::uint16_t, std::uint16_t>>{{kTestObject, 5}}));
}

TEST_F(CreateTest, WithoutAnInstanceIdTheClientPicksTheLowestFree) {
  // Bare resource TLVs: what an instance-level encoding produces.
  auto r = create("/32769", tlv(Content{Path(kTestObject, 0), {{0, named("picked")}}}));
  ASSERT_EQ(r.code, CoapCode::Created) << r.diagnostic();
  EXPECT_THAT(r.locationPath, ElementsAre("32769", "1"));
  EXPECT_EQ(valueOf(kTestObject, 1, 0), Value{std::string("picked")});
}

TEST_F(CreateTest, MayCarryMultipleAndReadOnlyResources) {
  std::vector<ResourceData> values = named("full");
  values.push_back(multiple(1, ResourceType::Integer, {{3, std::int64_t{3}}}));
  values.push_back(single(5, ResourceType::String, std::string("SN9")));
  auto r = create("/32769", tlv(Content{Path(kTestObject), {{9, values}}}));
  ASSERT_EQ(r.code, CoapCode::Created) << r.diagnostic();
  EXPECT_EQ(instancesOf(kTestObject, 9, 1), (std::map<std::uint16_t, Value>{{3, std::int64_t{3}}}));
  EXPECT_EQ(valueOf(kTestObject, 9, 5), Value{std::string("SN9")});
}

TEST_F(CreateTest, AnExistingInstanceIdIs400AndChangesNothing) {
  auto r = create("/32769", tlv(Content{Path(kTestObject), {{0, named("again")}}}));
  EXPECT_EQ(r.code, CoapCode::BadRequest);
  EXPECT_THAT(r.diagnostic(), HasSubstr("/32769/0 already exists"));
  EXPECT_EQ(valueOf(kTestObject, 0, 0), Value{std::string("first")});
  EXPECT_TRUE(listener.quiet());
}

TEST_F(CreateTest, ASecondInstanceOfASingleInstanceObjectIs400) {
  ASSERT_TRUE(tree.addInstance(4, 0, {}, "").ok());
  listener.added.clear();
  auto r = create("/4", {}, std::nullopt);
  EXPECT_EQ(r.code, CoapCode::BadRequest);
  EXPECT_THAT(r.diagnostic(), HasSubstr("single-instance"));
  EXPECT_TRUE(listener.quiet());
}

TEST_F(CreateTest, MissingMandatoryResourcesAre400) {
  auto r = create("/32769",
                  tlv(Content{Path(kTestObject), {{2, {single(2, ResourceType::Float, 1.0)}}}}));
  EXPECT_EQ(r.code, CoapCode::BadRequest);
  EXPECT_THAT(r.diagnostic(), HasSubstr("mandatory resource 0 (Name)"));
  EXPECT_EQ(create("/32769", {}, std::nullopt).code, CoapCode::BadRequest);
  EXPECT_EQ(tree.find(kTestObject, 2), nullptr);
  EXPECT_TRUE(listener.quiet());
}

TEST_F(CreateTest, ObjectsAServerMayNotCreateAre405) {
  for (const char* path : {"/0", "/1", "/2", "/3"}) {
    auto r = create(path, {}, std::nullopt);
    EXPECT_EQ(r.code, CoapCode::MethodNotAllowed) << path;
    EXPECT_THAT(r.diagnostic(), HasSubstr("may not create")) << path;
  }
  EXPECT_TRUE(listener.quiet());
}

TEST_F(CreateTest, BadPayloadsAndUnknownThings) {
  EXPECT_EQ(create("/9999", tlv(Content{Path(kTestObject), {{5, named("x")}}})).code,
            CoapCode::NotFound);
  EXPECT_EQ(create("/32769", {0xc4, 0x00, 0x41}).code, CoapCode::BadRequest);        // truncated
  EXPECT_EQ(create("/32769", bytes("x"), std::nullopt).code, CoapCode::BadRequest);  // no format
  EXPECT_EQ(create("/32769", bytes("x"), 9999).code, CoapCode::UnsupportedContentFormat);
  // Two instances in one Create.
  EXPECT_EQ(
      create("/32769", tlv(Content{Path(kTestObject), {{5, named("a")}, {6, named("b")}}})).code,
      CoapCode::BadRequest);
  // A resource the object does not define.
  std::vector<std::uint8_t> unknown = tlv(Content{Path(kTestObject, 0), {{0, named("n")}}});
  unknown.insert(unknown.end(), {0xc1, 0x09, 0x01});
  EXPECT_EQ(create("/32769", unknown).code, CoapCode::NotFound);
  // A value of the wrong type (a 3-byte Float is malformed).
  std::vector<std::uint8_t> wrong = tlv(Content{Path(kTestObject, 0), {{0, named("n")}}});
  wrong.insert(wrong.end(), {0xc3, 0x02, 0x01, 0x02, 0x03});
  EXPECT_EQ(create("/32769", wrong).code, CoapCode::BadRequest);
  EXPECT_EQ(tree.instancesOf(kTestObject).size(), 1u);
  EXPECT_TRUE(listener.quiet());
}

}  // namespace
}  // namespace lwm2md::test
