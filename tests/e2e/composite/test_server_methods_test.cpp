// Self-test of the test server's FETCH and iPATCH support (tests/support/test_lwm2m_server):
// a raw UDP peer on loopback decodes what the server sends and answers by hand, so the
// method codes, options and payloads are checked on the wire, independent of libcoap's parser.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "support/test_lwm2m_server.hpp"

namespace lwm2md::test {
namespace {

using namespace std::chrono_literals;

/// One CoAP message as the peer saw it (RFC 7252 §3).
struct WireMessage {
  uint8_t type = 0;
  uint8_t code = 0;
  uint16_t mid = 0;
  std::vector<uint8_t> token;
  std::multimap<unsigned, std::vector<uint8_t>> options;
  std::vector<uint8_t> payload;

  std::optional<unsigned> uintOption(unsigned number) const {
    auto it = options.find(number);
    if (it == options.end()) return std::nullopt;
    unsigned value = 0;
    for (uint8_t byte : it->second) value = value << 8 | byte;
    return value;
  }
};

std::optional<WireMessage> parse(const std::vector<uint8_t>& data) {
  if (data.size() < 4 || (data[0] >> 6) != 1) return std::nullopt;
  WireMessage m;
  m.type = (data[0] >> 4) & 3;
  const size_t tkl = data[0] & 0x0f;
  m.code = data[1];
  m.mid = static_cast<uint16_t>(data[2] << 8 | data[3]);
  size_t pos = 4;
  if (tkl > 8 || pos + tkl > data.size()) return std::nullopt;
  m.token.assign(data.begin() + 4, data.begin() + static_cast<long>(4 + tkl));
  pos += tkl;
  unsigned number = 0;
  // Each option takes at least one byte, so the data bounds the loop.
  while (pos < data.size() && data[pos] != 0xff) {
    unsigned delta = data[pos] >> 4, length = data[pos] & 0x0f;
    ++pos;
    auto extended = [&](unsigned& v) {
      if (v == 13 && pos < data.size())
        v = 13 + data[pos++];
      else if (v == 14 && pos + 1 < data.size()) {
        v = 269 + (data[pos] << 8 | data[pos + 1]);
        pos += 2;
      }
    };
    extended(delta);
    extended(length);
    if (pos + length > data.size()) return std::nullopt;
    number += delta;
    m.options.emplace(number, std::vector<uint8_t>(data.begin() + static_cast<long>(pos),
                                                   data.begin() + static_cast<long>(pos + length)));
    pos += length;
  }
  if (pos < data.size()) m.payload.assign(data.begin() + static_cast<long>(pos + 1), data.end());
  return m;
}

/// A UDP socket on 127.0.0.1 that the test polls from the server's side pump.
class RawPeer {
 public:
  RawPeer() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
    socklen_t length = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &length);
    port_ = ntohs(addr.sin_port);
  }
  ~RawPeer() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawPeer(const RawPeer&) = delete;
  RawPeer& operator=(const RawPeer&) = delete;

  uint16_t port() const { return port_; }

  /// Answers every request waiting on the socket: piggybacked 2.05/2.04 with an echo of the
  /// payload, an Observe option when the request had Observe=0, Content-Format 110.
  void serve() {
    for (int i = 0; i < 16; ++i) {  // bounded per pump
      std::vector<uint8_t> buffer(2048);
      sockaddr_in from{};
      socklen_t length = sizeof from;
      const ssize_t n = ::recvfrom(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT,
                                   reinterpret_cast<sockaddr*>(&from), &length);
      if (n <= 0) return;
      buffer.resize(static_cast<size_t>(n));
      auto message = parse(buffer);
      if (!message) continue;
      received.push_back(*message);
      from_ = from;
      const bool observe = message->uintOption(6) == 0u;
      std::vector<uint8_t> out = {static_cast<uint8_t>(0x60 | message->token.size()),
                                  static_cast<uint8_t>(message->code == 0x07 ? 0x44 : 0x45),
                                  static_cast<uint8_t>(message->mid >> 8),
                                  static_cast<uint8_t>(message->mid)};
      out.insert(out.end(), message->token.begin(), message->token.end());
      if (observe) out.insert(out.end(), {0x61, 0x05});                           // Observe (6) = 5
      out.insert(out.end(), {static_cast<uint8_t>(observe ? 0x61 : 0xc1), 110});  // CF (12)
      if (!message->payload.empty()) {
        out.push_back(0xff);
        out.insert(out.end(), message->payload.begin(), message->payload.end());
      }
      ::sendto(fd_, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&from), length);
    }
  }

  /// A NON notification with `token` and Observe `sequence`.
  void notify(const std::vector<uint8_t>& token, uint8_t sequence) {
    std::vector<uint8_t> out = {static_cast<uint8_t>(0x50 | token.size()), 0x45, 0x12, sequence};
    out.insert(out.end(), token.begin(), token.end());
    out.insert(out.end(), {0x61, sequence, 0xff, '[', ']'});
    ::sendto(fd_, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&from_), sizeof from_);
  }

  std::vector<WireMessage> received;

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  sockaddr_in from_{};
};

