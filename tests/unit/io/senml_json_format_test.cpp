#include "io/senml_json_format.hpp"

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

// LwM2M 1.1 TS Core §7.4.4, example "Read on Object Instance /3/0" in SenML JSON. The TS shows
// it one record per line; the same records appear, as diagnostic notation, above the SenML
// CBOR example of §7.4.6 (TS 1.1.1 p. 86); whitespace removed.
constexpr std::string_view kDeviceInstanceSenml =
    R"([{"bn":"/3/0/","n":"0","vs":"Open Mobile Alliance"},)"
    R"({"n":"1","vs":"Lightweight M2M Client"},{"n":"2","vs":"345000123"},)"
    R"({"n":"3","vs":"1.0"},{"n":"6/0","v":1},{"n":"6/1","v":5},{"n":"7/0","v":3800},)"
    R"({"n":"7/1","v":5000},{"n":"8/0","v":125},{"n":"8/1","v":900},{"n":"9","v":100},)"
    R"({"n":"10","v":15},{"n":"11/0","v":0},{"n":"13","v":1367491215},)"
    R"({"n":"14","vs":"+02:00"},{"n":"16","vs":"U"}])";

TEST(SenmlJsonFormat, TsExampleDeviceInstanceByteExact) {
  const Content content = tsDeviceContent();
  auto encoded = encodeSenmlJson(content);
  ASSERT_TRUE(encoded) << encoded.error().message;
  EXPECT_EQ(textOf(*encoded), kDeviceInstanceSenml);

  auto decoded = decodeSenmlJson(Path(3, 0), bytesOf(kDeviceInstanceSenml), deviceShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, content);
}

TEST(SenmlJsonFormat, TsExamplePrettyPrintedAsInTheSpecDecodes) {
  const std::string pretty = R"([
    {"bn":"/3/0/", "n":"0", "vs":"Open Mobile Alliance"},
    {"n":"1", "vs":"Lightweight M2M Client"}, {"n":"2", "vs":"345000123"},
    {"n":"3", "vs":"1.0"}, {"n":"6/0", "v":1}, {"n":"6/1", "v":5},
    {"n":"7/0", "v":3800}, {"n":"7/1", "v":5000}, {"n":"8/0", "v":125}, {"n":"8/1", "v":900},
    {"n":"9", "v":100}, {"n":"10", "v":15}, {"n":"11/0", "v":0}, {"n":"13", "v":1367491215},
    {"n":"14", "vs":"+02:00"}, {"n":"16", "vs":"U"}
  ])";
  auto decoded = decodeSenmlJson(Path(3, 0), bytesOf(pretty), deviceShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, tsDeviceContent());
}

TEST(SenmlJsonFormat, ObjectLevelNamesCarryTheInstance) {
  auto encoded = encodeSenmlJson(tsDeviceContent(Path(3)));
  ASSERT_TRUE(encoded) << encoded.error().message;
  const std::string text = textOf(*encoded);
  EXPECT_TRUE(text.starts_with(R"([{"bn":"/3/","n":"0/0","vs":"Open Mobile Alliance"},)")) << text;
  EXPECT_NE(text.find(R"({"n":"0/11/0","v":0})"), std::string::npos) << text;
  auto decoded = decodeSenmlJson(Path(3), *encoded, deviceShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, tsDeviceContent(Path(3)));
}

TEST(SenmlJsonFormat, SingleResourceIsBaseNameOnly) {
  const auto content =
      resourceContent(3, 0, single(0, T::String, std::string("Open Mobile Alliance")));
  auto encoded = encodeSenmlJson(content);
  ASSERT_TRUE(encoded) << encoded.error().message;
  EXPECT_EQ(textOf(*encoded), R"([{"bn":"/3/0/0","vs":"Open Mobile Alliance"}])");
  auto decoded = decodeSenmlJson(content.path, *encoded, deviceShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, content);
  // The other spelling of the same record decodes alike.
  auto split = decodeSenmlJson(content.path,
                               bytesOf(R"([{"bn":"/3/0/","n":"0","vs":"Open Mobile Alliance"}])"),
                               deviceShapes());
  ASSERT_TRUE(split) << split.error().message;
  EXPECT_EQ(*split, content);
}

