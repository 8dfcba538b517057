// Write-Composite (TS 1.1 §6.3.9, iPATCH): values across objects and instances, all or
// nothing, each instance's listeners told once (ETS int-230, int-257).
#include "dm_fixture.hpp"

namespace lwm2md::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::uint16_t kJson = 110, kCbor = 112;

class CompositeWriteTest : public DmTest {
 protected:
  DmResponse patch(std::string_view records, std::optional<std::uint16_t> format = kJson,
                   std::string_view path = "/") {
    return request(CoapMethod::IPatch, path, std::nullopt, format, records);
  }

  /// Everything a failed write must have left alone.
  void expectUnchanged() {
    EXPECT_TRUE(listener.quiet());
    EXPECT_EQ(valueOf(1, 0, 1), Value{std::int64_t{86400}});
    EXPECT_EQ(valueOf(1, 0, 6), Value{false});
    EXPECT_EQ(valueOf(kTestObject, 0, 0), Value{std::string("first")});
    EXPECT_EQ(instancesOf(kTestObject, 0, 1).size(), 2u);
    EXPECT_FALSE(valueOf(3, 0, 13).has_value());
  }
};

TEST_F(CompositeWriteTest, WritesAcrossObjectsAndTellsEachInstanceOnce) {
  auto r = patch(R"([{"n":"/1/0/1","v":60},{"n":"/1/0/6","vb":true},{"n":"/3/0/13","v":0},)"
                 R"({"bn":"/32769/0/","n":"1/5","v":55},{"n":"0","vs":"renamed"}])");
  ASSERT_EQ(r.code, CoapCode::Changed) << r.diagnostic();
  EXPECT_TRUE(r.payload.empty());
  EXPECT_EQ(valueOf(1, 0, 1), Value{std::int64_t{60}});
  EXPECT_EQ(valueOf(1, 0, 6), Value{true});
  EXPECT_EQ(valueOf(3, 0, 13), Value{std::int64_t{0}});
  EXPECT_EQ(valueOf(kTestObject, 0, 0), Value{std::string("renamed")});
  // A resource instance joins the others: {0: 10, 1: 11} + {5: 55}.
  EXPECT_EQ(instancesOf(kTestObject, 0, 1),
            (std::map<std::uint16_t, Value>{
                {0, std::int64_t{10}}, {1, std::int64_t{11}}, {5, std::int64_t{55}}}));
  // Untouched resources keep their values.
  EXPECT_EQ(valueOf(kTestObject, 0, 2), Value{1.5});
  EXPECT_EQ(valueOf(3, 0, 0), Value{std::string("ACME")});

  ASSERT_EQ(listener.writes.size(), 3u);  // one per instance, in object order
  EXPECT_EQ(listener.writes[0].oid, 1);
  EXPECT_THAT(listener.writes[0].rids, ElementsAre(1, 6));
  EXPECT_EQ(listener.writes[1].oid, 3);
  EXPECT_THAT(listener.writes[1].rids, ElementsAre(13));
  EXPECT_EQ(listener.writes[2].oid, kTestObject);
  EXPECT_THAT(listener.writes[2].rids, ElementsAre(0, 1));
  for (const auto& write : listener.writes) EXPECT_EQ(write.origin, ChangeOrigin::Server);
}

TEST_F(CompositeWriteTest, SenmlCbor) {
  // [{0:"/1/0/6", 4:true}, {0:"/32769/0/2", 2:2.5}] with 2.5 as a half float.
  const std::vector<std::uint8_t> pack = {0x82, 0xa2, 0x00, 0x66, '/',  '1',  '/',  '0',  '/', '6',
                                          0x04, 0xf5, 0xa2, 0x00, 0x6a, '/',  '3',  '2',  '7', '6',
                                          '9',  '/',  '0',  '/',  '2',  0x02, 0xf9, 0x41, 0x00};
  auto r = send(CoapMethod::IPatch, "/", std::nullopt, kCbor, pack);
  ASSERT_EQ(r.code, CoapCode::Changed) << r.diagnostic();
  EXPECT_EQ(valueOf(1, 0, 6), Value{true});
  EXPECT_EQ(valueOf(kTestObject, 0, 2), Value{2.5});
}

