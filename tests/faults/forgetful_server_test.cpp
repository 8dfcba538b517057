// Issue 8: the server restarts and forgets the client. A fresh TestLwm2mServer takes the old
// one's place behind the relay (the daemon still sends to the same address); the daemon's next
// Update gets 4.04, it Registers again, and an observation the new server sets up works.
#include "faults_fixture.hpp"

namespace lwm2md::test {
namespace {

class ForgetfulServer : public FaultFixture {};

TEST_F(ForgetfulServer, UpdateRefusedWith404RegistersAgainAndObservationsWork) {
  startDaemon(faultConfig(LinkTiming{}));
  auto first = server_.waitForEvent(Event::Kind::Register, 10s);
  ASSERT_TRUE(first) << daemon_->output();
  ASSERT_TRUE(waitForBusName());
  const auto sensor = addSensor(10.0);
  ASSERT_TRUE(server_.waitForEvent(Event::Kind::Update, 10s)) << daemon_->output();
  // The old server observes too; its observation dies with the old server.
  auto oldObservation = server_.startObserve("/3303/0/5700", kTextPlain);
  ASSERT_TRUE(oldObservation);
  ASSERT_EQ(oldObservation->code, kContent);

  // "Restart": a new server process with no memory of the client, where the old one was.
  TestLwm2mServer restarted;
  ASSERT_TRUE(restarted.ok()) << restarted.error();
  restarted.setSidePump([this] {
    pumpClient();
    server_.pump(std::chrono::milliseconds(0));
  });
  relay_.setUpstream(restarted.port());

  // The next Update (asked for over D-Bus here; the lifetime would bring it later) is refused.
  manager()->callMethod("UpdateRegistration").onInterface("org.lwm2md1.Manager");
  auto update = restarted.waitForEvent(Event::Kind::Update, 15s);
  ASSERT_TRUE(update) << daemon_->output();
  EXPECT_EQ(update->code, kNotFound);
  EXPECT_EQ(update->location, first->location);
  auto again = restarted.waitForEvent(Event::Kind::Register, 15s);
  ASSERT_TRUE(again) << "no new Register after 4.04; daemon output:\n" << daemon_->output();
  EXPECT_EQ(again->code, kCreated);
  EXPECT_EQ(again->query["ep"], "faults-gw");
  EXPECT_THAT(again->payload, ::testing::HasSubstr("</3303/0>"));
  ASSERT_TRUE(restarted.registration());

  // The new server observes; a change reaches it.
  auto observed = restarted.startObserve("/3303/0/5700", kTextPlain);
  ASSERT_TRUE(observed) << daemon_->output();
  ASSERT_EQ(observed->code, kContent);
  EXPECT_EQ(TestLwm2mServer::text(*observed), "10");
  setValues(sensor, {{5700, sdbus::Variant(12.5)}});
  ASSERT_TRUE(restarted.waitForNotifications(observed->token, 1, 10s)) << daemon_->output();
  EXPECT_EQ(TestLwm2mServer::text(restarted.notifications(observed->token).back()), "12.5");
  // Nothing reached the old server after the switch: its observation did not follow.
  EXPECT_TRUE(server_.notifications(oldObservation->token).empty());

  // And the daemon keeps the new registration: the next Update is accepted.
  manager()->callMethod("UpdateRegistration").onInterface("org.lwm2md1.Manager");
  auto accepted = restarted.waitForEvent(Event::Kind::Update, 10s);
  ASSERT_TRUE(accepted) << daemon_->output();
  EXPECT_EQ(accepted->code, kChanged);
  EXPECT_EQ(accepted->location, again->location);
}

}  // namespace
}  // namespace lwm2md::test
