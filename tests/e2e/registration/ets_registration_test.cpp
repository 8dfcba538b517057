// The Registration interface end to end (LwM2M 1.1 TS §6.2), named after the OMA ETS
// interoperability cases (LightweightM2M-1.1-int-1xx, int-227): the real lwm2md against the
// libcoap test server, asserting on the exact Register / Update / De-register requests the
// server sees and on when they come (short lifetimes and timers keep every wait bounded).
#include <gmock/gmock.h>

#include <chrono>
#include <string>

#include "e2e_fixture.hpp"

namespace lwm2md::test {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;
using Query = std::map<std::string, std::string>;

constexpr uint8_t kCreated = 0x41, kDeleted = 0x42, kChanged = 0x44, kContent = 0x45,
                  kBadRequest = 0x80, kForbidden = 0x83, kNotFound = 0x84;
constexpr uint16_t kText = 0, kSenmlJson = 110;

/// What a Register of the fixture's client carries in LwM2M 1.1: the root link with the
/// SenML CBOR preference, then every instance but the Security object's, object versions
/// other than 1.0 named.
constexpr const char* kObjects11 =
    "</>;rt=\"oma.lwm2m\";ct=112,</1>;ver=1.1,</1/0>,</3>;ver=1.1,</3/0>";

RequestOptions senmlJson(const std::string& payload) {
  RequestOptions options;
  options.contentFormat = kSenmlJson;
  options.payload.assign(payload.begin(), payload.end());
  return options;
}

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

class Registration : public DaemonFixture {
 protected:
  /// The fixture's config with another Lifetime.
  std::string configWith(unsigned lifetime, const std::string& version = "1.1") const {
    std::string text = config(version);
    const std::string key = "lifetime = 60\n";
    text.replace(text.find(key), key.size(), "lifetime = " + std::to_string(lifetime) + "\n");
    return text;
  }

  /// Starts the daemon and waits for its first Register; `registeredAt` is when it arrived.
  Event start(unsigned lifetime, const std::string& version = "1.1") {
    startDaemon(configWith(lifetime, version));
    auto reg = server_.waitForEvent(Event::Kind::Register, 10s);
    registeredAt = Clock::now();
    EXPECT_TRUE(reg) << "no Register; daemon output:\n" << daemon_->output();
    EXPECT_EQ(reg.value_or(Event{}).code, kCreated);
    return reg.value_or(Event{});
  }

  std::optional<Event> next(Event::Kind kind, std::chrono::milliseconds timeout = 10s) {
    auto event = server_.waitForEvent(kind, timeout);
    at = Clock::now();
    return event;
  }

  /// Writes one resource in text/plain and expects `code`.
  void writeText(const std::string& path, const std::string& value, uint8_t code = kChanged) {
    auto r = server_.write(path, kText, value);
    ASSERT_TRUE(r) << "no answer to the write of " << path;
    EXPECT_EQ(TestLwm2mServer::codeString(r->code), TestLwm2mServer::codeString(code))
        << path << " = " << value << ": " << TestLwm2mServer::text(*r);
  }

  std::string readText(const std::string& path) {
    auto r = server_.read(path, kText);
    if (!r || r->code != kContent) return "<no value>";
    return TestLwm2mServer::text(*r);
  }

  /// No event of `kind` arrives within `window`.
  bool quietFor(Event::Kind kind, std::chrono::milliseconds window) {
    return !server_.waitForEvent(kind, window);
  }

