// Observations survive a daemon restart (issue 8): the real lwm2md, killed (SIGKILL) or stopped
// with on_stop = "keep", comes back within the lifetime with an Update (not a Register) from the
// same UDP port, and the server's observation goes on with the same token and growing Observe
// values. An expired registration, or one the server forgot, is registered anew and the old
// tokens stay silent. Every wait is bounded.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "e2e_fixture.hpp"
#include "store/state_store.hpp"

namespace lwm2md::test {
namespace {

constexpr uint16_t kText = 0;
constexpr uint8_t kContent = 0x45, kChanged = 0x44, kNotFound = 0x84;
/// Device UTC Offset: a writable String whose every write is a change to notify.
const std::string kObserved = "/3/0/14";

/// The local port of the UDP socket on this host connected to 127.0.0.1:`serverPort` (the
/// daemon's client session; the test server's own socket is not connected), 0 when none.
uint16_t clientPortTo(uint16_t serverPort) {
  std::ifstream in("/proc/net/udp");
  std::string line;
  std::getline(in, line);  // header
  char remote[32];
  std::snprintf(remote, sizeof remote, "0100007F:%04X", serverPort);
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, rem;
    fields >> slot >> local >> rem;
    if (rem != remote) continue;
    const auto colon = local.find(':');
    if (colon == std::string::npos) continue;
    return static_cast<uint16_t>(std::stoul(local.substr(colon + 1), nullptr, 16));
  }
  return 0;
}

class ResumeTest : public DaemonFixture {
 protected:
  /// The fixture's config, with `registrationKeys` added to its [registration] table.
  std::string resumeConfig(const std::string& registrationKeys = "") const {
    std::string text = config();
    const std::string anchor = "retry_max = 4\n";
    text.insert(text.find(anchor) + anchor.size(), "resume = true\n" + registrationKeys);
    return text;
  }

  LoadResult loadState() const { return StateStore(dir_.file("state")).load(); }

  /// Waits until the saved state holds a registration and `observations` observations.
  bool waitForSavedSession(std::size_t observations) {
    return server_.waitFor(
        [&] {
          LoadResult loaded = loadState();
          return loaded.state && loaded.state->registrations.size() == 1 &&
                 loaded.state->observations.size() == observations;
        },
        10s);
  }

  /// Registers, observes kObserved and sees one notification of a write.
  Token registerAndObserve() {
    registered_ = startAndRegister();
    if (::testing::Test::HasFailure()) return {};
    EXPECT_TRUE(server_.waitFor([&] { return clientPortTo(server_.port()) != 0; }, 5s));
    port_ = clientPortTo(server_.port());
    auto first = server_.startObserve(kObserved, kText);
    EXPECT_TRUE(first && first->code == kContent && first->observe) << daemon_->output();
    if (!first) return {};
    setOffset("+01:00");
    EXPECT_TRUE(server_.waitForNotifications(first->token, 1, 5s)) << daemon_->output();
    return first->token;
  }

  void setOffset(const std::string& value) {
    auto written = server_.write(kObserved, kText, value);
    ASSERT_TRUE(written);
    ASSERT_EQ(written->code, kChanged) << TestLwm2mServer::text(*written);
  }

  uint32_t lastObserve(const Token& token) const {
    const auto& notes = server_.notifications(token);
    return notes.empty() || !notes.back().observe ? 0 : *notes.back().observe;
  }

  void killDaemon() {
    daemon_->signal(SIGKILL);
    ASSERT_TRUE(daemon_->waitExit(5s).has_value());
    for (int i = 0; i < 5; ++i) server_.pump(std::chrono::milliseconds(2));
  }

