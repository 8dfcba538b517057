// Read-Composite (TS 1.1 §6.3.8, FETCH): the union of several paths' readable values, partial
// presence (ETS int-236, int-281), the root path (int-235), formats and the error codes.
#include <nlohmann/json.hpp>

#include "dm_fixture.hpp"
#include "io/composite_format.hpp"

namespace lwm2md::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr std::uint16_t kJson = 110, kCbor = 112;

class CompositeReadTest : public DmTest {
 protected:
  DmResponse fetch(std::string_view paths, std::optional<std::uint16_t> accept = std::nullopt,
                   std::optional<std::uint16_t> format = kJson) {
    return request(CoapMethod::Fetch, "/", accept, format, paths);
  }

  /// The answer as full name -> value (SenML JSON), base names resolved.
  static std::map<std::string, json> values(const DmResponse& r) {
    std::map<std::string, json> out;
    auto pack = json::parse(r.diagnostic(), nullptr, false);
    std::string base;
    for (const auto& record : pack) {
      if (record.contains("bn")) base = record["bn"];
      json value;
      for (const char* key : {"v", "vs", "vb", "vd", "vlo"})
        if (record.contains(key)) value = record[key];
      out[base + record.value("n", "")] = value;
    }
    return out;
  }
};

TEST_F(CompositeReadTest, UnionOfPathsAcrossObjectsOrderedByObject) {
  auto r = fetch(R"([{"n":"/32769/0/1/1"},{"n":"/3/0/0"},{"n":"/1/0/1"}])");
  ASSERT_EQ(r.code, CoapCode::Content) << r.diagnostic();
  EXPECT_EQ(r.contentFormat, kJson);
  EXPECT_EQ(r.diagnostic(),
            R"([{"bn":"/1/0/","n":"1","v":86400},{"bn":"/3/0/","n":"0","vs":"ACME"},)"
            R"({"bn":"/32769/0/","n":"1/1","v":11}])");
  EXPECT_TRUE(listener.quiet());
}

TEST_F(CompositeReadTest, EveryLevelAndOverlapsGiveEachValueOnce) {
  // /3/0 already holds /3/0/11/0 and /3/0/14; the object /1 holds /1/0.
  auto r = fetch(R"([{"n":"/3/0"},{"n":"/3/0/11/0"},{"n":"/3/0/14"},{"n":"/1"},{"n":"/1/0/7"}])");
  ASSERT_EQ(r.code, CoapCode::Content) << r.diagnostic();
  const auto all = values(r);
  EXPECT_EQ(all.at("/3/0/0"), "ACME");
  EXPECT_EQ(all.at("/3/0/11/0"), 0);
  EXPECT_EQ(all.at("/3/0/11/1"), 5);
  EXPECT_EQ(all.at("/3/0/14"), "+01:00");
  EXPECT_EQ(all.at("/1/0/1"), 86400);
  EXPECT_EQ(all.at("/1/0/7"), "U");
  // Records: /3/0 has 0, 6/0, 6/1, 11/0, 11/1, 14, 16; /1/0 has 0, 1, 6, 7 -- no duplicates.
  auto pack = json::parse(r.diagnostic());
  EXPECT_EQ(pack.size(), 11u) << r.diagnostic();
  EXPECT_EQ(all.size(), 11u);
}

TEST_F(CompositeReadTest, ResourceInstanceAloneIsJustThatInstance) {
  auto r = fetch(R"([{"n":"/3/0/11/1"},{"n":"/32769/0/0"}])");
  ASSERT_EQ(r.code, CoapCode::Content) << r.diagnostic();
  EXPECT_EQ(r.diagnostic(),
            R"([{"bn":"/3/0/","n":"11/1","v":5},{"bn":"/32769/0/","n":"0","vs":"first"}])");
}

TEST_F(CompositeReadTest, AcceptPicksTheAnswersFormatElseTheRequests) {
  auto cbor = fetch(R"([{"n":"/3303/0/5700"}])", kCbor);
  ASSERT_EQ(cbor.code, CoapCode::Content) << cbor.diagnostic();
  EXPECT_EQ(cbor.contentFormat, kCbor);
  // [{-2:"/3303/0/", 0:"5700", 2:21.5}] with 21.5 as a half float.
  EXPECT_EQ(cbor.payload, (std::vector<std::uint8_t>{0x81, 0xa3, 0x21, 0x68, '/',  '3',  '3', '0',
                                                     '3',  '/',  '0',  '/',  0x00, 0x64, '5', '7',
                                                     '0',  '0',  0x02, 0xf9, 0x4d, 0x60}));
  // A CBOR request without Accept is answered in CBOR: [{0:"/1/0/7"}].
  const std::vector<std::uint8_t> list = {0x81, 0xa1, 0x00, 0x66, '/', '1', '/', '0', '/', '7'};
  auto back = send(CoapMethod::Fetch, "/", std::nullopt, kCbor, list);
  ASSERT_EQ(back.code, CoapCode::Content) << back.diagnostic();
  EXPECT_EQ(back.contentFormat, kCbor);
  // [{-2:"/1/0/", 0:"7", 3:"U"}]
  EXPECT_EQ(back.payload, (std::vector<std::uint8_t>{0x81, 0xa3, 0x21, 0x65, '/', '1', '/', '0',
                                                     '/', 0x00, 0x61, '7', 0x03, 0x61, 'U'}));
  auto asJson = send(CoapMethod::Fetch, "/", kJson, kCbor, list);  // CBOR list, JSON answer
  ASSERT_EQ(asJson.code, CoapCode::Content) << asJson.diagnostic();
  EXPECT_EQ(asJson.contentFormat, kJson);
  EXPECT_EQ(asJson.diagnostic(), R"([{"bn":"/1/0/","n":"7","vs":"U"}])");
}

