// Information Reporting on the wire: a hand-decoding UDP server shows what the libcoap test
// server hides (CON or NON, message ids) and answers notifications with RST by message id.
#include "observe_fixture.hpp"
#include "raw_coap_peer.hpp"

namespace lwm2md::test {
namespace {

class RawObserveFixture : public ObserveFixture {
 protected:
  void TearDown() override {
    // The De-register goes to the raw peer: answer it while the daemon stops.
    if (daemon_ && daemon_->running()) daemon_->stop(10s, [this] { peer_.next(10ms); });
  }

  /// `more` follows the [[server]] table (e.g. a [coap] table).
  void startRaw(const std::string& serverKeys = "", const std::string& more = "") {
    ASSERT_TRUE(peer_.ok());
    startDaemon(observeConfig(serverKeys, peer_.uri(), more));
    ASSERT_TRUE(peer_.acceptRegister(10s)) << daemon_->output();
    ASSERT_TRUE(waitForBusName());
    addSensor();
  }

  /// Observes `path` (text/plain) and returns the piggybacked first response.
  RawMessage observeRaw(const std::string& path) {
    token_ = peer_.get(path, 0, kText);
    auto response = peer_.responseTo(token_, 3s);
    EXPECT_TRUE(response) << daemon_->output();
    if (!response) return {};
    EXPECT_EQ(response->code, code::kContent);
    EXPECT_TRUE(response->observe());
    return *response;
  }

  /// The next notification, which must carry the observation's token.
  RawMessage notification() {
    auto message = peer_.next(3s);
    EXPECT_TRUE(message) << "no notification\n" << daemon_->output();
    if (!message) return {};
    EXPECT_EQ(message->token, token_);
    return *message;
  }

  /// Nothing at all arrives within `quiet` (Updates are answered on the way).
  bool silent(std::chrono::milliseconds quiet) { return !peer_.next(quiet); }

