#include "io/text_format.hpp"

#include <gtest/gtest.h>

#include <ostream>

#include <cmath>
#include <limits>

#include "io/base64.hpp"
#include "io/content_format.hpp"
#include "io/utf8.hpp"
#include "io_test_support.hpp"

namespace lwm2md {
namespace {

using namespace lwm2md::test;

struct TextCase {
  ResourceType type;
  Value value;
  std::string text;
};

void PrintTo(const TextCase& param, std::ostream* os) {
  *os << toString(param.type) << " " << describe(param.value);
}

class TextRoundTrip : public ::testing::TestWithParam<TextCase> {};

TEST_P(TextRoundTrip, EncodesAndDecodesSingleResource) {
  const auto& param = GetParam();
  const auto content =
      resourceContent(kTypesObject, 0, single(ridFor(param.type), param.type, param.value));
  auto encoded = encodeText(content);
  ASSERT_TRUE(encoded) << encoded.error().message;
  EXPECT_EQ(std::string(encoded->begin(), encoded->end()), param.text);

  auto decoded = decodeText(content.path, bytesOf(param.text), typesShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, content);
}

TEST_P(TextRoundTrip, EncodesAndDecodesResourceInstance) {
  const auto& param = GetParam();
  Content content = resourceContent(
      kTypesObject, 0, multiple(ridFor(param.type, true), param.type, {{7, param.value}}));
  content.path = content.path.child(7);
  auto encoded = encodeText(content);
  ASSERT_TRUE(encoded) << encoded.error().message;
  EXPECT_EQ(std::string(encoded->begin(), encoded->end()), param.text);
  auto decoded = decodeText(content.path, bytesOf(param.text), typesShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, content);
}

INSTANTIATE_TEST_SUITE_P(
    EveryType, TextRoundTrip,
    ::testing::Values(
        TextCase{ResourceType::String, std::string("Open Mobile Alliance"), "Open Mobile Alliance"},
        TextCase{ResourceType::String, std::string("h\xC3\xA9llo \xE2\x82\xAC"),
                 "h\xC3\xA9llo \xE2\x82\xAC"},
        TextCase{ResourceType::String, std::string(), ""},
        TextCase{ResourceType::Integer, std::int64_t{-42}, "-42"},
        TextCase{ResourceType::Integer, std::numeric_limits<std::int64_t>::min(),
                 "-9223372036854775808"},
        TextCase{ResourceType::Integer, std::numeric_limits<std::int64_t>::max(),
                 "9223372036854775807"},
        TextCase{ResourceType::UnsignedInteger, std::numeric_limits<std::uint64_t>::max(),
                 "18446744073709551615"},
        TextCase{ResourceType::UnsignedInteger, std::uint64_t{0}, "0"},
        TextCase{ResourceType::Float, 21.5, "21.5"}, TextCase{ResourceType::Float, 0.1, "0.1"},
        TextCase{ResourceType::Float, 1.0 / 3.0, "0.3333333333333333"},
        TextCase{ResourceType::Float, 1e21, "1e+21"},
        TextCase{ResourceType::Float, -1.5e-300, "-1.5e-300"},
        TextCase{ResourceType::Boolean, true, "1"}, TextCase{ResourceType::Boolean, false, "0"},
        TextCase{ResourceType::Opaque, Opaque{0x00, 0x01, 0x02, 0xFF}, "AAEC/w=="},
        TextCase{ResourceType::Opaque, Opaque{0xFB, 0xFF}, "+/8="},
        TextCase{ResourceType::Opaque, Opaque{}, ""},
        TextCase{ResourceType::Time, std::int64_t{1367491215}, "1367491215"},
        TextCase{ResourceType::Objlnk, Objlnk{3, 0}, "3:0"},
        TextCase{ResourceType::Objlnk, Objlnk{65535, 65535}, "65535:65535"},
        TextCase{ResourceType::Corelnk, std::string("</3/0>;ver=1.1"), "</3/0>;ver=1.1"}));

TEST(TextFormat, NegativeZeroKeepsItsSign) {
  const auto content = resourceContent(
      kTypesObject, 0, single(ridFor(ResourceType::Float), ResourceType::Float, -0.0));
  auto encoded = encodeText(content);
  ASSERT_TRUE(encoded);
  EXPECT_EQ(std::string(encoded->begin(), encoded->end()), "-0");
  auto decoded = decodeText(content.path, bytesOf("-0.0"), typesShapes());
  ASSERT_TRUE(decoded);
  const double v = std::get<double>(*decoded->instances[0].resources[0].value);
  EXPECT_EQ(v, 0.0);
  EXPECT_TRUE(std::signbit(v));
}

TEST(TextFormat, AcceptsExponentAndLeadingDotFloats) {
  const Path path(kTypesObject, 0, ridFor(ResourceType::Float));
  for (auto [text, expected] : {std::pair{"1.5e10", 1.5e10}, {"-.5", -0.5}, {"7", 7.0}}) {
    auto decoded = decodeText(path, bytesOf(text), typesShapes());
    ASSERT_TRUE(decoded) << text;
    EXPECT_EQ(std::get<double>(*decoded->instances[0].resources[0].value), expected) << text;
  }
}

TEST(TextFormat, RefusesToEncodeNonFiniteFloats) {
  for (double v : {std::nan(""), std::numeric_limits<double>::infinity(),
                   -std::numeric_limits<double>::infinity()}) {
    auto encoded = encodeText(resourceContent(
        kTypesObject, 0, single(ridFor(ResourceType::Float), ResourceType::Float, v)));
    ASSERT_FALSE(encoded);
    EXPECT_EQ(encoded.error().code, CoapCode::NotAcceptable);
  }
}

TEST(TextFormat, OnlySingleValuesCanBeText) {
  Content instance;
  instance.path = Path(3, 0);
  instance.instances.push_back(
      InstanceData{0, {single(9, ResourceType::Integer, std::int64_t{100})}});
  auto encoded = encodeText(instance);
  ASSERT_FALSE(encoded);
  EXPECT_EQ(encoded.error().code, CoapCode::NotAcceptable);
  EXPECT_NE(encoded.error().message.find("/3/0"), std::string::npos);

  auto multi = resourceContent(3, 0, multiple(6, ResourceType::Integer, {{0, std::int64_t{1}}}));
  encoded = encodeText(multi);
  ASSERT_FALSE(encoded);
  EXPECT_EQ(encoded.error().code, CoapCode::NotAcceptable);

  Content object;
  object.path = Path(3);
  EXPECT_EQ(encodeText(object).error().code, CoapCode::NotAcceptable);
}

TEST(TextFormat, EncodingMissingOrMistypedValueIsInternalError) {
  Content content;
  content.path = Path(3, 0, 9);
  EXPECT_EQ(encodeText(content).error().code, CoapCode::InternalServerError);
  auto mistyped = resourceContent(3, 0, single(9, ResourceType::Integer, std::string("x")));
  EXPECT_EQ(encodeText(mistyped).error().code, CoapCode::InternalServerError);
}

TEST(TextFormat, ErrorMessageNamesPayloadTypeAndPath) {
  const auto shapes = shapesOf({{5700, {ResourceType::Integer, false}}});
  auto decoded = decodeText(Path(3303, 0, 5700), bytesOf("12a"), shapes);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, CoapCode::BadRequest);
  EXPECT_EQ(decoded.error().message, "text/plain: '12a' is not an Integer for /3303/0/5700");
}

TEST(TextFormat, ErrorMessageEscapesAndTruncatesPayload) {
  std::string payload = "\x01\\" + std::string(100, 'x');
  auto decoded = decodeText(Path(kTypesObject, 0, ridFor(ResourceType::Integer)), bytesOf(payload),
                            typesShapes());
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().message.find("'\\x01\\x5cxxx"), std::string::npos)
      << decoded.error().message;
  EXPECT_NE(decoded.error().message.find("...'"), std::string::npos);
  EXPECT_LT(decoded.error().message.size(), 120u);
}

