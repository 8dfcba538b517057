// Issue 8: kill -9 of the daemon at random moments, many times over (the count is
// LWM2MD_FAULTS_KILLS, 200 by default; 1000 and more by hand). Each round the daemon starts on
// what the previous kill left, the server writes the lifetime (/1/0/1) again and again, each
// write a save of the state, and a thread SIGKILLs the daemon after a random delay: during
// start-up, the Register, a write or a save. After every kill the state directory must load
// without a problem and hold a lifetime that was really written; the next start must come up
// and Register with exactly that lifetime. Every tenth round waits for the Register before the
// kill, so that a restart that never registers cannot hide behind early kills.
// (tests/e2e/durability kills 105 times during bootstraps; this is the long random loop.)
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <thread>

#include "faults_fixture.hpp"
#include "store/state_store.hpp"

namespace lwm2md::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::int64_t kConfigLifetime = 60;

unsigned killsFromEnv() {
  const char* text = std::getenv("LWM2MD_FAULTS_KILLS");
  const unsigned long kills = text ? std::strtoul(text, nullptr, 10) : 200;
  return static_cast<unsigned>(std::clamp<unsigned long>(kills, 1, 100000));
}

class KillLoop : public FaultFixture {
 protected:
  std::string config() const {
    // Straight to the server (no relay): this test is about the daemon's own state.
    return "endpoint = \"faults-kill\"\nlog_level = \"info\"\n"
           "[registration]\nretry_initial = 1\nretry_max = 2\n"
           "[device]\nmanufacturer = \"lwm2md tests\"\n"
           "[[server]]\nuri = \"" +
           server_.uri() + "\"\nshort_id = 1\nlifetime = " + std::to_string(kConfigLifetime) +
           "\nbinding = \"U\"\n";
  }

  /// The lifetime of server 1's Server instance in a loaded state.
  static std::optional<std::int64_t> lifetimeIn(const PersistedState& state) {
    for (const auto& [oid, instance] : state.instances) {
      if (oid != 1) continue;
      std::optional<std::int64_t> shortId, lifetime;
      for (const auto& r : instance.resources) {
        if (!r.value) continue;
        std::optional<std::int64_t> number;
        if (const auto* v = std::get_if<std::int64_t>(&*r.value)) number = *v;
        if (const auto* u = std::get_if<std::uint64_t>(&*r.value))
          number = static_cast<std::int64_t>(*u);
        if (r.id == 0) shortId = number;
        if (r.id == 1) lifetime = number;
      }
      if (shortId == 1) return lifetime;
    }
    return std::nullopt;
  }

  /// The first Register since `from`, or the first accepted Update: a restart within the
  /// lifetime resumes the saved registration with one (issue 8). Its "lt" is then the lifetime
  /// the server holds for that registration after the Update.
  std::optional<Event> registerSince(std::size_t from) const {
    for (std::size_t i = from; i < server_.events().size(); ++i) {
      Event e = server_.events()[i];
      if (e.kind == Event::Kind::Register) return e;
      if (e.kind != Event::Kind::Update || e.code != kChanged) continue;
      const auto record = server_.registrations().find(e.location);
      if (record != server_.registrations().end() && record->second.query.count("lt"))
        e.query["lt"] = record->second.query.at("lt");
      return e;
    }
    return std::nullopt;
  }
};

