#include "io/tlv_format.hpp"

#include <gtest/gtest.h>

#include <ostream>

#include <cmath>
#include <limits>

#include "io/content_format.hpp"
#include "io_test_support.hpp"

namespace lwm2md {
namespace {

using namespace lwm2md::test;
using T = ResourceType;

// LwM2M 1.1 TS Core §7.4.3, example "Read on single Object Instance": READ /3/0.
constexpr std::string_view kDeviceInstanceTlv = R"(
  C8 00 14 4F 70 65 6E 20 4D 6F 62 69 6C 65 20 41 6C 6C 69 61 6E 63 65
  C8 01 16 4C 69 67 68 74 77 65 69 67 68 74 20 4D 32 4D 20 43 6C 69 65 6E 74
  C8 02 09 33 34 35 30 30 30 31 32 33
  C3 03 31 2E 30
  86 06 41 00 01 41 01 05
  88 07 08 42 00 0E D8 42 01 13 88
  87 08 41 00 7D 42 01 03 84
  C1 09 64
  C1 0A 0F
  83 0B 41 00 00
  C4 0D 51 82 42 8F
  C6 0E 2B 30 32 3A 30 30
  C1 10 55)";

InstanceData deviceInstance() {
  return InstanceData{
      0,
      {single(0, T::String, std::string("Open Mobile Alliance")),
       single(1, T::String, std::string("Lightweight M2M Client")),
       single(2, T::String, std::string("345000123")), single(3, T::String, std::string("1.0")),
       multiple(6, T::Integer, {{0, std::int64_t{1}}, {1, std::int64_t{5}}}),
       multiple(7, T::Integer, {{0, std::int64_t{3800}}, {1, std::int64_t{5000}}}),
       multiple(8, T::Integer, {{0, std::int64_t{125}}, {1, std::int64_t{900}}}),
       single(9, T::Integer, std::int64_t{100}), single(10, T::Integer, std::int64_t{15}),
       multiple(11, T::Integer, {{0, std::int64_t{0}}}),
       single(13, T::Time, std::int64_t{0x5182428F}), single(14, T::String, std::string("+02:00")),
       single(16, T::String, std::string("U"))}};
}

TEST(TlvFormat, TsExampleDeviceInstanceByteExact) {
  Content content;
  content.path = Path(3, 0);
  content.instances.push_back(deviceInstance());
  auto encoded = encodeTlv(content);
  ASSERT_TRUE(encoded) << encoded.error().message;
  EXPECT_EQ(*encoded, hex(kDeviceInstanceTlv));
  EXPECT_EQ(encoded->size(), 121u);

  auto decoded = decodeTlv(Path(3, 0), hex(kDeviceInstanceTlv), deviceShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, content);
}

TEST(TlvFormat, DeviceObjectWrapsInstanceAndInstanceWrapperIsAccepted) {
  Content content;
  content.path = Path(3);
  content.instances.push_back(deviceInstance());
  auto wrapped = hex("08 00 79");  // Object Instance 0, 8-bit length 121
  const auto body = hex(kDeviceInstanceTlv);
  wrapped.insert(wrapped.end(), body.begin(), body.end());
  auto encoded = encodeTlv(content);
  ASSERT_TRUE(encoded);
  EXPECT_EQ(*encoded, wrapped);

  auto asObject = decodeTlv(Path(3), wrapped, deviceShapes());
  ASSERT_TRUE(asObject) << asObject.error().message;
  EXPECT_EQ(*asObject, content);

  // A write to /3/0 may carry the same payload with its Object Instance wrapper.
  auto asInstance = decodeTlv(Path(3, 0), wrapped, deviceShapes());
  ASSERT_TRUE(asInstance) << asInstance.error().message;
  EXPECT_EQ(asInstance->instances, content.instances);
}

// TS §7.4.3, example "Read on multiple Object Instances": READ /2 (Access Control).
constexpr std::string_view kAccessControlTlv = R"(
  08 00 0E C1 00 01 C1 01 00 83 02 41 7F 07 C1 03 7F
  08 02 12 C1 00 03 C1 01 00 87 02 41 7F 07 61 01 36 01 C1 03 7F)";

