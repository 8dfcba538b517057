// Issue 8: a server out of reach for a long time. The relay drops everything; the daemon's
// Register attempts (each a CON with its retransmissions) must follow the back-off, not storm
// the link, and once the link heals the daemon registers within one retry period.
#include <cstdio>

#include "faults_fixture.hpp"

namespace lwm2md::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::duration;
using std::chrono::milliseconds;
using std::chrono::seconds;

class UnreachableServer : public FaultFixture {};

TEST_F(UnreachableServer, RegisterAttemptsBackOffAndResumeWhenTheLinkHeals) {
  // An attempt: the Register and one retransmission 1 s later; it fails 2 s after that
  // (ACK_TIMEOUT * (2^(MAX_RETRANSMIT+1) - 1) = 3 s with no randomness). The waits between
  // attempts double from retry_initial (1 s) up to retry_max (4 s).
  LinkTiming timing;
  timing.ackTimeout = 1.0;
  timing.ackRandomFactor = 1.0;
  timing.maxRetransmit = 1;
  timing.retryInitial = 1;
  timing.retryMax = 4;
  Impairment cut;
  cut.blocked = true;
  relay_.setBoth(cut);

  const auto began = Clock::now();
  startDaemon(faultConfig(timing));
  // 20 s of silence: attempts start at about 0, 4, 9 and 16 s (3 s each, then 1, 2, 4, 4 s).
  const seconds window(20);
  server_.waitFor([&] { return !daemon_->running(); }, window);
  ASSERT_TRUE(daemon_->running()) << daemon_->output();
  EXPECT_EQ(server_.events().size(), 0u) << "something got through a blocked link";

  const auto groups = conMessagesToServer();
  std::size_t datagrams = 0;
  for (const auto& g : groups) {
    EXPECT_EQ(g.header.code, kPost) << "only Registers while unregistered";
    EXPECT_LE(g.times.size(), 1u + timing.maxRetransmit);
    datagrams += g.times.size();
  }
  const std::size_t attempts = groups.size();
  // No storm: at most 5 attempts (10 datagrams) in 20 s; and it kept trying.
  EXPECT_GE(attempts, 3u);
  EXPECT_LE(attempts, 5u);
  EXPECT_LE(datagrams, 10u);
  // Between the starts of successive attempts: the failed attempt (3 s) plus the back-off
  // delay, 1, 2, 4, 4 s (retry_max caps it).
  const double expectedWait[] = {1, 2, 4, 4, 4};
  for (std::size_t i = 0; i + 1 < groups.size() && i < 5; ++i) {
    const double gap = duration<double>(groups[i + 1].times[0] - groups[i].times[0]).count();
    EXPECT_GE(gap, 3 + expectedWait[i] - 0.1) << "attempt " << i + 1;
    EXPECT_LE(gap, 3 + expectedWait[i] + 0.8) << "attempt " << i + 1;
  }
  // Within an attempt the retransmission comes ACK_TIMEOUT (1 s) after the first send.
  for (const auto& g : groups)
    if (g.times.size() == 2) {
      const double gap = duration<double>(g.times[1] - g.times[0]).count();
      EXPECT_GE(gap, 0.95);
      EXPECT_LE(gap, 1.5);
    }

  // The link heals: the next attempt (at most retry_max + one attempt away) registers.
  relay_.setBoth(Impairment{});
  const auto healed = Clock::now();
  auto reg = server_.waitForEvent(Event::Kind::Register, seconds(10));
  ASSERT_TRUE(reg) << "no Register after the link healed; daemon output:\n" << daemon_->output();
  const double after = duration<double>(Clock::now() - healed).count();
  EXPECT_LE(after, timing.retryMax + 3.0 + 1.0) << "more than one retry period";
  EXPECT_EQ(reg->code, kCreated);
  EXPECT_EQ(reg->query["ep"], "faults-gw");
  std::printf(
      "[faults] unreachable for %.1f s: %zu Register attempts, %zu datagrams; "
      "registered %.1f s after the link healed\n",
      duration<double>(healed - began).count(), attempts, datagrams, after);

  // Registered for real: the server reads through the healed link.
  auto manufacturer = server_.read("/3/0/0", kTextPlain);
  ASSERT_TRUE(manufacturer) << daemon_->output();
  EXPECT_EQ(TestLwm2mServer::text(*manufacturer), "lwm2md tests");
}