TEST(SenmlJsonFormat, MultipleResourceAndResourceInstance) {
  Content content = resourceContent(
      3, 0, multiple(7, T::Integer, {{0, std::int64_t{3800}}, {1, std::int64_t{5000}}}));
  auto encoded = encodeSenmlJson(content);
  ASSERT_TRUE(encoded) << encoded.error().message;
  EXPECT_EQ(textOf(*encoded), R"([{"bn":"/3/0/7/","n":"0","v":3800},{"n":"1","v":5000}])");
  auto decoded = decodeSenmlJson(content.path, *encoded, deviceShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, content);

  content.path = Path(3, 0, 7, 1);
  encoded = encodeSenmlJson(content);
  ASSERT_TRUE(encoded) << encoded.error().message;
  EXPECT_EQ(textOf(*encoded), R"([{"bn":"/3/0/7/1","v":5000}])");
  decoded = decodeSenmlJson(content.path, *encoded, deviceShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  Content expected = resourceContent(3, 0, multiple(7, T::Integer, {{1, std::int64_t{5000}}}));
  expected.path = content.path;
  EXPECT_EQ(*decoded, expected);
}

TEST(SenmlJsonFormat, EmptyPackClearsAMultipleResourceAndKeepsTheInstance) {
  auto resource = decodeSenmlJson(Path(3, 0, 7), bytesOf("[]"), deviceShapes());
  ASSERT_TRUE(resource) << resource.error().message;
  ASSERT_EQ(resource->instances.size(), 1u);
  ASSERT_EQ(resource->instances[0].resources.size(), 1u);
  EXPECT_TRUE(resource->instances[0].resources[0].multiple);
  EXPECT_TRUE(resource->instances[0].resources[0].instances.empty());
  EXPECT_EQ(*encodeSenmlJson(*resource), bytesOf("[]"));

  auto instance = decodeSenmlJson(Path(3, 0), bytesOf("[]"), deviceShapes());
  ASSERT_TRUE(instance) << instance.error().message;
  ASSERT_EQ(instance->instances.size(), 1u);
  EXPECT_TRUE(instance->instances[0].resources.empty());
}

TEST(SenmlJsonFormat, SeveralInstancesAndObjlnk) {
  Content content;
  content.path = Path(kTypesObject);
  content.instances.push_back(
      InstanceData{1, {single(ridFor(T::Objlnk), T::Objlnk, Objlnk{66, 0})}});
  content.instances.push_back(InstanceData{
      2, {multiple(ridFor(T::Objlnk, true), T::Objlnk, {{0, Objlnk{66, 1}}, {4, Objlnk{3, 0}}})}});
  auto encoded = encodeSenmlJson(content);
  ASSERT_TRUE(encoded) << encoded.error().message;
  EXPECT_EQ(textOf(*encoded), R"([{"bn":"/9999/","n":"1/8","vlo":"66:0"},)"
                              R"({"n":"2/108/0","vlo":"66:1"},{"n":"2/108/4","vlo":"3:0"}])");
  auto decoded = decodeSenmlJson(content.path, *encoded, typesShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, content);
}

TEST(SenmlJsonFormat, EveryTypeRoundTrips) {
  Content content;
  content.path = Path(kTypesObject, 0);
  content.instances.push_back(allTypesInstance());
  auto encoded = encodeSenmlJson(content);
  ASSERT_TRUE(encoded) << encoded.error().message;
  const std::string text = textOf(*encoded);
  // Spot checks of the value spellings (RFC 8428 §4.3, TS Table 7.4.4-1).
  EXPECT_NE(text.find(R"({"n":"2","v":-9223372036854775808})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"({"n":"3","v":18446744073709551615})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"({"n":"4","v":0.1})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"({"n":"5","vb":true})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"({"n":"6","vd":"APv_EA"})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"({"n":"8","vlo":"65535:65535"})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"({"n":"104/2","v":3.0})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"({"n":"106/0","vd":""})"), std::string::npos) << text;
  auto decoded = decodeSenmlJson(content.path, *encoded, typesShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, content);
}

TEST(SenmlJsonFormat, NumbersAreTypedByTheResource) {
  const auto shapes = typesShapes();
  auto decode = [&](std::string_view json) {
    return decodeSenmlJson(Path(kTypesObject, 0), bytesOf(json), shapes);
  };
  // An integral float is an Integer; an integer is a Float.
  auto integer = decode(R"([{"bn":"/9999/0/","n":"2","v":1e3}])");
  ASSERT_TRUE(integer) << integer.error().message;
  EXPECT_EQ(integer->instances[0].resources[0].value, Value{std::int64_t{1000}});
  auto floating = decode(R"([{"bn":"/9999/0/","n":"4","v":7}])");
  ASSERT_TRUE(floating) << floating.error().message;
  EXPECT_EQ(floating->instances[0].resources[0].value, Value{7.0});
  auto unsignedMax = decode(R"([{"bn":"/9999/0/","n":"3","v":18446744073709551615}])");
  ASSERT_TRUE(unsignedMax) << unsignedMax.error().message;
  EXPECT_EQ(unsignedMax->instances[0].resources[0].value,
            Value{std::numeric_limits<std::uint64_t>::max()});
}

TEST(SenmlJsonFormat, TimesUnitsAndUnknownFieldsAreIgnored) {
  auto decoded = decodeSenmlJson(
      Path(3, 0),
      bytesOf(R"([{"bn":"/3/0/","bt":1.5e9,"bver":10,"n":"9","v":95,"t":-5,"u":"%","x":{"y":1}}])"),
      deviceShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  Content expected;
  expected.path = Path(3, 0);
  expected.instances.push_back(InstanceData{0, {single(9, T::Integer, std::int64_t{95})}});
  EXPECT_EQ(*decoded, expected);
}

TEST(SenmlJsonFormat, BaseNameAppliesUntilTheNextOne) {
  auto decoded = decodeSenmlJson(
      Path(3),
      bytesOf(R"([{"bn":"/3/0/","n":"9","v":1},{"bn":"/3/1/","n":"9","v":2},{"n":"10","v":3}])"),
      deviceShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  ASSERT_EQ(decoded->instances.size(), 2u);
  EXPECT_EQ(decoded->instances[1].id, 1);
  ASSERT_EQ(decoded->instances[1].resources.size(), 2u);
  EXPECT_EQ(decoded->instances[1].resources[1].id, 10);
}

TEST(SenmlJsonFormat, NonFiniteFloatIsNotAcceptable) {
  const auto content = resourceContent(
      kTypesObject, 0, single(ridFor(T::Float), T::Float, std::numeric_limits<double>::infinity()));
  auto encoded = encodeSenmlJson(content);
  ASSERT_FALSE(encoded);
  EXPECT_EQ(encoded.error().code, CoapCode::NotAcceptable);
}

TEST(SenmlJsonFormat, UnknownResourceIsNotFound) {
  auto decoded =
      decodeSenmlJson(Path(3, 0), bytesOf(R"([{"bn":"/3/0/","n":"99","v":1}])"), deviceShapes());
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, CoapCode::NotFound);
  EXPECT_EQ(decoded.error().kind, ErrorKind::NotFound);
  EXPECT_NE(decoded.error().message.find("record 0: resource /3/0/99 is not known"),
            std::string::npos)
      << decoded.error().message;
}

struct Malformed {
  Path path;
  std::string payload;
  std::string message;  // a substring the error must contain
};

TEST(SenmlJsonFormat, MalformedInputIsRefusedWithAPreciseReason) {
  const Path instance(3, 0);
  const Path types(kTypesObject, 0);
  const std::string deep = std::string(40, '[') + std::string(40, ']');
  const std::vector<Malformed> table = {
      {instance, "", "SenML JSON: invalid JSON at byte 1"},
      {instance, R"([{"bn":"/3/0/","n":"0","vs":"x"})", "invalid JSON at byte"},
      {instance, R"({"bn":"/3/0/"})", "the payload is object, not an array of records"},
      {instance, "[1]", "record 0: is number, not an object"},
      {instance, R"([{"bn":"/3/0/","n":"9","v":1.5}])", "record 0 (/3/0/9): 1.5 is not an Integer"},
      {instance, R"([{"bn":"/3/0/","n":"9","v":9223372036854775808}])",
       "record 0 (/3/0/9): 9223372036854775808 is out of range for an Integer"},
      {instance, R"([{"bn":"/3/0/","n":"9","v":-1e19}])", "out of range for an Integer"},
      {instance, R"([{"bn":"/3/0/","n":"9","vs":"1"}])",
       "record 0 (/3/0/9): field 'vs' holds a string, but the resource is an Integer"},
      {instance, R"([{"bn":"/3/0/","n":"0","v":1}])",
       "field 'v' holds a number, but the resource is a String"},
      {instance, R"([{"bn":"/3/0/","n":"0","vd":"AA"}])",
       "field 'vd' holds data, but the resource is a String"},
      {instance, R"([{"bn":"/3/0/","n":"0","vs":"x","foo_":1}])",
       "record 0: field 'foo_' must be understood (RFC 8428 §4.4)"},
      {instance, R"([{"bn":"/3/0/","n":"0","vs":"x","vb":true}])",
       "record 0: more than one value field"},
      {instance, R"([{"bn":"/3/0/","n":"0"}])", "record 0 (/3/0/0): the record has no value"},
      {instance, R"([{"bn":"/3/0/","n":"0","n":"1","vs":"x"}])", "record 0: duplicate field 'n'"},
      {instance, R"([{"bn":"/3/0/","n":"0","vs":"a"},{"n":"1","vs":"b","vs":"c"}])",
       "record 1: duplicate field 'vs'"},
      {instance, R"([{"bn":"/3/0/","n":"0","vs":"a"},{"n":"0","vs":"b"}])",
       "record 1 (/3/0/0): duplicate record for this resource"},
      {instance, R"([{"bn":"/3/0/","n":"6/0","v":1},{"n":"6/0","v":2}])",
       "record 1 (/3/0/6/0): duplicate record for this resource instance"},
      {instance, R"([{"bn":"/4/0/","n":"0","vs":"x"}])",
       "record 0 (/4/0/0): the name lies outside the request path /3/0"},
      {instance, R"([{"n":"0","vs":"x"}])", "record 0: name '0' is not an LwM2M path"},
      {instance, R"([{"bn":"/3/0/","n":"0/","vs":"x"}])", "name '/3/0/0/' is not an LwM2M path"},
      {instance, R"([{"bn":"/3/0/","n":"65535","vs":"x"}])", "is not an LwM2M path"},
      {instance, R"([{"bn":"/3/0/","vs":"x"}])", "record 0: name '/3/0/' is not an LwM2M path"},
      {instance, R"([{"bn":"/3/0","vs":"x"}])",
       "record 0 (/3/0): the name is not a resource or resource instance"},
      {instance, R"([{"bn":"/3/0/","n":"7","v":1}])",
       "record 0 (/3/0/7): the resource is multiple; a record names one of its instances"},
      {instance, R"([{"bn":"/3/0/","n":"9/0","v":1}])",
       "record 0 (/3/0/9/0): the resource is single and has no instances"},
      {instance, R"([{"bn":"/3/0/","n":"4","v":1}])",
       "record 0 (/3/0/4): the resource is executable"},
      {instance, R"([{"bn":3,"n":"0","vs":"x"}])",
       "record 0: field 'bn' must be a string, not number"},
      {instance, R"([{"bn":"/3/0/","n":"0","vs":"x","t":"now"}])",
       "record 0: field 't' must be a number, not string"},
      {instance, R"([{"bn":"/3/0/","n":"9","v":1,"bv":1}])",
       "record 0: field 'bv' is not supported by LwM2M"},
      {instance, R"([{"bn":"/3/0/","n":"9","s":1}])", "field 's' is not supported"},
      {instance, R"([{"bn":"/3/0/","n":"9","v":null}])", "field 'v' must be a number, not null"},
      {instance, deep, "nesting is deeper than 32"},
      {Path(3, 0, 9), "[]", "SenML JSON: no record carries /3/0/9"},
      {Path(3, 0, 7, 1), R"([{"bn":"/3/0/7/0","v":1}])",
       "record 0 (/3/0/7/0): the name lies outside the request path /3/0/7/1"},
      {types, R"([{"bn":"/9999/0/","n":"3","v":-1}])", "-1 is out of range for an Unsigned"},
      {types, R"([{"bn":"/9999/0/","n":"3","v":0.5}])", "0.5 is not an Unsigned Integer"},
      {types, R"([{"bn":"/9999/0/","n":"5","v":1}])",
       "field 'v' holds a number, but the resource is a Boolean"},
      {types, R"([{"bn":"/9999/0/","n":"6","vd":"AA=="}])",
       "record 0 (/9999/0/6): field 'vd' is not base64url without padding"},
      {types, R"([{"bn":"/9999/0/","n":"6","vd":"+/8"}])", "is not base64url"},
      {types, R"([{"bn":"/9999/0/","n":"6","vs":"AA"}])",
       "field 'vs' holds a string, but the resource is an Opaque"},
      {types, R"([{"bn":"/9999/0/","n":"8","vlo":"66"}])",
       "record 0 (/9999/0/8): field 'vlo' is not an object link"},
      {types, R"([{"bn":"/9999/0/","n":"8","vlo":"66:65536"}])", "is not an object link"},
      {types, R"([{"bn":"/9999/0/","n":"8","vs":"66:0"}])",
       "field 'vs' holds a string, but the resource is an Objlnk"},
      {types, R"([{"bn":"/9999/0/","n":"1","vlo":"66:0"}])",
       "field 'vlo' holds an object link, but the resource is a String"},
  };
  for (const auto& row : table) {
    auto decoded = decodeSenmlJson(row.path, bytesOf(row.payload),
                                   row.path.objectId() == 3 ? deviceShapes() : typesShapes());
    ASSERT_FALSE(decoded) << row.payload;
    EXPECT_EQ(decoded.error().code, CoapCode::BadRequest) << row.payload;
    EXPECT_NE(decoded.error().message.find(row.message), std::string::npos)
        << row.payload << "\n  got: " << decoded.error().message << "\n want: " << row.message;
  }
}

TEST(SenmlJsonFormat, InvalidUtf8IsRefused) {
  auto decoded = decodeSenmlJson(
      Path(3, 0), bytesOf("[{\"bn\":\"/3/0/\",\"n\":\"0\",\"vs\":\"\xC0\xAF\"}]"), deviceShapes());
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, CoapCode::BadRequest);
}

TEST(SenmlJsonFormat, DispatchedThroughContentFormat) {
  const auto content = resourceContent(3, 0, single(9, T::Integer, std::int64_t{95}));
  auto encoded = encodeContent(ContentFormat::SenmlJson, content);
  ASSERT_TRUE(encoded) << encoded.error().message;
  EXPECT_EQ(textOf(*encoded), R"([{"bn":"/3/0/9","v":95}])");
  auto decoded = decodeContent(ContentFormat::SenmlJson, content.path, *encoded, deviceShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, content);
}

}  // namespace
}  // namespace lwm2md