  /// After a restart: the Update at the old location from the old port, no Register, and a
  /// change notified with the old token and a greater Observe value.
  void expectResumed(const Token& token, uint32_t before) {
    const std::size_t registers = countOf(Event::Kind::Register);
    auto update = server_.waitForEvent(Event::Kind::Update, 10s);
    ASSERT_TRUE(update) << "no Update after the restart; daemon output:\n" << daemon_->output();
    EXPECT_EQ(update->location, registered_.location);
    EXPECT_EQ(update->code, kChanged);
    EXPECT_FALSE(update->payload.empty()) << "the first Update carries the object list";
    EXPECT_EQ(clientPortTo(server_.port()), port_) << "the daemon must come back from its port";
    const std::size_t seen = server_.notifications(token).size();
    setOffset("+03:00");
    ASSERT_TRUE(server_.waitForNotifications(token, seen + 1, 5s))
        << "the old observation got nothing; daemon output:\n"
        << daemon_->output();
    const Response note = server_.notifications(token).back();
    EXPECT_EQ(note.token, token);
    EXPECT_EQ(TestLwm2mServer::text(note), "+03:00");
    ASSERT_TRUE(note.observe);
    EXPECT_GT(*note.observe, before);
    EXPECT_EQ(countOf(Event::Kind::Register), registers) << "resumed, yet registered anew";
  }

  std::size_t countOf(Event::Kind kind) const {
    return static_cast<std::size_t>(std::count_if(server_.events().begin(), server_.events().end(),
                                                  [&](const Event& e) { return e.kind == kind; }));
  }

  Event registered_;
  uint16_t port_ = 0;
};

TEST_F(ResumeTest, KilledDaemonResumesWithAnUpdateAndTheObservationGoesOn) {
  const Token token = registerAndObserve();
  ASSERT_FALSE(token.empty());
  ASSERT_NE(port_, 0);
  ASSERT_TRUE(waitForSavedSession(1)) << daemon_->output();
  {
    const PersistedState saved = *loadState().state;
    EXPECT_EQ(saved.registrations[0].localPort, port_);
    EXPECT_EQ(saved.observations[0].token, token);
    EXPECT_EQ("/rd/" + saved.locations.at(1).back(), registered_.location);
  }
  const uint32_t before = lastObserve(token);
  killDaemon();
  startDaemon(resumeConfig());
  expectResumed(token, before);
}

TEST_F(ResumeTest, StopWithKeepLeavesTheRegistrationAndResumesIt) {
  startDaemon(resumeConfig("on_stop = \"keep\"\n"));
  registered_ = *server_.waitForEvent(Event::Kind::Register, 10s);
  ASSERT_TRUE(server_.waitFor([&] { return clientPortTo(server_.port()) != 0; }, 5s));
  port_ = clientPortTo(server_.port());
  auto first = server_.startObserve(kObserved, kText);
  ASSERT_TRUE(first && first->observe);
  setOffset("+01:00");
  ASSERT_TRUE(server_.waitForNotifications(first->token, 1, 5s));
  const uint32_t before = lastObserve(first->token);
  auto status = daemon_->stop(10s, [this] { server_.pump(10ms); });
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 0) << daemon_->output();
  server_.pump(50ms);
  EXPECT_EQ(countOf(Event::Kind::Deregister), 0u) << "on_stop = \"keep\" must not De-register";
  LoadResult saved = loadState();
  ASSERT_TRUE(saved.state);
  ASSERT_EQ(saved.state->registrations.size(), 1u);
  ASSERT_EQ(saved.state->observations.size(), 1u);
  startDaemon(resumeConfig("on_stop = \"keep\"\n"));
  expectResumed(first->token, before);
}

TEST_F(ResumeTest, StopWithDeregisterLeavesNothingToResume) {
  const Token token = registerAndObserve();
  ASSERT_FALSE(token.empty());
  ASSERT_TRUE(waitForSavedSession(1));
  auto status = daemon_->stop(10s, [this] { server_.pump(10ms); });
  ASSERT_TRUE(status);
  EXPECT_EQ(countOf(Event::Kind::Deregister), 1u);
  LoadResult saved = loadState();
  ASSERT_TRUE(saved.state);
  EXPECT_TRUE(saved.state->registrations.empty());
  EXPECT_TRUE(saved.state->observations.empty());
  startDaemon(resumeConfig());
  ASSERT_TRUE(server_.waitForEvent(Event::Kind::Register, 10s)) << daemon_->output();
  EXPECT_EQ(countOf(Event::Kind::Update), 0u);
}

