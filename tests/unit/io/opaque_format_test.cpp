#include "io/opaque_format.hpp"

#include <gtest/gtest.h>

#include "io/content_format.hpp"
#include "io_test_support.hpp"

namespace lwm2md {
namespace {

using namespace lwm2md::test;

const std::uint16_t kOpaque = ridFor(ResourceType::Opaque);
const std::uint16_t kOpaqueMulti = ridFor(ResourceType::Opaque, true);

TEST(OpaqueFormat, RoundTripsRawBytes) {
  const Opaque raw{0x00, 0xFF, 0x10, 0x0A, 0x0D};
  const auto content = resourceContent(kTypesObject, 1, single(kOpaque, ResourceType::Opaque, raw));
  auto encoded = encodeOpaque(content);
  ASSERT_TRUE(encoded) << encoded.error().message;
  EXPECT_EQ(*encoded, raw);
  auto decoded = decodeOpaque(content.path, raw, typesShapes());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, content);
}

TEST(OpaqueFormat, RoundTripsEmptyValueAndResourceInstance) {
  Content content = resourceContent(kTypesObject, 0,
                                    multiple(kOpaqueMulti, ResourceType::Opaque, {{3, Opaque{}}}));
  content.path = content.path.child(3);
  auto encoded = encodeOpaque(content);
  ASSERT_TRUE(encoded);
  EXPECT_TRUE(encoded->empty());
  auto decoded = decodeOpaque(content.path, {}, typesShapes());
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, content);
}

TEST(OpaqueFormat, EncodesOnlyOpaqueSingleValues) {
  auto integer = resourceContent(3, 0, single(9, ResourceType::Integer, std::int64_t{1}));
  auto r = encodeOpaque(integer);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, CoapCode::NotAcceptable);
  EXPECT_NE(r.error().message.find("Integer"), std::string::npos);

  Content instance;
  instance.path = Path(kTypesObject, 0);
  EXPECT_EQ(encodeOpaque(instance).error().code, CoapCode::NotAcceptable);

  auto multi = resourceContent(kTypesObject, 0, multiple(kOpaqueMulti, ResourceType::Opaque, {}));
  EXPECT_EQ(encodeOpaque(multi).error().code, CoapCode::NotAcceptable);
}

TEST(OpaqueFormat, DecodeRejectsWrongTargets) {
  const Opaque raw{1, 2};
  const auto shapes = typesShapes();
  struct Case {
    Path path;
    CoapCode code;
  };
  for (const auto& c :
       {Case{Path(kTypesObject, 0, ridFor(ResourceType::String)), CoapCode::BadRequest},
        Case{Path(kTypesObject, 0), CoapCode::BadRequest},
        Case{Path(kTypesObject), CoapCode::BadRequest},
        Case{Path(kTypesObject, 0, kOpaqueMulti), CoapCode::BadRequest},
        Case{Path(kTypesObject, 0, kOpaque, 0), CoapCode::BadRequest},
        Case{Path(kTypesObject, 0, 10), CoapCode::BadRequest},
        Case{Path(kTypesObject, 0, 555), CoapCode::NotFound}}) {
    auto r = decodeOpaque(c.path, raw, shapes);
    ASSERT_FALSE(r) << c.path.toString();
    EXPECT_EQ(r.error().code, c.code) << c.path.toString() << ": " << r.error().message;
  }
}

TEST(OpaqueFormat, ViaContentFormatAndLegacyNumber) {
  const Opaque raw{0xDE, 0xAD};
  const Path path(kTypesObject, 0, kOpaque);
  for (auto format : {ContentFormat::Opaque, ContentFormat::LegacyOpaque}) {
    auto decoded = decodeContent(format, path, raw, typesShapes());
    ASSERT_TRUE(decoded);
    auto encoded = encodeContent(format, *decoded);
    ASSERT_TRUE(encoded);
    EXPECT_EQ(*encoded, raw);
  }
}

}  // namespace
}  // namespace lwm2md
