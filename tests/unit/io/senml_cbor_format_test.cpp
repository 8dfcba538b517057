#include "io/senml_cbor_format.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "io/content_format.hpp"
#include "io_test_support.hpp"
#include "senml_test_data.hpp"

namespace lwm2md {
namespace {

using namespace lwm2md::test;
using T = ResourceType;

// LwM2M 1.1 TS Core §7.4.6, SenML CBOR example "Read on Object Instance /3/0" (TS 1.1.1
// p. 86), as quoted byte for byte in a public test suite (a Node.js LwM2M server's cbor test).
// Self-consistent: it is exactly the diagnostic notation printed beside it
// ([{-2:"/3/0/", 0:"0", 3:"Open Mobile Alliance"}, {0:"1", 3:"Lightweight M2M Client"}, ...,
// {0:"13", 2:1367491215}, {0:"14", 3:"+02:00"}, {0:"16", 3:"U"}]), the records of the SenML
// JSON example of §7.4.4; DecodesToTheSameContentAsTheJsonExample checks that.
constexpr std::string_view kDeviceInstanceCbor = R"(
  90 a3 21 65 2f 33 2f 30 2f 00 61 30 03 74 4f 70 65 6e 20 4d 6f 62 69 6c 65 20 41 6c 6c 69
  61 6e 63 65 a2 00 61 31 03 76 4c 69 67 68 74 77 65 69 67 68 74 20 4d 32 4d 20 43 6c 69 65
  6e 74 a2 00 61 32 03 69 33 34 35 30 30 30 31 32 33 a2 00 61 33 03 63 31 2e 30 a2 00 63 36
  2f 30 02 01 a2 00 63 36 2f 31 02 05 a2 00 63 37 2f 30 02 19 0e d8 a2 00 63 37 2f 31 02 19
  13 88 a2 00 63 38 2f 30 02 18 7d a2 00 63 38 2f 31 02 19 03 84 a2 00 61 39 02 18 64 a2 00
  62 31 30 02 0f a2 00 64 31 31 2f 30 02 00 a2 00 62 31 33 02 1a 51 82 42 8f a2 00 62 31 34
  03 66 2b 30 32 3a 30 30 a2 00 62 31 36 03 61 55)";

/// A CBOR text string (shorter than 24 bytes).
std::vector<std::uint8_t> tstr(std::string_view text) {
  std::vector<std::uint8_t> out;
  out.push_back(static_cast<std::uint8_t>(0x60 + text.size()));
  for (char c : text) out.push_back(static_cast<std::uint8_t>(c));
  return out;
}

std::vector<std::uint8_t> cat(std::initializer_list<std::vector<std::uint8_t>> parts) {
  std::vector<std::uint8_t> out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

TEST(SenmlCborFormat, TsExampleDeviceInstanceByteExact) {
  const Content content = tsDeviceContent();
  auto encoded = encodeSenmlCbor(content);
  ASSERT_TRUE(encoded) << encoded.error().message;
  EXPECT_EQ(*encoded, hex(kDeviceInstanceCbor));

  auto decoded = decodeSenmlCbor(Path(3, 0), hex(kDeviceInstanceCbor), deviceShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, content);
}

TEST(SenmlCborFormat, DecodesToTheSameContentAsTheJsonExample) {
  auto fromCbor = decodeSenmlCbor(Path(3, 0), hex(kDeviceInstanceCbor), deviceShapes());
  ASSERT_TRUE(fromCbor) << fromCbor.error().message;
  auto json = encodeContent(ContentFormat::SenmlJson, *fromCbor);
  ASSERT_TRUE(json) << json.error().message;
  const std::string text(json->begin(), json->end());
  EXPECT_TRUE(text.starts_with(R"([{"bn":"/3/0/","n":"0","vs":"Open Mobile Alliance"},)"));
  EXPECT_TRUE(text.ends_with(R"({"n":"13","v":1367491215},{"n":"14","vs":"+02:00"},)"
                             R"({"n":"16","vs":"U"}])"));
}

TEST(SenmlCborFormat, SingleResourceIsBaseNameOnly) {
  const auto content =
      resourceContent(3, 0, single(0, T::String, std::string("Open Mobile Alliance")));
  const auto expected =
      cat({hex("81 a2 21"), tstr("/3/0/0"), hex("03"), tstr("Open Mobile Alliance")});
  auto encoded = encodeSenmlCbor(content);
  ASSERT_TRUE(encoded) << encoded.error().message;
  EXPECT_EQ(*encoded, expected);
  auto decoded = decodeSenmlCbor(content.path, expected, deviceShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, content);
}

TEST(SenmlCborFormat, MultipleResourceAndResourceInstance) {
  Content content = resourceContent(
      3, 0, multiple(7, T::Integer, {{0, std::int64_t{3800}}, {1, std::int64_t{5000}}}));
  auto encoded = encodeSenmlCbor(content);
  ASSERT_TRUE(encoded) << encoded.error().message;
  EXPECT_EQ(*encoded, cat({hex("82 a3 21"), tstr("/3/0/7/"), hex("00"), tstr("0"),
                           hex("02 19 0e d8 a2 00"), tstr("1"), hex("02 19 13 88")}));
  auto decoded = decodeSenmlCbor(content.path, *encoded, deviceShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, content);

  content.path = Path(3, 0, 7, 1);
  encoded = encodeSenmlCbor(content);
  ASSERT_TRUE(encoded) << encoded.error().message;
  EXPECT_EQ(*encoded, cat({hex("81 a2 21"), tstr("/3/0/7/1"), hex("02 19 13 88")}));
}

TEST(SenmlCborFormat, SeveralInstancesAndObjlnkUseTheTextLabelVlo) {
  Content content;
  content.path = Path(kTypesObject);
  content.instances.push_back(
      InstanceData{1, {single(ridFor(T::Objlnk), T::Objlnk, Objlnk{66, 0})}});
  content.instances.push_back(
      InstanceData{2, {multiple(ridFor(T::Objlnk, true), T::Objlnk, {{4, Objlnk{3, 0}}})}});
  auto encoded = encodeSenmlCbor(content);
  ASSERT_TRUE(encoded) << encoded.error().message;
  EXPECT_EQ(*encoded, cat({hex("82 a3 21"), tstr("/9999/"), hex("00"), tstr("1/8"), tstr("vlo"),
                           tstr("66:0"), hex("a2 00"), tstr("2/108/4"), tstr("vlo"), tstr("3:0")}));
  auto decoded = decodeSenmlCbor(content.path, *encoded, typesShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, content);
}

TEST(SenmlCborFormat, ValueEncodings) {
  auto encode = [](ResourceData resource) {
    return encodeSenmlCbor(resourceContent(kTypesObject, 0, std::move(resource)));
  };
  const auto bn = [](std::uint16_t rid) {
    return cat({hex("81 a2 21"), tstr("/9999/0/" + std::to_string(rid))});
  };
  EXPECT_EQ(*encode(single(ridFor(T::Float), T::Float, 1.5)), cat({bn(4), hex("02 f9 3e 00")}));
  EXPECT_EQ(*encode(single(ridFor(T::Float), T::Float, 0.1)),
            cat({bn(4), hex("02 fb 3f b9 99 99 99 99 99 9a")}));
  EXPECT_EQ(*encode(single(ridFor(T::Integer), T::Integer, std::int64_t{-500})),
            cat({bn(2), hex("02 39 01 f3")}));
  EXPECT_EQ(*encode(single(ridFor(T::UnsignedInteger), T::UnsignedInteger,
                           std::numeric_limits<std::uint64_t>::max())),
            cat({bn(3), hex("02 1b ff ff ff ff ff ff ff ff")}));
  EXPECT_EQ(*encode(single(ridFor(T::Boolean), T::Boolean, true)), cat({bn(5), hex("04 f5")}));
  EXPECT_EQ(*encode(single(ridFor(T::Opaque), T::Opaque, Opaque{1, 2})),
            cat({bn(6), hex("08 42 01 02")}));
  EXPECT_EQ(*encode(single(ridFor(T::Corelnk), T::Corelnk, std::string("</1>"))),
            cat({bn(9), hex("03"), tstr("</1>")}));
}

TEST(SenmlCborFormat, EveryTypeRoundTrips) {
  Content content;
  content.path = Path(kTypesObject, 0);
  content.instances.push_back(allTypesInstance());
  auto encoded = encodeSenmlCbor(content);
  ASSERT_TRUE(encoded) << encoded.error().message;
  auto decoded = decodeSenmlCbor(content.path, *encoded, typesShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, content);
  // Non-finite floats have a CBOR form, unlike in JSON.
  const auto infinite = resourceContent(
      kTypesObject, 0, single(ridFor(T::Float), T::Float, std::numeric_limits<double>::infinity()));
  auto inf = encodeSenmlCbor(infinite);
  ASSERT_TRUE(inf) << inf.error().message;
  EXPECT_EQ(std::vector<std::uint8_t>(inf->end() - 3, inf->end()), hex("f9 7c 00"));
  // ... and back: what the encoder writes, the decoder reads.
  auto back = decodeSenmlCbor(infinite.path, *inf, typesShapes());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, infinite);
}

TEST(SenmlCborFormat, AcceptsAnyKeyOrderIndefiniteLengthsHalfFloatsAndIgnoredFields) {
  // [_ {_ 2: 95, 6: -5, "u_x": 1, 99: "?", -2: "/3/0/", 0: (_ "9")} ] with an unknown text
  // label that does not end in '_', an unknown integer label and a time.
  const auto payload = cat({hex("9f bf 02 18 5f 06 24"), tstr("ux"), hex("01 18 63"), tstr("?"),
                            hex("21"), tstr("/3/0/"), hex("00 7f"), tstr("9"), hex("ff ff ff")});
  auto decoded = decodeSenmlCbor(Path(3, 0), payload, deviceShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  ASSERT_EQ(decoded->instances.size(), 1u);
  EXPECT_EQ(decoded->instances[0].resources[0].value, Value{std::int64_t{95}});

  const auto half = cat({hex("81 a2 21"), tstr("/9999/0/4"), hex("02 f9 3e 00")});
  auto floating = decodeSenmlCbor(Path(kTypesObject, 0), half, typesShapes());
  ASSERT_TRUE(floating) << floating.error().message;
  EXPECT_EQ(floating->instances[0].resources[0].value, Value{1.5});

  const auto integral = cat({hex("81 a2 21"), tstr("/9999/0/2"), hex("02 f9 42 00")});
  auto integer = decodeSenmlCbor(Path(kTypesObject, 0), integral, typesShapes());
  ASSERT_TRUE(integer) << integer.error().message;
  EXPECT_EQ(integer->instances[0].resources[0].value, Value{std::int64_t{3}});
}

struct Malformed {
  Path path;
  std::vector<std::uint8_t> payload;
  std::string message;  // a substring the error must contain
};

TEST(SenmlCborFormat, MalformedInputIsRefusedWithAPreciseReason) {
  const Path instance(3, 0);
  const Path types(kTypesObject, 0);
  const auto rec = [](std::string_view bn, std::vector<std::uint8_t> rest) {
    return cat({hex("81 a2 21"), tstr(bn), rest});
  };
  const std::vector<Malformed> table = {
      {instance, {}, "SenML CBOR: invalid CBOR at byte 0: unexpected end of data"},
      {instance, hex("a0"), "SenML CBOR: the payload is not an array of records"},
      {instance, hex("81 01"), "SenML CBOR: record 0: is not a map (byte 1)"},
      {instance, hex("81 a1 00 63 61"), "invalid CBOR at byte 3: string of 3 bytes"},
      {instance, hex("80 00"), "invalid CBOR at byte 1: 1 bytes follow the data item"},
      {instance, hex("81 a1 00 61 ff"), "invalid CBOR at byte 3: text string is not valid UTF-8"},
      {instance, hex("c1 80"), "invalid CBOR at byte 0: tag 1 is not supported"},
      {instance, hex("81 a1 f5 01"),
       "record 0: key at byte 2 is neither an integer nor a text label"},
      {instance, cat({hex("81 a3 21"), tstr("/3/0/"), hex("00"), tstr("0"), hex("00"), tstr("1")}),
       "record 0: duplicate field 'n' (0)"},
      {instance, hex("81 a1 21 01"), "record 0: field 'bn' (-2) at byte 3 must be a text string"},
      {instance, rec("/3/0/9", hex("02 f6")),
       "record 0: field 'v' (2) at byte 11 must be a number"},
      {instance, rec("/3/0/9", hex("04 01")), "field 'vb' (4) at byte 11 must be true or false"},
      {instance, rec("/3/0/9", hex("08 61 61")), "field 'vd' (8) at byte 11 must be a byte string"},
      {instance, rec("/3/0/9", cat({tstr("vlo"), hex("01")})),
       "field 'vlo' at byte 14 must be a text string"},
      {instance, rec("/3/0/9", hex("24 01")), "record 0: field 'bv' (-5) is not supported"},
      {instance, rec("/3/0/9", cat({tstr("x_"), hex("01")})),
       "record 0: field 'x_' must be understood (RFC 8428 §4.4)"},
      {instance, cat({hex("81 a3 21"), tstr("/3/0/9"), hex("02 01 03"), tstr("1")}),
       "record 0: more than one value field ('v' and 'vs')"},
      {instance, rec("/3/0/9", cat({hex("03"), tstr("1")})),
       "record 0 (/3/0/9): field 'vs' holds a string, but the resource is an Integer"},
      {instance, rec("/3/0/9", hex("02 3b ff ff ff ff ff ff ff ff")),
       "record 0 (/3/0/9): -1.8446744073709552e+19 is out of range for an Integer"},
      {instance, rec("/3/0/9", hex("02 fb 3f b9 99 99 99 99 99 9a")),
       "record 0 (/3/0/9): 0.1 is not an Integer"},
      {instance, rec("/3/0/0", hex("08 41 00")),
       "record 0 (/3/0/0): field 'vd' holds data, but the resource is a String"},
      {instance, rec("/3/0/", cat({hex("03"), tstr("x")})),
       "record 0: name '/3/0/' is not an LwM2M path"},
      {instance, rec("/3/1/0", cat({hex("03"), tstr("x")})),
       "record 0 (/3/1/0): the name lies outside the request path /3/0"},
      {instance, rec("/3/0/6", hex("02 01")), "record 0 (/3/0/6): the resource is multiple"},
      {instance, cat({hex("82 a2 21"), tstr("/3/0/9"), hex("02 01 a1 02 02")}),
       "record 1 (/3/0/9): duplicate record for this resource"},
      {types, rec("/9999/0/3", hex("02 20")), "-1 is out of range for an Unsigned Integer"},
      {types, rec("/9999/0/6", cat({hex("03"), tstr("AA")})),
       "field 'vs' holds a string, but the resource is an Opaque"},
      {types, rec("/9999/0/8", cat({tstr("vlo"), tstr("1:2:3")})),
       "record 0 (/9999/0/8): field 'vlo' is not an object link"},
      {types, rec("/9999/0/5", hex("02 01")),
       "field 'v' holds a number, but the resource is a Boolean"},
  };
  for (const auto& row : table) {
    auto decoded = decodeSenmlCbor(row.path, row.payload,
                                   row.path.objectId() == 3 ? deviceShapes() : typesShapes());
    ASSERT_FALSE(decoded) << row.message;
    EXPECT_EQ(decoded.error().code, CoapCode::BadRequest) << row.message;
    EXPECT_NE(decoded.error().message.find(row.message), std::string::npos)
        << "  got: " << decoded.error().message << "\n want: " << row.message;
  }
}

TEST(SenmlCborFormat, UnknownResourceIsNotFound) {
  auto decoded = decodeSenmlCbor(Path(3, 0), cat({hex("81 a2 21"), tstr("/3/0/99"), hex("02 01")}),
                                 deviceShapes());
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, CoapCode::NotFound);
}

TEST(SenmlCborFormat, DispatchedThroughContentFormat) {
  const auto content = resourceContent(3, 0, single(9, T::Integer, std::int64_t{95}));
  auto encoded = encodeContent(ContentFormat::SenmlCbor, content);
  ASSERT_TRUE(encoded) << encoded.error().message;
  EXPECT_EQ(*encoded, cat({hex("81 a2 21"), tstr("/3/0/9"), hex("02 18 5f")}));
  auto decoded = decodeContent(ContentFormat::SenmlCbor, content.path, *encoded, deviceShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, content);
}

}  // namespace
}  // namespace lwm2md