TEST(TextFormat, DecodeTargetErrors) {
  const auto shapes = deviceShapes();
  auto r = decodeText(Path(3, 0), bytesOf("1"), shapes);
  EXPECT_EQ(r.error().code, CoapCode::BadRequest);
  r = decodeText(Path(3, 0, 99), bytesOf("1"), shapes);
  EXPECT_EQ(r.error().code, CoapCode::NotFound);
  EXPECT_EQ(r.error().kind, ErrorKind::NotFound);
  r = decodeText(Path(3, 0, 4), bytesOf(""), shapes);  // executable
  EXPECT_EQ(r.error().code, CoapCode::BadRequest);
  r = decodeText(Path(3, 0, 6), bytesOf("1"), shapes);  // multiple resource as a whole
  EXPECT_EQ(r.error().code, CoapCode::BadRequest);
  r = decodeText(Path(3, 0, 9, 0), bytesOf("1"), shapes);  // instance of a single resource
  EXPECT_EQ(r.error().code, CoapCode::BadRequest);
  r = decodeText(Path(3, 0, 9), bytesOf("1"), ShapeLookup{});
  EXPECT_EQ(r.error().code, CoapCode::NotFound);
}

struct Malformed {
  ResourceType type;
  std::string text;
  std::string_view expect;  // part of the message
};