TEST_F(CompositeWriteTest, AllOrNothing) {
  struct Bad {
    const char* records;
    CoapCode code;
    const char* why;
  };
  for (const Bad& bad : {
           // The last record is not writable: /1/0/0 (Short Server ID) is read-only.
           Bad{R"([{"n":"/1/0/1","v":60},{"n":"/32769/0/0","vs":"x"},{"n":"/1/0/0","v":9}])",
               CoapCode::MethodNotAllowed, "/1/0/0"},
           Bad{R"([{"n":"/1/0/1","v":60},{"n":"/32769/0/5","vs":"x"}])", CoapCode::MethodNotAllowed,
               "not writable"},
           // No Create: the instance must exist.
           Bad{R"([{"n":"/1/0/1","v":60},{"n":"/32769/7/0","vs":"x"}])", CoapCode::NotFound,
               "/32769/7"},
           Bad{R"([{"n":"/1/0/1","v":60},{"n":"/4711/0/0","v":1}])", CoapCode::NotFound, "4711"},
           Bad{R"([{"n":"/1/0/1","v":60},{"n":"/32769/0/77","v":1}])", CoapCode::NotFound, "77"},
           Bad{R"([{"n":"/1/0/6","vb":true},{"n":"/1/0/1","vs":"sixty"}])", CoapCode::BadRequest,
               "string"},
           Bad{R"([{"n":"/1/0/6","vb":true},{"n":"/0/0/0","vs":"coap://evil"}])",
               CoapCode::Unauthorized, "object 0"},
           Bad{R"([{"n":"/1/0/6","vb":true},{"n":"/32769/0/4","v":1}])", CoapCode::BadRequest,
               "executable"},
           Bad{R"([{"n":"/1/0/6","vb":true},{"n":"/1/0"}])", CoapCode::BadRequest,
               "not a resource"},
           Bad{R"([{"n":"/1/0/6","vb":true},{"n":"/1/0/6","vb":false}])", CoapCode::BadRequest,
               "duplicate"},
           Bad{R"([{"n":"/1/0/6","vb":true})", CoapCode::BadRequest, "SenML JSON"},
           Bad{R"([])", CoapCode::BadRequest, "no values"},
       }) {
    auto r = patch(bad.records);
    EXPECT_EQ(r.code, bad.code) << bad.records << ": " << r.diagnostic();
    EXPECT_THAT(r.diagnostic(), HasSubstr(bad.why)) << bad.records;
    expectUnchanged();
  }
}

TEST_F(CompositeWriteTest, FormatsAndRequestPath) {
  auto noFormat = patch(R"([{"n":"/1/0/6","vb":true}])", std::nullopt);
  EXPECT_EQ(noFormat.code, CoapCode::BadRequest);
  EXPECT_THAT(noFormat.diagnostic(), HasSubstr("Content-Format"));
  EXPECT_EQ(patch(R"([{"n":"/1/0/6","vb":true}])", 11542).code, CoapCode::UnsupportedContentFormat);
  EXPECT_EQ(patch(R"([{"n":"/1/0/6","vb":true}])", 11543).code, CoapCode::UnsupportedContentFormat);
  // Below a request path, every record must lie inside it.
  EXPECT_EQ(patch(R"([{"n":"/1/0/6","vb":true}])", kJson, "/3").code, CoapCode::BadRequest);
  EXPECT_EQ(patch(R"([{"n":"/1/0/6","vb":true},{"n":"/1/0/1","v":5}])", kJson, "/1/0/6").code,
            CoapCode::BadRequest);
  expectUnchanged();
  auto inside = patch(R"([{"n":"/1/0/6","vb":true}])", kJson, "/1/0");
  EXPECT_EQ(inside.code, CoapCode::Changed) << inside.diagnostic();
  EXPECT_EQ(valueOf(1, 0, 6), Value{true});
}

}  // namespace
}  // namespace lwm2md::test