TEST(TlvFormat, TsExampleAccessControlInstancesByteExact) {
  Content content;
  content.path = Path(2);
  content.instances.push_back(
      InstanceData{0,
                   {single(0, T::Integer, std::int64_t{1}), single(1, T::Integer, std::int64_t{0}),
                    multiple(2, T::Integer, {{127, std::int64_t{7}}}),
                    single(3, T::Integer, std::int64_t{127})}});
  content.instances.push_back(
      InstanceData{2,
                   {single(0, T::Integer, std::int64_t{3}), single(1, T::Integer, std::int64_t{0}),
                    multiple(2, T::Integer, {{127, std::int64_t{7}}, {310, std::int64_t{1}}}),
                    single(3, T::Integer, std::int64_t{127})}});
  auto encoded = encodeTlv(content);
  ASSERT_TRUE(encoded);
  EXPECT_EQ(*encoded, hex(kAccessControlTlv));
  EXPECT_EQ(encoded->size(), 38u);
  auto decoded = decodeTlv(Path(2), hex(kAccessControlTlv), accessControlShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, content);
}

// TS §7.4.3, example "Read on Object with one instance": READ /1 (Server).
TEST(TlvFormat, TsExampleServerObjectByteExact) {
  const auto bytes = hex("08 00 0F C1 00 01 C4 01 00 01 51 80 C1 06 01 C1 07 55");
  Content content;
  content.path = Path(1);
  content.instances.push_back(InstanceData{
      0,
      {single(0, T::Integer, std::int64_t{1}), single(1, T::Integer, std::int64_t{86400}),
       single(6, T::Boolean, true), single(7, T::String, std::string("U"))}});
  auto encoded = encodeTlv(content);
  ASSERT_TRUE(encoded);
  EXPECT_EQ(*encoded, bytes);
  auto decoded = decodeTlv(Path(1), bytes, serverShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, content);
}

// TS §7.4.3, example with Object Links: two instances of object 66 pointing at 67:0 and at
// nothing (65535:65535).
TEST(TlvFormat, TsExampleObjectLinksByteExact) {
  const auto bytes = hex(R"(
    08 00 26
      C8 00 0B 6D 79 53 65 72 76 69 63 65 20 31
      C8 01 0F 49 6E 74 65 72 6E 65 74 2E 31 35 2E 32 33 34
      C4 02 00 43 00 00
    08 01 26
      C8 00 0B 6D 79 53 65 72 76 69 63 65 20 32
      C8 01 0F 49 6E 74 65 72 6E 65 74 2E 31 35 2E 32 33 35
      C4 02 FF FF FF FF)");
  const auto shapes =
      shapesOf({{0, {T::String, false}}, {1, {T::String, false}}, {2, {T::Objlnk, false}}});
  Content content;
  content.path = Path(66);
  content.instances.push_back(InstanceData{
      0,
      {single(0, T::String, std::string("myService 1")),
       single(1, T::String, std::string("Internet.15.234")), single(2, T::Objlnk, Objlnk{67, 0})}});
  content.instances.push_back(InstanceData{1,
                                           {single(0, T::String, std::string("myService 2")),
                                            single(1, T::String, std::string("Internet.15.235")),
                                            single(2, T::Objlnk, Objlnk{65535, 65535})}});
  auto encoded = encodeTlv(content);
  ASSERT_TRUE(encoded);
  EXPECT_EQ(*encoded, bytes);
  auto decoded = decodeTlv(Path(66), bytes, shapes);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, content);
}