class TestServerMethods : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.ok()) << server_.error();
    ASSERT_NE(peer_.port(), 0);
    ASSERT_TRUE(server_.connect("127.0.0.1", peer_.port()));
    server_.setSidePump([this] { peer_.serve(); });
  }

  TestLwm2mServer server_;
  RawPeer peer_;
};

TEST_F(TestServerMethods, FetchGoesOutWithItsCodeFormatAndPayload) {
  const std::string list = R"([{"n":"/3/0"}])";
  RequestOptions options;
  options.contentFormat = 110;
  options.accept = 112;
  options.payload.assign(list.begin(), list.end());
  auto response = server_.request(Method::Fetch, "/", options);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x45);
  EXPECT_EQ(response->contentFormat, 110);
  EXPECT_EQ(TestLwm2mServer::text(*response), list);  // the peer echoes it

  ASSERT_EQ(peer_.received.size(), 1u);
  const WireMessage& sent = peer_.received[0];
  EXPECT_EQ(sent.code, 0x05);             // FETCH (RFC 8132 §2)
  EXPECT_EQ(sent.type, 0);                // CON
  EXPECT_EQ(sent.options.count(11), 0u);  // no Uri-Path: the root
  EXPECT_EQ(sent.uintOption(12), 110u);   // Content-Format
  EXPECT_EQ(sent.uintOption(17), 112u);   // Accept
  EXPECT_EQ(std::string(sent.payload.begin(), sent.payload.end()), list);
}

TEST_F(TestServerMethods, IPatchGoesOutWithItsCode) {
  const std::string pack = R"([{"n":"/1/0/1","v":60}])";
  RequestOptions options;
  options.contentFormat = 110;
  options.payload.assign(pack.begin(), pack.end());
  auto response = server_.request(Method::IPatch, "/1/0", options);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, 0x44);
  ASSERT_EQ(peer_.received.size(), 1u);
  EXPECT_EQ(peer_.received[0].code, 0x07);  // iPATCH
  auto paths = peer_.received[0].options.equal_range(11);
  std::vector<std::string> segments;
  for (auto it = paths.first; it != paths.second; ++it)
    segments.emplace_back(it->second.begin(), it->second.end());
  EXPECT_EQ(segments, (std::vector<std::string>{"1", "0"}));
  EXPECT_EQ(std::string(peer_.received[0].payload.begin(), peer_.received[0].payload.end()), pack);
}

TEST_F(TestServerMethods, CompositeObserveAndItsCancelAreFetches) {
  const std::string list = R"([{"n":"/1/0/1"},{"n":"/3/0"}])";
  const std::vector<uint8_t> bytes(list.begin(), list.end());
  auto first = server_.startCompositeObserve(110, bytes);
  ASSERT_TRUE(first);
  ASSERT_TRUE(first->observe);
  EXPECT_EQ(*first->observe, 5u);
  ASSERT_EQ(peer_.received.size(), 1u);
  EXPECT_EQ(peer_.received[0].code, 0x05);
  EXPECT_EQ(peer_.received[0].uintOption(6), 0u);  // Observe=0 (an empty option)
  EXPECT_EQ(peer_.received[0].payload, bytes);

  // Notifications with the token are collected.
  peer_.notify(first->token, 6);
  ASSERT_TRUE(server_.waitForNotifications(first->token, 1, 2s));
  EXPECT_EQ(server_.notifications(first->token)[0].observe, 6u);

  // The cancel repeats the FETCH, payload included, with Observe=1. (Its token on the wire is
  // libcoap's: in block mode 4.3.1 swaps an observation's token for its own state token on the
  // deregistration, for GET as for FETCH; the daemon also matches a cancel by its paths.)
  auto cancelled = server_.cancelObserve(first->token);
  ASSERT_TRUE(cancelled);
  ASSERT_EQ(peer_.received.size(), 2u);
  const WireMessage& cancel = peer_.received[1];
  EXPECT_EQ(cancel.code, 0x05);
  EXPECT_EQ(cancel.uintOption(6), 1u);
  EXPECT_EQ(cancel.uintOption(12), 110u);
  EXPECT_EQ(cancel.payload, bytes);
  // No longer collected.
  peer_.notify(first->token, 7);
  server_.waitFor([] { return false; }, 300ms);
  EXPECT_EQ(server_.notifications(first->token).size(), 1u);
}

}  // namespace
}  // namespace lwm2md::test
