// Issue 8: the daemon over a bad link. Between it and the server: 30 % loss each way, 500 ms
// ± 100 ms delay, 10 % duplication and 10 % reordering (a seeded LossyRelay, since tc netem is
// not available). Registration completes, confirmable notifications bring the server the
// provider's last values, a block-wise read and write complete, and every retransmission the relay
// saw keeps to the configured ACK_TIMEOUT, ACK_RANDOM_FACTOR and MAX_RETRANSMIT.
#include <cstdio>
#include <cstdlib>

#include "faults_fixture.hpp"

namespace lwm2md::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::duration;
using std::chrono::milliseconds;

std::uint32_t seedFromEnv() {
  const char* text = std::getenv("LWM2MD_FAULTS_SEED");
  return text ? static_cast<std::uint32_t>(std::strtoul(text, nullptr, 10)) : 2026u;
}

class LossyLink : public FaultFixture {};

TEST_F(LossyLink, RegistersNotifiesAndTransfersBlockwiseOverALossyLink) {
  LinkTiming timing;
  // RFC 7252's default: a round trip of 0.8..1.2 s fits in it, so a retransmission means a
  // datagram was lost (or duplicated, reordered), not merely slow.
  timing.ackTimeout = 2.0;
  timing.ackRandomFactor = 1.5;
  // Six retransmissions: a message is lost for good with probability 0.51^7 (under 1 %), so
  // the test does not hinge on luck, while the timing rule is still exercised on every one.
  timing.maxRetransmit = 6;
  Impairment bad;
  bad.lossPercent = 30;
  bad.delay = milliseconds(500);
  bad.jitter = milliseconds(100);
  bad.duplicatePercent = 10;
  bad.reorderPercent = 10;
  bad.seed = seedFromEnv();
  relay_.setBoth(bad);
  SCOPED_TRACE("seed " + std::to_string(bad.seed) + " (LWM2MD_FAULTS_SEED)");

  startDaemon(faultConfig(timing, "notify_confirmable = true\n"));
  auto reg = server_.waitForEvent(Event::Kind::Register, 60s);
  ASSERT_TRUE(reg) << "no Register over the lossy link; daemon output:\n" << daemon_->output();
  ASSERT_TRUE(waitForBusName());

  // A sensor and a blob; the Update that announces them gets through too.
  const auto sensor = addSensor(20.0);
  std::vector<std::uint8_t> blob(3000);
  for (std::size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<std::uint8_t>(i * 31 + 7);
  addInstance(32769, 0, {{0, sdbus::Variant(blob)}});
  ASSERT_TRUE(server_.waitFor(
      [&] {
        auto r = server_.registration();
        return r && r->payload.find("</32769/0>") != std::string::npos &&
               r->payload.find("</3303/0>") != std::string::npos;
      },
      60s))
      << daemon_->output();

  // Two observed resources, CON notifications.
  auto value = persistentObserve(server_, "/3303/0/5700", 60s);
  ASSERT_TRUE(value) << daemon_->output();
  ASSERT_EQ(value->code, kContent);
  ASSERT_TRUE(value->observe) << "observation refused";
  auto minimum = persistentObserve(server_, "/3303/0/5601", 60s);
  ASSERT_TRUE(minimum) << daemon_->output();
  ASSERT_EQ(minimum->code, kContent);

  // The provider changes both, again and again; the server must end up with the last values,
  // with 30 % loss both ways: a lost ACK makes the daemon send a CON notification again, and
  // the test server acknowledges that copy too (RFC 7252 §4.5).
  double last = 0;
  for (int i = 1; i <= 8; ++i) {
    last = 20.0 + i * 0.5;
    setValues(sensor, {{5700, sdbus::Variant(last)}, {5601, sdbus::Variant(last - 10)}});
    server_.waitFor([] { return false; }, milliseconds(250));
  }
  auto lastText = [](const TestLwm2mServer& server, const Token& token) -> std::string {
    const auto& n = server.notifications(token);
    return n.empty() ? std::string() : TestLwm2mServer::text(n.back());
  };
  const std::string wantValue = "24", wantMinimum = "14";  // last = 24
  ASSERT_TRUE(server_.waitFor(
      [&] {
        return lastText(server_, value->token) == wantValue &&
               lastText(server_, minimum->token) == wantMinimum;
      },
      90s))
      << "last notifications " << lastText(server_, value->token) << " / "
      << lastText(server_, minimum->token) << "; relay log:\n"
      << relayLog() << "daemon output:\n"
      << daemon_->output();

  // A 3000-byte Opaque read: three blocks, each its own exchange over the lossy link.
  RequestOptions read;
  read.accept = kOpaque;
  read.timeout = 90s;
  auto whole = persistentRequest(server_, Method::Get, "/32769/0/0", read);
  ASSERT_TRUE(whole) << daemon_->output();
  EXPECT_EQ(whole->code, kContent);
  EXPECT_TRUE(whole->payload == blob) << "got " << whole->payload.size() << " bytes";

  // And a 3000-byte Opaque write the other way (Block1): a block the relay duplicates, or the
  // server sends again when its answer was lost, is answered as before and not taken again (a
  // late copy of block 0 would restart the body, one of the last block would get 4.08).
  std::vector<std::uint8_t> written(3000);
  for (std::size_t i = 0; i < written.size(); ++i)
    written[i] = static_cast<std::uint8_t>(i * 17 + 3);
  RequestOptions write;
  write.contentFormat = kOpaque;
  write.payload = written;
  write.timeout = 90s;
  auto wrote = persistentRequest(server_, Method::Put, "/32769/0/0", write);
  ASSERT_TRUE(wrote) << daemon_->output();
  EXPECT_EQ(wrote->code, kChanged) << TestLwm2mServer::text(*wrote);
  auto back = persistentRequest(server_, Method::Get, "/32769/0/0", read);
  ASSERT_TRUE(back) << daemon_->output();
  EXPECT_TRUE(back->payload == written) << "read back " << back->payload.size() << " bytes";

  // The link really was bad, and the daemon retransmitted.
  const std::size_t up = relay_.received(Direction::ToServer),
                    down = relay_.received(Direction::ToClient);
  EXPECT_GT(relay_.dropped(Direction::ToServer), 0u);
  EXPECT_GT(relay_.dropped(Direction::ToClient), 0u);

  // Every CON message of the daemon: at most 1 + MAX_RETRANSMIT transmissions, the k-th gap
  // in [ACK_TIMEOUT * 2^k, ACK_TIMEOUT * ACK_RANDOM_FACTOR * 2^k] (RFC 7252 §4.2), one random
  // initial timeout per message (each gap twice the one before), plus scheduling slack.
  const milliseconds early(40), late(400);
  int retransmitted = 0, gapsChecked = 0;
  for (const auto& message : conMessagesToServer()) {
    SCOPED_TRACE("mid " + std::to_string(message.header.messageId) + " code " +
                 TestLwm2mServer::codeString(message.header.code));
    EXPECT_LE(message.times.size(), 1u + timing.maxRetransmit);
    if (message.times.size() > 1) ++retransmitted;
    for (std::size_t k = 0; k + 1 < message.times.size(); ++k) {
      const double gap = duration<double>(message.times[k + 1] - message.times[k]).count();
      const double low = timing.ackTimeout * double(1u << k);
      const double high = low * timing.ackRandomFactor;
      EXPECT_GE(gap, low - duration<double>(early).count()) << "gap " << k;
      EXPECT_LE(gap, high + duration<double>(late).count()) << "gap " << k;
      if (k > 0) {
        const double previous = duration<double>(message.times[k] - message.times[k - 1]).count();
        EXPECT_NEAR(gap, 2 * previous, 0.4) << "gap " << k << " is not twice gap " << k - 1;
      }
      ++gapsChecked;
    }
  }
  EXPECT_GT(retransmitted, 0) << "30 % loss and not one retransmission?";
  std::printf(
      "[faults] lossy link (seed %u): %zu datagrams to the server (%zu dropped), %zu to the "
      "client (%zu dropped); %d CON messages retransmitted, %d gaps checked; %d server "
      "requests asked again; %d CON copies the server acknowledged again\n",
      bad.seed, up, relay_.dropped(Direction::ToServer), down, relay_.dropped(Direction::ToClient),
      retransmitted, gapsChecked, serverRequestsLost_, server_.answeredRetransmissions());

  // And the daemon is still registered and answering.
  EXPECT_TRUE(daemon_->running());
}

}  // namespace
}  // namespace lwm2md::test