TEST_F(ResumeTest, ExpiredRegistrationRegistersAnewAndTheOldTokenStaysSilent) {
  const Token token = registerAndObserve();
  ASSERT_FALSE(token.empty());
  ASSERT_TRUE(waitForSavedSession(1));
  killDaemon();
  // Move the server's last acceptance back past the 60 s lifetime.
  PersistedState state = *loadState().state;
  state.registrations[0].updatedAt -= 61;
  ASSERT_TRUE(StateStore(dir_.file("state")).save(state));
  const std::size_t seen = server_.notifications(token).size();
  startDaemon(resumeConfig());
  ASSERT_TRUE(server_.waitForEvent(Event::Kind::Register, 10s)) << daemon_->output();
  EXPECT_EQ(countOf(Event::Kind::Update), 0u);
  setOffset("+04:00");
  server_.waitFor([] { return false; }, 1500ms);
  EXPECT_EQ(server_.notifications(token).size(), seen) << "an expired observation notified";
}

TEST_F(ResumeTest, ServerThatForgotAnswers404AndTheClientRegistersAnew) {
  const Token token = registerAndObserve();
  ASSERT_FALSE(token.empty());
  ASSERT_TRUE(waitForSavedSession(1));
  killDaemon();
  server_.failNextUpdates(1, kNotFound);
  const std::size_t seen = server_.notifications(token).size();
  startDaemon(resumeConfig());
  auto update = server_.waitForEvent(Event::Kind::Update, 10s);
  ASSERT_TRUE(update) << daemon_->output();
  EXPECT_EQ(update->code, kNotFound);
  auto reg = server_.waitForEvent(Event::Kind::Register, 10s);
  ASSERT_TRUE(reg) << daemon_->output();
  setOffset("+05:00");
  server_.waitFor([] { return false; }, 1500ms);
  EXPECT_EQ(server_.notifications(token).size(), seen) << "the forgotten observation notified";
  // The new registration is saved without the old observation.
  EXPECT_TRUE(waitForSavedSession(0)) << daemon_->output();
}

TEST_F(ResumeTest, TakenPortRegistersAnew) {
  const Token token = registerAndObserve();
  ASSERT_FALSE(token.empty());
  ASSERT_TRUE(waitForSavedSession(1));
  killDaemon();
  // Someone else holds the port now (without SO_REUSEADDR, so the bind must fail).
  const int blocker = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(blocker, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port_);
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  ASSERT_EQ(::bind(blocker, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  startDaemon(resumeConfig());
  auto reg = server_.waitForEvent(Event::Kind::Register, 10s);
  ::close(blocker);
  ASSERT_TRUE(reg) << daemon_->output();
  EXPECT_EQ(countOf(Event::Kind::Update), 0u);
}

TEST_F(ResumeTest, ObserveValuesStayAboveTheReserveAfterManyNotifications) {
  const Token token = registerAndObserve();
  ASSERT_FALSE(token.empty());
  // More notifications than one reserve of Observe values (1024) holds.
  for (int i = 0; i < 1100; ++i) {
    setOffset(i % 2 ? "+01:00" : "+02:00");
    if (::testing::Test::HasFatalFailure()) return;
  }
  ASSERT_TRUE(server_.waitForNotifications(token, 1000, 10s))
      << server_.notifications(token).size();
  server_.pump(100ms);
  const uint32_t before = lastObserve(token);
  ASSERT_GT(before, 1024u);
  // Let the reserve moved by the latest notifications reach the disk, then kill.
  ASSERT_TRUE(server_.waitFor(
      [&] {
        LoadResult loaded = loadState();
        return loaded.state && loaded.state->observations.size() == 1 &&
               loaded.state->observations[0].sequence > before;
      },
      5s));
  killDaemon();
  startDaemon(resumeConfig());
  expectResumed(token, before);
}

TEST_F(ResumeTest, OnStopMustBeDeregisterOrKeep) {
  startDaemon(resumeConfig("on_stop = \"linger\"\n"));
  auto status = daemon_->waitExit(5s);
  ASSERT_TRUE(status);
  EXPECT_NE(*status, 0);
  EXPECT_THAT(daemon_->output(), ::testing::HasSubstr("registration.on_stop"));
  EXPECT_THAT(daemon_->output(), ::testing::HasSubstr("\"linger\""));
}

}  // namespace
}  // namespace lwm2md::test