void PrintTo(const Malformed& param, std::ostream* os) {
  *os << toString(param.type) << " '" << param.text << "'";
}

class TextMalformed : public ::testing::TestWithParam<Malformed> {};

TEST_P(TextMalformed, IsBadRequest) {
  const auto& param = GetParam();
  const Path path(kTypesObject, 0, ridFor(param.type));
  auto decoded = decodeText(path, bytesOf(param.text), typesShapes());
  ASSERT_FALSE(decoded) << "accepted '" << param.text << "'";
  EXPECT_EQ(decoded.error().code, CoapCode::BadRequest);
  EXPECT_EQ(decoded.error().kind, ErrorKind::InvalidValue);
  EXPECT_NE(decoded.error().message.find(param.expect), std::string::npos)
      << decoded.error().message;
  EXPECT_NE(decoded.error().message.find(path.toString()), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Table, TextMalformed,
    ::testing::Values(Malformed{ResourceType::Integer, "", "is not an Integer"},
                      Malformed{ResourceType::Integer, " 1", "is not an Integer"},
                      Malformed{ResourceType::Integer, "1 ", "is not an Integer"},
                      Malformed{ResourceType::Integer, "+1", "is not an Integer"},
                      Malformed{ResourceType::Integer, "0x10", "is not an Integer"},
                      Malformed{ResourceType::Integer, "1.0", "is not an Integer"},
                      Malformed{ResourceType::Integer, "-", "is not an Integer"},
                      Malformed{ResourceType::Integer, "9223372036854775808", "out of range"},
                      Malformed{ResourceType::Integer, "-9223372036854775809", "out of range"},
                      Malformed{ResourceType::Time, "1.5", "is not a Time"},
                      Malformed{ResourceType::UnsignedInteger, "-1", "is not an Unsigned"},
                      Malformed{ResourceType::UnsignedInteger, "-0", "is not an Unsigned"},
                      Malformed{ResourceType::UnsignedInteger, "+5", "is not an Unsigned"},
                      Malformed{ResourceType::UnsignedInteger, "18446744073709551616",
                                "out of range"},
                      Malformed{ResourceType::Float, "nan", "is not a Float"},
                      Malformed{ResourceType::Float, "NaN", "is not a Float"},
                      Malformed{ResourceType::Float, "inf", "is not a Float"},
                      Malformed{ResourceType::Float, "-inf", "is not a Float"},
                      Malformed{ResourceType::Float, "infinity", "is not a Float"},
                      Malformed{ResourceType::Float, "1e400", "out of range"},
                      Malformed{ResourceType::Float, "", "is not a Float"},
                      Malformed{ResourceType::Float, "1.5x", "is not a Float"},
                      Malformed{ResourceType::Float, "0x1p3", "is not a Float"},
                      Malformed{ResourceType::Float, "+1.5", "is not a Float"},
                      Malformed{ResourceType::Float, "1,5", "is not a Float"},
                      Malformed{ResourceType::Boolean, "true", "is not a Boolean"},
                      Malformed{ResourceType::Boolean, "2", "is not a Boolean"},
                      Malformed{ResourceType::Boolean, "01", "is not a Boolean"},
                      Malformed{ResourceType::Boolean, "", "is not a Boolean"},
                      Malformed{ResourceType::Opaque, "AAE", "is not an Opaque"},
                      Malformed{ResourceType::Opaque, "AA=A", "is not an Opaque"},
                      Malformed{ResourceType::Opaque, "A===", "is not an Opaque"},
                      Malformed{ResourceType::Opaque, "AB==", "is not an Opaque"},
                      Malformed{ResourceType::Opaque, "AAA=AAAA", "is not an Opaque"},
                      Malformed{ResourceType::Opaque, "AA AA", "is not an Opaque"},
                      Malformed{ResourceType::Opaque, "AA-_", "is not an Opaque"},
                      Malformed{ResourceType::Objlnk, "3", "is not an Objlnk"},
                      Malformed{ResourceType::Objlnk, "3:", "is not an Objlnk"},
                      Malformed{ResourceType::Objlnk, ":0", "is not an Objlnk"},
                      Malformed{ResourceType::Objlnk, "3:0:1", "is not an Objlnk"},
                      Malformed{ResourceType::Objlnk, "3: 0", "is not an Objlnk"},
                      Malformed{ResourceType::Objlnk, "-1:0", "is not an Objlnk"},
                      Malformed{ResourceType::Objlnk, "65536:0", "out of range"},
                      Malformed{ResourceType::String, "\xC3\x28", "is not a String"},
                      Malformed{ResourceType::String, "\xED\xA0\x80", "is not a String"},
                      Malformed{ResourceType::String, "\xC0\x80", "is not a String"},
                      Malformed{ResourceType::String, "\xF4\x90\x80\x80", "is not a String"},
                      Malformed{ResourceType::String, "ab\xE2\x82", "is not a String"},
                      Malformed{ResourceType::Corelnk, "\xFF", "is not a Corelnk"}));

TEST(Base64, MatchesRfc4648Vectors) {
  const std::pair<std::string_view, std::string_view> vectors[] = {{"", ""},
                                                                   {"f", "Zg=="},
                                                                   {"fo", "Zm8="},
                                                                   {"foo", "Zm9v"},
                                                                   {"foob", "Zm9vYg=="},
                                                                   {"fooba", "Zm9vYmE="},
                                                                   {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : vectors) {
    EXPECT_EQ(encodeBase64(bytesOf(plain)), encoded);
    auto decoded = decodeBase64(encoded);
    ASSERT_TRUE(decoded) << encoded;
    EXPECT_EQ(std::string(decoded->begin(), decoded->end()), plain);
  }
}

TEST(Utf8, AcceptsBoundaryCodePoints) {
  EXPECT_TRUE(isValidUtf8("\x7F"));
  EXPECT_TRUE(isValidUtf8("\xC2\x80"));
  EXPECT_TRUE(isValidUtf8("\xEF\xBF\xBF"));
  EXPECT_TRUE(isValidUtf8("\xF4\x8F\xBF\xBF"));
  EXPECT_FALSE(isValidUtf8("\x80"));
  EXPECT_FALSE(isValidUtf8("\xE0\x9F\xBF"));  // overlong 3-byte
  EXPECT_FALSE(isValidUtf8("\xF8\x88\x80\x80\x80"));
}

TEST(TextFormat, ViaContentFormatAndLegacyNumber) {
  const Path path(3, 0, 9);
  for (auto format : {ContentFormat::TextPlain, ContentFormat::LegacyText}) {
    auto decoded = decodeContent(format, path, bytesOf("100"), deviceShapes());
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, resourceContent(3, 0, single(9, ResourceType::Integer, std::int64_t{100})));
    auto encoded = encodeContent(format, *decoded);
    ASSERT_TRUE(encoded);
    EXPECT_EQ(*encoded, bytesOf("100"));
  }
}

}  // namespace
}  // namespace lwm2md