  RawCoapPeer peer_;
  std::vector<uint8_t> token_;
};

TEST_F(RawObserveFixture, Int301_NotificationsAreNonConfirmableByDefault) {
  startRaw();
  RawMessage first = observeRaw("/32770/0/0");
  EXPECT_EQ(first.type, RawMessage::Ack);
  EXPECT_EQ(first.text(), "20");
  setValue(21.0);
  RawMessage note = notification();
  EXPECT_EQ(note.type, RawMessage::Non);
  EXPECT_EQ(note.code, code::kContent);
  EXPECT_EQ(note.uintOption(12), kText);
  ASSERT_TRUE(note.observe());
  EXPECT_GT(*note.observe(), *first.observe());
  EXPECT_EQ(note.text(), "21");
}

TEST_F(RawObserveFixture, Int301_ConfigAsksForConfirmableNotifications) {
  startRaw("notify_confirmable = true\n");
  observeRaw("/32770/0/0");
  setValue(21.0);
  RawMessage note = notification();
  EXPECT_EQ(note.type, RawMessage::Con);
  peer_.sendEmpty(RawMessage::Ack, note.mid);
  setValue(22.0);
  RawMessage second = notification();
  EXPECT_EQ(second.type, RawMessage::Con);
  EXPECT_NE(second.mid, note.mid);
  EXPECT_GT(*second.observe(), *note.observe());
  peer_.sendEmpty(RawMessage::Ack, second.mid);
  EXPECT_TRUE(silent(500ms)) << "an acknowledged CON is not retransmitted";
}

TEST_F(RawObserveFixture, Int301_ConAttributeAsksForConfirmableNotifications) {
  startRaw();
  auto put = peer_.writeAttributes("/32770/0/0", {"con=1"});
  auto written = peer_.responseTo(put, 3s);
  ASSERT_TRUE(written);
  ASSERT_EQ(written->code, code::kChanged) << written->text();
  observeRaw("/32770/0/0");
  setValue(21.0);
  RawMessage note = notification();
  EXPECT_EQ(note.type, RawMessage::Con);
  peer_.sendEmpty(RawMessage::Ack, note.mid);
}

// RFC 7641 §4.5: a confirmable notification that is never acknowledged, after the [coap]
// retransmissions (RFC 7252 §4.2), ends the observation. ack_random_factor = 1 makes the waits
// exact: the retransmission 1 s after the first send, the give-up 2 s after that. (1 s is the
// shortest ACK_TIMEOUT libcoap 4.3.1 accepts.)
TEST_F(RawObserveFixture, Int301_UnacknowledgedConNotificationEndsTheObservation) {
  startRaw("notify_confirmable = true\n",
           "[coap]\nack_timeout = 1.0\nack_random_factor = 1.0\nmax_retransmit = 1\n");
  observeRaw("/32770/0/0");
  setValue(21.0);
  RawMessage note = notification();
  const auto sentAt = Clock::now();
  ASSERT_EQ(note.type, RawMessage::Con);
  EXPECT_EQ(note.text(), "21");

  // (a) Not acknowledged: the same message (same id, token and body) comes again after
  // ack_timeout, before the 2 s default would have sent it.
  RawMessage retry = notification();
  const double gap = seconds(Clock::now() - sentAt);
  EXPECT_EQ(retry.type, RawMessage::Con);
  EXPECT_EQ(retry.mid, note.mid) << "a retransmission keeps its message id";
  EXPECT_EQ(retry.observe(), note.observe());
  EXPECT_EQ(retry.text(), "21");
  EXPECT_GE(gap, 0.9);
  EXPECT_LT(gap, 1.7) << "ack_timeout = 1 was not applied to the session";

  // max_retransmit = 1: no third copy; libcoap gives up 2 s after the retransmission.
  EXPECT_TRUE(silent(3000ms)) << "only one retransmission was allowed\n" << daemon_->output();

  // (b) The observation is gone: a change sends nothing at all.
  setValue(22.0);
  EXPECT_TRUE(silent(1500ms)) << "the observation must have ended\n" << daemon_->output();

  // A fresh observation works (new token), and an acknowledged notification is not resent.
  const std::vector<uint8_t> oldToken = token_;
  RawMessage first = observeRaw("/32770/0/0");
  EXPECT_NE(token_, oldToken);
  EXPECT_EQ(first.text(), "22");
  setValue(23.0);
  RawMessage fresh = notification();
  EXPECT_EQ(fresh.type, RawMessage::Con);
  EXPECT_NE(fresh.mid, note.mid);
  EXPECT_EQ(fresh.text(), "23");
  peer_.sendEmpty(RawMessage::Ack, fresh.mid);
  EXPECT_TRUE(silent(1500ms)) << "an acknowledged CON is not retransmitted";
}

// The default timing (no [coap] table) is RFC 7252's: an unacknowledged CON notification is
// not retransmitted before ACK_TIMEOUT = 2 s.
TEST_F(RawObserveFixture, Int301_DefaultAckTimeoutIsTwoSeconds) {
  startRaw("notify_confirmable = true\n");
  observeRaw("/32770/0/0");
  setValue(21.0);
  RawMessage note = notification();
  const auto sentAt = Clock::now();
  ASSERT_EQ(note.type, RawMessage::Con);
  EXPECT_TRUE(silent(1800ms)) << "retransmitted before the default ACK_TIMEOUT";
  auto retry = peer_.next(3s);
  ASSERT_TRUE(retry) << daemon_->output();
  EXPECT_EQ(retry->mid, note.mid);
  const double gap = seconds(Clock::now() - sentAt);
  EXPECT_GE(gap, 1.9);
  EXPECT_LT(gap, 3.5);  // ACK_TIMEOUT * ACK_RANDOM_FACTOR = 3 s, plus slack
  peer_.sendEmpty(RawMessage::Ack, retry->mid);
}

TEST_F(RawObserveFixture, Int302_ResetToNonNotificationCancels) {
  startRaw();
  observeRaw("/32770/0/0");
  setValue(21.0);
  RawMessage note = notification();
  ASSERT_EQ(note.type, RawMessage::Non);
  peer_.sendEmpty(RawMessage::Rst, note.mid);
  EXPECT_TRUE(silent(300ms));
  setValue(22.0);
  EXPECT_TRUE(silent(1000ms)) << "the observation must have ended";
}

TEST_F(RawObserveFixture, Int302_ResetToConNotificationCancels) {
  startRaw("notify_confirmable = true\n");
  observeRaw("/32770/0/0");
  setValue(21.0);
  RawMessage note = notification();
  ASSERT_EQ(note.type, RawMessage::Con);
  peer_.sendEmpty(RawMessage::Rst, note.mid);
  setValue(22.0);
  EXPECT_TRUE(silent(1000ms)) << "no retransmission, no new notification";
}

TEST_F(RawObserveFixture, Int303_CancelledObservationSendsNothing) {
  startRaw();
  observeRaw("/32770/0/0");
  const auto cancel = peer_.get("/32770/0/0", 1, kText, token_);
  auto response = peer_.responseTo(cancel, 3s);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, code::kContent);
  EXPECT_FALSE(response->observe());
  EXPECT_EQ(response->text(), "20");
  setValue(22.0);
  EXPECT_TRUE(silent(1000ms));
}

// RFC 7641 §4.5.2: while a CON notification waits for its ACK, changes queue nothing behind
// it; once it is acknowledged, exactly one notification goes, with the newest value. A long
// ACK_TIMEOUT keeps libcoap's retransmission out of the quiet window.
TEST_F(RawObserveFixture, ConNotificationWaitsForTheAckThenSendsOnlyTheLatestValue) {
  startRaw("notify_confirmable = true\n", "[coap]\nack_timeout = 8.0\nack_random_factor = 1.0\n");
  RawMessage first = observeRaw("/32770/0/0");
  setValue(21.0);
  RawMessage note = notification();
  ASSERT_EQ(note.type, RawMessage::Con);
  EXPECT_EQ(note.text(), "21");
  for (int i = 1; i <= 50; ++i) setValue(100.0 + i);
  // The ACK is withheld: no further datagram (a retransmission would repeat the message id).
  for (auto extra = peer_.next(1500ms); extra; extra = peer_.next(200ms)) {
    EXPECT_EQ(extra->mid, note.mid)
        << "a notification was sent while another CON was in flight: " << extra->text();
  }
  peer_.sendEmpty(RawMessage::Ack, note.mid);
  RawMessage latest = notification();
  EXPECT_EQ(latest.type, RawMessage::Con);
  EXPECT_NE(latest.mid, note.mid);
  EXPECT_EQ(latest.text(), "150") << "the newest value replaces the ones that waited";
  ASSERT_TRUE(latest.observe());
  EXPECT_GT(*latest.observe(), *note.observe());
  EXPECT_GT(*note.observe(), *first.observe());
  peer_.sendEmpty(RawMessage::Ack, latest.mid);
  EXPECT_TRUE(silent(1000ms)) << "exactly one notification for the 50 changes";
  // The slot is free again: the next change notifies at once.
  setValue(7.0);
  RawMessage after = notification();
  EXPECT_EQ(after.text(), "7");
  peer_.sendEmpty(RawMessage::Ack, after.mid);
}

// Observations of one server share its one CON slot, served in the order they became due:
// a resource that keeps changing does not starve another one.
TEST_F(RawObserveFixture, WaitingObservationsTakeTurnsAfterEachAck) {
  startRaw("notify_confirmable = true\n", "[coap]\nack_timeout = 8.0\nack_random_factor = 1.0\n");
  observeRaw("/32770/0/0");
  const auto valueToken = token_;
  observeRaw("/32770/0/2");
  const auto labelToken = token_;
  setValue(21.0);
  auto note = peer_.next(3s);
  ASSERT_TRUE(note) << daemon_->output();
  EXPECT_EQ(note->token, valueToken);
  set({{2, sdbus::Variant(std::string("b"))}});      // due second: waits first
  for (int i = 1; i <= 20; ++i) setValue(30.0 + i);  // the hot one waits behind it
  EXPECT_FALSE(peer_.next(800ms)) << "nothing while the first CON is unacknowledged";
  peer_.sendEmpty(RawMessage::Ack, note->mid);
  auto label = peer_.next(3s);
  ASSERT_TRUE(label) << daemon_->output();
  EXPECT_EQ(label->token, labelToken) << "the label waited longest";
  EXPECT_EQ(label->text(), "b");
  EXPECT_FALSE(peer_.next(500ms)) << "one CON at a time";
  peer_.sendEmpty(RawMessage::Ack, label->mid);
  auto value = peer_.next(3s);
  ASSERT_TRUE(value) << daemon_->output();
  EXPECT_EQ(value->token, valueToken);
  EXPECT_EQ(value->text(), "50");
  peer_.sendEmpty(RawMessage::Ack, value->mid);
  EXPECT_FALSE(peer_.next(800ms));
}

// A RST to the CON in flight ends that observation (RFC 7641 §3.6) and frees the slot: the
// observation waiting behind it notifies.
TEST_F(RawObserveFixture, ResetOfTheConInFlightLetsTheNextOneGo) {
  startRaw("notify_confirmable = true\n", "[coap]\nack_timeout = 8.0\nack_random_factor = 1.0\n");
  observeRaw("/32770/0/0");
  const auto valueToken = token_;
  observeRaw("/32770/0/2");
  const auto labelToken = token_;
  setValue(21.0);
  auto note = peer_.next(3s);
  ASSERT_TRUE(note) << daemon_->output();
  ASSERT_EQ(note->token, valueToken);
  set({{2, sdbus::Variant(std::string("c"))}});
  EXPECT_FALSE(peer_.next(800ms));
  peer_.sendEmpty(RawMessage::Rst, note->mid);
  auto label = peer_.next(3s);
  ASSERT_TRUE(label) << "the failed CON must free the slot\n" << daemon_->output();
  EXPECT_EQ(label->token, labelToken);
  EXPECT_EQ(label->text(), "c");
  peer_.sendEmpty(RawMessage::Ack, label->mid);
  setValue(22.0);
  EXPECT_FALSE(peer_.next(1000ms)) << "the reset observation has ended";
}

TEST_F(RawObserveFixture, UnknownObserveValueIsAPlainRead) {
  startRaw();
  token_ = peer_.get("/32770/0/0", 7, kText);
  auto response = peer_.responseTo(token_, 3s);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, code::kContent);
  EXPECT_FALSE(response->observe());
  setValue(22.0);
  EXPECT_TRUE(silent(800ms));
}

}  // namespace
}  // namespace lwm2md::test