TEST(TlvFormat, MultipleResourceAndResourceInstanceDepths) {
  const auto device = deviceInstance();
  Content resource;
  resource.path = Path(3, 0, 6);
  resource.instances.push_back(InstanceData{0, {device.resources[4]}});
  EXPECT_EQ(*encodeTlv(resource), hex("86 06 41 00 01 41 01 05"));
  auto decoded = decodeTlv(resource.path, hex("86 06 41 00 01 41 01 05"), deviceShapes());
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, resource);

  Content instance;
  instance.path = Path(3, 0, 6, 1);
  instance.instances.push_back(InstanceData{0, {multiple(6, T::Integer, {{1, std::int64_t{5}}})}});
  EXPECT_EQ(*encodeTlv(instance), hex("41 01 05"));
  decoded = decodeTlv(instance.path, hex("41 01 05"), deviceShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, instance);

  // A multiple resource keeps its wrapper with one or zero instances.
  Content one = resourceContent(3, 0, multiple(11, T::Integer, {{0, std::int64_t{0}}}));
  EXPECT_EQ(*encodeTlv(one), hex("83 0B 41 00 00"));
  Content none = resourceContent(3, 0, multiple(11, T::Integer, {}));
  EXPECT_EQ(*encodeTlv(none), hex("80 0B"));
  decoded = decodeTlv(none.path, hex("80 0B"), deviceShapes());
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, none);

  Content battery = resourceContent(3, 0, single(9, T::Integer, std::int64_t{100}));
  EXPECT_EQ(*encodeTlv(battery), hex("C1 09 64"));
}

TEST(TlvFormat, IdAndLengthFieldWidths) {
  const auto shapes = typesShapes();
  auto encodedOpaque = [](std::uint16_t rid, std::size_t size) {
    const auto rt = rid == 300 ? T::String : T::Opaque;
    Value v = rt == T::String ? Value{std::string(size, 'a')} : Value{Opaque(size, 0xAB)};
    return *encodeTlv(resourceContent(kTypesObject, 0, single(rid, rt, v)));
  };
  const auto rid = ridFor(T::Opaque);
  auto prefix = [](const std::vector<std::uint8_t>& v, std::size_t n) {
    return std::vector<std::uint8_t>(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n));
  };
  EXPECT_EQ(prefix(encodedOpaque(rid, 7), 2), hex("C7 06"));
  EXPECT_EQ(prefix(encodedOpaque(rid, 8), 3), hex("C8 06 08"));
  EXPECT_EQ(prefix(encodedOpaque(rid, 255), 3), hex("C8 06 FF"));
  EXPECT_EQ(prefix(encodedOpaque(rid, 256), 4), hex("D0 06 01 00"));
  EXPECT_EQ(prefix(encodedOpaque(rid, 70000), 5), hex("D8 06 01 11 70"));
  EXPECT_EQ(prefix(encodedOpaque(300, 3), 3), hex("E3 01 2C"));
  EXPECT_EQ(prefix(encodedOpaque(300, 300), 5), hex("F0 01 2C 01 2C"));
  for (std::size_t size : {0u, 7u, 8u, 256u, 70000u}) {
    const auto bytes = encodedOpaque(rid, size);
    EXPECT_EQ(bytes.size(), size + (size < 8 ? 2 : size < 256 ? 3 : size < 65536 ? 4 : 5));
    auto decoded = decodeTlv(Path(kTypesObject, 0, rid), bytes, shapes);
    ASSERT_TRUE(decoded) << size;
    EXPECT_EQ(std::get<Opaque>(*decoded->instances[0].resources[0].value).size(), size);
  }
  auto decoded = decodeTlv(Path(kTypesObject, 0), encodedOpaque(300, 300), shapes);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->instances[0].resources[0].id, 300);
}

struct ValueCase {
  T type;
  Value value;
  std::string_view bytes;  // the value part only
};

class TlvValues : public ::testing::TestWithParam<ValueCase> {};

TEST_P(TlvValues, MinimalEncodingRoundTrips) {
  const auto& param = GetParam();
  const auto rid = ridFor(param.type);
  const auto content = resourceContent(kTypesObject, 0, single(rid, param.type, param.value));
  auto encoded = encodeTlv(content);
  ASSERT_TRUE(encoded) << encoded.error().message;
  const auto valueBytes = hex(param.bytes);
  ASSERT_LT(valueBytes.size(), 8u);
  std::vector<std::uint8_t> expected{static_cast<std::uint8_t>(0xC0 | valueBytes.size()),
                                     static_cast<std::uint8_t>(rid)};
  expected.insert(expected.end(), valueBytes.begin(), valueBytes.end());
  EXPECT_EQ(*encoded, expected);
  auto decoded = decodeTlv(content.path, *encoded, typesShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, content);

  // The same value as a resource instance of the multiple variant, through the instance path.
  Content multi = resourceContent(
      kTypesObject, 0, multiple(ridFor(param.type, true), param.type, {{0, param.value}}));
  auto encodedMulti = encodeTlv(multi);
  ASSERT_TRUE(encodedMulti);
  auto decodedMulti = decodeTlv(multi.path, *encodedMulti, typesShapes());
  ASSERT_TRUE(decodedMulti) << decodedMulti.error().message;
  EXPECT_EQ(*decodedMulti, multi);
}

