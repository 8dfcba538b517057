#include "io/composite_format.hpp"

#include <gtest/gtest.h>

#include <string>

#include "io/cbor.hpp"
#include "io_test_support.hpp"

namespace lwm2md {
namespace {

using namespace lwm2md::test;
using T = ResourceType;

ObjectShapes knownObjects() {
  return [](std::uint16_t oid) -> ShapeLookup {
    switch (oid) {
      case 1:
        return serverShapes();
      case 3:
        return deviceShapes();
      case kTypesObject:
        return typesShapes();
      default:
        return {};
    }
  };
}

std::vector<Path> paths(std::initializer_list<const char*> texts) {
  std::vector<Path> out;
  for (const char* text : texts) out.push_back(*Path::parse(text));
  return out;
}

// ---- Read-Composite and Observe-Composite requests: a list of paths --------------------

TEST(CompositePaths, SenmlJsonNamesAtEveryLevelWithBaseNames) {
  auto decoded = decodeCompositePaths(
      ContentFormat::SenmlJson,
      bytesOf(R"([{"n":"/"},{"n":"/3/0/1"},{"n":"/1"},{"bn":"/5/0/","n":"1"},{"n":"3/2"},)"
              R"({"bn":"/3/0/"}])"));
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, paths({"/", "/3/0/1", "/1", "/5/0/1", "/5/0/3/2", "/3/0"}));
}

TEST(CompositePaths, SenmlCbor) {
  // [{0:"/3/0/11/0"}, {-2:"/1/0/"}, {0:"/"}] -- a base name alone names /1/0; the name "/" then
  // resolves against it to "/1/0//", which is no path.
  CborWriter ok;
  ok.arrayHeader(2);
  ok.mapHeader(1);
  ok.integer(0);
  ok.text("/3/0/11/0");
  ok.mapHeader(1);
  ok.integer(-2);
  ok.text("/1/0/");
  auto decoded = decodeCompositePaths(ContentFormat::SenmlCbor, ok.data());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, paths({"/3/0/11/0", "/1/0"}));

  CborWriter bad = ok;
  bad.mapHeader(1);
  bad.integer(0);
  bad.text("/");
  auto data = bad.take();
  data[0] = 0x83;  // three records
  auto refused = decodeCompositePaths(ContentFormat::SenmlCbor, data);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, CoapCode::BadRequest);
  EXPECT_NE(refused.error().message.find("record 2"), std::string::npos) << refused.error().message;
}

TEST(CompositePaths, MalformedListsAreBadRequests) {
  for (const char* json : {
           R"([])",                      // nothing to read
           R"({"n":"/3"})",              // not an array
           R"([{"n":"/3/0/1","v":1}])",  // a value in a path list
           R"([{"n":"3/0"}])",           // not absolute
           R"([{"n":"/70000"}])",        // id out of range
           R"([{"n":"/1/2/3/4/5"}])",    // too deep
           R"([{"n":"/3//0"}])",         // empty segment
           R"([{}])",                    // no name at all
           R"([{"n":7}])",               // not a string
           R"([{"n":"/3"})",             // truncated
       }) {
    auto decoded = decodeCompositePaths(ContentFormat::SenmlJson, bytesOf(json));
    ASSERT_FALSE(decoded) << json;
    EXPECT_EQ(decoded.error().code, CoapCode::BadRequest) << json;
    EXPECT_NE(decoded.error().message.find("SenML JSON"), std::string::npos)
        << decoded.error().message;
  }
}

TEST(CompositePaths, OnlySenmlFormatsCarryThem) {
  for (auto format : {ContentFormat::LwM2MTlv, ContentFormat::TextPlain, ContentFormat::LwM2MJson,
                      ContentFormat::Cbor}) {
    auto decoded = decodeCompositePaths(format, bytesOf(R"([{"n":"/3"}])"));
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().code, CoapCode::UnsupportedContentFormat);
  }
  EXPECT_TRUE(isCompositeFormat(ContentFormat::SenmlJson));
  EXPECT_TRUE(isCompositeFormat(ContentFormat::SenmlCbor));
  EXPECT_FALSE(isCompositeFormat(ContentFormat::LwM2MJson));
}