  Clock::time_point registeredAt;
  Clock::time_point at;  // when next() returned
};

TEST_F(Registration, Int101_InitialRegistration) {
  Event reg = start(60);
  // POST /rd?ep=..&lt=..&lwm2m=1.1&b=U with the object list, nothing else.
  EXPECT_EQ(reg.query, (Query{{"ep", "e2e-gw"}, {"lt", "60"}, {"lwm2m", "1.1"}, {"b", "U"}}));
  EXPECT_EQ(reg.payload, kObjects11);
  EXPECT_THAT(reg.location, ::testing::StartsWith("/rd/"));
  ASSERT_TRUE(server_.registration());
  EXPECT_EQ(server_.registration()->endpoint, "e2e-gw");
  // Registered: the server can reach the client, and no Update follows right away.
  EXPECT_EQ(readText("/1/0/0"), "1");
  EXPECT_TRUE(quietFor(Event::Kind::Update, 1500ms));
  EXPECT_TRUE(quietFor(Event::Kind::Register, 10ms));
}

TEST_F(Registration, Int101_InitialRegistrationVersion10) {
  Event reg = start(60, "1.0");
  EXPECT_EQ(reg.query, (Query{{"ep", "e2e-gw"}, {"lt", "60"}, {"lwm2m", "1.0"}, {"b", "U"}}));
  EXPECT_EQ(reg.payload, "</1/0>,</3/0>");
}

TEST_F(Registration, Int102_RegistrationUpdate) {
  Event reg = start(4);
  // The client refreshes its registration before the 4 s lifetime runs out, every time.
  for (int round = 0; round < 2; ++round) {
    const auto since = round == 0 ? registeredAt : at;
    auto update = next(Event::Kind::Update, 8s);
    ASSERT_TRUE(update) << daemon_->output();
    const double elapsed = std::chrono::duration<double>(at - since).count();
    EXPECT_GT(elapsed, 2.0) << "round " << round;
    EXPECT_LT(elapsed, 4.0) << "round " << round;
    EXPECT_EQ(update->location, reg.location);
    EXPECT_EQ(update->code, kChanged);
    // Nothing changed: no lt, no b, no object list.
    EXPECT_TRUE(update->query.empty()) << update->query.size();
    EXPECT_EQ(update->payload, "");
  }
  EXPECT_TRUE(quietFor(Event::Kind::Register, 10ms)) << "the registration was never lost";
}

TEST_F(Registration, Int103_Deregistration) {
  Event reg = start(60);
  writeText("/1/0/5", "3");  // Disable Timeout: 3 s
  auto exec = server_.execute("/1/0/4");
  ASSERT_TRUE(exec);
  EXPECT_EQ(exec->code, kChanged);  // the Execute is answered first
  auto dereg = next(Event::Kind::Deregister, 5s);
  ASSERT_TRUE(dereg) << daemon_->output();
  const auto deregisteredAt = at;
  EXPECT_EQ(dereg->location, reg.location);
  EXPECT_EQ(dereg->code, kDeleted);
  EXPECT_FALSE(server_.registration());
  // Disabled: the client no longer listens on that connection.
  RequestOptions quick;
  quick.timeout = 800ms;
  EXPECT_FALSE(server_.request(Method::Get, "/3/0/0", quick));
  // After the Disable Timeout it registers again, from scratch.
  auto again = next(Event::Kind::Register, 10s);
  ASSERT_TRUE(again) << daemon_->output();
  const double away = std::chrono::duration<double>(at - deregisteredAt).count();
  EXPECT_GT(away, 2.5);
  EXPECT_LT(away, 6.0);
  EXPECT_EQ(again->code, kCreated);
  EXPECT_EQ(again->query, reg.query);
  EXPECT_EQ(again->payload, reg.payload);
  EXPECT_NE(again->location, reg.location);
  EXPECT_EQ(readText("/3/0/0"), "lwm2md tests");
}

TEST_F(Registration, Int103_DeregistrationEndsTheObservations) {
  start(60);
  auto observe = server_.startObserve("/3/0/0", kText);
  ASSERT_TRUE(observe) << daemon_->output();
  EXPECT_EQ(observe->code, kContent);
  ASSERT_TRUE(observe->observe);
  writeText("/1/0/5", "30");
  ASSERT_TRUE(server_.execute("/1/0/4"));
  ASSERT_TRUE(next(Event::Kind::Deregister, 5s)) << daemon_->output();
  // Dropped with the De-register, not only with the next Register (30 s away).
  EXPECT_TRUE(daemon_->waitForOutput("server 1: dropping 1 observation(s)", 2s, [this] {
    server_.pump(10ms);
  })) << daemon_->output();
}

TEST_F(Registration, Int104_RegistrationUpdateTrigger) {
  Event reg = start(60);
  ASSERT_TRUE(waitForBusName());
  // The Executed D-Bus signal still fires for the daemon's own Server object instance.
  std::vector<uint16_t> executed;
  auto instance = sdbus::createProxy(*client_, "org.lwm2md1", "/org/lwm2md1/Object/1/0");
  instance->uponSignal("Executed")
      .onInterface("org.lwm2md1.Instance")
      .call([&](uint16_t rid, const std::string&) { executed.push_back(rid); });
  instance->finishRegistration();

  const auto triggeredAt = Clock::now();
  auto exec = server_.execute("/1/0/8");
  ASSERT_TRUE(exec);
  EXPECT_EQ(exec->code, kChanged);
  auto update = next(Event::Kind::Update, 5s);
  ASSERT_TRUE(update) << daemon_->output();
  EXPECT_LT(secondsSince(triggeredAt), 2.0);
  EXPECT_EQ(update->location, reg.location);
  EXPECT_EQ(update->code, kChanged);
  EXPECT_TRUE(update->query.empty());
  EXPECT_EQ(update->payload, "");
  ASSERT_TRUE(server_.waitFor([&] { return !executed.empty(); }, 5s));
  EXPECT_EQ(executed, std::vector<uint16_t>{8});
  // One trigger, one Update.
  EXPECT_TRUE(quietFor(Event::Kind::Update, 1s));
}

TEST_F(Registration, Int105_DiscardedRegisterUpdate) {
  Event reg = start(60);
  server_.failNextUpdates(1, kNotFound);  // the server lost the registration
  auto exec = server_.execute("/1/0/8");
  ASSERT_TRUE(exec);
  auto refused = next(Event::Kind::Update, 5s);
  ASSERT_TRUE(refused) << daemon_->output();
  EXPECT_EQ(refused->code, kNotFound);
  // The client registers again with everything a Register carries.
  auto again = next(Event::Kind::Register, 5s);
  ASSERT_TRUE(again) << daemon_->output();
  EXPECT_EQ(again->code, kCreated);
  EXPECT_EQ(again->query, reg.query);
  EXPECT_EQ(again->payload, kObjects11);
  EXPECT_NE(again->location, reg.location);
  // And keeps that registration up to date.
  ASSERT_TRUE(server_.execute("/1/0/8"));
  auto update = next(Event::Kind::Update, 5s);
  ASSERT_TRUE(update);
  EXPECT_EQ(update->location, again->location);
  EXPECT_EQ(update->code, kChanged);
}

TEST_F(Registration, Int107_ExtendingTheLifetimeOfARegistration) {
  Event reg = start(60);
  writeText("/1/0/1", "4");
  auto update = next(Event::Kind::Update, 5s);
  ASSERT_TRUE(update) << daemon_->output();
  // Only the new lifetime: the binding and the objects did not change.
  EXPECT_EQ(update->query, (Query{{"lt", "4"}}));
  EXPECT_EQ(update->payload, "");
  EXPECT_EQ(update->location, reg.location);
  ASSERT_TRUE(server_.registration());
  EXPECT_EQ(server_.registration()->query.at("lt"), "4");
  // The registration's timer follows the new lifetime: the next Update comes within 4 s.
  const auto changedAt = at;
  auto refresh = next(Event::Kind::Update, 8s);
  ASSERT_TRUE(refresh) << daemon_->output();
  const double elapsed = std::chrono::duration<double>(at - changedAt).count();
  EXPECT_GT(elapsed, 2.0);
  EXPECT_LT(elapsed, 4.0);
  EXPECT_TRUE(refresh->query.empty());
  EXPECT_EQ(readText("/1/0/1"), "4");
}

TEST_F(Registration, Int227_WriteReplaceOnResourceLifetime) {
  Event reg = start(60);
  writeText("/1/0/1", "63");
  auto update = next(Event::Kind::Update, 5s);
  ASSERT_TRUE(update) << daemon_->output();
  EXPECT_EQ(update->query, (Query{{"lt", "63"}}));
  EXPECT_EQ(update->payload, "");
  EXPECT_EQ(readText("/1/0/1"), "63");
  ASSERT_TRUE(server_.registration());
  EXPECT_EQ(server_.registration()->query.at("lt"), "63");
  // Writing the old value back is a change again; writing the same value is not.
  writeText("/1/0/1", "60");
  auto back = next(Event::Kind::Update, 5s);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->query, (Query{{"lt", "60"}}));
  writeText("/1/0/1", "60");
  EXPECT_TRUE(quietFor(Event::Kind::Update, 1s));
}

