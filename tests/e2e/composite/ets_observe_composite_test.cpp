// ETS Observe-Composite cases (FETCH with Observe): int-304, int-305, int-308, int-309,
// int-310. The ETS periods (pmin 30, pmax 45, ...) are scaled down to seconds so the suite
// stays fast; the server's defaults are those of configuration C.1 (no pmin, no pmax).
#include "composite_fixture.hpp"

namespace lwm2md::test {
namespace {

using Clock = std::chrono::steady_clock;
using senml::values;

class EtsObserveComposite : public CompositeFixture {
 protected:
  void SetUp() override {
    CompositeFixture::SetUp();
    // Configuration C.1: Default Minimum and Maximum Period 0.
    EXPECT_CODE(sendText(Method::Put, "/1/0/2", "0"), code::kChanged);
    EXPECT_CODE(sendText(Method::Put, "/1/0/3", "0"), code::kChanged);
  }

  Response observe(const std::vector<std::string>& paths, uint16_t format = kSenmlJson) {
    auto r = server_.startCompositeObserve(format, senml::pathList(paths, format));
    EXPECT_TRUE(r) << "no answer; daemon output:\n" << daemon_->output();
    return r.value_or(Response{});
  }

  bool waitNotifications(const Token& token, size_t count, std::chrono::milliseconds timeout) {
    return server_.waitForNotifications(token, count, timeout);
  }

  /// Lets time pass while the server keeps answering.
  void idle(std::chrono::milliseconds duration) {
    server_.waitFor([] { return false; }, duration);
  }
};

TEST_F(EtsObserveComposite, Int304_ObserveComposite) {
  // pmin 30 / pmax 45 on /1/0/1 in the ETS: here 1 and 2 seconds.
  EXPECT_CODE(attributes("/1/0/1", {"pmin=1", "pmax=2"}), code::kChanged);
  const auto start = Clock::now();
  Response first = observe({"/1/0/1", "/3/0/11/0", "/3/0/16"});
  EXPECT_CODE(first, code::kContent);
  ASSERT_TRUE(first.observe) << "observation not established";
  EXPECT_EQ(first.contentFormat, kSenmlJson);
  const std::map<std::string, json> expected = {
      {"/1/0/1", 86400}, {"/3/0/11/0", 0}, {"/3/0/16", "U"}};
  EXPECT_EQ(values(first), expected);

  // Nothing changes: the pmax of /1/0/1 brings the next one, not before its pmin.
  ASSERT_TRUE(waitNotifications(first.token, 1, 5s)) << daemon_->output();
  const auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, 1800ms);
  EXPECT_LE(elapsed, 4s);
  const Response note = server_.notifications(first.token)[0];  // a copy: the vector may grow
  EXPECT_CODE(note, code::kContent);
  EXPECT_EQ(note.contentFormat, kSenmlJson);
  ASSERT_TRUE(note.observe);
  EXPECT_GT(*note.observe, *first.observe);
  EXPECT_EQ(values(note), expected);

