// The link impairer the fault tests stand on: a relay that forwards, drops, delays, duplicates
// and reorders as told, deterministically per seed, and counts what it saw. Driven here with
// plain UDP sockets on loopback: a "client" that sends through the relay and a "server" that
// answers each datagram with a copy of it.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "support/lossy_relay.hpp"

namespace lwm2md::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Bytes = std::vector<std::uint8_t>;

/// A UDP socket on 127.0.0.1 with an ephemeral port.
class Socket {
 public:
  Socket() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0)
      port_ = ntohs(address.sin_port);
  }
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  std::uint16_t port() const { return port_; }

  void sendTo(std::uint16_t port, const Bytes& bytes) const {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(
        ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
        static_cast<ssize_t>(bytes.size()));
  }

  /// The next datagram within `timeout` and the port it came from.
  std::optional<std::pair<Bytes, std::uint16_t>> receive(std::chrono::milliseconds timeout) const {
    pollfd fd{fd_, POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    Bytes buffer(2048);
    sockaddr_in from{};
    socklen_t length = sizeof from;
    const ssize_t n = ::recvfrom(fd_, buffer.data(), buffer.size(), 0,
                                 reinterpret_cast<sockaddr*>(&from), &length);
    if (n < 0) return std::nullopt;
    buffer.resize(static_cast<std::size_t>(n));
    return std::make_pair(buffer, ntohs(from.sin_port));
  }

  /// Everything arriving until `quiet` passes without a datagram (at most `limit` of them).
  std::vector<Bytes> drain(std::chrono::milliseconds quiet, std::size_t limit = 10000) const {
    std::vector<Bytes> all;
    while (all.size() < limit) {
      auto next = receive(quiet);
      if (!next) break;
      all.push_back(next->first);
    }
    return all;
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

/// A numbered 8-byte datagram (not CoAP: the relay carries anything).
Bytes numbered(std::uint32_t n) {
  Bytes bytes(8, 0xee);
  std::memcpy(bytes.data(), &n, sizeof n);
  return bytes;
}
std::uint32_t numberOf(const Bytes& bytes) {
  std::uint32_t n = 0;
  std::memcpy(&n, bytes.data(), sizeof n);
  return n;
}

class LossyRelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(server_.port(), 0);
    ASSERT_NE(client_.port(), 0);
    relay_ = std::make_unique<LossyRelay>(server_.port());
    ASSERT_TRUE(relay_->ok()) << relay_->error();
  }

  /// Sends `count` numbered datagrams from the client, spaced by `gap`, and returns the
  /// numbers as the server received them.
  std::vector<std::uint32_t> sendMany(std::uint32_t count, std::chrono::microseconds gap = 200us) {
    // Received as they come: a socket buffer holds only a few hundred small datagrams.
    std::vector<std::uint32_t> got;
    for (std::uint32_t i = 0; i < count; ++i) {
      client_.sendTo(relay_->port(), numbered(i));
      std::this_thread::sleep_for(gap);
      for (const Bytes& b : server_.drain(0ms)) got.push_back(numberOf(b));
    }
    for (const Bytes& b : server_.drain(300ms)) got.push_back(numberOf(b));
    return got;
  }

  Socket client_;
  Socket server_;
  std::unique_ptr<LossyRelay> relay_;
};

TEST_F(LossyRelayTest, ForwardsBothWaysAndRecordsEachDatagram) {
  const auto before = Clock::now();
  client_.sendTo(relay_->port(), {1, 2, 3});
  auto atServer = server_.receive(2s);
  ASSERT_TRUE(atServer);
  EXPECT_EQ(atServer->first, (Bytes{1, 2, 3}));
  EXPECT_NE(atServer->second, client_.port()) << "the relay sends from a socket of its own";
  // The server answers whoever sent: the relay's upstream socket, which passes it back.
  server_.sendTo(atServer->second, {9, 8});
  auto atClient = client_.receive(2s);
  ASSERT_TRUE(atClient);
  EXPECT_EQ(atClient->first, (Bytes{9, 8}));
  EXPECT_EQ(atClient->second, relay_->port());

  const auto up = relay_->records(Direction::ToServer);
  const auto down = relay_->records(Direction::ToClient);
  ASSERT_EQ(up.size(), 1u);
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(up[0].bytes, (Bytes{1, 2, 3}));
  EXPECT_FALSE(up[0].dropped);
  EXPECT_GE(up[0].received, before);
  EXPECT_LE(up[0].received, down[0].received);
  EXPECT_EQ(relay_->delivered(Direction::ToServer), 1u);
  EXPECT_EQ(relay_->delivered(Direction::ToClient), 1u);
  EXPECT_EQ(relay_->uri(), "coap://127.0.0.1:" + std::to_string(relay_->port()));
}

