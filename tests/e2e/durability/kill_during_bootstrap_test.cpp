// Issue 4: SIGKILL at many points of a bootstrap leaves the old or the new provisioning, never
// a mix and never nothing, and the daemon starts on whatever was left. The daemon is first
// bootstrapped to OLD (server A, lifetime 60); then, again and again, it starts on that state,
// goes into a bootstrap (asked for by server A with Execute /1/1/9, or begun by the
// Bootstrap-Server unasked), is re-provisioned to NEW (server B, lifetime 77) and is killed at
// a point that moves through the exchange. Whenever a kill left NEW, the OLD files are copied
// back for the next round.
#include <signal.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "durability_fixture.hpp"

namespace lwm2md::test {
namespace {

namespace fs = std::filesystem;
using std::chrono::microseconds;
using std::chrono::milliseconds;

/// Where in the bootstrap the daemon is killed; iteration i uses stage i % kStages.
enum Stage : unsigned {
  kBeforeDelete,    // the Bootstrap-Request answered, nothing written yet
  kAfterDelete,     // Bootstrap-Delete "/" answered
  kAfterSecurity,   // Write /0/1 (NEW's URI) answered
  kAfterServer,     // Write /1/1 (NEW's lifetime) answered
  kFinishSent,      // Finish on its way or being handled: killed 0..2 ms after sending it
  kFinishAnswered,  // just after the 2.04 to Finish arrived
  kAfterFinish,     // 1..25 ms after the 2.04 (the daemon registers with NEW meanwhile)
  kStages
};
constexpr std::array<const char*, kStages> kStageNames = {
    "before-delete", "after-delete",    "after-write-/0/1", "after-write-/1/1",
    "finish-sent",   "finish-answered", "finish+ms"};

constexpr unsigned kRounds = 15;  // every stage is hit this many times
constexpr unsigned kIterations = kRounds * kStages;
constexpr std::int64_t kOldLifetime = 60, kNewLifetime = 77;
constexpr int kKilledStatus = 128 + SIGKILL;

enum Outcome : unsigned { kOld, kNew, kMixed, kNothing, kOutcomes };
constexpr std::array<const char*, kOutcomes> kOutcomeNames = {"OLD", "NEW", "MIXED", "NOTHING"};

class KillDuringBootstrap : public DurabilityFixture {
 protected:
  Provisioning oldOne() const { return {server_.uri(), kOldLifetime}; }
  Provisioning newOne() const { return {serverB_.uri(), kNewLifetime}; }

  Outcome classify(const Provisioning& found) const {
    if (found == oldOne()) return kOld;
    if (found == newOne()) return kNew;
    return (found.uri || found.lifetime) ? kMixed : kNothing;
  }

  /// What the daemon did when started on the state directory: its first Register (which
  /// server, which lifetime) or a Bootstrap-Request (nothing usable was saved).
  struct Start {
    Outcome outcome = kNothing;
    std::string detail;
  };

  Start startAndWatch() {
    drainPeers();
    const std::size_t fromA = server_.events().size(), fromB = serverB_.events().size(),
                      fromBs = bs_.events().size();
    startDaemon(bootstrapConfig());
    Start seen{kNothing, "neither a Register, an Update nor a Bootstrap-Request within 10 s"};
    auto registerIn = [&](const TestLwm2mServer& server, std::size_t from) {
      for (std::size_t i = from; i < server.events().size(); ++i) {
        const Event& e = server.events()[i];
        // A registration saved within its lifetime is resumed with an Update (issue 8): its
        // lifetime is the Update's lt, or else the one the registration holds.
        const bool resumed = e.kind == Event::Kind::Update && e.code == kChanged;
        if (e.kind != Event::Kind::Register && !resumed) continue;
        std::string lt = e.query.count("lt") ? e.query.at("lt") : "";
        if (resumed && lt.empty()) {
          const auto record = server.registrations().find(e.location);
          if (record != server.registrations().end() && record->second.query.count("lt"))
            lt = record->second.query.at("lt");
        }
        Provisioning found{server.uri(), std::strtoll(lt.c_str(), nullptr, 10)};
        seen = {classify(found), (resumed ? "Update at " : "Register at ") + found.describe()};
        return true;
      }
      return false;
    };
    server_.waitFor(
        [&] {
          if (registerIn(server_, fromA) || registerIn(serverB_, fromB)) return true;
          if (count(bs_, Event::Kind::BootstrapRequest, fromBs) > 0) {
            seen = {kNothing, "Bootstrap-Request (nothing usable saved)"};
            return true;
          }
          if (!daemon_->running()) {
            seen = {kNothing, "the daemon exited"};
            return true;
          }
          return false;
        },
        10s);
    return seen;
  }

