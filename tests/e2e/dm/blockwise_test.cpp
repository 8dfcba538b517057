// Block-wise transfer (RFC 7959) of a 64 KiB Opaque resource published over D-Bus: the server
// reads it (Block2) and writes it (Block1), each far beyond one datagram.
#include "dm_e2e_fixture.hpp"

namespace lwm2md::test {
namespace {

std::vector<uint8_t> pattern(size_t size, uint8_t seed) {
  std::vector<uint8_t> bytes(size);
  uint32_t state = seed;
  for (auto& b : bytes) {
    state = state * 1103515245u + 12345u;  // any non-repeating-per-block filler will do
    b = static_cast<uint8_t>(state >> 16);
  }
  return bytes;
}

class Blockwise : public DmFixture {};

TEST_F(Blockwise, ReadsAndWritesA64KiBOpaqueResource) {
  startDm();
  const std::vector<uint8_t> published = pattern(64 * 1024, 1);
  auto path = addInstance(
      32769, 0, {{0, sdbus::Variant(published)}, {2, sdbus::Variant(std::string("blob"))}});
  ASSERT_TRUE(server_.waitForEvent(Event::Kind::Update, 10s));

  RequestOptions readOptions;
  readOptions.accept = kOpaque;
  readOptions.timeout = 20s;
  auto read = server_.request(Method::Get, "/32769/0/0", readOptions);
  ASSERT_TRUE(read) << daemon_->output();
  EXPECT_CODE(*read, code::kContent);
  EXPECT_EQ(read->contentFormat, kOpaque);
  ASSERT_EQ(read->payload.size(), published.size());
  EXPECT_TRUE(read->payload == published);

  auto blob = sdbus::createProxy(*client_, "org.lwm2md1", path);
  std::vector<std::vector<uint8_t>> written;
  blob->uponSignal("Written").onInterface("org.lwm2md1.Instance").call([&](const DbusValues& v) {
    if (v.contains(0)) written.push_back(v.at(0).get<std::vector<uint8_t>>());
  });
  blob->finishRegistration();

  const std::vector<uint8_t> replacement = pattern(64 * 1024, 2);
  RequestOptions writeOptions;
  writeOptions.contentFormat = kOpaque;
  writeOptions.payload = replacement;
  writeOptions.timeout = 20s;
  auto write = server_.request(Method::Put, "/32769/0/0", writeOptions);
  ASSERT_TRUE(write) << daemon_->output();
  EXPECT_CODE(*write, code::kChanged);
  ASSERT_TRUE(server_.waitFor([&] { return !written.empty(); }, 5s));
  EXPECT_TRUE(written[0] == replacement);

  auto back = server_.request(Method::Get, "/32769/0/0", readOptions);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->payload == replacement);
  // A whole-instance TLV read carries the 64 KiB too (24-bit TLV length).
  RequestOptions tlvOptions;
  tlvOptions.accept = kTlv;
  tlvOptions.timeout = 20s;
  auto instance = server_.request(Method::Get, "/32769/0", tlvOptions);
  ASSERT_TRUE(instance);
  auto resources = tlv::byId(instance->payload);
  ASSERT_TRUE(resources.contains(0));
  EXPECT_TRUE(resources.at(0).value == replacement);
  EXPECT_EQ(resources.at(2).text(), "blob");
}

}  // namespace
}  // namespace lwm2md::test