INSTANTIATE_TEST_SUITE_P(
    EveryType, TlvValues,
    ::testing::Values(ValueCase{T::Integer, std::int64_t{0}, "00"},
                      ValueCase{T::Integer, std::int64_t{127}, "7F"},
                      ValueCase{T::Integer, std::int64_t{-128}, "80"},
                      ValueCase{T::Integer, std::int64_t{128}, "00 80"},
                      ValueCase{T::Integer, std::int64_t{-129}, "FF 7F"},
                      ValueCase{T::Integer, std::int64_t{32767}, "7F FF"},
                      ValueCase{T::Integer, std::int64_t{32768}, "00 00 80 00"},
                      ValueCase{T::Integer, std::int64_t{-2147483648LL}, "80 00 00 00"},
                      ValueCase{T::UnsignedInteger, std::uint64_t{255}, "FF"},
                      ValueCase{T::UnsignedInteger, std::uint64_t{256}, "01 00"},
                      ValueCase{T::UnsignedInteger, std::uint64_t{65536}, "00 01 00 00"},
                      ValueCase{T::Float, 21.5, "41 AC 00 00"},
                      ValueCase{T::Float, -0.0, "80 00 00 00"},
                      ValueCase{T::Float, std::numeric_limits<double>::infinity(), "7F 80 00 00"},
                      ValueCase{T::Boolean, true, "01"}, ValueCase{T::Boolean, false, "00"},
                      ValueCase{T::Opaque, Opaque{1, 2, 3}, "01 02 03"},
                      ValueCase{T::Opaque, Opaque{}, ""},
                      ValueCase{T::Time, std::int64_t{1367491215}, "51 82 42 8F"},
                      ValueCase{T::Objlnk, Objlnk{3, 1}, "00 03 00 01"},
                      ValueCase{T::String, std::string("h\xC3\xA9"), "68 C3 A9"},
                      ValueCase{T::Corelnk, std::string("</3>"), "3C 2F 33 3E"}));

// Values whose encoding is 8 bytes (and so needs a length byte) are checked here.
TEST(TlvFormat, EightByteValues) {
  struct Case {
    T type;
    Value value;
    std::string_view bytes;
  };
  for (const auto& c : {
           Case{T::Integer, std::numeric_limits<std::int64_t>::min(), "80 00 00 00 00 00 00 00"},
           Case{T::Integer, std::numeric_limits<std::int64_t>::max(), "7F FF FF FF FF FF FF FF"},
           Case{T::Integer, std::int64_t{2147483648LL}, "00 00 00 00 80 00 00 00"},
           Case{T::UnsignedInteger, std::numeric_limits<std::uint64_t>::max(),
                "FF FF FF FF FF FF FF FF"},
           Case{T::Float, 0.1, "3F B9 99 99 99 99 99 9A"},
           Case{T::Float, 1e300, "7E 37 E4 3C 88 00 75 9C"},
       }) {
    const auto rid = ridFor(c.type);
    const auto content = resourceContent(kTypesObject, 0, single(rid, c.type, c.value));
    auto expected = hex("C8");
    expected.push_back(static_cast<std::uint8_t>(rid));
    expected.push_back(8);
    const auto value = hex(c.bytes);
    expected.insert(expected.end(), value.begin(), value.end());
    auto encoded = encodeTlv(content);
    ASSERT_TRUE(encoded);
    EXPECT_EQ(*encoded, expected) << describe(c.value);
    auto decoded = decodeTlv(content.path, expected, typesShapes());
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, content) << describe(c.value);
  }
}