TEST_F(KillLoop, RandomKillsNeverCorruptTheStateAndRestartAlwaysWorks) {
  const unsigned kills = killsFromEnv();
  std::mt19937 random(8);  // the same moments every run
  std::uniform_int_distribution<int> delayMs(0, 600);
  const std::string stateDir = dir_.file("state");

  std::set<std::int64_t> written = {kConfigLifetime};  // every lifetime ever sent
  std::int64_t nextLifetime = 100;
  unsigned writesRetried = 0;
  unsigned registersChecked = 0, savesSeen = 0, writesAcked = 0, ackedNotDurable = 0,
           startupKills = 0, failures = 0;
  const auto began = Clock::now();

  for (unsigned round = 0; round < kills && failures < 5; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    // What the previous kill left, as the daemon will read it.
    const LoadResult before = StateStore(stateDir).load();
    const std::int64_t expectLt =
        before.state ? lifetimeIn(*before.state).value_or(-1) : kConfigLifetime;

    for (int i = 0; i < 3; ++i) server_.pump(milliseconds(1));  // the last daemon's leftovers
    const std::size_t from = server_.events().size();
    startDaemon(config());
    if (HasFatalFailure()) return;
    const bool waitForRegister = round % 10 == 9;
    const milliseconds delay(delayMs(random));

    std::optional<std::thread> killer;
    if (!waitForRegister) {
      const pid_t pid = daemon_->pid();
      killer.emplace([pid, delay] {
        std::this_thread::sleep_for(delay);
        ::kill(pid, SIGKILL);
      });
    }
    bool registerChecked = false;
    std::optional<std::int64_t> ackedThisRound;
    std::set<std::int64_t> sentAfterAck;
    const auto deadline = Clock::now() + std::chrono::seconds(15);
    while (daemon_->running() && Clock::now() < deadline) {
      server_.pump(milliseconds(2));
      auto reg = registerSince(from);
      if (!reg) continue;
      if (!registerChecked) {
        registerChecked = true;
        ++registersChecked;
        if (reg->query["lt"] != std::to_string(expectLt)) {
          ++failures;
          ADD_FAILURE() << "restarted with lt=" << reg->query["lt"] << ", the state holds "
                        << expectLt;
        }
        if (waitForRegister) {
          // Then one write, answered, and the kill 0..40 ms after it.
          RequestOptions options;
          options.contentFormat = kTextPlain;
          const std::string text = std::to_string(nextLifetime);
          options.payload.assign(text.begin(), text.end());
          written.insert(nextLifetime++);
          auto answer = server_.request(Method::Put, "/1/0/1", options);
          if (!answer) {
            // Open question (see the session 3 note): about once in 200 rounds in CI the first
            // write after a restart gets no answer at all, with nothing in the daemon's log,
            // which points at the long-lived test server's session for a reused client port.
            // A server retries an unanswered request; so does this one, once, and counts it.
            ++writesRetried;
            answer = server_.request(Method::Put, "/1/0/1", options);
          }
          if (!answer || answer->code != kChanged) {
            ++failures;
            ADD_FAILURE() << "write refused by a running daemon ("
                          << (answer ? "code " + std::to_string(answer->code) : "no answer twice")
                          << ")\n"
                          << daemon_->output();
          } else {
            ++writesAcked;
            ackedThisRound = nextLifetime - 1;
            sentAfterAck.clear();
          }
          std::this_thread::sleep_for(milliseconds(delay.count() / 10));
          daemon_->signal(SIGKILL);
          break;
        }
      }
      // Registered: keep writing lifetimes until the kill comes. Non-confirmable: a CON the
      // kill leaves unanswered is retransmitted by the test server's libcoap for ~93 s on
      // that client port's session and holds back (NSTART=1) every later request on it, so a
      // later daemon that the kernel gives the same ephemeral port never heard the test's
      // write (seen in CI: "no answer twice", nothing in the daemon's log).
      RequestOptions options;
      options.contentFormat = kTextPlain;
      options.confirmable = false;
      options.timeout = milliseconds(300);
      const std::string text = std::to_string(nextLifetime);
      options.payload.assign(text.begin(), text.end());
      written.insert(nextLifetime);
      sentAfterAck.insert(nextLifetime);
      auto answer = server_.request(Method::Put, "/1/0/1", options);
      if (answer && answer->code == kChanged) {
        ++writesAcked;
        ackedThisRound = nextLifetime;
        sentAfterAck.clear();
      }
      ++nextLifetime;
    }
    if (killer) killer->join();
    const auto status = daemon_->waitExit(5s);
    if (status != 128 + SIGKILL) {
      ++failures;
      ADD_FAILURE() << "the daemon ended with " << status.value_or(-1)
                    << " before the kill (a failed start?)\n"
                    << daemon_->output();
      continue;
    }
    if (!registerChecked) ++startupKills;

    // What the kill left: always a clean load, and a lifetime that was really written.
    const LoadResult after = StateStore(stateDir).load();
    if (!after.problems.empty()) {
      ++failures;
      ADD_FAILURE() << "damaged state after a kill: " << ::testing::PrintToString(after.problems);
    }
    if (after.state) {
      ++savesSeen;
      const auto lifetime = lifetimeIn(*after.state);
      if (!lifetime || !written.count(*lifetime)) {
        ++failures;
        ADD_FAILURE() << "the state holds lifetime " << lifetime.value_or(-1)
                      << ", which nobody wrote";
      } else if (ackedThisRound && *lifetime != *ackedThisRound && !sentAfterAck.count(*lifetime)) {
        // A 2.04 went out before the save (the daemon saves from a timer right after the
        // response): counted and reported, not a corruption.
        ++ackedNotDurable;
      }
    }
  }

  // The final state starts a daemon that registers with what it holds.
  const LoadResult last = StateStore(stateDir).load();
  EXPECT_TRUE(last.problems.empty());
  const std::size_t from = server_.events().size();
  startDaemon(config());
  auto reg = server_.waitFor([&] { return registerSince(from).has_value(); }, 15s);
  ASSERT_TRUE(reg) << daemon_->output();
  if (last.state) {
    EXPECT_EQ(registerSince(from)->query["lt"],
              std::to_string(lifetimeIn(*last.state).value_or(-1)));
  }

  const double seconds = std::chrono::duration<double>(Clock::now() - began).count();
  std::printf(
      "[faults] %u kills in %.1f s (%.0f ms each): %u restarts registered and checked, %u killed "
      "before registering, %u states loaded clean, %u lifetime writes acknowledged, %u "
      "acknowledged writes lost by a kill right after the answer, %u writes sent twice\n",
      kills, seconds, 1000 * seconds / kills, registersChecked, startupKills, savesSeen,
      writesAcked, ackedNotDurable, writesRetried);
  EXPECT_EQ(failures, 0u);
  EXPECT_GT(registersChecked, kills / 10);
  EXPECT_GT(savesSeen, 0u);
}

}  // namespace
}  // namespace lwm2md::test