TEST_F(Registration, LifetimeInAPartialUpdateOfTheInstanceIsSent) {
  start(60);
  auto r = server_.request(Method::Post, "/1/0",
                           senmlJson(R"([{"bn":"/1/0/","n":"1","v":30},{"n":"6","vb":true}])"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, kChanged) << TestLwm2mServer::text(*r);
  auto update = next(Event::Kind::Update, 5s);
  ASSERT_TRUE(update) << daemon_->output();
  EXPECT_EQ(update->query, (Query{{"lt", "30"}}));
}

TEST_F(Registration, BindingWriteIsSentInAnUpdate) {
  Event reg = start(60);
  // LwM2M 1.1 carries queue mode as its own Q parameter (TS 1.1 §6.2.1).
  writeText("/1/0/7", "UQ");
  auto update = next(Event::Kind::Update, 5s);
  ASSERT_TRUE(update) << daemon_->output();
  EXPECT_EQ(update->query, (Query{{"b", "U"}, {"Q", ""}}));
  EXPECT_EQ(update->payload, "");
  EXPECT_EQ(readText("/1/0/7"), "UQ");
}

TEST_F(Registration, BindingWriteIsSentAsIsToAVersion10Server) {
  start(60, "1.0");
  writeText("/1/0/7", "UQ");
  auto update = next(Event::Kind::Update, 5s);
  ASSERT_TRUE(update) << daemon_->output();
  EXPECT_EQ(update->query, (Query{{"b", "UQ"}}));
}

TEST_F(Registration, ServerObjectWritesAreValidated) {
  start(60);
  writeText("/1/0/1", "0", kBadRequest);   // Lifetime >= 1
  writeText("/1/0/1", "-5", kBadRequest);  // not negative either
  writeText("/1/0/7", "T", kBadRequest);   // the daemon reaches servers over UDP only
  writeText("/1/0/7", "UU", kBadRequest);
  writeText("/1/0/7", "", kBadRequest);
  writeText("/1/0/5", "-1", kBadRequest);
  // All or nothing: an instance write with one bad value changes nothing.
  auto r = server_.request(Method::Post, "/1/0",
                           senmlJson(R"([{"bn":"/1/0/","n":"2","v":7},{"n":"1","v":0}])"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, kBadRequest);
  EXPECT_THAT(TestLwm2mServer::text(*r), HasSubstr("Lifetime"));
  EXPECT_EQ(readText("/1/0/1"), "60");
  EXPECT_EQ(readText("/1/0/7"), "U");
  EXPECT_NE(readText("/1/0/2"), "7");
  EXPECT_TRUE(quietFor(Event::Kind::Update, 1s)) << "a refused write sent an Update";
}

TEST_F(Registration, FailedRegistrationFollowsTheServerObjectRetryTimers) {
  start(60);
  // Communication Retry Count 2, Retry Timer 1 s, Sequence Delay 2 s, Sequence Retry Count 2.
  writeText("/1/0/17", "2");
  writeText("/1/0/18", "1");
  writeText("/1/0/19", "2");
  writeText("/1/0/20", "2");
  server_.setRegisterCode(kForbidden);
  server_.failNextUpdates(1, kNotFound);
  ASSERT_TRUE(server_.execute("/1/0/8"));
  ASSERT_TRUE(next(Event::Kind::Update, 5s));
  std::vector<Clock::time_point> attempts;
  for (int i = 0; i < 4; ++i) {
    auto reg = next(Event::Kind::Register, 8s);
    ASSERT_TRUE(reg) << "attempt " << i + 1 << "\n" << daemon_->output();
    EXPECT_EQ(reg->code, kForbidden);
    attempts.push_back(at);
  }
  auto gap = [&](int i) {
    return std::chrono::duration<double>(attempts[i + 1] - attempts[i]).count();
  };
  EXPECT_GT(gap(0), 0.7);  // Retry Timer * 2^0 within sequence 1
  EXPECT_LT(gap(0), 1.8);
  EXPECT_GT(gap(1), 1.7);  // sequence 1 failed: Sequence Delay
  EXPECT_LT(gap(1), 3.0);
  EXPECT_GT(gap(2), 0.7);  // sequence 2 starts over
  EXPECT_LT(gap(2), 1.8);
  // Sequence 2 failed too: the registration has failed, nothing more is sent.
  EXPECT_TRUE(quietFor(Event::Kind::Register, 3500ms)) << daemon_->output();
  EXPECT_THAT(daemon_->output(), HasSubstr("registration failed after 2 communication sequence"));
}

TEST_F(Registration, FailedRegistrationWithoutServerTimersBacksOffFromTheConfig) {
  // No resources 17-20: retry_initial 1 s doubling up to retry_max 4 s, for ever.
  server_.setRegisterCode(kForbidden);
  startDaemon(configWith(60));
  std::vector<Clock::time_point> attempts;
  for (int i = 0; i < 4; ++i) {
    auto reg = next(Event::Kind::Register, 10s);
    ASSERT_TRUE(reg) << daemon_->output();
    attempts.push_back(at);
  }
  auto gap = [&](int i) {
    return std::chrono::duration<double>(attempts[i + 1] - attempts[i]).count();
  };
  EXPECT_GT(gap(0), 0.7);
  EXPECT_LT(gap(0), 1.8);
  EXPECT_GT(gap(1), 1.7);
  EXPECT_LT(gap(1), 3.0);
  EXPECT_GT(gap(2), 3.5);
  EXPECT_LT(gap(2), 5.0);
  server_.setRegisterCode(kCreated);
  auto ok = next(Event::Kind::Register, 8s);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->code, kCreated);
}

/// Registration payloads that take several Block1 blocks (RFC 7959 §2.5). libcoap 4.3.1 sends
/// the blocks after the first with tokens of its own; the daemon used to lose track of the
/// request there, never saw the 2.04 / 2.01 and stayed "updating" for good.
class BlockwiseRegistration : public Registration {
 protected:
  static constexpr std::uint16_t kTemperature = 3303;

  /// Adds /3303/<first>..<last> over D-Bus, answering the daemon's Updates meanwhile.
  void addSensors(int first, int last) {
    for (int iid = first; iid <= last; ++iid) {
      addInstance(kTemperature, static_cast<std::uint16_t>(iid),
                  {{5700, sdbus::Variant(20.0 + iid / 100.0)}});
      server_.pump(0ms);
    }
  }

  /// The object list of the fixture's client with /3303/0..<last>.
  static std::string objectsWithSensors(int last) {
    std::string list = std::string(kObjects11) + ",</3303>;ver=1.1";
    for (int iid = 0; iid <= last; ++iid) list += ",</3303/" + std::to_string(iid) + ">";
    return list;
  }

  /// Waits for an Update whose object list is `want` and returns it: the Updates before it
  /// (sent while instances were still arriving) must have been answered 2.04 as well.
  std::optional<Event> waitForUpdateListing(const std::string& want,
                                            std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      auto update = next(Event::Kind::Update, 1s);
      if (!update) continue;
      EXPECT_EQ(update->code, kChanged) << update->payload.size() << " B";
      if (update->payload == want) return update;
    }
    return std::nullopt;
  }
};

