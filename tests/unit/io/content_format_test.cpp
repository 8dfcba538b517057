#include "io/content_format.hpp"

#include <gtest/gtest.h>

#include "io_test_support.hpp"

namespace lwm2md {
namespace {

using namespace lwm2md::test;

TEST(ContentFormat, Names) {
  EXPECT_EQ(toString(ContentFormat::TextPlain), "text/plain");
  EXPECT_EQ(toString(ContentFormat::LinkFormat), "application/link-format");
  EXPECT_EQ(toString(ContentFormat::Opaque), "application/octet-stream");
  EXPECT_EQ(toString(ContentFormat::LwM2MTlv), "application/vnd.oma.lwm2m+tlv");
  EXPECT_EQ(toString(ContentFormat::LwM2MJson), "application/vnd.oma.lwm2m+json");
  EXPECT_EQ(toString(ContentFormat::SenmlJson), "application/senml+json");
  EXPECT_EQ(toString(ContentFormat::SenmlCbor), "application/senml+cbor");
  EXPECT_EQ(toString(ContentFormat::Cbor), "application/cbor");
  EXPECT_EQ(toString(static_cast<ContentFormat>(4711)), "unknown");
}

TEST(ContentFormat, UnsupportedFormatsAreRefusedWithAReason) {
  const auto content = resourceContent(3, 0, single(9, ResourceType::Integer, std::int64_t{1}));
  for (auto format : {static_cast<ContentFormat>(50), static_cast<ContentFormat>(4711)}) {
    auto encoded = encodeContent(format, content);
    ASSERT_FALSE(encoded);
    EXPECT_EQ(encoded.error().code, CoapCode::NotAcceptable);
    EXPECT_NE(encoded.error().message.find(std::to_string(static_cast<unsigned>(format))),
              std::string::npos)
        << encoded.error().message;
    auto decoded = decodeContent(format, content.path, hex("01"), deviceShapes());
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().code, CoapCode::UnsupportedContentFormat);
    EXPECT_FALSE(decoded.error().message.empty());
  }
}

TEST(ContentFormat, LinkFormatIsNotAValueFormat) {
  const auto content = resourceContent(3, 0, single(9, ResourceType::Integer, std::int64_t{1}));
  EXPECT_EQ(encodeContent(ContentFormat::LinkFormat, content).error().code,
            CoapCode::NotAcceptable);
  EXPECT_EQ(
      decodeContent(ContentFormat::LinkFormat, content.path, bytesOf("</3/0>"), deviceShapes())
          .error()
          .code,
      CoapCode::UnsupportedContentFormat);
}

TEST(ContentFormat, DispatchesToEachCodec) {
  const auto content = resourceContent(3, 0, single(9, ResourceType::Integer, std::int64_t{100}));
  EXPECT_EQ(*encodeContent(ContentFormat::TextPlain, content), bytesOf("100"));
  EXPECT_EQ(*encodeContent(ContentFormat::LwM2MTlv, content), hex("C1 09 64"));
  EXPECT_EQ(*encodeContent(ContentFormat::LegacyTlv, content), hex("C1 09 64"));
  EXPECT_EQ(encodeContent(ContentFormat::Opaque, content).error().code, CoapCode::NotAcceptable);
  EXPECT_EQ(*encodeContent(ContentFormat::Cbor, content), hex("18 64"));
  EXPECT_EQ(*decodeContent(ContentFormat::Cbor, content.path, hex("18 64"), deviceShapes()),
            content);
  EXPECT_EQ(*encodeContent(ContentFormat::LwM2MJson, content),
            bytesOf(R"({"bn":"/3/0/9","e":[{"v":100}]})"));
  EXPECT_EQ(*encodeContent(ContentFormat::LegacyJson, content),
            bytesOf(R"({"bn":"/3/0/9","e":[{"v":100}]})"));
  EXPECT_EQ(*encodeContent(ContentFormat::SenmlJson, content),
            bytesOf(R"([{"bn":"/3/0/9","v":100}])"));
  EXPECT_EQ(*encodeContent(ContentFormat::SenmlCbor, content),
            hex("81 a2 21 66 2f 33 2f 30 2f 39 02 18 64"));
  for (auto format : {ContentFormat::LwM2MJson, ContentFormat::LegacyJson, ContentFormat::SenmlJson,
                      ContentFormat::SenmlCbor}) {
    auto decoded =
        decodeContent(format, content.path, *encodeContent(format, content), deviceShapes());
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(*decoded, content);
  }
}

}  // namespace
}  // namespace lwm2md