  /// SIGKILL now (a no-op when a killer thread was first) and reap.
  void killDaemon() {
    daemon_->signal(SIGKILL);
    const auto status = daemon_->waitExit(5s);
    lastOutput_ = daemon_->output();
    EXPECT_EQ(status, kKilledStatus) << lastOutput_;
  }

  /// Plays the Bootstrap-Server's part of NEW and kills the daemon at `stage`; `round` moves
  /// the moment by a few microseconds (or milliseconds after Finish) from one round to the next.
  void bootstrapAndKill(unsigned stage, unsigned round) {
    const microseconds jitter{(round * 53) % 300};
    auto killAfterJitter = [&] {
      std::this_thread::sleep_for(jitter);
      killDaemon();
    };
    if (stage == kBeforeDelete) return killAfterJitter();
    auto deleted = bs_.bootstrapDelete("/");
    ASSERT_TRUE(deleted) << daemon_->output();
    ASSERT_EQ(deleted->code, kDeleted) << TestLwm2mServer::text(*deleted);
    if (stage == kAfterDelete) return killAfterJitter();
    auto security = bs_.bootstrapWrite("/0/1", kSenmlJson, securityPayload(serverB_.uri()));
    ASSERT_TRUE(security) << daemon_->output();
    ASSERT_EQ(security->code, kChanged) << TestLwm2mServer::text(*security);
    if (stage == kAfterSecurity) return killAfterJitter();
    auto server = bs_.bootstrapWrite("/1/1", kSenmlJson, serverPayload(kNewLifetime));
    ASSERT_TRUE(server) << daemon_->output();
    ASSERT_EQ(server->code, kChanged) << TestLwm2mServer::text(*server);
    if (stage == kAfterServer) return killAfterJitter();

    if (stage == kFinishSent) {
      // The kill comes from another thread while this one sends Finish and waits: anywhere
      // from before the daemon reads it to after it answered.
      const pid_t pid = daemon_->pid();
      const microseconds delay{(round * 137) % 2000};
      std::thread killer([pid, delay] {
        std::this_thread::sleep_for(delay);
        ::kill(pid, SIGKILL);
      });
      RequestOptions options;
      options.timeout = 300ms;
      (void)bs_.request(Method::Post, "/bs", options);
      killer.join();
      return killDaemon();
    }
    auto finish = bs_.bootstrapFinish();
    ASSERT_TRUE(finish) << daemon_->output();
    ASSERT_EQ(finish->code, kChanged) << TestLwm2mServer::text(*finish);
    if (stage == kFinishAnswered) {
      std::this_thread::sleep_for(microseconds{(round * 7) % 100});
      return killDaemon();
    }
    server_.waitFor([] { return false; }, milliseconds{1 + (round * 17) % 25});
    killDaemon();
  }

  void restoreOld() {
    std::error_code ec;
    fs::remove_all(stateDir(), ec);
    fs::copy(oldCopy(), stateDir(), fs::copy_options::recursive, ec);
    ASSERT_FALSE(ec) << "cannot restore the OLD state: " << ec.message();
  }
  fs::path oldCopy() const { return dir_.file("old-state"); }

