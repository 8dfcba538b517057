#include "io/cbor_format.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <ostream>
#include <string>

#include "io/content_format.hpp"
#include "io_test_support.hpp"

namespace lwm2md {
namespace {

using namespace lwm2md::test;
using T = ResourceType;

struct CborCase {
  ResourceType type;
  Value value;
  std::string bytes;  // hex
};

void PrintTo(const CborCase& param, std::ostream* os) {
  *os << toString(param.type) << " " << describe(param.value);
}

class CborValueRoundTrip : public ::testing::TestWithParam<CborCase> {};

TEST_P(CborValueRoundTrip, SingleResource) {
  const auto& param = GetParam();
  const auto content =
      resourceContent(kTypesObject, 0, single(ridFor(param.type), param.type, param.value));
  auto encoded = encodeCborValue(content);
  ASSERT_TRUE(encoded) << encoded.error().message;
  EXPECT_EQ(*encoded, hex(param.bytes));
  auto decoded = decodeCborValue(content.path, hex(param.bytes), typesShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, content);
}

TEST_P(CborValueRoundTrip, ResourceInstance) {
  const auto& param = GetParam();
  Content content = resourceContent(
      kTypesObject, 0, multiple(ridFor(param.type, true), param.type, {{3, param.value}}));
  content.path = content.path.child(3);
  auto encoded = encodeCborValue(content);
  ASSERT_TRUE(encoded) << encoded.error().message;
  EXPECT_EQ(*encoded, hex(param.bytes));
  auto decoded = decodeCborValue(content.path, hex(param.bytes), typesShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, content);
}

// Expected bytes worked out from RFC 8949 (§3.1 heads, §4.2.2 preferred floats, Appendix A).
INSTANTIATE_TEST_SUITE_P(
    EveryType, CborValueRoundTrip,
    ::testing::Values(
        CborCase{T::String, std::string("U"), "61 55"}, CborCase{T::String, std::string(""), "60"},
        CborCase{T::Integer, std::int64_t{0}, "00"},
        CborCase{T::Integer, std::int64_t{101}, "18 65"},
        CborCase{T::Integer, std::int64_t{1010}, "19 03 f2"},
        CborCase{T::Integer, std::int64_t{-500}, "39 01 f3"},
        CborCase{T::Integer, std::numeric_limits<std::int64_t>::min(),
                 "3b 7f ff ff ff ff ff ff ff"},
        CborCase{T::UnsignedInteger, std::uint64_t{18446744073709551615u},
                 "1b ff ff ff ff ff ff ff ff"},
        CborCase{T::Float, 1.5, "f9 3e 00"}, CborCase{T::Float, 100000.0, "fa 47 c3 50 00"},
        CborCase{T::Float, 0.1, "fb 3f b9 99 99 99 99 99 9a"},
        CborCase{T::Float, -4.1, "fb c0 10 66 66 66 66 66 66"}, CborCase{T::Boolean, true, "f5"},
        CborCase{T::Boolean, false, "f4"},
        CborCase{T::Opaque, Opaque{0x01, 0x02, 0xff}, "43 01 02 ff"},
        CborCase{T::Opaque, Opaque{}, "40"},
        CborCase{T::Time, std::int64_t{1367491215}, "1a 51 82 42 8f"},
        CborCase{T::Objlnk, Objlnk{3, 0}, "63 33 3a 30"},
        CborCase{T::Objlnk, Objlnk{65535, 65535}, "6b 36 35 35 33 35 3a 36 35 35 33 35"},
        CborCase{T::Corelnk, std::string("</3/0>"), "66 3c 2f 33 2f 30 3e"}));

TEST(CborValueFormat, EtsServerObjectValues) {
  // ETS int-211 reads /1/0/0, /1/0/6 and /1/0/7 of configuration C.3 in CBOR.
  auto shortId = resourceContent(1, 0, single(0, T::Integer, std::int64_t{1}));
  EXPECT_EQ(*encodeContent(ContentFormat::Cbor, shortId), hex("01"));
  auto notification = resourceContent(1, 0, single(6, T::Boolean, false));
  EXPECT_EQ(*encodeContent(ContentFormat::Cbor, notification), hex("f4"));
  auto binding = resourceContent(1, 0, single(7, T::String, std::string("U")));
  EXPECT_EQ(*encodeContent(ContentFormat::Cbor, binding), hex("61 55"));
}

TEST(CborValueFormat, LenientWhereTheValueIsClear) {
  const Path floatPath(kTypesObject, 0, ridFor(T::Float));
  // Any float width, and integers, for a Float.
  auto half = decodeCborValue(floatPath, hex("f9 3c 00"), typesShapes());
  ASSERT_TRUE(half) << half.error().message;
  EXPECT_EQ(half->instances[0].resources[0].value, Value{1.0});
  auto integer = decodeCborValue(floatPath, hex("38 63"), typesShapes());
  ASSERT_TRUE(integer) << integer.error().message;
  EXPECT_EQ(integer->instances[0].resources[0].value, Value{-100.0});
  // NaN and infinity: what the encoder writes, the decoder reads (as TLV does).
  auto nan = decodeCborValue(floatPath, hex("f9 7e 00"), typesShapes());
  ASSERT_TRUE(nan) << nan.error().message;
  EXPECT_TRUE(std::isnan(std::get<double>(*nan->instances[0].resources[0].value)));
  auto infinite = decodeCborValue(floatPath, hex("fa 7f 80 00 00"), typesShapes());
  ASSERT_TRUE(infinite) << infinite.error().message;
  EXPECT_EQ(infinite->instances[0].resources[0].value,
            Value{std::numeric_limits<double>::infinity()});
  EXPECT_EQ(
      *decodeCborValue(floatPath, *encodeContent(ContentFormat::Cbor, *infinite), typesShapes()),
      *infinite);
  // Epoch tag 1 on a Time (RFC 8949 §3.4.2).
  const Path timePath(kTypesObject, 0, ridFor(T::Time));
  auto tagged = decodeCborValue(timePath, hex("c1 1a 51 82 42 8f"), typesShapes());
  ASSERT_TRUE(tagged) << tagged.error().message;
  EXPECT_EQ(tagged->instances[0].resources[0].value, Value{std::int64_t{1367491215}});
  // Indefinite-length strings are still one text string.
  const Path stringPath(kTypesObject, 0, ridFor(T::String));
  auto chunked = decodeCborValue(stringPath, hex("7f 61 61 61 62 ff"), typesShapes());
  ASSERT_TRUE(chunked) << chunked.error().message;
  EXPECT_EQ(chunked->instances[0].resources[0].value, Value{std::string("ab")});
}

TEST(CborValueFormat, MalformedOrMistypedInputIsABadRequestNamingThePath) {
  struct Bad {
    ResourceType type;
    const char* bytes;
    const char* why;  // a piece of the message
  };
  for (const Bad& bad : {
           Bad{T::Integer, "", "end of data"},
           Bad{T::Integer, "61 31", "text string"},
           Bad{T::Integer, "f9 3c 00", "float"},
           Bad{T::Integer, "1b 80 00 00 00 00 00 00 00", "out of range"},
           Bad{T::Integer, "3b 80 00 00 00 00 00 00 00", "out of range"},
           Bad{T::Integer, "01 01", "follow"},
           Bad{T::Integer, "c1 01", "tag"},
           Bad{T::Time, "c1 c1 01", "tag"},
           Bad{T::UnsignedInteger, "20", "out of range"},
           Bad{T::Float, "f5", "boolean"},
           Bad{T::Boolean, "01", "true or false"},
           Bad{T::Boolean, "f6", "null"},
           Bad{T::String, "41 55", "byte string"},
           Bad{T::String, "62 c3 28", "UTF-8"},
           Bad{T::Opaque, "61 55", "byte string"},
           Bad{T::Objlnk, "63 33 2d 30", "object link"},
           Bad{T::Objlnk, "67 37 30 30 30 30 3a 30", "object link"},
           Bad{T::Corelnk, "81 61 55", "array"},
           Bad{T::String, "ff", "break"},
       }) {
    const Path path(kTypesObject, 0, ridFor(bad.type));
    auto decoded = decodeCborValue(path, hex(bad.bytes), typesShapes());
    ASSERT_FALSE(decoded) << bad.bytes;
    EXPECT_EQ(decoded.error().code, CoapCode::BadRequest) << bad.bytes;
    EXPECT_NE(decoded.error().message.find(bad.why), std::string::npos)
        << bad.bytes << ": " << decoded.error().message;
    EXPECT_NE(decoded.error().message.find("application/cbor"), std::string::npos);
  }
}

TEST(CborValueFormat, OnlySingleValuesHaveAPlace) {
  // An instance or a whole multiple resource cannot be one CBOR value: 4.06 for a read...
  Content instance;
  instance.path = Path(1, 0);
  instance.instances.push_back(InstanceData{0, {single(0, T::Integer, std::int64_t{1})}});
  EXPECT_EQ(encodeCborValue(instance).error().code, CoapCode::NotAcceptable);
  auto multi = resourceContent(
      kTypesObject, 0, multiple(ridFor(T::Integer, true), T::Integer, {{0, std::int64_t{1}}}));
  EXPECT_EQ(encodeCborValue(multi).error().code, CoapCode::NotAcceptable);
  // ... and 4.00 for a write; 4.04 for a resource the object does not define.
  EXPECT_EQ(decodeCborValue(Path(kTypesObject, 0), hex("01"), typesShapes()).error().code,
            CoapCode::BadRequest);
  EXPECT_EQ(
      decodeCborValue(Path(kTypesObject, 0, ridFor(T::Integer, true)), hex("01"), typesShapes())
          .error()
          .code,
      CoapCode::BadRequest);
  EXPECT_EQ(decodeCborValue(Path(kTypesObject, 0, ridFor(T::Integer), 0), hex("01"), typesShapes())
                .error()
                .code,
            CoapCode::BadRequest);
  EXPECT_EQ(decodeCborValue(Path(kTypesObject, 0, 10), hex("01"), typesShapes()).error().code,
            CoapCode::BadRequest);  // executable
  auto unknown = decodeCborValue(Path(kTypesObject, 0, 4242), hex("01"), typesShapes());
  EXPECT_EQ(unknown.error().code, CoapCode::NotFound);
}

TEST(CborValueFormat, DispatchedThroughContentFormat) {
  const auto content = resourceContent(3, 0, single(13, T::Time, std::int64_t{-1}));
  EXPECT_EQ(*encodeContent(ContentFormat::Cbor, content), hex("20"));
  auto decoded = decodeContent(ContentFormat::Cbor, content.path, hex("20"), deviceShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, content);
}

}  // namespace
}  // namespace lwm2md