  // A change of one of the paths is reported too, with the whole composite.
  EXPECT_CODE(sendText(Method::Put, "/1/0/1", "86401"), code::kChanged);
  ASSERT_TRUE(server_.waitFor(
      [&] {
        for (const auto& n : server_.notifications(first.token))
          if (values(n).at("/1/0/1") == 86401) return true;
        return false;
      },
      4s))
      << daemon_->output();
  EXPECT_CODE(sendText(Method::Put, "/1/0/1", "86400"), code::kChanged);
}

TEST_F(EtsObserveComposite, Int305_CancelObserveComposite) {
  EXPECT_CODE(attributes("/3/0/16", {"pmax=1"}), code::kChanged);
  Response first = observe({"/1/0/1", "/3/0/11/0", "/3/0/16"}, kSenmlCbor);
  ASSERT_TRUE(first.observe) << daemon_->output();
  EXPECT_EQ(first.contentFormat, kSenmlCbor);
  ASSERT_TRUE(waitNotifications(first.token, 1, 3s)) << daemon_->output();

  // Active cancel: the same FETCH with Observe=1 answers once more, without Observe.
  auto cancelled = server_.cancelObserve(first.token);
  ASSERT_TRUE(cancelled);
  EXPECT_CODE(*cancelled, code::kContent);
  EXPECT_FALSE(cancelled->observe);
  EXPECT_EQ(values(*cancelled).size(), 3u);
  EXPECT_TRUE(daemon_->waitForOutput("cancelled", 2s, [this] { server_.pump(10ms); }));
  const size_t count = server_.notifications(first.token).size();
  idle(2500ms);
  EXPECT_EQ(server_.notifications(first.token).size(), count);

  // Passive cancel: the next notification is answered with RST, which ends it.
  Response second = observe({"/1/0/1", "/3/0/16"});
  ASSERT_TRUE(second.observe) << daemon_->output();
  server_.forgetObserve(second.token);
  EXPECT_TRUE(daemon_->waitForOutput("ends: the server answered with RST", 4s, [this] {
    server_.pump(10ms);
  })) << daemon_->output();
}

TEST_F(EtsObserveComposite, Int308_ObserveCompositeAndCreatingObjectInstance) {
  createPortfolio(0, {"aa", "bb", "cc", "dd"});
  // pmin 30 / pmax 45 on /16/0 in the ETS: here 2 and 6 seconds.
  EXPECT_CODE(attributes("/16/0", {"pmin=2", "pmax=6"}), code::kChanged);
  Response first = observe({"/16/0", "/16/1"});  // /16/1 does not exist yet
  EXPECT_CODE(first, code::kContent);
  ASSERT_TRUE(first.observe) << daemon_->output();
  const std::map<std::string, json> one = {
      {"/16/0/0/0", "aa"}, {"/16/0/0/1", "bb"}, {"/16/0/0/2", "cc"}, {"/16/0/0/3", "dd"}};
  EXPECT_EQ(values(first), one);

  const auto start = Clock::now();
  createPortfolio(1, {"11", "22", "33", "44"});
  ASSERT_TRUE(waitNotifications(first.token, 1, 5s)) << daemon_->output();
  // Held back by /16/0's pmin, but well before its pmax.
  EXPECT_GE(Clock::now() - start, 1500ms);
  EXPECT_LT(Clock::now() - start, 5s);
  auto both = one;
  both.insert({{"/16/1/0/0", "11"}, {"/16/1/0/1", "22"}, {"/16/1/0/2", "33"}, {"/16/1/0/3", "44"}});
  EXPECT_EQ(values(server_.notifications(first.token)[0]), both);
  server_.cancelObserve(first.token);
}

TEST_F(EtsObserveComposite, Int309_ObserveCompositeAndDeletingObjectInstance) {
  createPortfolio(0, {"aa", "bb", "cc", "dd"});
  createPortfolio(1, {"11", "22", "33", "44"});
  EXPECT_CODE(attributes("/16/0", {"pmin=1", "pmax=6"}), code::kChanged);
  Response first = observe({"/16/0", "/16/1"}, kSenmlCbor);
  ASSERT_TRUE(first.observe) << daemon_->output();
  EXPECT_EQ(values(first).size(), 8u);

  EXPECT_CODE(call(Method::Delete, "/16/1"), code::kDeleted);
  ASSERT_TRUE(waitNotifications(first.token, 1, 5s)) << daemon_->output();
  // The observation goes on without the deleted instance: no 4.04 ends it.
  const Response note = server_.notifications(first.token)[0];  // a copy: the vector may grow
  EXPECT_CODE(note, code::kContent);
  ASSERT_TRUE(note.observe);
  EXPECT_EQ(
      values(note),
      (std::map<std::string, json>{
          {"/16/0/0/0", "aa"}, {"/16/0/0/1", "bb"}, {"/16/0/0/2", "cc"}, {"/16/0/0/3", "dd"}}));

  // Once nothing it lists exists, the read fails and a 4.04 ends it.
  EXPECT_CODE(call(Method::Delete, "/16/0"), code::kDeleted);
  ASSERT_TRUE(server_.waitFor(
      [&] {
        const auto& notes = server_.notifications(first.token);
        return !notes.empty() && notes.back().code == code::kNotFound;
      },
      5s))
      << daemon_->output();
  EXPECT_FALSE(server_.notifications(first.token).back().observe);
}

TEST_F(EtsObserveComposite, Int310_ObserveCompositeAndModificationOfParameterValues) {
  Response first = observe({"/1/0/1", "/3/0"});
  ASSERT_TRUE(first.observe) << daemon_->output();
  // No pmax anywhere yet (C.1): nothing comes unless something changes.
  idle(1500ms);
  // The notifications the clock /3/0/13 would cause are not reported without a change event.
  EXPECT_TRUE(server_.notifications(first.token).empty());

  // pmax on the object /3 reaches the observed /3/0: a notification every second.
  EXPECT_CODE(attributes("/3", {"pmax=1"}), code::kChanged);
  const auto start = Clock::now();
  ASSERT_TRUE(waitNotifications(first.token, 2, 4s)) << daemon_->output();
  EXPECT_LT(Clock::now() - start, 3500ms);
  const auto all = values(server_.notifications(first.token)[0]);
  EXPECT_EQ(all.at("/3/0/0"), "Open Mobile Alliance");
  std::map<std::string, json> server;
  for (const auto& [name, value] : all)
    if (name.starts_with("/1/")) server[name] = value;
  EXPECT_EQ(server, (std::map<std::string, json>{{"/1/0/1", 86400}}));
  const auto& notes = server_.notifications(first.token);
  EXPECT_GT(*notes[1].observe, *notes[0].observe);
  server_.cancelObserve(first.token);
}

TEST_F(EtsObserveComposite, LargeCompositeNotificationGoesBlockWise) {
  // About 4 KiB of identities: the initial answer and every notification exceed one datagram.
  // The first block of a notification comes with the Observe option; the server fetches the
  // rest with FETCH and Block2 (RFC 7959 §2.6, RFC 8132), which may leave the payload out: the
  // daemon serves the continuation from the very representation it notified.
  std::vector<std::string> identities;
  for (int i = 0; i < 40; ++i)
    identities.push_back(std::string(100, static_cast<char>('a' + i % 26)));
  createPortfolio(0, identities);
  Response first = observe({"/16/0", "/1/0/1"}, kSenmlCbor);
  ASSERT_TRUE(first.observe) << daemon_->output();
  EXPECT_EQ(values(first).size(), 41u);

  json pack = json::array();
  pack.push_back({{"n", "/16/0/0/39"}, {"vs", std::string(100, 'z')}});
  EXPECT_CODE(patch(pack), code::kChanged);
  ASSERT_TRUE(waitNotifications(first.token, 1, 5s)) << daemon_->output();
  const Response note = server_.notifications(first.token)[0];
  EXPECT_CODE(note, code::kContent);
  const auto all = values(note);
  ASSERT_EQ(all.size(), 41u) << "the notification was not reassembled whole";
  EXPECT_EQ(all.at("/16/0/0/39"), std::string(100, 'z')) << daemon_->output();
  EXPECT_EQ(all.at("/16/0/0/0"), identities[0]);
  EXPECT_EQ(all.at("/1/0/1"), 86400);
  server_.cancelObserve(first.token);
}

}  // namespace
}  // namespace lwm2md::test