TEST(TlvFormat, NanAndNegativeZeroFloats) {
  const auto rid = ridFor(T::Float);
  auto encoded = encodeTlv(resourceContent(kTypesObject, 0, single(rid, T::Float, std::nan(""))));
  ASSERT_TRUE(encoded);
  EXPECT_EQ(encoded->size(), 6u);
  auto decoded = decodeTlv(Path(kTypesObject, 0, rid), *encoded, typesShapes());
  ASSERT_TRUE(decoded);
  EXPECT_TRUE(std::isnan(std::get<double>(*decoded->instances[0].resources[0].value)));

  decoded = decodeTlv(Path(kTypesObject, 0, rid), hex("C4 04 80 00 00 00"), typesShapes());
  ASSERT_TRUE(decoded);
  EXPECT_TRUE(std::signbit(std::get<double>(*decoded->instances[0].resources[0].value)));
}

TEST(TlvFormat, DecodesWiderThanMinimalIntegers) {
  auto decoded = decodeTlv(Path(3, 0, 9), hex("C8 09 08 FF FF FF FF FF FF FF FE"), deviceShapes());
  ASSERT_TRUE(decoded);
  EXPECT_EQ(std::get<std::int64_t>(*decoded->instances[0].resources[0].value), -2);
  decoded = decodeTlv(Path(3, 0, 9), hex("C2 09 00 64"), deviceShapes());
  ASSERT_TRUE(decoded);
  EXPECT_EQ(std::get<std::int64_t>(*decoded->instances[0].resources[0].value), 100);
}

TEST(TlvFormat, ObjectWriteWithBareResourcesLetsClientPickInstance) {
  auto decoded = decodeTlv(Path(3), hex("C1 09 64 C1 0A 0F"), deviceShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  ASSERT_EQ(decoded->instances.size(), 1u);
  EXPECT_EQ(decoded->instances[0].id, Path::kInvalidId);
  EXPECT_EQ(decoded->instances[0].resources.size(), 2u);

  decoded = decodeTlv(Path(3), {}, deviceShapes());
  ASSERT_TRUE(decoded);
  EXPECT_TRUE(decoded->instances.empty());
}

TEST(TlvFormat, InstanceWithoutIdEncodesAsBareResources) {
  Content content;
  content.path = Path(3);
  content.instances.push_back(
      InstanceData{Path::kInvalidId, {single(9, T::Integer, std::int64_t{100})}});
  auto encoded = encodeTlv(content);
  ASSERT_TRUE(encoded);
  EXPECT_EQ(*encoded, hex("C1 09 64"));
  auto decoded = decodeTlv(Path(3), *encoded, deviceShapes());
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, content);

  content.instances.push_back(InstanceData{1, {}});
  EXPECT_EQ(encodeTlv(content).error().code, CoapCode::InternalServerError);
}

TEST(TlvFormat, DecodedResourcesAreSortedById) {
  auto decoded = decodeTlv(Path(3, 0), hex("C1 0A 0F C1 09 64"), deviceShapes());
  ASSERT_TRUE(decoded);
  ASSERT_EQ(decoded->instances[0].resources.size(), 2u);
  EXPECT_EQ(decoded->instances[0].resources[0].id, 9);
  EXPECT_EQ(decoded->instances[0].resources[1].id, 10);
}

TEST(TlvFormat, UnknownResourceIsNotFound) {
  auto decoded = decodeTlv(Path(3, 0), hex("C1 09 64 C1 63 00"), deviceShapes());
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, CoapCode::NotFound);
  EXPECT_EQ(decoded.error().kind, ErrorKind::NotFound);
  EXPECT_NE(decoded.error().message.find("/3/0/99"), std::string::npos) << decoded.error().message;
  EXPECT_EQ(decodeTlv(Path(3, 0, 99, 1), hex("41 01 00"), deviceShapes()).error().code,
            CoapCode::NotFound);
}

