// Write (TS 1.1 §5.4.3): replace (PUT) and partial update (POST) on instances, resources and
// resource instances; all-or-nothing validation.
#include "dm_fixture.hpp"

namespace lwm2md::test {
namespace {

using ::testing::HasSubstr;

class WriteTest : public DmTest {
 protected:
  /// Every value of the test instance, to prove a failed write changed nothing.
  InstanceData snapshot() const { return tree.find(kTestObject, 0)->snapshot(); }

  DmResponse writeTlv(CoapMethod method, std::string_view path, const Content& content) {
    return send(method, path, std::nullopt, 11542, tlv(content));
  }
};

TEST_F(WriteTest, ReplacesASingleResourceAndTellsListenersItCameFromTheServer) {
  auto r = request(CoapMethod::Put, "/3/0/14", std::nullopt, 0, "+02:00");
  ASSERT_EQ(r.code, CoapCode::Changed) << r.diagnostic();
  EXPECT_EQ(valueOf(3, 0, 14), Value{std::string("+02:00")});
  ASSERT_EQ(listener.writes.size(), 1u);
  EXPECT_EQ(listener.writes[0].rids, std::vector<std::uint16_t>{14});
  EXPECT_EQ(listener.writes[0].origin, ChangeOrigin::Server);
}

TEST_F(WriteTest, PutOnAMultipleResourceReplacesItsInstances) {
  Content content{Path(kTestObject, 0, 1),
                  {{0, {multiple(1, ResourceType::Integer, {{5, std::int64_t{50}}})}}}};
  auto r = writeTlv(CoapMethod::Put, "/32769/0/1", content);
  ASSERT_EQ(r.code, CoapCode::Changed) << r.diagnostic();
  EXPECT_EQ(instancesOf(kTestObject, 0, 1),
            (std::map<std::uint16_t, Value>{{5, std::int64_t{50}}}));
}

TEST_F(WriteTest, PostOnAMultipleResourceMergesItsInstances) {
  Content content{
      Path(kTestObject, 0, 1),
      {{0, {multiple(1, ResourceType::Integer, {{1, std::int64_t{-1}}, {2, std::int64_t{12}}})}}}};
  auto r = writeTlv(CoapMethod::Post, "/32769/0/1", content);
  ASSERT_EQ(r.code, CoapCode::Changed) << r.diagnostic();
  EXPECT_EQ(instancesOf(kTestObject, 0, 1),
            (std::map<std::uint16_t, Value>{
                {0, std::int64_t{10}}, {1, std::int64_t{-1}}, {2, std::int64_t{12}}}));
  EXPECT_TRUE(listener.executes.empty());
}

TEST_F(WriteTest, WritingOneResourceInstanceKeepsTheOthers) {
  auto r = request(CoapMethod::Put, "/32769/0/1/1", std::nullopt, 0, "99");
  ASSERT_EQ(r.code, CoapCode::Changed) << r.diagnostic();
  auto r2 = request(CoapMethod::Put, "/32769/0/1/7", std::nullopt, 0, "7");
  ASSERT_EQ(r2.code, CoapCode::Changed) << r2.diagnostic();
  EXPECT_EQ(instancesOf(kTestObject, 0, 1),
            (std::map<std::uint16_t, Value>{
                {0, std::int64_t{10}}, {1, std::int64_t{99}}, {7, std::int64_t{7}}}));
}

TEST_F(WriteTest, PutOnAnInstanceReplacesItsWritableResources) {
  Content content{Path(kTestObject, 0),
                  {{0,
                    {single(0, ResourceType::String, std::string("second")),
                     single(6, ResourceType::Boolean, true)}}}};
  auto r = writeTlv(CoapMethod::Put, "/32769/0", content);
  ASSERT_EQ(r.code, CoapCode::Changed) << r.diagnostic();
  EXPECT_EQ(valueOf(kTestObject, 0, 0), Value{std::string("second")});
  EXPECT_EQ(valueOf(kTestObject, 0, 6), Value{true});
  // Writable resources the payload left out are gone; the read-only Serial stays.
  EXPECT_FALSE(tree.find(kTestObject, 0)->resource(1));
  EXPECT_FALSE(tree.find(kTestObject, 0)->resource(2));
  EXPECT_EQ(valueOf(kTestObject, 0, 5), Value{std::string("SN1")});
  ASSERT_EQ(listener.writes.size(), 1u);
  EXPECT_EQ(listener.writes[0].rids, (std::vector<std::uint16_t>{0, 1, 2, 6}));
}

TEST_F(WriteTest, PostOnAnInstanceUpdatesOnlyWhatItCarries) {
  Content content{Path(kTestObject, 0), {{0, {single(2, ResourceType::Float, 2.5)}}}};
  auto r = writeTlv(CoapMethod::Post, "/32769/0", content);
  ASSERT_EQ(r.code, CoapCode::Changed) << r.diagnostic();
  EXPECT_EQ(valueOf(kTestObject, 0, 2), Value{2.5});
  EXPECT_EQ(valueOf(kTestObject, 0, 0), Value{std::string("first")});
  EXPECT_EQ(instancesOf(kTestObject, 0, 1).size(), 2u);
}

TEST_F(WriteTest, AReplaceWithoutAMandatoryWritableResourceChangesNothing) {
  const InstanceData before = snapshot();
  Content content{Path(kTestObject, 0), {{0, {single(2, ResourceType::Float, 2.5)}}}};
  auto r = writeTlv(CoapMethod::Put, "/32769/0", content);
  EXPECT_EQ(r.code, CoapCode::BadRequest);
  EXPECT_THAT(r.diagnostic(), HasSubstr("Name"));
  EXPECT_EQ(snapshot(), before);
  EXPECT_TRUE(listener.quiet());
}

TEST_F(WriteTest, OneBadResourceInAnInstancePayloadChangesNothing) {
  const InstanceData before = snapshot();
  // A valid value, then a read-only one.
  Content readOnly{Path(kTestObject, 0),
                   {{0,
                     {single(0, ResourceType::String, std::string("new")),
                      single(5, ResourceType::String, std::string("SN2"))}}}};
  auto r = writeTlv(CoapMethod::Post, "/32769/0", readOnly);
  EXPECT_EQ(r.code, CoapCode::MethodNotAllowed);
  EXPECT_THAT(r.diagnostic(), HasSubstr("/32769/0/5 (Serial)"));
  // A resource the object does not define (TLV bytes: resource 9, one byte).
  std::vector<std::uint8_t> unknown = tlv(
      Content{Path(kTestObject, 0), {{0, {single(0, ResourceType::String, std::string("n"))}}}});
  unknown.insert(unknown.end(), {0xc1, 0x09, 0x01});
  EXPECT_EQ(send(CoapMethod::Post, "/32769/0", std::nullopt, 11542, unknown).code,
            CoapCode::NotFound);
  // A truncated TLV after a valid resource.
  std::vector<std::uint8_t> truncated = tlv(
      Content{Path(kTestObject, 0), {{0, {single(0, ResourceType::String, std::string("n"))}}}});
  truncated.insert(truncated.end(), {0xc4, 0x02, 0x41});
  EXPECT_EQ(send(CoapMethod::Post, "/32769/0", std::nullopt, 11542, truncated).code,
            CoapCode::BadRequest);
  EXPECT_EQ(snapshot(), before);
  EXPECT_TRUE(listener.quiet());
}

TEST_F(WriteTest, ErrorsCarryTheTsCodesAndChangeNothing) {
  const InstanceData before = snapshot();
  auto check = [&](DmResponse r, CoapCode code, const char* what) {
    EXPECT_EQ(toString(r.code), toString(code)) << what << ": " << r.diagnostic();
    EXPECT_FALSE(r.diagnostic().empty()) << what;
  };
  check(request(CoapMethod::Put, "/3303/0/5700", std::nullopt, 0, "1.0"),
        CoapCode::MethodNotAllowed, "read-only");
  check(request(CoapMethod::Put, "/32769/0/4", std::nullopt, 0, "1"), CoapCode::MethodNotAllowed,
        "executable");
  check(request(CoapMethod::Put, "/32769", std::nullopt, 11542, ""), CoapCode::MethodNotAllowed,
        "object");
  check(request(CoapMethod::Put, "/", std::nullopt, 11542, ""), CoapCode::MethodNotAllowed, "root");
  check(request(CoapMethod::Put, "/32769/0/2", std::nullopt, std::nullopt, "1"),
        CoapCode::BadRequest, "no Content-Format");
  check(request(CoapMethod::Put, "/32769/0/2", std::nullopt, 9999, "1"),
        CoapCode::UnsupportedContentFormat, "unknown Content-Format");
  check(request(CoapMethod::Put, "/32769/0/2", std::nullopt, 0, "1.5x"), CoapCode::BadRequest,
        "not a float");
  check(request(CoapMethod::Put, "/32769/0/6", std::nullopt, 0, "2"), CoapCode::BadRequest,
        "not a boolean");
  check(request(CoapMethod::Put, "/32769/7/2", std::nullopt, 0, "1"), CoapCode::NotFound,
        "no instance");
  check(request(CoapMethod::Put, "/32769/0/99", std::nullopt, 0, "1"), CoapCode::NotFound,
        "undefined resource");
  check(request(CoapMethod::Put, "/32769/0/2/0", std::nullopt, 0, "1"), CoapCode::NotFound,
        "instance of a single resource");
  check(request(CoapMethod::Put, "/9999/0/0", std::nullopt, 0, "1"), CoapCode::NotFound,
        "unknown object");
  // A TLV for resource 6 sent to resource 2.
  check(
      send(CoapMethod::Put, "/32769/0/2", std::nullopt, 11542,
           tlv(Content{Path(kTestObject, 0, 6), {{0, {single(6, ResourceType::Boolean, true)}}}})),
      CoapCode::BadRequest, "payload for another resource");
  // An instance payload for another instance.
  check(send(CoapMethod::Put, "/32769/0", std::nullopt, 11542,
             tlv(Content{Path(kTestObject),
                         {{4, {single(0, ResourceType::String, std::string("x"))}}}})),
        CoapCode::BadRequest, "payload for another instance");
  check(request(CoapMethod::Post, "/32769/0/1/0", std::nullopt, 0, "1"), CoapCode::MethodNotAllowed,
        "POST on a resource instance");
  EXPECT_EQ(snapshot(), before);
  EXPECT_TRUE(listener.quiet());
}

TEST_F(WriteTest, PostOnAResourceIsExecuteOnlyWhenTheDefinitionSaysSo) {
  auto write = request(CoapMethod::Post, "/32769/0/2", std::nullopt, 0, "3.25");
  ASSERT_EQ(write.code, CoapCode::Changed) << write.diagnostic();
  EXPECT_EQ(valueOf(kTestObject, 0, 2), Value{3.25});
  EXPECT_TRUE(listener.executes.empty());
  auto exec = request(CoapMethod::Post, "/32769/0/4");
  ASSERT_EQ(exec.code, CoapCode::Changed);
  ASSERT_EQ(listener.executes.size(), 1u);
  EXPECT_EQ(listener.executes[0].rid, 4);
  auto readOnly = request(CoapMethod::Post, "/3/0/0", std::nullopt, 0, "x");
  EXPECT_EQ(readOnly.code, CoapCode::MethodNotAllowed);
}

}  // namespace
}  // namespace lwm2md::test