TEST_F(BlockwiseRegistration, UpdatesOfThreeAndMoreBlocksCompleteOneAfterAnother) {
  Event reg = start(60);
  ASSERT_TRUE(waitForBusName());
  // 250 instances: about 3 KB of links, three 1024-byte blocks.
  addSensors(0, 249);
  const std::string first = objectsWithSensors(249);
  ASSERT_GT(first.size(), 2048u);
  auto update = waitForUpdateListing(first, 10s);
  ASSERT_TRUE(update) << "no Update carried all 250 instances\n" << daemon_->output();
  EXPECT_EQ(update->location, reg.location);
  ASSERT_TRUE(server_.registration());
  EXPECT_EQ(server_.registration()->payload, first);

  // The daemon saw that 2.04: the next change goes out as another block-wise Update.
  addSensors(250, 300);
  const std::string second = objectsWithSensors(300);
  auto again = waitForUpdateListing(second, 10s);
  ASSERT_TRUE(again) << "the second large Update never came\n" << daemon_->output();
  EXPECT_EQ(again->location, reg.location);

  // Registered, not stuck in "updating": a trigger still sends an (empty) Update at once.
  ASSERT_TRUE(server_.execute("/1/0/8"));
  auto triggered = next(Event::Kind::Update, 5s);
  ASSERT_TRUE(triggered) << daemon_->output();
  EXPECT_EQ(triggered->payload, "");
  EXPECT_EQ(triggered->code, kChanged);
  EXPECT_TRUE(quietFor(Event::Kind::Register, 10ms)) << "the registration was never lost";
}

