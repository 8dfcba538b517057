// End to end: the real lwm2md binary, a private D-Bus bus and a libcoap LwM2M server on
// loopback. A D-Bus client provides a temperature sensor; the server reads, writes and
// executes it; the provider leaves; SIGTERM de-registers.
#include <gmock/gmock.h>

#include <signal.h>

#include "e2e_fixture.hpp"

namespace lwm2md::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr uint8_t kContent = 0x45, kChanged = 0x44, kNotFound = 0x84, kMethodNotAllowed = 0x85,
                  kBadRequest = 0x80, kNotAcceptable = 0x86, kUnsupported = 0x8f,
                  kUnauthorized = 0x81;

TEST_F(DaemonFixture, RegistersWithQueryAndObjectList) {
  Event reg = startAndRegister("1.1");
  EXPECT_EQ(reg.query["ep"], "e2e-gw");
  EXPECT_EQ(reg.query["lt"], "60");
  EXPECT_EQ(reg.query["lwm2m"], "1.1");
  EXPECT_EQ(reg.query["b"], "U");
  EXPECT_THAT(reg.payload, HasSubstr("</>;rt=\"oma.lwm2m\""));
  EXPECT_THAT(reg.payload, HasSubstr("</3/0>"));
  EXPECT_THAT(reg.payload, HasSubstr("</1/0>"));
  EXPECT_THAT(reg.payload, Not(HasSubstr("</0/0>")));
  // The Device object's protocol resources come from [device].
  auto manufacturer = server_.read("/3/0/0", 0);
  ASSERT_TRUE(manufacturer);
  EXPECT_EQ(manufacturer->code, kContent);
  EXPECT_EQ(TestLwm2mServer::text(*manufacturer), "lwm2md tests");
  auto time = server_.read("/3/0/13", 0);
  ASSERT_TRUE(time);
  EXPECT_NEAR(std::stoll(TestLwm2mServer::text(*time)), std::time(nullptr), 5);
  // The Security object holds keys: no server may read it.
  auto security = server_.read("/0/0", 11542);
  ASSERT_TRUE(security);
  EXPECT_EQ(security->code, kUnauthorized);
}

TEST_F(DaemonFixture, Version10RegistrationHasNoRootLink) {
  Event reg = startAndRegister("1.0");
  EXPECT_EQ(reg.query["lwm2m"], "1.0");
  EXPECT_THAT(reg.payload, Not(HasSubstr("</>")));
  EXPECT_THAT(reg.payload, Not(HasSubstr("ver=")));
  EXPECT_THAT(reg.payload, HasSubstr("</3/0>"));
}

TEST_F(DaemonFixture, ProviderPublishesAndServerReadsWritesExecutes) {
  startAndRegister();
  ASSERT_TRUE(waitForBusName());

  // The provider adds a temperature sensor.
  auto path = addInstance(3303, 0, {{5700, sdbus::Variant(21.5)}});
  EXPECT_EQ(std::string(path), "/org/lwm2md1/Object/3303/0");
  auto update = server_.waitForEvent(Event::Kind::Update, 10s);
  ASSERT_TRUE(update) << daemon_->output();
  EXPECT_THAT(update->payload, HasSubstr("</3303/0>"));

  // text/plain and TLV reads.
  auto text = server_.read("/3303/0/5700", 0);
  ASSERT_TRUE(text);
  EXPECT_EQ(text->code, kContent);
  EXPECT_EQ(text->contentFormat, 0);
  EXPECT_EQ(TestLwm2mServer::text(*text), "21.5");
  auto tlv = server_.read("/3303/0/5700", 11542);
  ASSERT_TRUE(tlv);
  EXPECT_EQ(tlv->contentFormat, 11542);
  // Resource TLV, 16-bit id 5700, 4-byte float 21.5.
  EXPECT_EQ(tlv->payload, (std::vector<uint8_t>{0xe4, 0x16, 0x44, 0x41, 0xac, 0x00, 0x00}));
  auto instance = server_.read("/3303/0", 11542);
  ASSERT_TRUE(instance);
  EXPECT_EQ(instance->code, kContent);
  EXPECT_EQ(instance->payload, tlv->payload);

  // The provider updates the value; the server sees it.
  auto sensor = sdbus::createProxy(*client_, "org.lwm2md1", path);
  sensor->callMethod("Set")
      .onInterface("org.lwm2md1.Instance")
      .withArguments(DbusValues{{5700, sdbus::Variant(22.25)}});
  auto after = server_.read("/3303/0/5700", 0);
  ASSERT_TRUE(after);
  EXPECT_EQ(TestLwm2mServer::text(*after), "22.25");

  // A server write reaches the provider as Written.
  std::vector<DbusValues> written;
  std::vector<std::pair<uint16_t, std::string>> executed;
  sensor->uponSignal("Written").onInterface("org.lwm2md1.Instance").call([&](const DbusValues& v) {
    written.push_back(v);
  });
  sensor->uponSignal("Executed")
      .onInterface("org.lwm2md1.Instance")
      .call([&](uint16_t rid, const std::string& args) { executed.emplace_back(rid, args); });
  sensor->finishRegistration();
  auto write = server_.write("/3303/0/5750", 0, std::string("greenhouse"));
  ASSERT_TRUE(write);
  EXPECT_EQ(write->code, kChanged) << TestLwm2mServer::text(*write);
  ASSERT_TRUE(server_.waitFor([&] { return !written.empty(); }, 5s));
  ASSERT_EQ(written[0].count(5750), 1u);
  EXPECT_EQ(written[0].at(5750).get<std::string>(), "greenhouse");

  // Execute with arguments reaches the provider as Executed.
  auto exec = server_.execute("/3303/0/5605", "0='all'");
  ASSERT_TRUE(exec);
  EXPECT_EQ(exec->code, kChanged);
  ASSERT_TRUE(server_.waitFor([&] { return !executed.empty(); }, 5s));
  EXPECT_EQ(executed[0], (std::pair<uint16_t, std::string>{5605, "0='all'"}));

  // The provider leaves the bus: its instance goes, and the server hears of it.
  sensor.reset();
  client_.reset();
  auto gone = server_.waitForEvent(Event::Kind::Update, 10s);
  ASSERT_TRUE(gone) << daemon_->output();
  EXPECT_THAT(gone->payload, Not(HasSubstr("</3303/0>")));
  EXPECT_THAT(gone->payload, HasSubstr("</3/0>"));
  auto missing = server_.read("/3303/0/5700", 0);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->code, kNotFound);
}

