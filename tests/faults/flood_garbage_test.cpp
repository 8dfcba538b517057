// The flood test's tools, checked without a daemon: the garbage keeps out of the server's
// message ids and marks its tokens, isAnswerToGarbage tells the daemon's answers apart, and
// the relay injects garbage from its own port and swallows what the filter picks.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>

#include "flood_garbage.hpp"
#include "support/lossy_relay.hpp"

namespace lwm2md::test {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

const MidWindow kServer{65000, 2000};  // wraps: 65000..65535 and 0..1463

std::uint16_t midOf(const Bytes& b) {
  return static_cast<std::uint16_t>(b[2] << 8 | b[3]);
}

TEST(FloodGarbage, KeepsOutOfTheServersMessageIdsAndMarksItsTokens) {
  GarbageFactory factory(7, {"/3/0/0", "/32769/0/0"}, kServer);
  std::set<GarbageKind> kinds;
  for (Garbage& g : factory.pool(4000)) {
    kinds.insert(g.kind);
    for (int round = 0; round < 2; ++round) {
      if (g.bytes.size() >= 4) {
        EXPECT_FALSE(kServer.contains(midOf(g.bytes)));
      }
      if (g.tokenTailLength > 0) {
        ASSERT_GE(g.bytes.size(), g.tokenTailAt + g.tokenTailLength);
        EXPECT_TRUE(std::equal(
            kGarbageMarker.begin(), kGarbageMarker.end(),
            g.bytes.begin() + static_cast<std::ptrdiff_t>(g.tokenTailAt - kGarbageMarker.size())));
      }
      factory.refresh(g);  // and again after a refresh
    }
  }
  EXPECT_EQ(kinds.size(), kGarbageKinds) << "every kind in a large pool";
  // Oversize garbage really is larger than a CoAP datagram should be.
  const Garbage big = factory.make(GarbageKind::Oversize);
  EXPECT_GT(big.bytes.size(), 1152u);
  // Only the kinds asked for.
  for (const Garbage& g : factory.pool(200, 1u << static_cast<unsigned>(GarbageKind::Observe)))
    EXPECT_EQ(g.kind, GarbageKind::Observe);
  EXPECT_TRUE(factory.pool(10, 0).empty());
}

TEST(FloodGarbage, RefreshMakesANewExchange) {
  GarbageFactory factory(8, {}, kServer);
  Garbage g = factory.make(GarbageKind::RealPath);
  const Bytes first = g.bytes;
  factory.refresh(g);
  EXPECT_EQ(g.bytes.size(), first.size());
  EXPECT_NE(g.bytes, first);
  // Everything but the message id and the token's tail is as it was.
  for (std::size_t i = 0; i < first.size(); ++i)
    if (i >= 4 && (i < g.tokenTailAt || i >= g.tokenTailAt + g.tokenTailLength)) {
      EXPECT_EQ(g.bytes[i], first[i]) << "byte " << i;
    }
}

TEST(FloodGarbage, TellsTheDaemonsAnswersToGarbageApart) {
  // An ACK with a garbage token: garbage's.
  EXPECT_TRUE(isAnswerToGarbage(Bytes{0x65, 0x84, 0xfd, 0xe9, 0xf1, 0x0d, 0x5a, 1, 2}, kServer));
  // A NON response with a garbage token and a message id of the server's: still garbage's.
  EXPECT_TRUE(isAnswerToGarbage(Bytes{0x53, 0x45, 0x00, 0x10, 0xf1, 0x0d, 0x5a}, kServer));
  // A piggybacked answer to the server (its id, its token): the server's.
  EXPECT_FALSE(isAnswerToGarbage(Bytes{0x62, 0x45, 0xfd, 0xe9, 0x12, 0x34, 0xff, '1'}, kServer));
  // An empty ACK or RST: by the message id, wrapping around 65535.
  EXPECT_FALSE(isAnswerToGarbage(Bytes{0x60, 0, 0x00, 0x05}, kServer));
  EXPECT_TRUE(isAnswerToGarbage(Bytes{0x60, 0, 0x10, 0x00}, kServer));
  EXPECT_TRUE(isAnswerToGarbage(Bytes{0x70, 0, 0xfd, 0xe7}, kServer));
  // The daemon's own CON request (an Update) goes to the server, whatever its message id.
  EXPECT_FALSE(isAnswerToGarbage(Bytes{0x42, 0x02, 0x10, 0x00, 0xaa, 0xbb}, kServer));
  // A marker cut short by the datagram's end, and datagrams too short for a header.
  EXPECT_FALSE(isAnswerToGarbage(Bytes{0x43, 0x02, 0x10, 0x00, 0xf1, 0x0d}, kServer));
  EXPECT_FALSE(isAnswerToGarbage(Bytes{0x60, 0}, kServer));
  EXPECT_FALSE(isAnswerToGarbage(Bytes{}, kServer));
}

/// A UDP socket on 127.0.0.1, for the relay's two ends.
class UdpEnd {
 public:
  UdpEnd() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof a;
    if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &length) == 0)
      port_ = ntohs(a.sin_port);
  }
  ~UdpEnd() {
    if (fd_ >= 0) ::close(fd_);
  }
  UdpEnd(const UdpEnd&) = delete;
  UdpEnd& operator=(const UdpEnd&) = delete;
  std::uint16_t port() const { return port_; }

  bool sendTo(std::uint16_t port, const Bytes& bytes) const {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&to),
                    sizeof to) == static_cast<ssize_t>(bytes.size());
  }
  /// The next datagram within `timeout`, and the port it came from.
  std::optional<std::pair<Bytes, std::uint16_t>> receive(std::chrono::milliseconds timeout) const {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    Bytes buffer(70000);
    sockaddr_in from{};
    socklen_t length = sizeof from;
    const ssize_t n = ::recvfrom(fd_, buffer.data(), buffer.size(), 0,
                                 reinterpret_cast<sockaddr*>(&from), &length);
    if (n < 0) return std::nullopt;
    buffer.resize(static_cast<std::size_t>(n));
    return std::make_pair(buffer, ntohs(from.sin_port));
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

TEST(FloodRelay, InjectsFromItsOwnPortAndSwallowsWhatTheFilterPicks) {
  UdpEnd server, client;
  ASSERT_NE(server.port(), 0);
  ASSERT_NE(client.port(), 0);
  LossyRelay relay(server.port());
  ASSERT_TRUE(relay.ok()) << relay.error();
  const std::vector<Bytes> garbage = {Bytes{1, 2, 3}, Bytes(3000, 0x55), Bytes{}};

  // Nobody to send to before the client was heard from.
  EXPECT_EQ(relay.injectToClient(garbage), 0u);

  relay.setToServerFilter([](std::span<const std::uint8_t> d) { return !d.empty() && d[0] == 9; });
  ASSERT_TRUE(client.sendTo(relay.port(), Bytes{1, 1}));
  auto forwarded = server.receive(2s);
  ASSERT_TRUE(forwarded);
  EXPECT_EQ(forwarded->first, (Bytes{1, 1}));

  // Injected: every datagram, as it was, from the port the client sends to (empty one too).
  EXPECT_EQ(relay.injectToClient(garbage), garbage.size());
  for (const Bytes& want : garbage) {
    auto got = client.receive(2s);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->first, want);
    EXPECT_EQ(got->second, relay.port());
  }

  // Swallowed: counted, not forwarded, not recorded; the rest goes on as before.
  ASSERT_TRUE(client.sendTo(relay.port(), Bytes{9, 9, 9}));
  ASSERT_TRUE(client.sendTo(relay.port(), Bytes{2, 2}));
  auto next = server.receive(2s);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->first, (Bytes{2, 2}));
  EXPECT_FALSE(server.receive(200ms));
  EXPECT_EQ(relay.swallowed(), 1u);
  EXPECT_EQ(relay.received(Direction::ToServer), 2u);

  // Without a filter nothing is swallowed.
  relay.setToServerFilter({});
  ASSERT_TRUE(client.sendTo(relay.port(), Bytes{9}));
  auto kept = server.receive(2s);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->first, (Bytes{9}));
  EXPECT_EQ(relay.swallowed(), 1u);
}

}  // namespace
}  // namespace lwm2md::test