TEST_F(BlockwiseRegistration, RefusedBlockwiseUpdateLeadsToABlockwiseRegister) {
  start(60);
  ASSERT_TRUE(waitForBusName());
  addSensors(0, 199);
  const std::string list = objectsWithSensors(199);
  ASSERT_TRUE(waitForUpdateListing(list, 10s)) << daemon_->output();
  // The server lost the registration: the answer to the last block of the next large Update
  // is 4.04, and the client registers again with the whole list, block-wise as well.
  server_.failNextUpdates(1, kNotFound);
  addSensors(200, 200);
  auto refused = next(Event::Kind::Update, 5s);
  ASSERT_TRUE(refused) << daemon_->output();
  EXPECT_EQ(refused->code, kNotFound);
  EXPECT_EQ(refused->payload, objectsWithSensors(200));
  auto again = next(Event::Kind::Register, 5s);
  ASSERT_TRUE(again) << daemon_->output();
  EXPECT_EQ(again->code, kCreated);
  EXPECT_EQ(again->payload, objectsWithSensors(200));
  // The daemon took in the 2.01 of the block-wise Register: it is registered and answers.
  ASSERT_TRUE(server_.execute("/1/0/8"));
  auto update = next(Event::Kind::Update, 5s);
  ASSERT_TRUE(update) << daemon_->output();
  EXPECT_EQ(update->location, again->location);
  EXPECT_EQ(update->code, kChanged);
}

