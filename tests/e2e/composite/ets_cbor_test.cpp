// ETS cases in the CBOR (60) single-value format: int-211 (querying basic information) and
// int-212 (setting basic information), configuration C.3. Payloads are built and checked as
// raw bytes, not with the daemon's codec.
#include "composite_fixture.hpp"

namespace lwm2md::test {
namespace {

using Bytes = std::vector<uint8_t>;

class EtsCbor : public CompositeFixture {
 protected:
  Bytes readCbor(const std::string& path) {
    Response r = read(path, kCbor);
    EXPECT_CODE(r, code::kContent);
    EXPECT_EQ(r.contentFormat, kCbor) << path;
    return r.payload;
  }
};

TEST_F(EtsCbor, Int211_QueryingBasicInformationInCborFormat) {
  EXPECT_EQ(readCbor("/1/0/0"), (Bytes{0x01}));                          // Short Server ID 1
  EXPECT_EQ(readCbor("/1/0/1"), (Bytes{0x1a, 0x00, 0x01, 0x51, 0x80}));  // lifetime 86400
  // Notification Storing: whatever the daemon holds, as a CBOR simple value.
  EXPECT_EQ(readCbor("/1/0/6"), (Bytes{readText("/1/0/6") == "1" ? uint8_t{0xf5} : uint8_t{0xf4}}));
  EXPECT_EQ(readCbor("/1/0/7"), (Bytes{0x61, 'U'}));  // Binding "U"
  Bytes manufacturer = {0x74};                        // a text string of 20 bytes
  for (char c : std::string("Open Mobile Alliance"))
    manufacturer.push_back(static_cast<uint8_t>(c));
  EXPECT_EQ(readCbor("/3/0/0"), manufacturer);
  EXPECT_EQ(readCbor("/3/0/11/0"), (Bytes{0x00}));  // a resource instance: Error Code 0

  // One value only: an instance or a multiple resource cannot be CBOR (60).
  EXPECT_CODE(read("/1/0", kCbor), code::kNotAcceptable);
  EXPECT_CODE(read("/3/0/11", kCbor), code::kNotAcceptable);
}

TEST_F(EtsCbor, Int212_SettingBasicInformationInCborFormat) {
  EXPECT_CODE(send(Method::Put, "/1/0/2", kCbor, {0x18, 0x65}), code::kChanged);        // 101
  EXPECT_CODE(send(Method::Put, "/1/0/3", kCbor, {0x19, 0x03, 0xf2}), code::kChanged);  // 1010
  EXPECT_CODE(send(Method::Put, "/1/0/6", kCbor, {0xf5}), code::kChanged);              // true
  EXPECT_EQ(readText("/1/0/2"), "101");
  EXPECT_EQ(readText("/1/0/3"), "1010");
  EXPECT_EQ(readText("/1/0/6"), "1");
  EXPECT_EQ(readCbor("/1/0/3"), (Bytes{0x19, 0x03, 0xf2}));

  // A String (UTC Offset), and a Time (Current Time) with the epoch tag of RFC 8949 §3.4.2.
  EXPECT_CODE(send(Method::Put, "/3/0/14", kCbor, {0x66, '+', '0', '2', ':', '0', '0'}),
              code::kChanged);
  EXPECT_EQ(readText("/3/0/14"), "+02:00");
  EXPECT_CODE(send(Method::Put, "/3/0/13", kCbor, {0xc1, 0x1a, 0x51, 0x82, 0x42, 0x8f}),
              code::kChanged);
  EXPECT_CODE(send(Method::Put, "/1/0/2", kCbor, {0xc1, 0x05}), code::kBadRequest);  // no tag

  // Mistyped or malformed values change nothing.
  EXPECT_CODE(send(Method::Put, "/1/0/2", kCbor, {0x63, '1', '0', '1'}), code::kBadRequest);
  EXPECT_CODE(send(Method::Put, "/1/0/2", kCbor, {0x18}), code::kBadRequest);
  EXPECT_CODE(send(Method::Put, "/1/0/2", kCbor, {0x01, 0x02}), code::kBadRequest);
  EXPECT_CODE(send(Method::Put, "/1/0/6", kCbor, {0x01}), code::kBadRequest);
  EXPECT_CODE(send(Method::Put, "/1/0", kCbor, {0x01}), code::kBadRequest);
  EXPECT_EQ(readText("/1/0/2"), "101");
  EXPECT_EQ(readText("/1/0/6"), "1");

  // Back to configuration C.3.
  EXPECT_CODE(send(Method::Put, "/1/0/2", kCbor, {0x01}), code::kChanged);
  EXPECT_CODE(send(Method::Put, "/1/0/3", kCbor, {0x0a}), code::kChanged);
  EXPECT_CODE(send(Method::Put, "/1/0/6", kCbor, {0xf4}), code::kChanged);
  EXPECT_EQ(readText("/1/0/2"), "1");
  EXPECT_EQ(readText("/1/0/3"), "10");
  EXPECT_EQ(readText("/1/0/6"), "0");
}

}  // namespace
}  // namespace lwm2md::test