TEST_F(LossyRelayTest, EmptyAndLargeDatagramsPassUnchanged) {
  client_.sendTo(relay_->port(), {});
  auto empty = server_.receive(2s);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->first.empty());
  Bytes large(1500);
  for (std::size_t i = 0; i < large.size(); ++i) large[i] = static_cast<std::uint8_t>(i * 7);
  client_.sendTo(relay_->port(), large);
  auto got = server_.receive(2s);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->first, large);
}

TEST_F(LossyRelayTest, AnswerBeforeTheClientSpokeGoesNowhere) {
  // The relay learns the client's address from the client's first datagram; a server datagram
  // before that is recorded but cannot be delivered.
  server_.sendTo(relay_->upstreamSidePort(), {2});
  ASSERT_TRUE(server_.receive(300ms) == std::nullopt);
  EXPECT_FALSE(client_.receive(300ms));
  EXPECT_EQ(relay_->received(Direction::ToClient), 1u);
  EXPECT_EQ(relay_->delivered(Direction::ToClient), 0u);
  // Once the client spoke, answers reach it.
  client_.sendTo(relay_->port(), {1});
  ASSERT_TRUE(server_.receive(2s));
  server_.sendTo(relay_->upstreamSidePort(), {3});
  auto got = client_.receive(2s);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->first, Bytes{3});
}

TEST_F(LossyRelayTest, LossIsDeterministicPerSeedAndNearTheRate) {
  Impairment lossy;
  lossy.lossPercent = 30;
  lossy.seed = 42;
  relay_->setImpairment(Direction::ToServer, lossy);
  const auto first = sendMany(1000);
  std::vector<bool> droppedFirst;
  for (const auto& r : relay_->records(Direction::ToServer)) droppedFirst.push_back(r.dropped);
  ASSERT_EQ(droppedFirst.size(), 1000u);
  EXPECT_EQ(relay_->dropped(Direction::ToServer) + first.size(), 1000u)
      << "exactly the datagrams not dropped arrive";
  EXPECT_GT(first.size(), 620u);  // 700 expected; a binomial 4-sigma band
  EXPECT_LT(first.size(), 780u);

  // The same seed again: the same datagrams are lost.
  relay_->clearRecords();
  relay_->setImpairment(Direction::ToServer, lossy);
  const auto second = sendMany(1000);
  EXPECT_EQ(second, first);
  std::vector<bool> droppedSecond;
  for (const auto& r : relay_->records(Direction::ToServer)) droppedSecond.push_back(r.dropped);
  EXPECT_EQ(droppedSecond, droppedFirst);

  // Another seed: other datagrams.
  relay_->clearRecords();
  lossy.seed = 43;
  relay_->setImpairment(Direction::ToServer, lossy);
  EXPECT_NE(sendMany(1000), first);
}

TEST_F(LossyRelayTest, BlockedDropsEverythingUntilHealed) {
  Impairment blocked;
  blocked.blocked = true;
  relay_->setBoth(blocked);
  EXPECT_TRUE(sendMany(50).empty());
  EXPECT_EQ(relay_->dropped(Direction::ToServer), 50u);
  EXPECT_EQ(relay_->delivered(Direction::ToServer), 0u);
  relay_->setBoth(Impairment{});
  EXPECT_EQ(sendMany(50).size(), 50u);
  EXPECT_EQ(relay_->received(Direction::ToServer), 100u);
}