TEST_F(BlockwiseRegistration, EveryUpdateAcrossTheOneDatagramEdgeCompletes) {
  Event reg = start(60);
  ASSERT_TRUE(waitForBusName());
  addSensors(0, 79);
  ASSERT_TRUE(waitForUpdateListing(objectsWithSensors(79), 10s)) << daemon_->output();
  ASSERT_LT(objectsWithSensors(79).size(), 1000u);
  // One instance at a time: the lists grow from one datagram (< ~1.1 KB) to two blocks; each
  // Update must be answered and taken in before the next one can go.
  for (int iid = 80; iid <= 110; ++iid) {
    addSensors(iid, iid);
    auto update = waitForUpdateListing(objectsWithSensors(iid), 5s);
    ASSERT_TRUE(update) << "no Update listing /3303/" << iid << "\n" << daemon_->output();
  }
  ASSERT_GT(objectsWithSensors(110).size(), 1152u);  // past libcoap's default MTU
  // And the De-register after them is sent and answered.
  writeText("/1/0/5", "30");
  ASSERT_TRUE(server_.execute("/1/0/4"));
  auto dereg = next(Event::Kind::Deregister, 5s);
  ASSERT_TRUE(dereg) << daemon_->output();
  EXPECT_EQ(dereg->location, reg.location);
  EXPECT_EQ(dereg->code, kDeleted);
  EXPECT_FALSE(server_.registration());
}

}  // namespace
}  // namespace lwm2md::test
