#include "io/cbor.hpp"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <limits>
#include <string>

#include "io_test_support.hpp"

namespace lwm2md {
namespace {

using namespace lwm2md::test;

std::vector<std::uint8_t> floatBytes(double value) {
  CborWriter out;
  out.floating(value);
  return out.take();
}

TEST(Cbor, FloatsTakeTheShortestFormThatKeepsTheValue) {
  EXPECT_EQ(floatBytes(1.5), hex("f9 3e 00"));
  EXPECT_EQ(floatBytes(3.0), hex("f9 42 00"));
  EXPECT_EQ(floatBytes(65504.0), hex("f9 7b ff"));               // largest half
  EXPECT_EQ(floatBytes(std::ldexp(1.0, -14)), hex("f9 04 00"));  // smallest normal half
  EXPECT_EQ(floatBytes(std::ldexp(1.0, -24)), hex("f9 00 01"));  // smallest subnormal half
  EXPECT_EQ(floatBytes(-0.0), hex("f9 80 00"));
  EXPECT_EQ(floatBytes(std::numeric_limits<double>::infinity()), hex("f9 7c 00"));
  EXPECT_EQ(floatBytes(-std::numeric_limits<double>::infinity()), hex("f9 fc 00"));
  EXPECT_EQ(floatBytes(std::nan("")), hex("f9 7e 00"));
  EXPECT_EQ(floatBytes(100000.0), hex("fa 47 c3 50 00"));
  EXPECT_EQ(floatBytes(static_cast<double>(FLT_MAX)), hex("fa 7f 7f ff ff"));
  EXPECT_EQ(floatBytes(std::ldexp(1.0, -25)), hex("fa 33 00 00 00"));  // below half's reach
  EXPECT_EQ(floatBytes(0.1), hex("fb 3f b9 99 99 99 99 99 9a"));
  EXPECT_EQ(floatBytes(1e300), hex("fb 7e 37 e4 3c 88 00 75 9c"));
}

TEST(Cbor, IntegersAndStringsUseTheShortestHead) {
  CborWriter out;
  out.integer(23);
  out.integer(24);
  out.integer(-1);
  out.integer(-25);
  out.integer(256);
  out.integer(65536);
  out.integer(std::numeric_limits<std::int64_t>::min());
  out.unsignedInteger(std::numeric_limits<std::uint64_t>::max());
  out.text("a");
  out.bytes(hex("01 02"));
  out.boolean(false);
  EXPECT_EQ(out.data(), hex("17 18 18 20 38 18 19 01 00 1a 00 01 00 00"
                            "3b 7f ff ff ff ff ff ff ff 1b ff ff ff ff ff ff ff ff"
                            "61 61 42 01 02 f4"));
  CborWriter longText;
  longText.text(std::string(24, 'a'));
  EXPECT_EQ(longText.data().size(), 26u);
  EXPECT_EQ(longText.data()[0], 0x78);
  EXPECT_EQ(longText.data()[1], 24);
}

TEST(Cbor, ReadsEveryFloatWidth) {
  auto half = parseCbor(hex("83 f9 3c 00 f9 00 01 f9 fc 00"), "test");
  ASSERT_TRUE(half) << half.error().message;
  ASSERT_EQ(half->items.size(), 3u);
  EXPECT_EQ(half->items[0].real, 1.0);
  EXPECT_EQ(half->items[1].real, std::ldexp(1.0, -24));
  EXPECT_EQ(half->items[2].real, -std::numeric_limits<double>::infinity());
  auto nan = parseCbor(hex("f9 7e 00"), "test");
  ASSERT_TRUE(nan);
  EXPECT_TRUE(std::isnan(nan->real));
  auto single = parseCbor(hex("fa 47 c3 50 00"), "test");
  ASSERT_TRUE(single);
  EXPECT_EQ(single->real, 100000.0);
  auto dbl = parseCbor(hex("fb 3f b9 99 99 99 99 99 9a"), "test");
  ASSERT_TRUE(dbl);
  EXPECT_EQ(dbl->real, 0.1);
}

TEST(Cbor, WriterOutputReadsBack) {
  for (double v : {0.0, 1.5, -2.75, 0.1, 1e300, 65504.0, 65505.0, 1e-300, 123456.789,
                   std::ldexp(1.0, -20), -std::ldexp(3.0, -24)}) {
    auto parsed = parseCbor(floatBytes(v), "test");
    ASSERT_TRUE(parsed) << v;
    EXPECT_EQ(parsed->type, CborItem::Type::Float);
    EXPECT_EQ(parsed->real, v);
    EXPECT_EQ(std::signbit(parsed->real), std::signbit(v));
  }
}

TEST(Cbor, IndefiniteLengthsAreAccepted) {
  auto parsed = parseCbor(hex("9f bf 00 7f 62 61 62 61 63 ff ff 5f 41 01 41 02 ff ff"), "test");
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->items.size(), 2u);
  ASSERT_EQ(parsed->items[0].items.size(), 2u);
  EXPECT_EQ(parsed->items[0].items[1].text, "abc");
  EXPECT_EQ(parsed->items[1].bytes, hex("01 02"));
}

/// `depth` one-element arrays around an empty one: "81 81 ... 80".
std::string nested(int depth) {
  std::string out;
  for (int i = 0; i < depth; ++i) out += "81 ";
  return out + "80";
}

TEST(Cbor, MalformedInputNamesTheByte) {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"", "test: invalid CBOR at byte 0: unexpected end of data"},
      {"80 00", "invalid CBOR at byte 1: 1 bytes follow the data item"},
      {"19 01", "invalid CBOR at byte 0: truncated head"},
      {"1c", "invalid CBOR at byte 0: reserved additional information 28"},
      {"1f", "invalid CBOR at byte 0: an integer cannot have indefinite length"},
      {"82 01", "invalid CBOR at byte 2: unexpected end of data"},
      {"63 61", "invalid CBOR at byte 0: string of 3 bytes but only 1 remain"},
      {"7f 61 61", "invalid CBOR at byte 0: indefinite-length string lacks its break"},
      {"7f 41 61 ff",
       "invalid CBOR at byte 1: a chunk of an indefinite-length string has the "
       "wrong type"},
      {"61 ff", "invalid CBOR at byte 0: text string is not valid UTF-8"},
      {"c1 00", "invalid CBOR at byte 0: tag 1 is not supported"},
      {"f0", "invalid CBOR at byte 0: simple value 16 is not supported"},
      {"f8 20", "simple value 24 is not supported"},
      {"ff", "invalid CBOR at byte 0: unexpected break"},
      {"bf 00 ff", "invalid CBOR at byte 2: unexpected break"},
      {"9f 01", "invalid CBOR at byte 2: unexpected end of data"},
      {nested(20), "nesting deeper than 16"},
      {"9b ff ff ff ff ff ff ff ff", "invalid CBOR at byte 9: unexpected end of data"},
  };
  for (const auto& [input, message] : table) {
    auto parsed = parseCbor(hex(input), "test");
    ASSERT_FALSE(parsed) << input;
    EXPECT_EQ(parsed.error().code, CoapCode::BadRequest);
    EXPECT_NE(parsed.error().message.find(message), std::string::npos)
        << input << "\n  got: " << parsed.error().message << "\n want: " << message;
  }
}

}  // namespace
}  // namespace lwm2md