TEST_F(LossyRelayTest, DelayAndJitterStayInTheirBand) {
  Impairment slow;
  slow.delay = 200ms;
  slow.jitter = 100ms;
  relay_->setImpairment(Direction::ToServer, slow);
  for (int i = 0; i < 10; ++i) {
    const auto sent = Clock::now();
    client_.sendTo(relay_->port(), numbered(static_cast<std::uint32_t>(i)));
    auto got = server_.receive(2s);
    ASSERT_TRUE(got);
    const auto took = Clock::now() - sent;
    EXPECT_GE(took, 95ms) << i;
    EXPECT_LE(took, 700ms) << i;  // 300 ms + scheduling on a loaded machine
  }
  // The other direction is not delayed.
  ASSERT_TRUE(server_.receive(0ms) == std::nullopt);
}

TEST_F(LossyRelayTest, DuplicatesArriveTwice) {
  Impairment doubled;
  doubled.duplicatePercent = 100;
  relay_->setImpairment(Direction::ToServer, doubled);
  const auto got = sendMany(20, 20ms);
  ASSERT_EQ(got.size(), 40u);
  for (std::uint32_t i = 0; i < 20; ++i) EXPECT_EQ(std::count(got.begin(), got.end(), i), 2) << i;
  for (const auto& r : relay_->records(Direction::ToServer)) EXPECT_TRUE(r.duplicated);
  EXPECT_EQ(relay_->delivered(Direction::ToServer), 40u);
}

TEST_F(LossyRelayTest, ReorderingLetsLaterDatagramsOvertake) {
  Impairment shuffled;
  shuffled.reorderPercent = 30;
  shuffled.seed = 7;
  relay_->setImpairment(Direction::ToServer, shuffled);
  const auto got = sendMany(100, 2ms);
  ASSERT_EQ(got.size(), 100u) << "reordering loses nothing";
  EXPECT_FALSE(std::is_sorted(got.begin(), got.end()));
  auto sorted = got;
  std::sort(sorted.begin(), sorted.end());
  for (std::uint32_t i = 0; i < 100; ++i) EXPECT_EQ(sorted[i], i);
}

TEST_F(LossyRelayTest, UpstreamCanMove) {
  Socket other;
  relay_->setUpstream(other.port());
  client_.sendTo(relay_->port(), {5});
  auto got = other.receive(2s);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->first, Bytes{5});
  EXPECT_FALSE(server_.receive(100ms));
}

TEST(CoapHeaderTest, ParsesTypeCodeMessageIdAndToken) {
  // CON POST, token length 2, mid 0x1234, token ab cd, then a payload marker and a byte.
  const Bytes con = {0x42, 0x02, 0x12, 0x34, 0xab, 0xcd, 0xff, 0x01};
  auto header = parseCoapHeader(con);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->type, 0);
  EXPECT_EQ(header->code, 0x02);
  EXPECT_EQ(header->messageId, 0x1234);
  EXPECT_EQ(header->token, (Bytes{0xab, 0xcd}));
  // An empty ACK.
  auto ack = parseCoapHeader({0x60, 0x00, 0x00, 0x07});
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->type, 2);
  EXPECT_EQ(ack->messageId, 7);
  EXPECT_TRUE(ack->token.empty());
}

TEST(CoapHeaderTest, RejectsWhatIsNotCoap) {
  EXPECT_FALSE(parseCoapHeader({}));
  EXPECT_FALSE(parseCoapHeader({0x40, 0x01, 0x00}));              // short
  EXPECT_FALSE(parseCoapHeader({0x80, 0x01, 0x00, 0x01}));        // version 2
  EXPECT_FALSE(parseCoapHeader({0x16, 0xfe, 0xfd, 0x00, 0x00}));  // a DTLS record
  EXPECT_FALSE(parseCoapHeader({0x44, 0x01, 0x00, 0x01, 0xaa}));  // token cut short
  EXPECT_FALSE(parseCoapHeader({0x49, 0x01, 0x00, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9}));  // TKL 9
}

}  // namespace
}  // namespace lwm2md::test