TEST_F(CompositeReadTest, RootPathReadsEverythingButTheSecurityObject) {
  ASSERT_TRUE(tree.addInstance(0, 0,
                               {single(0, ResourceType::String, std::string("coap://x")),
                                single(1, ResourceType::Boolean, false),
                                single(2, ResourceType::Integer, std::int64_t{3})},
                               "")
                  .ok());
  auto r = fetch(R"([{"n":"/"}])");
  ASSERT_EQ(r.code, CoapCode::Content) << r.diagnostic();
  const auto all = values(r);
  EXPECT_TRUE(all.contains("/1/0/1"));
  EXPECT_TRUE(all.contains("/3/0/0"));
  EXPECT_TRUE(all.contains("/3303/0/5700"));
  EXPECT_TRUE(all.contains("/32769/0/0"));
  for (const auto& [name, value] : all) EXPECT_FALSE(name.starts_with("/0/")) << name;
  // Non-readable resources stay out (/32769/0/4 is executable).
  EXPECT_FALSE(all.contains("/32769/0/4"));
}

TEST_F(CompositeReadTest, PartialPresenceLeavesOutWhatIsMissing) {
  // ETS int-236: objects the client does not have, and int-281: a resource that is not
  // readable (/1/0/8 is the executable Registration Update Trigger).
  auto r = fetch(R"([{"n":"/1/0/1"},{"n":"/3/0/11/0"},{"n":"/3339/0/5522"},{"n":"/3353/0/6030"},)"
                 R"({"n":"/1/0/8"},{"n":"/3/7"},{"n":"/3/0/5"},{"n":"/1/0/7"}])");
  ASSERT_EQ(r.code, CoapCode::Content) << r.diagnostic();
  EXPECT_EQ(r.diagnostic(), R"([{"bn":"/1/0/","n":"1","v":86400},{"n":"7","vs":"U"},)"
                            R"({"bn":"/3/0/","n":"11/0","v":0}])");
}

TEST_F(CompositeReadTest, AnObjectWithoutInstancesIsAnEmptySuccess) {
  ASSERT_TRUE(tree.removeInstance(3303, 0).ok());
  auto r = fetch(R"([{"n":"/3303"}])");
  ASSERT_EQ(r.code, CoapCode::Content) << r.diagnostic();
  EXPECT_EQ(r.diagnostic(), "[]");
}

TEST_F(CompositeReadTest, WhenNothingCanBeReadTheFirstPathsErrorAnswers) {
  EXPECT_EQ(fetch(R"([{"n":"/3339/0/5522"},{"n":"/1/0/8"}])").code, CoapCode::NotFound);
  EXPECT_EQ(fetch(R"([{"n":"/1/0/8"},{"n":"/3339"}])").code, CoapCode::MethodNotAllowed);
  auto security = fetch(R"([{"n":"/0/0"},{"n":"/0"}])");
  EXPECT_EQ(security.code, CoapCode::Unauthorized);
  EXPECT_THAT(security.diagnostic(), HasSubstr("/0/0"));
  EXPECT_EQ(fetch(R"([{"n":"/21"}])").code, CoapCode::Unauthorized);  // OSCORE keys too
}

TEST_F(CompositeReadTest, MalformedRequestsAreRefused) {
  auto noFormat = fetch(R"([{"n":"/3/0"}])", std::nullopt, std::nullopt);
  EXPECT_EQ(noFormat.code, CoapCode::BadRequest);
  EXPECT_THAT(noFormat.diagnostic(), HasSubstr("Content-Format"));
  EXPECT_EQ(fetch(R"([{"n":"/3/0"}])", std::nullopt, 11542).code,
            CoapCode::UnsupportedContentFormat);
  EXPECT_EQ(fetch(R"([{"n":"/3/0"}])", std::nullopt, 0).code, CoapCode::UnsupportedContentFormat);
  auto accept = fetch(R"([{"n":"/3/0"}])", 11542);
  EXPECT_EQ(accept.code, CoapCode::NotAcceptable);
  EXPECT_THAT(accept.diagnostic(), HasSubstr("11542"));
  EXPECT_EQ(fetch(R"([{"n":"/3/0"}])", 0).code, CoapCode::NotAcceptable);
  for (const char* bad :
       {"[", "[]", R"([{"n":"/3/0/0","vs":"x"}])", R"([{"n":"three"}])", R"({"n":"/3"})"}) {
    auto r = fetch(bad);
    EXPECT_EQ(r.code, CoapCode::BadRequest) << bad;
    EXPECT_FALSE(r.diagnostic().empty());
  }
}

TEST_F(CompositeReadTest, PathsMustLieBelowTheRequestPath) {
  auto inside = request(CoapMethod::Fetch, "/3", std::nullopt, kJson, R"([{"n":"/3/0/0"}])");
  EXPECT_EQ(inside.code, CoapCode::Content) << inside.diagnostic();
  auto outside = request(CoapMethod::Fetch, "/3", std::nullopt, kJson, R"([{"n":"/1/0/1"}])");
  EXPECT_EQ(outside.code, CoapCode::BadRequest);
}

TEST_F(CompositeReadTest, PatchIsNotAnLwm2mOperation) {
  EXPECT_EQ(request(CoapMethod::Patch, "/", std::nullopt, kJson, "[]").code,
            CoapCode::MethodNotAllowed);
}

}  // namespace
}  // namespace lwm2md::test