// ---- Read-Composite answers ---------------------------------------------------------------

std::vector<Content> sampleParts() {
  Content device;
  device.path = Path(3, 0);
  device.instances.push_back(InstanceData{0,
                                          {single(0, T::String, std::string("ACME")),
                                           multiple(11, T::Integer, {{0, std::int64_t{0}}})}});
  Content server;
  server.path = Path(1, 0);
  server.instances.push_back(InstanceData{0, {single(1, T::Integer, std::int64_t{86400})}});
  return {device, server};
}

TEST(CompositeAnswer, EachPartStartsWithItsBaseName) {
  auto encoded = encodeComposite(ContentFormat::SenmlJson, sampleParts());
  ASSERT_TRUE(encoded) << encoded.error().message;
  EXPECT_EQ(std::string(encoded->begin(), encoded->end()),
            R"([{"bn":"/3/0/","n":"0","vs":"ACME"},{"n":"11/0","v":0},)"
            R"({"bn":"/1/0/","n":"1","v":86400}])");

  auto cbor = encodeComposite(ContentFormat::SenmlCbor, sampleParts());
  ASSERT_TRUE(cbor) << cbor.error().message;
  // [{-2:"/3/0/",0:"0",3:"ACME"},{0:"11/0",2:0},{-2:"/1/0/",0:"1",2:86400}]
  EXPECT_EQ(*cbor, hex("83 a3 21 65 2f 33 2f 30 2f 00 61 30 03 64 41 43 4d 45"
                       "   a2 00 64 31 31 2f 30 02 00"
                       "   a3 21 65 2f 31 2f 30 2f 00 61 31 02 1a 00 01 51 80"));
}

TEST(CompositeAnswer, ResourceLevelPartsAndEmptyOnes) {
  std::vector<Content> parts;
  parts.push_back(resourceContent(3, 0, single(16, T::String, std::string("U"))));
  Content empty;
  empty.path = Path(3303);  // an object without instances adds nothing
  parts.push_back(empty);
  auto encoded = encodeComposite(ContentFormat::SenmlJson, parts);
  ASSERT_TRUE(encoded) << encoded.error().message;
  EXPECT_EQ(std::string(encoded->begin(), encoded->end()), R"([{"bn":"/3/0/16","vs":"U"}])");
  EXPECT_EQ(*encodeComposite(ContentFormat::SenmlJson, {}), bytesOf("[]"));
  EXPECT_EQ(*encodeComposite(ContentFormat::SenmlCbor, {}), hex("80"));
}

TEST(CompositeAnswer, OtherFormatsAreNotAcceptable) {
  for (auto format : {ContentFormat::LwM2MTlv, ContentFormat::LwM2MJson, ContentFormat::Cbor}) {
    auto encoded = encodeComposite(format, sampleParts());
    ASSERT_FALSE(encoded);
    EXPECT_EQ(encoded.error().code, CoapCode::NotAcceptable);
  }
}

// ---- Write-Composite requests --------------------------------------------------------------