TEST_F(DaemonFixture, ServerGetsTheTsErrorCodes) {
  startAndRegister();
  ASSERT_TRUE(waitForBusName());
  addInstance(3303, 0, {{5700, sdbus::Variant(1.0)}});
  auto check = [&](std::optional<Response> r, uint8_t code) {
    ASSERT_TRUE(r);
    EXPECT_EQ(TestLwm2mServer::codeString(r->code), TestLwm2mServer::codeString(code))
        << TestLwm2mServer::text(*r);
  };
  check(server_.read("/3303/9/5700", 0), kNotFound);
  check(server_.read("/3303/0/5700", 9999), kNotAcceptable);
  check(server_.write("/3303/0/5700", 0, std::string("3.0")), kMethodNotAllowed);
  check(server_.write("/3/0/14", 9999, std::string("x")), kUnsupported);
  check(server_.write("/3/0/13", 0, std::string("soon")), kBadRequest);
  check(server_.execute("/3/0/0"), kMethodNotAllowed);
  check(server_.execute("/3/0/4", "bad args"), kBadRequest);
  // A value written through a server is stored and read back.
  check(server_.write("/3/0/14", 0, std::string("+02:00")), kChanged);
  auto back = server_.read("/3/0/14", 0);
  ASSERT_TRUE(back);
  EXPECT_EQ(TestLwm2mServer::text(*back), "+02:00");
}

TEST_F(DaemonFixture, DbusErrorsAreNamedAndPrecise) {
  startAndRegister();
  ASSERT_TRUE(waitForBusName());
  try {
    addInstance(3303, 0, {{5700, sdbus::Variant(std::string("warm"))}});
    FAIL() << "a string for a Float resource was accepted";
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), "org.lwm2md1.Error.InvalidType");
    EXPECT_THAT(e.getMessage(), HasSubstr("5700"));
    EXPECT_THAT(e.getMessage(), HasSubstr("Sensor Value"));
  }
  try {
    addInstance(64999, 0, {});
    FAIL() << "an unknown object was accepted";
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), "org.lwm2md1.Error.UnknownObject");
  }
  // Only the owner may change an instance: the daemon owns the Device object.
  auto device = sdbus::createProxy(*client_, "org.lwm2md1", "/org/lwm2md1/Object/3/0");
  try {
    device->callMethod("Set")
        .onInterface("org.lwm2md1.Instance")
        .withArguments(DbusValues{{14, sdbus::Variant(std::string("+01:00"))}});
    FAIL() << "a client changed a daemon-owned instance";
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), "org.lwm2md1.Error.NotPermitted");
  }
  // Manager properties.
  auto state = [&] {
    return manager()->getProperty("State").onInterface("org.lwm2md1.Manager").get<std::string>();
  };
  EXPECT_TRUE(server_.waitFor([&] { return state() == "registered"; }, 5s)) << state();
  auto endpoint = manager()->getProperty("Endpoint").onInterface("org.lwm2md1.Manager");
  EXPECT_EQ(endpoint.get<std::string>(), "e2e-gw");
}

TEST_F(DaemonFixture, SigtermDeregistersAndExitsZero) {
  Event reg = startAndRegister();
  daemon_->signal(SIGTERM);
  auto dereg = server_.waitForEvent(Event::Kind::Deregister, 10s);
  ASSERT_TRUE(dereg) << daemon_->output();
  EXPECT_EQ(dereg->location, reg.location);
  auto code = daemon_->waitExit(10s, [this] { server_.pump(10ms); });
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0) << daemon_->output();
}

TEST_F(DaemonFixture, UpdateRefusedWith404LeadsToANewRegister) {
  startAndRegister();
  ASSERT_TRUE(waitForBusName());
  server_.failNextUpdates(1, kNotFound);
  addInstance(3303, 0, {{5700, sdbus::Variant(5.0)}});  // makes the daemon send an Update
  auto refused = server_.waitForEvent(Event::Kind::Update, 10s);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, kNotFound);
  auto again = server_.waitForEvent(Event::Kind::Register, 10s);
  ASSERT_TRUE(again) << daemon_->output();
  EXPECT_THAT(again->payload, HasSubstr("</3303/0>"));
}

TEST_F(DaemonFixture, UnansweredRegisterIsRetriedWithBackoff) {
  server_.setRegisterCode(0x83);  // 4.03 Forbidden
  startDaemon(config());
  auto first = server_.waitForEvent(Event::Kind::Register, 10s);
  ASSERT_TRUE(first);
  auto second = server_.waitForEvent(Event::Kind::Register, 10s);
  ASSERT_TRUE(second) << daemon_->output();
  server_.setRegisterCode(0x41);
  auto third = server_.waitForEvent(Event::Kind::Register, 10s);
  ASSERT_TRUE(third) << daemon_->output();
  EXPECT_EQ(third->code, 0x41);
  EXPECT_THAT(daemon_->output(), HasSubstr("Register failed: 4.03"));
}

}  // namespace
}  // namespace lwm2md::test
