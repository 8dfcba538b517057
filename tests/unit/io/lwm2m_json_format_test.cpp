#include "io/lwm2m_json_format.hpp"

#include <gtest/gtest.h>

#include <string>

#include "io/content_format.hpp"
#include "io_test_support.hpp"
#include "senml_test_data.hpp"

namespace lwm2md {
namespace {

using namespace lwm2md::test;
using T = ResourceType;

std::string textOf(const std::vector<std::uint8_t>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

// LwM2M TS Core JSON example "Read on Object Instance /3/0" (TS 1.0.2 §6.4.4, carried over to
// 1.1 §7.4.5 as application/vnd.oma.lwm2m+json), one entry per line in the TS; the same
// entries are quoted in public LwM2M integration-test helpers (with a different time and
// UTC offset). Whitespace removed; entries and values as in the SenML examples.
constexpr std::string_view kDeviceInstanceJson =
    R"({"bn":"/3/0/","e":[{"n":"0","sv":"Open Mobile Alliance"},)"
    R"({"n":"1","sv":"Lightweight M2M Client"},{"n":"2","sv":"345000123"},)"
    R"({"n":"3","sv":"1.0"},{"n":"6/0","v":1},{"n":"6/1","v":5},{"n":"7/0","v":3800},)"
    R"({"n":"7/1","v":5000},{"n":"8/0","v":125},{"n":"8/1","v":900},{"n":"9","v":100},)"
    R"({"n":"10","v":15},{"n":"11/0","v":0},{"n":"13","v":1367491215},)"
    R"({"n":"14","sv":"+02:00"},{"n":"16","sv":"U"}]})";

TEST(Lwm2mJsonFormat, TsExampleDeviceInstanceByteExact) {
  const Content content = tsDeviceContent();
  auto encoded = encodeLwm2mJson(content);
  ASSERT_TRUE(encoded) << encoded.error().message;
  EXPECT_EQ(textOf(*encoded), kDeviceInstanceJson);

  auto decoded = decodeLwm2mJson(Path(3, 0), bytesOf(kDeviceInstanceJson), deviceShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, content);
}

TEST(Lwm2mJsonFormat, LegacyNumberDispatchesToTheSameCodec) {
  auto encoded = encodeContent(ContentFormat::LegacyJson, tsDeviceContent());
  ASSERT_TRUE(encoded) << encoded.error().message;
  EXPECT_EQ(textOf(*encoded), kDeviceInstanceJson);
  auto decoded = decodeContent(ContentFormat::LwM2MJson, Path(3, 0), bytesOf(kDeviceInstanceJson),
                               deviceShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, tsDeviceContent());
}

TEST(Lwm2mJsonFormat, SingleResourceMultipleResourceAndObjlnk) {
  const auto manufacturer =
      resourceContent(3, 0, single(0, T::String, std::string("Open Mobile Alliance")));
  EXPECT_EQ(textOf(*encodeLwm2mJson(manufacturer)),
            R"({"bn":"/3/0/0","e":[{"sv":"Open Mobile Alliance"}]})");

  const auto voltage = resourceContent(
      3, 0, multiple(7, T::Integer, {{0, std::int64_t{3800}}, {1, std::int64_t{5000}}}));
  EXPECT_EQ(textOf(*encodeLwm2mJson(voltage)),
            R"({"bn":"/3/0/7/","e":[{"n":"0","v":3800},{"n":"1","v":5000}]})");

  Content links;
  links.path = Path(kTypesObject);
  links.instances.push_back(InstanceData{1, {single(ridFor(T::Objlnk), T::Objlnk, Objlnk{66, 0})}});
  links.instances.push_back(InstanceData{2, {single(ridFor(T::Boolean), T::Boolean, false)}});
  auto encoded = encodeLwm2mJson(links);
  ASSERT_TRUE(encoded) << encoded.error().message;
  EXPECT_EQ(textOf(*encoded),
            R"({"bn":"/9999/","e":[{"n":"1/8","ov":"66:0"},{"n":"2/5","bv":false}]})");

  for (const auto* content : {&manufacturer, &voltage}) {
    auto decoded = decodeLwm2mJson(content->path, *encodeLwm2mJson(*content), deviceShapes());
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(*decoded, *content);
  }
  auto decoded = decodeLwm2mJson(links.path, *encoded, typesShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, links);
}

TEST(Lwm2mJsonFormat, OpaqueIsBase64WithPaddingInSv) {
  const auto content =
      resourceContent(kTypesObject, 0, single(ridFor(T::Opaque), T::Opaque, Opaque{0xFB, 0xFF}));
  auto encoded = encodeLwm2mJson(content);
  ASSERT_TRUE(encoded) << encoded.error().message;
  EXPECT_EQ(textOf(*encoded), R"({"bn":"/9999/0/6","e":[{"sv":"+/8="}]})");
  auto decoded = decodeLwm2mJson(content.path, *encoded, typesShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, content);
}

TEST(Lwm2mJsonFormat, EveryTypeRoundTrips) {
  Content content;
  content.path = Path(kTypesObject, 0);
  content.instances.push_back(allTypesInstance());
  auto encoded = encodeLwm2mJson(content);
  ASSERT_TRUE(encoded) << encoded.error().message;
  auto decoded = decodeLwm2mJson(content.path, *encoded, typesShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, content);
}

TEST(Lwm2mJsonFormat, TimesAndUnknownFieldsAreIgnored) {
  auto decoded = decodeLwm2mJson(
      Path(3, 0), bytesOf(R"({"bt":25462634,"bn":"/3/0/","e":[{"n":"9","v":95,"t":-5,"x":1}]})"),
      deviceShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  ASSERT_EQ(decoded->instances.size(), 1u);
  EXPECT_EQ(decoded->instances[0].resources[0].value, Value{std::int64_t{95}});
}

TEST(Lwm2mJsonFormat, NonFiniteFloatIsNotAcceptable) {
  const auto content =
      resourceContent(kTypesObject, 0,
                      single(ridFor(T::Float), T::Float, std::numeric_limits<double>::quiet_NaN()));
  auto encoded = encodeLwm2mJson(content);
  ASSERT_FALSE(encoded);
  EXPECT_EQ(encoded.error().code, CoapCode::NotAcceptable);
}

TEST(Lwm2mJsonFormat, MalformedInputIsRefusedWithAPreciseReason) {
  const Path instance(3, 0);
  const Path types(kTypesObject, 0);
  const std::vector<std::tuple<Path, std::string, std::string>> table = {
      {instance, "", "LwM2M JSON: invalid JSON at byte 1"},
      {instance, "[]", "LwM2M JSON: the payload is array, not an object"},
      {instance, R"({"bn":"/3/0/"})", "LwM2M JSON: field 'e' is missing"},
      {instance, R"({"bn":"/3/0/","e":{}})", "field 'e' must be an array, not object"},
      {instance, R"({"bn":7,"e":[]})", "field 'bn' must be a string, not number"},
      {instance, R"({"bt":"x","e":[]})", "field 'bt' must be a number, not string"},
      {instance, R"({"bn":"/3/0/","bn":"/3/1/","e":[]})", "duplicate key 'bn'"},
      {instance, R"({"bn":"/3/0/","e":[{"n":"0","sv":"a","n":"1"}]})",
       "LwM2M JSON: record 0: duplicate field 'n'"},
      {instance, R"({"bn":"/3/0/","e":[{"n":"0","sv":"a"},"x"]})",
       "record 1: is string, not an object"},
      {instance, R"({"bn":"/3/0/","e":[{"n":"9","sv":"1"}]})",
       "record 0 (/3/0/9): field 'sv' holds a string, but the resource is an Integer"},
      {instance, R"({"bn":"/3/0/","e":[{"n":"9","v":"1"}]})",
       "record 0: field 'v' must be a number, not string"},
      {instance, R"({"bn":"/3/0/","e":[{"n":"0","sv":"a","v":1}]})",
       "record 0: more than one value field"},
      {instance, R"({"bn":"/3/0/","e":[{"n":"0"}]})", "record 0 (/3/0/0): the record has no value"},
      {instance, R"({"e":[{"n":"0","sv":"a"}]})", "record 0: name '0' is not an LwM2M path"},
      {instance, R"({"bn":"/3/0/","e":[{"n":"9","v":2.5}]})", "2.5 is not an Integer"},
      {instance, R"({"bn":"/3/0/","e":[{"n":"6","v":1}]})", "the resource is multiple"},
      {instance, R"({"bn":"/3/0/","e":[{"n":"0","sv":"a"},{"n":"0","sv":"b"}]})",
       "record 1 (/3/0/0): duplicate record for this resource"},
      {types, R"({"bn":"/9999/0/","e":[{"n":"6","sv":"AA"}]})",
       "record 0 (/9999/0/6): field 'sv' is not base64"},
      {types, R"({"bn":"/9999/0/","e":[{"n":"5","v":1}]})",
       "field 'v' holds a number, but the resource is a Boolean"},
      {types, R"({"bn":"/9999/0/","e":[{"n":"5","bv":"true"}]})",
       "field 'bv' must be a boolean, not string"},
      {types, R"({"bn":"/9999/0/","e":[{"n":"8","sv":"66:0"}]})",
       "field 'sv' holds a string, but the resource is an Objlnk"},
      {types, R"({"bn":"/9999/0/","e":[{"n":"8","ov":"66:x"}]})",
       "record 0 (/9999/0/8): field 'ov' is not an object link"},
  };
  for (const auto& [path, payload, message] : table) {
    auto decoded = decodeLwm2mJson(path, bytesOf(payload),
                                   path.objectId() == 3 ? deviceShapes() : typesShapes());
    ASSERT_FALSE(decoded) << payload;
    EXPECT_EQ(decoded.error().code, CoapCode::BadRequest) << payload;
    EXPECT_NE(decoded.error().message.find(message), std::string::npos)
        << payload << "\n  got: " << decoded.error().message << "\n want: " << message;
  }
}

}  // namespace
}  // namespace lwm2md