TEST(CompositeWrite, ValuesAcrossObjectsGroupedPerObjectAndInstance) {
  auto decoded = decodeComposite(
      ContentFormat::SenmlJson,
      bytesOf(R"([{"n":"/3/0/13","v":0},{"n":"/9999/0/102/3","v":5},{"n":"/1/0/1","v":60},)"
              R"({"bn":"/1/0/","n":"6","vb":true},{"bn":"/9999/1/","n":"102/0","v":-1}])"),
      knownObjects());
  ASSERT_TRUE(decoded) << decoded.error().message;
  ASSERT_EQ(decoded->size(), 3u);
  Content server;
  server.path = Path(1);
  server.instances.push_back(
      InstanceData{0, {single(1, T::Integer, std::int64_t{60}), single(6, T::Boolean, true)}});
  EXPECT_EQ((*decoded)[0], server);
  Content device;
  device.path = Path(3);
  device.instances.push_back(InstanceData{0, {single(13, T::Time, std::int64_t{0})}});
  EXPECT_EQ((*decoded)[1], device);
  Content types;
  types.path = Path(kTypesObject);
  types.instances.push_back(InstanceData{0, {multiple(102, T::Integer, {{3, std::int64_t{5}}})}});
  types.instances.push_back(InstanceData{1, {multiple(102, T::Integer, {{0, std::int64_t{-1}}})}});
  EXPECT_EQ((*decoded)[2], types);
}

TEST(CompositeWrite, SenmlCbor) {
  // [{0:"/1/0/6", 4:false}]
  CborWriter out;
  out.arrayHeader(1);
  out.mapHeader(2);
  out.integer(0);
  out.text("/1/0/6");
  out.integer(4);
  out.boolean(false);
  auto decoded = decodeComposite(ContentFormat::SenmlCbor, out.data(), knownObjects());
  ASSERT_TRUE(decoded) << decoded.error().message;
  ASSERT_EQ(decoded->size(), 1u);
  EXPECT_EQ((*decoded)[0].instances.at(0).resources.at(0), single(6, T::Boolean, false));
}

TEST(CompositeWrite, RefusedWithTheTsCodes) {
  struct Bad {
    const char* json;
    CoapCode code;
    const char* why;
  };
  for (const Bad& bad : {
           Bad{R"([])", CoapCode::BadRequest, "no values"},
           Bad{R"([{"n":"/1/0","v":1}])", CoapCode::BadRequest, "not a resource"},
           Bad{R"([{"n":"/1","v":1}])", CoapCode::BadRequest, "not a resource"},
           Bad{R"([{"n":"/"}])", CoapCode::BadRequest, "not a resource"},
           Bad{R"([{"n":"/1/0/1"}])", CoapCode::BadRequest, "no value"},
           Bad{R"([{"n":"/1/0/1","vs":"60"}])", CoapCode::BadRequest, "holds a string"},
           Bad{R"([{"n":"/1/0/1","v":1},{"n":"/1/0/1","v":2}])", CoapCode::BadRequest, "duplicate"},
           Bad{R"([{"n":"/3/0/11","v":1}])", CoapCode::BadRequest, "multiple"},
           Bad{R"([{"n":"/1/0/4","v":1}])", CoapCode::BadRequest, "executable"},
           Bad{R"([{"n":"/1/0/1","v":1},{"n":"/4711/0/0","v":1}])", CoapCode::NotFound,
               "object 4711"},
           Bad{R"([{"n":"/1/0/99","v":1}])", CoapCode::NotFound, "not known"},
           Bad{R"([{"n":"/1/0/1","v":1,"vb":true}])", CoapCode::BadRequest, "more than one"},
           Bad{R"([{"n":"1/0/1","v":1}])", CoapCode::BadRequest, "not an LwM2M path"},
       }) {
    auto decoded = decodeComposite(ContentFormat::SenmlJson, bytesOf(bad.json), knownObjects());
    ASSERT_FALSE(decoded) << bad.json;
    EXPECT_EQ(decoded.error().code, bad.code) << bad.json << ": " << decoded.error().message;
    EXPECT_NE(decoded.error().message.find(bad.why), std::string::npos)
        << bad.json << ": " << decoded.error().message;
  }
  auto tlv = decodeComposite(ContentFormat::LwM2MTlv, hex("c1 01 01"), knownObjects());
  ASSERT_FALSE(tlv);
  EXPECT_EQ(tlv.error().code, CoapCode::UnsupportedContentFormat);
}

}  // namespace
}  // namespace lwm2md