  /// Bootstraps the daemon to OLD (server A, lifetime 60), stops it, and keeps a copy of the
  /// state directory for restoreOld().
  void makeOld() {
    startDaemon(bootstrapConfig());
    provision(server_.uri(), kOldLifetime);
    ASSERT_TRUE(server_.waitForEvent(Event::Kind::Register, 10s)) << daemon_->output();
    ASSERT_EQ(daemon_->stop(10s, [this] { server_.pump(10ms); }), 0) << daemon_->output();
    LoadResult saved = loadState();
    ASSERT_TRUE(saved.state) << ::testing::PrintToString(saved.problems);
    ASSERT_EQ(provisioningIn(*saved.state), oldOne());
    std::error_code ec;
    fs::copy(stateDir(), oldCopy(), fs::copy_options::recursive, ec);
    ASSERT_FALSE(ec) << ec.message();
  }

  /// Gets the running daemon (registered with OLD) into a bootstrap: asked for by server A
  /// (Execute /1/1/9, then a Bootstrap-Request), or begun by the Bootstrap-Server unasked, at
  /// the address the daemon's start-up ping showed it.
  void beginBootstrap(bool serverInitiated) {
    if (serverInitiated) {
      ASSERT_TRUE(daemon_->waitForOutput("listening for a server-initiated bootstrap", 5s, [this] {
        bs_.pump(1ms);
      })) << daemon_->output();
      bs_.pump(1ms);  // the ping is on the socket by now: the daemon is bs_'s peer
      return;
    }
    const std::size_t from = bs_.events().size();
    auto trigger = server_.execute("/1/1/9");
    ASSERT_TRUE(trigger) << daemon_->output();
    ASSERT_EQ(trigger->code, kChanged) << TestLwm2mServer::text(*trigger);
    ASSERT_TRUE(
        bs_.waitFor([&] { return count(bs_, Event::Kind::BootstrapRequest, from) > 0; }, 10s))
        << daemon_->output();
  }

  /// What a kill left, as the store reads it; problems reading it are test failures.
  Outcome outcomeOnDisk(Provisioning& found) {
    const LoadResult loaded = loadState();
    EXPECT_TRUE(loaded.problems.empty()) << ::testing::PrintToString(loaded.problems);
    found = loaded.state ? provisioningIn(*loaded.state) : Provisioning{};
    return loaded.state ? classify(found) : kNothing;
  }