TEST(TlvFormat, EncodeErrors) {
  Content root;
  EXPECT_EQ(encodeTlv(root).error().code, CoapCode::NotAcceptable);
  Content missing;
  missing.path = Path(3, 0, 9);
  EXPECT_EQ(encodeTlv(missing).error().code, CoapCode::InternalServerError);
  auto noValue = resourceContent(3, 0, ResourceData{9, T::Integer, false, std::nullopt, {}});
  EXPECT_EQ(encodeTlv(noValue).error().code, CoapCode::InternalServerError);
  auto mistyped = resourceContent(3, 0, single(9, T::Integer, std::string("x")));
  EXPECT_EQ(encodeTlv(mistyped).error().code, CoapCode::InternalServerError);
  Content instanceMissing = resourceContent(3, 0, multiple(6, T::Integer, {}));
  instanceMissing.path = Path(3, 0, 6, 4);
  EXPECT_EQ(encodeTlv(instanceMissing).error().code, CoapCode::InternalServerError);
}

struct MalformedTlv {
  std::string name;
  Path path;
  std::string_view bytes;
  std::string_view expect;  // part of the message
};

void PrintTo(const MalformedTlv& param, std::ostream* os) {
  *os << param.name;
}

class TlvMalformed : public ::testing::TestWithParam<MalformedTlv> {};

TEST_P(TlvMalformed, IsBadRequest) {
  const auto& param = GetParam();
  auto decoded = decodeTlv(param.path, hex(param.bytes), deviceShapes());
  ASSERT_FALSE(decoded) << param.name;
  EXPECT_EQ(decoded.error().code, CoapCode::BadRequest) << decoded.error().message;
  EXPECT_NE(decoded.error().message.find(param.expect), std::string::npos)
      << param.name << ": " << decoded.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Table, TlvMalformed,
    ::testing::Values(
        MalformedTlv{"TypeOnly", Path(3, 0), "C8", "header at byte 0 is truncated"},
        MalformedTlv{"ShortSixteenBitId", Path(3, 0), "E1 00", "header at byte 0 is truncated"},
        MalformedTlv{"MissingLengthByte", Path(3, 0), "C8 00", "header at byte 0 is truncated"},
        MalformedTlv{"MissingLengthBytes", Path(3, 0), "C1 09 64 D8 00 00 01",
                     "header at byte 3 is truncated"},
        MalformedTlv{"LengthPastEnd", Path(3, 0), "C8 00 14 4F 70",
                     "value at byte 0 needs 20 bytes but only 2 remain"},
        MalformedTlv{"ShortLengthPastEnd", Path(3, 0, 9), "C2 09 64", "needs 2 bytes"},
        MalformedTlv{"NestedLengthPastEnd", Path(3, 0), "86 06 41 00 01 42 01 05",
                     "value at byte 5 needs 2 bytes but only 1 remain"},
        MalformedTlv{"ReservedId", Path(3, 0), "E1 FF FF 00", "id 65535"},
        MalformedTlv{"DuplicateResource", Path(3, 0), "C1 09 64 C1 09 63",
                     "duplicate resource /3/0/9 at byte 3"},
        MalformedTlv{"DuplicateResourceInstance", Path(3, 0, 6), "86 06 41 00 01 41 00 05",
                     "duplicate resource instance /3/0/6/0 at byte 5"},
        MalformedTlv{"DuplicateObjectInstance", Path(3), "08 00 03 C1 09 64 08 00 03 C1 09 64",
                     "duplicate object instance /3/0"},
        MalformedTlv{"ResourceInstanceAtTop", Path(3, 0), "41 00 01",
                     "a Resource Instance TLV (id 0) at byte 0 where a resource belongs"},
        MalformedTlv{"ObjectInstanceInObjectInstance", Path(3), "08 00 03 08 01 00",
                     "an Object Instance TLV (id 1) at byte 3"},
        MalformedTlv{"ValueInMultiple", Path(3, 0, 6), "83 06 C1 00 01",
                     "a Resource with Value TLV (id 0) at byte 2 where a resource instance"},
        MalformedTlv{"MultipleForSingle", Path(3, 0), "83 09 41 00 01",
                     "/3/0/9 at byte 0 is a single resource but the TLV is a Multiple"},
        MalformedTlv{"SingleForMultiple", Path(3, 0), "C1 06 01",
                     "/3/0/6 at byte 0 is a multiple resource"},
        MalformedTlv{"MixedObjectLevel", Path(3), "08 00 00 C1 09 64",
                     "where an object instance belongs"},
        MalformedTlv{"TwoInstanceWrappers", Path(3, 0), "08 00 00 08 01 00",
                     "at byte 3 where nothing"},
        MalformedTlv{"WrapperIdMismatch", Path(3, 0), "08 01 03 C1 09 64",
                     "Object Instance TLV has id 1 but the request is for /3/0"},
        MalformedTlv{"IntegerThreeBytes", Path(3, 0, 9), "C3 09 00 00 64",
                     "/3/0/9 at byte 0 is Integer with 3 bytes; expected 1, 2, 4 or 8"},
        MalformedTlv{"IntegerEmpty", Path(3, 0, 9), "C0 09", "Integer with 0 bytes"},
        MalformedTlv{"TimeFiveBytes", Path(3, 0, 13), "C5 0D 00 51 82 42 8F", "Time with 5 bytes"},
        MalformedTlv{"InvalidUtf8", Path(3, 0, 0), "C2 00 C3 28", "not valid UTF-8"},
        MalformedTlv{"Executable", Path(3, 0), "C0 04", "executable"},
        MalformedTlv{"EmptyAtResource", Path(3, 0, 9), "", "needs exactly one TLV"},
        MalformedTlv{"TwoAtResource", Path(3, 0, 9), "C1 09 64 C1 09 64", "has 2"},
        MalformedTlv{"ResourceIdMismatch", Path(3, 0, 9), "C1 0A 64",
                     "has id 10 but the request is for /3/0/9"},
        MalformedTlv{"ValueAtResourceInstance", Path(3, 0, 6, 0), "C1 00 01",
                     "where a resource instance belongs"},
        MalformedTlv{"InstanceOfSingle", Path(3, 0, 9, 0), "41 00 01",
                     "/3/0/9/0 is not a multiple resource"},
        MalformedTlv{"Root", Path(), "C1 09 64", "at least an object"}));

