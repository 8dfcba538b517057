// Information Reporting end to end (LwM2M 1.1 TS §6.4, RFC 7641): the real lwm2md, a D-Bus
// provider and the libcoap test server. Named after the OMA ETS (interoperability) cases they
// cover: int-301 observation and notification, int-302 cancel by Reset, int-303 cancel by
// Observe=1. Periods are 1-2 s and every wait is bounded.
#include "observe_fixture.hpp"

namespace lwm2md::test {
namespace {

using ::testing::ElementsAre;

TEST_F(ObserveFixture, Int301_ObserveResourceNotifiesOnProviderSet) {
  start();
  auto first = server_.startObserve("/32770/0/0", kText);
  ASSERT_TRUE(first) << daemon_->output();
  EXPECT_EQ(first->code, code::kContent);
  ASSERT_TRUE(first->observe) << "the Observe option must survive libcoap";
  EXPECT_EQ(number(*first), 20.0);
  const Token token = first->token;

  setValue(22.5);
  ASSERT_TRUE(waitNotifications(token, 1, 3s)) << daemon_->output();
  const Response note = notes(token)[0];  // a copy: more notifications may move the vector
  EXPECT_EQ(note.code, code::kContent);
  EXPECT_EQ(note.contentFormat, kText);
  EXPECT_EQ(note.token, token);
  EXPECT_EQ(number(note), 22.5);
  ASSERT_TRUE(note.observe);
  EXPECT_GT(*note.observe, *first->observe);

  setValue(23.5);
  ASSERT_TRUE(waitNotifications(token, 2, 3s));
  EXPECT_EQ(number(notes(token)[1]), 23.5);
  EXPECT_GT(*notes(token)[1].observe, *note.observe);
  // The same value again is no change: nothing is sent.
  setValue(23.5);
  EXPECT_TRUE(staysQuiet(token, 2, 700ms));
}

TEST_F(ObserveFixture, Int301_ObserveObjectInstanceResourceAndResourceInstance) {
  start();
  set({{1, sdbus::Variant(std::map<uint16_t, sdbus::Variant>{{0, sdbus::Variant(int64_t{7})},
                                                             {1, sdbus::Variant(int64_t{8})}})}});
  const Token object = observe("/32770", kTlv);
  const Token instance = observe("/32770/0", kTlv);
  const Token resource = observe("/32770/0/0", kText);
  const Token resourceInstance = observe("/32770/0/1/0", kText);
  ASSERT_FALSE(resourceInstance.empty());

  // Counts[0] changes: object, instance and the resource instance hear of it; Value does not.
  set({{1, sdbus::Variant(std::map<uint16_t, sdbus::Variant>{{0, sdbus::Variant(int64_t{9})},
                                                             {1, sdbus::Variant(int64_t{8})}})}});
  ASSERT_TRUE(waitNotifications(object, 1, 3s)) << daemon_->output();
  ASSERT_TRUE(waitNotifications(instance, 1, 3s));
  ASSERT_TRUE(waitNotifications(resourceInstance, 1, 3s));
  EXPECT_EQ(TestLwm2mServer::text(notes(resourceInstance)[0]), "9");
  EXPECT_EQ(notes(object)[0].contentFormat, kTlv);
  EXPECT_EQ(notes(instance)[0].contentFormat, kTlv);
  EXPECT_TRUE(staysQuiet(resource, 0, 500ms));

  // Counts[1] changes: the observation of Counts[0] sends nothing (its value did not change).
  set({{1, sdbus::Variant(std::map<uint16_t, sdbus::Variant>{{0, sdbus::Variant(int64_t{9})},
                                                             {1, sdbus::Variant(int64_t{1})}})}});
  ASSERT_TRUE(waitNotifications(instance, 2, 3s));
  EXPECT_TRUE(staysQuiet(resourceInstance, 1, 500ms));

  setValue(30.0);
  ASSERT_TRUE(waitNotifications(resource, 1, 3s));
  EXPECT_EQ(number(notes(resource)[0]), 30.0);
}

TEST_F(ObserveFixture, Int301_OneSetOfSeveralResourcesSendsOneNotification) {
  start();
  const Token instance = observe("/32770/0", kTlv);
  const Token object = observe("/32770", kTlv);
  set({{0, sdbus::Variant(25.0)},
       {2, sdbus::Variant(std::string("b"))},
       {3, sdbus::Variant(std::vector<uint8_t>{1, 2, 3})}});
  ASSERT_TRUE(waitNotifications(instance, 1, 3s)) << daemon_->output();
  ASSERT_TRUE(waitNotifications(object, 1, 3s));
  EXPECT_TRUE(staysQuiet(instance, 1, 800ms));
  EXPECT_TRUE(staysQuiet(object, 1, 0ms));
  // The one notification carries all three new values.
  auto read = server_.read("/32770/0", kTlv);
  ASSERT_TRUE(read);
  EXPECT_EQ(notes(instance)[0].payload, read->payload);
}

TEST_F(ObserveFixture, Int301_PminHoldsBackAndSendsTheLatestValue) {
  start("default_pmin = 2\n");
  const auto observedAt = Clock::now();
  const Token token = observe("/32770/0/0");
  setValue(21.0);
  setValue(22.0);
  ASSERT_TRUE(waitNotifications(token, 1, 4s)) << daemon_->output();
  const double after = seconds(Clock::now() - observedAt);
  EXPECT_GE(after, 1.9) << "pmin=2 must hold the change back";
  EXPECT_LE(after, 3.0);
  EXPECT_EQ(number(notes(token)[0]), 22.0) << "the value when pmin expired";
  // One notification for both changes.
  EXPECT_TRUE(staysQuiet(token, 1, 700ms));

  // A change long after pmin goes out at once.
  EXPECT_TRUE(staysQuiet(token, 1, 1500ms));
  const auto changedAt = Clock::now();
  setValue(23.0);
  ASSERT_TRUE(waitNotifications(token, 2, 3s));
  EXPECT_LT(seconds(Clock::now() - changedAt), 0.8);
}

TEST_F(ObserveFixture, Int301_PmaxForcesNotificationsWithoutChange) {
  start("default_pmax = 1\n");
  const auto observedAt = Clock::now();
  const Token token = observe("/32770/0/0");
  ASSERT_TRUE(waitNotifications(token, 1, 3s)) << daemon_->output();
  EXPECT_GE(seconds(Clock::now() - observedAt), 0.9);
  ASSERT_TRUE(waitNotifications(token, 3, 4s));
  const double elapsed = seconds(Clock::now() - observedAt);
  EXPECT_GE(elapsed, 2.9);
  EXPECT_LE(elapsed, 4.5);
  uint32_t previous = 0;
  for (const auto& note : notes(token)) {
    EXPECT_EQ(number(note), 20.0);
    ASSERT_TRUE(note.observe);
    EXPECT_GT(*note.observe, previous);
    previous = *note.observe;
  }
}

TEST_F(ObserveFixture, Int301_WriteAttributesOnInstanceAppliesToLiveObservation) {
  start();
  const Token token = observe("/32770/0/0");
  EXPECT_TRUE(staysQuiet(token, 0, 1200ms)) << "no pmax yet: idle";
  // pmax on the instance is inherited by the observed resource, and re-plans it at once.
  auto written = server_.writeAttributes("/32770/0", {"pmax=1"});
  ASSERT_TRUE(written);
  ASSERT_EQ(written->code, code::kChanged) << TestLwm2mServer::text(*written);
  const auto writtenAt = Clock::now();
  // More than pmax passed since the first response: one goes out at once, then every second.
  ASSERT_TRUE(waitNotifications(token, 1, 1s)) << daemon_->output();
  EXPECT_LT(seconds(Clock::now() - writtenAt), 0.6);
  ASSERT_TRUE(waitNotifications(token, 2, 2s));
  EXPECT_GE(seconds(Clock::now() - writtenAt), 0.9);
  EXPECT_LE(seconds(Clock::now() - writtenAt), 1.8);
  // Removing pmax makes the observation idle again.
  written = server_.writeAttributes("/32770/0", {"pmax"});
  ASSERT_TRUE(written);
  ASSERT_EQ(written->code, code::kChanged) << TestLwm2mServer::text(*written);
  EXPECT_TRUE(staysQuiet(token, notes(token).size(), 1500ms));
}

TEST_F(ObserveFixture, Int301_ServerObjectDefaultPmaxAppliesToLiveObservations) {
  start();
  const Token token = observe("/32770/0/0");
  EXPECT_TRUE(staysQuiet(token, 0, 1200ms));
  // The server writes its Default Maximum Period (/1/0/3): observations without pmax use it.
  auto write = server_.write("/1/0/3", kText, std::string("1"));
  ASSERT_TRUE(write);
  ASSERT_EQ(write->code, code::kChanged) << TestLwm2mServer::text(*write);
  ASSERT_TRUE(waitNotifications(token, 2, 3s)) << daemon_->output();
  // An attribute of the observed path beats the server's default.
  auto attributes = server_.writeAttributes("/32770/0/0", {"pmax=60"});
  ASSERT_TRUE(attributes);
  ASSERT_EQ(attributes->code, code::kChanged);
  EXPECT_TRUE(staysQuiet(token, notes(token).size(), 1500ms));
}

TEST_F(ObserveFixture, Int301_GreaterThanAndLessThanFireOnCrossing) {
  start();
  auto written = server_.writeAttributes("/32770/0/0", {"gt=25", "lt=10"});
  ASSERT_TRUE(written);
  ASSERT_EQ(written->code, code::kChanged) << TestLwm2mServer::text(*written);
  const Token token = observe("/32770/0/0");

  setValue(22.0);  // between the thresholds: no crossing
  EXPECT_TRUE(staysQuiet(token, 0, 600ms));
  setValue(26.0);  // crosses gt upwards
  ASSERT_TRUE(waitNotifications(token, 1, 3s)) << daemon_->output();
  EXPECT_EQ(number(notes(token)[0]), 26.0);
  setValue(27.0);  // still above
  EXPECT_TRUE(staysQuiet(token, 1, 600ms));
  setValue(24.0);  // crosses gt downwards
  ASSERT_TRUE(waitNotifications(token, 2, 3s));
  setValue(5.0);  // crosses lt
  ASSERT_TRUE(waitNotifications(token, 3, 3s));
  EXPECT_EQ(number(notes(token)[2]), 5.0);
  setValue(4.0);  // still below
  EXPECT_TRUE(staysQuiet(token, 3, 600ms));
}

TEST_F(ObserveFixture, Int301_StepFiresWhenTheValueMovedFarEnough) {
  start();
  auto written = server_.writeAttributes("/32770/0/0", {"st=2"});
  ASSERT_TRUE(written);
  ASSERT_EQ(written->code, code::kChanged) << TestLwm2mServer::text(*written);
  const Token token = observe("/32770/0/0");

  setValue(21.0);  // 1 from the last notified 20
  EXPECT_TRUE(staysQuiet(token, 0, 600ms));
  setValue(22.5);  // 2.5 from 20
  ASSERT_TRUE(waitNotifications(token, 1, 3s)) << daemon_->output();
  EXPECT_EQ(number(notes(token)[0]), 22.5);
  setValue(23.0);  // 0.5 from 22.5
  EXPECT_TRUE(staysQuiet(token, 1, 600ms));
  setValue(20.5);  // 2 below 22.5
  ASSERT_TRUE(waitNotifications(token, 2, 3s));
  EXPECT_EQ(number(notes(token)[1]), 20.5);
}

TEST_F(ObserveFixture, Int301_ServerWriteNotifiesTheObservingServer) {
  start();
  const Token token = observe("/32770/0/0");
  auto write = server_.write("/32770/0/0", kText, std::string("31.5"));
  ASSERT_TRUE(write);
  ASSERT_EQ(write->code, code::kChanged) << TestLwm2mServer::text(*write);
  ASSERT_TRUE(waitNotifications(token, 1, 3s)) << daemon_->output();
  EXPECT_EQ(number(notes(token)[0]), 31.5);
}

TEST_F(ObserveFixture, Int301_WriteByAnotherServerNotifies) {
  TestLwm2mServer other;
  ASSERT_TRUE(other.ok());
  server_.setSidePump([&] {
    pumpClient();
    other.pump(std::chrono::milliseconds(0));
  });
  other.setSidePump([&] {
    pumpClient();
    server_.pump(std::chrono::milliseconds(0));
  });
  start("", "[[server]]\nuri = \"" + other.uri() +
                "\"\nshort_id = 2\nlifetime = 60\nbinding = \"U\"\nversion = \"1.1\"\n");
  ASSERT_TRUE(other.waitForEvent(Event::Kind::Register, 10s)) << daemon_->output();
  const Token token = observe("/32770/0/0");
  auto write = other.write("/32770/0/0", kText, std::string("12.25"));
  ASSERT_TRUE(write);
  ASSERT_EQ(write->code, code::kChanged) << TestLwm2mServer::text(*write);
  ASSERT_TRUE(waitNotifications(token, 1, 3s)) << daemon_->output();
  EXPECT_EQ(number(notes(token)[0]), 12.25);
  server_.setSidePump([this] { pumpClient(); });
}

TEST_F(ObserveFixture, Int301_CurrentTimeIsSampledEveryEpmax) {
  start();
  auto written = server_.writeAttributes("/3/0/13", {"epmax=1"});
  ASSERT_TRUE(written);
  ASSERT_EQ(written->code, code::kChanged) << TestLwm2mServer::text(*written);
  const Token token = observe("/3/0/13");
  // Nothing tells the daemon that the time changes: only sampling every second finds it.
  ASSERT_TRUE(waitNotifications(token, 2, 4s)) << daemon_->output();
  EXPECT_GT(std::stoll(TestLwm2mServer::text(notes(token)[1])),
            std::stoll(TestLwm2mServer::text(notes(token)[0])));
}

TEST_F(ObserveFixture, Int301_RemovedInstanceEndsTheObservationWith404) {
  start();
  const Token token = observe("/32770/0/0");
  const Token object = observe("/32770", kTlv);
  sdbus::createProxy(*client_, "org.lwm2md1", sensor_)
      ->callMethod("Remove")
      .onInterface("org.lwm2md1.Instance");
  ASSERT_TRUE(waitNotifications(token, 1, 3s)) << daemon_->output();
  EXPECT_EQ(notes(token)[0].code, code::kNotFound);
  EXPECT_FALSE(notes(token)[0].observe) << "a final error carries no Observe option";
  // The object is still there (without instances): its observer hears of the change.
  ASSERT_TRUE(waitNotifications(object, 1, 3s));
  EXPECT_EQ(notes(object)[0].code, code::kContent);
  // The instance comes back: only the object observation notifies.
  addSensor();
  ASSERT_TRUE(waitNotifications(object, 2, 3s));
  EXPECT_TRUE(staysQuiet(token, 1, 500ms));
}

TEST_F(ObserveFixture, Int303_CancelWithObserveOneAnswersWithTheValue) {
  start();
  const Token token = observe("/32770/0/0");
  const Token other = observe("/32770/0/0");
  auto cancel = server_.cancelObserve(token);
  ASSERT_TRUE(cancel) << daemon_->output();
  EXPECT_EQ(cancel->code, code::kContent);
  EXPECT_EQ(number(*cancel), 20.0);
  EXPECT_FALSE(cancel->observe) << "a cancel is answered like a plain Read";
  setValue(40.0);
  // The other observation still works (and the cancelled one is not collected any more).
  ASSERT_TRUE(waitNotifications(other, 1, 3s));
  EXPECT_TRUE(notes(token).empty());
}

TEST_F(ObserveFixture, Int302_ResetToNotificationKeepsOtherObservations) {
  start();
  const Token forgotten = observe("/32770/0/0");
  const Token kept = observe("/32770/0", kTlv);
  server_.forgetObserve(forgotten);
  setValue(41.0);  // the server answers the notification of `forgotten` with RST
  ASSERT_TRUE(waitNotifications(kept, 1, 3s)) << daemon_->output();
  setValue(42.0);
  ASSERT_TRUE(waitNotifications(kept, 2, 3s));
  EXPECT_TRUE(notes(forgotten).empty());
}

TEST_F(ObserveFixture, ObservationsAreDroppedOnReRegistration) {
  start();
  const Token token = observe("/32770/0/0");
  setValue(21.0);
  ASSERT_TRUE(waitNotifications(token, 1, 3s));
  // The next Update is refused with 4.04: the daemon registers again, which ends every
  // observation of that server (TS §6.2.1). AddInstance makes an Update due.
  server_.failNextUpdates(1, code::kNotFound);
  addInstance(kTestObject, 1, {{0, sdbus::Variant(1.0)}});
  ASSERT_TRUE(server_.waitForEvent(Event::Kind::Register, 10s)) << daemon_->output();
  setValue(22.0);
  EXPECT_TRUE(staysQuiet(token, 1, 1000ms)) << "the old token must not be notified";
  // A new observation works.
  const Token fresh = observe("/32770/0/0");
  setValue(23.0);
  ASSERT_TRUE(waitNotifications(fresh, 1, 3s));
}

TEST_F(ObserveFixture, ObserveErrorsEstablishNothing) {
  start();
  auto missing = server_.startObserve("/32770/9/0", kText);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->code, code::kNotFound);
  EXPECT_FALSE(missing->observe);
  auto security = server_.startObserve("/0/0", kTlv);
  ASSERT_TRUE(security);
  EXPECT_NE(security->code, code::kContent);
  EXPECT_FALSE(security->observe);
}

TEST_F(ObserveFixture, Int301_LargeNotificationGoesBlockWise) {
  start();
  std::vector<uint8_t> big(3000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 7);
  set({{3, sdbus::Variant(big)}});
  const Token token = observe("/32770/0/3", kOpaque);
  big[0] = 0xff;
  big[2999] = 0x01;
  set({{3, sdbus::Variant(big)}});
  ASSERT_TRUE(waitNotifications(token, 1, 5s)) << daemon_->output();
  EXPECT_EQ(notes(token)[0].payload, big);
}

TEST_F(ObserveFixture, ProviderHearsObservationChanged) {
  start();
  std::vector<std::pair<uint16_t, bool>> heard;
  auto proxy = sdbus::createProxy(*client_, "org.lwm2md1", sensor_);
  proxy->uponSignal("ObservationChanged")
      .onInterface("org.lwm2md1.Instance")
      .call([&](uint16_t rid, bool observed) { heard.emplace_back(rid, observed); });
  proxy->finishRegistration();
  // A server observes resource 0: the provider hears it once, with the resource id.
  const Token value = observe("/32770/0/0");
  ASSERT_TRUE(server_.waitFor([&] { return !heard.empty(); }, 3s)) << daemon_->output();
  EXPECT_EQ(heard[0], (std::pair<uint16_t, bool>{0, true}));
  // The whole instance too (65535): a resource of its own in the provider's eyes.
  const Token whole = observe("/32770/0", kTlv);
  ASSERT_TRUE(server_.waitFor([&] { return heard.size() == 2; }, 3s)) << daemon_->output();
  EXPECT_EQ(heard[1], (std::pair<uint16_t, bool>{65535, true}));
  // Cancelled: the provider hears that nobody watches resource 0 any more.
  ASSERT_TRUE(server_.cancelObserve(value));
  ASSERT_TRUE(server_.waitFor([&] { return heard.size() == 3; }, 3s)) << daemon_->output();
  EXPECT_EQ(heard[2], (std::pair<uint16_t, bool>{0, false}));
  ASSERT_TRUE(server_.cancelObserve(whole));
  ASSERT_TRUE(server_.waitFor([&] { return heard.size() == 4; }, 3s)) << daemon_->output();
  EXPECT_EQ(heard[3], (std::pair<uint16_t, bool>{65535, false}));
}

}  // namespace
}  // namespace lwm2md::test