  std::string lastOutput_;
};

TEST_F(KillDuringBootstrap, KillDuringBootstrapLeavesOldOrNewState) {
  const auto began = std::chrono::steady_clock::now();
  makeOld();
  if (HasFatalFailure()) return;

  std::array<std::array<unsigned, kOutcomes>, kStages> tally{};
  int failures = 0;
  unsigned previousStage = kStages;  // the stage whose outcome the next start shows
  for (unsigned i = 0; i < kIterations && failures < 5; ++i) {
    const unsigned stage = i % kStages, round = i / kStages;
    // Odd rounds: the Bootstrap-Server begins on its own (the daemon holds from its first
    // request); even rounds: server A asks the client to bootstrap.
    const bool serverInitiated = round % 2 == 1;
    SCOPED_TRACE("iteration " + std::to_string(i) + ", kill " + kStageNames[stage] +
                 (serverInitiated ? ", server-initiated" : ", client-initiated"));

    // The daemon starts on OLD (after a kill that left OLD, on exactly what the kill left).
    const Start start = startAndWatch();
    if (start.outcome != kOld) {
      ++failures;
      ADD_FAILURE() << "start on an OLD state: " << start.detail << " (left by a kill at "
                    << (previousStage < kStages ? kStageNames[previousStage] : "none")
                    << ")\nthe killed daemon's output:\n"
                    << lastOutput_ << "\nthis daemon's output:\n"
                    << daemon_->output();
      killDaemon();
      restoreOld();
      previousStage = kStages;
      continue;
    }
    beginBootstrap(serverInitiated);
    if (HasFatalFailure()) return;
    bootstrapAndKill(stage, round);
    if (HasFatalFailure()) return;

    // What the store would restore: OLD or NEW, read without any problem (a kill never
    // leaves a torn state.json behind).
    Provisioning found;
    const Outcome outcome = outcomeOnDisk(found);
    ++tally[stage][outcome];
    if (outcome != kOld && outcome != kNew) {
      ++failures;
      ADD_FAILURE() << "the kill left " << kOutcomeNames[outcome] << ": " << found.describe()
                    << "\nthe killed daemon's output:\n"
                    << lastOutput_;
    }
    // Nothing a Bootstrap-Server writes is durable before Finish.
    if (stage <= kAfterServer) {
      EXPECT_EQ(outcome, kOld) << "durable before Bootstrap-Finish: " << found.describe();
    }

    previousStage = stage;
    if (outcome != kOld) {
      // The daemon starts on it and does what the files say; then back to OLD.
      const Start after = startAndWatch();
      EXPECT_EQ(after.outcome, outcome) << after.detail << "\n" << daemon_->output();
      killDaemon();
      restoreOld();
      previousStage = kStages;
    }
  }
  // The last kill's OLD, if it left OLD, gets its start too.
  const Start last = startAndWatch();
  EXPECT_EQ(last.outcome, kOld) << last.detail << "\n" << daemon_->output();

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  unsigned olds = 0, news = 0;
  std::string perStage;
  for (unsigned s = 0; s < kStages; ++s) {
    olds += tally[s][kOld];
    news += tally[s][kNew];
    perStage += std::string(s ? ", " : "") + kStageNames[s] + " " + std::to_string(tally[s][kOld]) +
                "/" + std::to_string(tally[s][kNew]);
    if (tally[s][kMixed] + tally[s][kNothing])
      perStage += " (+" + std::to_string(tally[s][kMixed] + tally[s][kNothing]) + " bad)";
  }
  std::printf("[durability] %u kills in %.1f s: OLD %u, NEW %u; per stage OLD/NEW: %s\n",
              kIterations, seconds, olds, news, perStage.c_str());
  EXPECT_EQ(olds + news, kIterations);
}

// A 2.04 to Bootstrap-Finish tells the Bootstrap-Server the client took the new provisioning;
// a crash right after it must not bring the old one back (the Bootstrap-Server would never
// know: the client registers with the old server and asks for no bootstrap).
TEST_F(KillDuringBootstrap, AnsweredBootstrapFinishIsDurable) {
  makeOld();
  if (HasFatalFailure()) return;
  constexpr unsigned kTries = 5;
  unsigned lost = 0;
  for (unsigned i = 0; i < kTries; ++i) {
    SCOPED_TRACE("try " + std::to_string(i));
    const Start start = startAndWatch();
    ASSERT_EQ(start.outcome, kOld) << start.detail << "\n" << daemon_->output();
    beginBootstrap(/*serverInitiated=*/false);
    if (HasFatalFailure()) return;
    bootstrapAndKill(kFinishAnswered, /*round=*/0);  // killed as soon as the 2.04 is here
    if (HasFatalFailure()) return;
    Provisioning found;
    const Outcome outcome = outcomeOnDisk(found);
    EXPECT_TRUE(outcome == kOld || outcome == kNew) << found.describe();
    if (outcome != kNew) ++lost;
    restoreOld();
  }
  EXPECT_EQ(lost, 0u) << lost << " of " << kTries
                      << " bootstraps answered 2.04 to Finish were lost by a SIGKILL right "
                         "after the answer: the daemon answers Finish before it saves the new "
                         "provisioning (the save runs from a timer after the response)";
}

}  // namespace
}  // namespace lwm2md::test