class TlvTypedMalformed : public ::testing::TestWithParam<std::pair<T, std::string_view>> {};

TEST_P(TlvTypedMalformed, WrongValueSizeOrContent) {
  const auto [type, value] = GetParam();
  const auto rid = ridFor(type);
  const auto v = hex(value);
  std::vector<std::uint8_t> bytes{static_cast<std::uint8_t>(0xC0 | v.size()),
                                  static_cast<std::uint8_t>(rid)};
  bytes.insert(bytes.end(), v.begin(), v.end());
  auto decoded = decodeTlv(Path(kTypesObject, 0, rid), bytes, typesShapes());
  ASSERT_FALSE(decoded) << toString(type) << " " << value;
  EXPECT_EQ(decoded.error().code, CoapCode::BadRequest);
}

INSTANTIATE_TEST_SUITE_P(
    Table, TlvTypedMalformed,
    ::testing::Values(std::pair{T::Float, "00 00"}, std::pair{T::Float, "00 00 00 00 00"},
                      std::pair{T::Float, ""}, std::pair{T::Boolean, "02"},
                      std::pair{T::Boolean, "FF"}, std::pair{T::Boolean, "00 01"},
                      std::pair{T::Boolean, ""}, std::pair{T::Objlnk, "00 03 00"},
                      std::pair{T::Objlnk, "00 03 00 00 00"},
                      std::pair{T::UnsignedInteger, "00 00 00"}, std::pair{T::UnsignedInteger, ""},
                      std::pair{T::Corelnk, "FF"}, std::pair{T::String, "ED A0 80"}));

TEST(TlvFormat, ViaContentFormatAndLegacyNumber) {
  for (auto format : {ContentFormat::LwM2MTlv, ContentFormat::LegacyTlv}) {
    auto decoded = decodeContent(format, Path(3, 0), hex(kDeviceInstanceTlv), deviceShapes());
    ASSERT_TRUE(decoded);
    auto encoded = encodeContent(format, *decoded);
    ASSERT_TRUE(encoded);
    EXPECT_EQ(*encoded, hex(kDeviceInstanceTlv));
  }
}

}  // namespace
}  // namespace lwm2md