// The TS 1.1 procedure (§6.2.1.1) when the Server object has resources 17-20: the server
// writes Communication Retry Count 2, Retry Timer 1 s, Sequence Delay Timer 2 s and Sequence
// Retry Count 2, then the link breaks and an Update fails. The daemon Registers again: two
// sequences of two attempts (1 s apart within a sequence, 2 s between sequences), then
// Registration Failure: no more Registers, even after the link heals.
TEST_F(UnreachableServer, RetryResourcesEndInRegistrationFailure) {
  LinkTiming timing;
  timing.ackTimeout = 1.0;
  timing.ackRandomFactor = 1.0;
  timing.maxRetransmit = 1;
  startDaemon(faultConfig(timing));
  ASSERT_TRUE(server_.waitForEvent(Event::Kind::Register, 10s)) << daemon_->output();
  for (const auto& [rid, text] :
       std::vector<std::pair<int, std::string>>{{17, "2"}, {18, "1"}, {19, "2"}, {20, "2"}}) {
    auto written = server_.write("/1/0/" + std::to_string(rid), kTextPlain, text);
    ASSERT_TRUE(written) << daemon_->output();
    ASSERT_EQ(written->code, kChanged) << rid << ": " << TestLwm2mServer::codeString(written->code)
                                       << " " << TestLwm2mServer::text(*written);
  }
  Impairment cut;
  cut.blocked = true;
  relay_.setBoth(cut);
  relay_.clearRecords();
  // The Registration Update Trigger, over D-Bus: the Update goes nowhere.
  manager()->callMethod("UpdateRegistration").onInterface("org.lwm2md1.Manager");

  // Update 3 s, then sequence 1: Register (3 s), 1 s, Register (3 s); 2 s; sequence 2: the
  // same; then Failed, at about 3 + 7 + 2 + 7 = 19 s.
  ASSERT_TRUE(daemon_->waitForOutput("registration failed", 30s, [this] { server_.pump(10ms); }))
      << daemon_->output();
  const auto groups = conMessagesToServer();
  std::vector<std::chrono::steady_clock::time_point> registers;
  for (const auto& g : groups)
    if (g.header.code == kPost && g.times.size() >= 1) registers.push_back(g.times[0]);
  // The first POST is the Update (to /rd/<n>); the Registers follow.
  ASSERT_EQ(registers.size(), 1u + 4u) << daemon_->output();
  auto gap = [&](std::size_t i) {
    return duration<double>(registers[i + 1] - registers[i]).count();
  };
  EXPECT_NEAR(gap(0), 3.0, 0.6) << "Register right after the failed Update";
  EXPECT_NEAR(gap(1), 3.0 + 1.0, 0.6) << "Retry Timer * 2^0 within the sequence";
  EXPECT_NEAR(gap(2), 3.0 + 2.0, 0.6) << "Sequence Delay Timer between sequences";
  EXPECT_NEAR(gap(3), 3.0 + 1.0, 0.6) << "Retry Timer * 2^0 in the second sequence";

  // Registration Failure: nothing more is sent, even with the link back.
  relay_.setBoth(Impairment{});
  const std::size_t before = relay_.received(Direction::ToServer);
  server_.waitFor([] { return false; }, 6s);
  EXPECT_EQ(relay_.received(Direction::ToServer), before);
  EXPECT_TRUE(daemon_->running());
}

}  // namespace
}  // namespace lwm2md::test
