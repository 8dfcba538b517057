// Several LwM2M servers end to end (LwM2M 1.1 TS Core §5.3 registration per server, §7.3
// Access Control): the real daemon provisioned with two servers, the ETS client configuration
// C.14 shape (two LwM2M Server accounts with Short Server IDs 1 and 2, each with its Security
// and Server instance).
//
// The ETS multi-server cases (LightweightM2M-1.1-int-950 and int-951) could not be found in
// the reference material; what the tests named after them assert, and why:
//  - int-950: each server gets its own Register with the lifetime of its own Server instance;
//    what one server triggers on its Server instance (Registration Update Trigger) concerns
//    only its own registration; De-register on shutdown reaches every server.
//  - int-951: with more than one server, each server only reaches what the Access Control
//    object grants it: the other server's Server instance is out of reach (4.01), the
//    gateway's own instances are open to both through the default ACL entry, an instance a
//    server creates is its own until it adds an ACL entry for the other server, and Create
//    needs the Create right of an object-level Access Control instance (which only a
//    Bootstrap-Server writes: its owner is 65535).
#include <gmock/gmock.h>

#include <string>

#include "multiserver_fixture.hpp"

namespace lwm2md::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace multi;

using Multi = MultiServerFixture;

std::string slash(uint16_t oid, uint16_t iid) {
  return "/" + std::to_string(oid) + "/" + std::to_string(iid);
}

TEST_F(Multi, Int950_TwoServersRegisterIndependently) {
  ASSERT_NO_FATAL_FAILURE(start(/*provider=*/false));
  // One Register each, with the same endpoint and the lifetime of its own account.
  EXPECT_EQ(register1_.query["ep"], "e2e-multi");
  EXPECT_EQ(register2_.query["ep"], "e2e-multi");
  EXPECT_EQ(register1_.query["lt"], std::to_string(kLifetime1));
  EXPECT_EQ(register2_.query["lt"], std::to_string(kLifetime2));
  EXPECT_EQ(count(server_, Event::Kind::Register), 1u);
  EXPECT_EQ(count(second_, Event::Kind::Register), 1u);
  for (const Event* reg : {&register1_, &register2_}) {
    EXPECT_THAT(reg->payload, HasSubstr("</1/"));
    EXPECT_THAT(reg->payload, Not(HasSubstr("</0/"))) << "the Security object is never listed";
  }

  // Each finds its own Server instance, a different one, holding its own lifetime.
  auto own1 = ownServerInstance(server_, kSsid1);
  auto own2 = ownServerInstance(second_, kSsid2);
  ASSERT_TRUE(own1) << "server 1 cannot read its own Server instance\n" << daemon_->output();
  ASSERT_TRUE(own2) << "server 2 cannot read its own Server instance\n" << daemon_->output();
  EXPECT_NE(*own1, *own2);
  auto lifetime1 = read(server_, slash(1, *own1) + "/1");
  EXPECT_CODE(lifetime1, kContent);
  EXPECT_EQ(TestLwm2mServer::text(lifetime1), std::to_string(kLifetime1));
  auto lifetime2 = read(second_, slash(1, *own2) + "/1");
  EXPECT_CODE(lifetime2, kContent);
  EXPECT_EQ(TestLwm2mServer::text(lifetime2), std::to_string(kLifetime2));
  EXPECT_EQ(serverState(kSsid1), "registered");
  EXPECT_EQ(serverState(kSsid2), "registered");
  EXPECT_EQ(serverProperty(kSsid1, "Lifetime").get<uint32_t>(), uint32_t(kLifetime1));
  EXPECT_EQ(serverProperty(kSsid2, "Lifetime").get<uint32_t>(), uint32_t(kLifetime2));

  // A lifetime written into a server's own Server instance goes to that server's
  // registration only (an Update with the new lt).
  const size_t before1 = count(server_, Event::Kind::Update);
  const size_t before2 = count(second_, Event::Kind::Update);
  EXPECT_CODE(writeText(server_, slash(1, *own1) + "/1", "75"), kChanged);
  ASSERT_TRUE(server_.waitFor([&] { return count(server_, Event::Kind::Update) > before1; }, 5s))
      << daemon_->output();
  Event relifed = server_.events().back();
  EXPECT_EQ(relifed.kind, Event::Kind::Update);
  EXPECT_EQ(relifed.query["lt"], "75");
  EXPECT_EQ(relifed.location, register1_.location);
  settle();
  EXPECT_EQ(count(second_, Event::Kind::Update), before2) << daemon_->output();
  EXPECT_EQ(serverProperty(kSsid1, "Lifetime").get<uint32_t>(), 75u);
  EXPECT_EQ(serverProperty(kSsid2, "Lifetime").get<uint32_t>(), uint32_t(kLifetime2));

  const size_t updates1 = count(server_, Event::Kind::Update);
  const size_t updates2 = count(second_, Event::Kind::Update);
  // Server 2 cannot pull server 1's trigger: that instance is not its own.
  EXPECT_CODE(execute(second_, slash(1, *own1) + "/8"), kUnauthorized);
  // Server 1's Registration Update Trigger updates server 1's registration only.
  EXPECT_CODE(execute(server_, slash(1, *own1) + "/8"), kChanged);
  ASSERT_TRUE(server_.waitFor([&] { return count(server_, Event::Kind::Update) > updates1; }, 5s))
      << daemon_->output();
  idle(1500ms);
  EXPECT_EQ(count(server_, Event::Kind::Update), updates1 + 1);
  EXPECT_EQ(count(second_, Event::Kind::Update), updates2) << daemon_->output();
  const Event& update = server_.events().back();
  EXPECT_EQ(update.location, register1_.location);

  // An orderly stop de-registers from both, each at its own location.
  auto rc = daemon_->stop(10s, [this] { server_.pump(10ms); });
  ASSERT_TRUE(rc);
  EXPECT_EQ(*rc, 0) << daemon_->output();
  ASSERT_EQ(count(server_, Event::Kind::Deregister), 1u) << daemon_->output();
  ASSERT_EQ(count(second_, Event::Kind::Deregister), 1u) << daemon_->output();
  auto dereg1 = server_.waitForEvent(Event::Kind::Deregister, 0ms);
  auto dereg2 = second_.waitForEvent(Event::Kind::Deregister, 0ms);
  ASSERT_TRUE(dereg1 && dereg2);
  EXPECT_EQ(dereg1->location, register1_.location);
  EXPECT_EQ(dereg2->location, register2_.location);
}

TEST_F(Multi, Int951_AccessControlPerServer) {
  ASSERT_NO_FATAL_FAILURE(start(/*provider=*/true));
  auto own1 = ownServerInstance(server_, kSsid1);
  auto own2 = ownServerInstance(second_, kSsid2);
  ASSERT_TRUE(own1 && own2) << "a server cannot read its own Server instance\n"
                            << daemon_->output();

  // The other server's Server instance is out of reach, whatever the operation.
  EXPECT_CODE(read(server_, slash(1, *own2) + "/0"), kUnauthorized);
  EXPECT_CODE(read(server_, slash(1, *own2), std::nullopt), kUnauthorized);
  EXPECT_CODE(read(second_, slash(1, *own1) + "/1"), kUnauthorized);
  EXPECT_CODE(writeText(server_, slash(1, *own2) + "/1", "30"), kUnauthorized);
  EXPECT_CODE(read(server_, slash(1, *own2), kLink), kUnauthorized);
  // A Read of the whole Server object holds only the server's own instance.
  auto all1 = read(server_, "/1", kSenmlJson);
  EXPECT_CODE(all1, kContent);
  EXPECT_TRUE(holds(all1, slash(1, *own1) + "/")) << TestLwm2mServer::text(all1);
  EXPECT_FALSE(holds(all1, slash(1, *own2) + "/")) << TestLwm2mServer::text(all1);
  auto all2 = read(second_, "/1", kSenmlJson);
  EXPECT_CODE(all2, kContent);
  EXPECT_TRUE(holds(all2, slash(1, *own2) + "/")) << TestLwm2mServer::text(all2);
  EXPECT_FALSE(holds(all2, slash(1, *own1) + "/")) << TestLwm2mServer::text(all2);
  // Discover, Observe, Write-Attributes, Read-Composite and Write-Composite judge the same.
  auto links1 = read(server_, "/1", kLink);
  EXPECT_CODE(links1, kContent);
  EXPECT_THAT(TestLwm2mServer::text(links1), HasSubstr("<" + slash(1, *own1) + ">"));
  EXPECT_THAT(TestLwm2mServer::text(links1), Not(HasSubstr("<" + slash(1, *own2) + ">")));
  auto foreignObserve = second_.startObserve(slash(1, *own1) + "/1", kText);
  ASSERT_TRUE(foreignObserve);
  EXPECT_CODE(*foreignObserve, kUnauthorized);
  EXPECT_FALSE(foreignObserve->observe) << "a refused Observe establishes nothing";
  auto foreignAttributes = second_.writeAttributes(slash(1, *own1) + "/1", {"pmin=5"});
  ASSERT_TRUE(foreignAttributes);
  EXPECT_CODE(*foreignAttributes, kUnauthorized);
  const std::string foreignPath = R"([{"n":")" + slash(1, *own2) + R"(/1"}])";
  auto composite = call(server_, Method::Fetch, "/",
                        {.accept = kSenmlJson,
                         .contentFormat = kSenmlJson,
                         .payload = {foreignPath.begin(), foreignPath.end()},
                         .query = {},
                         .confirmable = true,
                         .observe = {}});
  EXPECT_CODE(composite, kUnauthorized);
  const std::string foreignWrite = R"([{"n":")" + slash(1, *own2) + R"(/1","v":30}])";
  auto compositeWrite = call(server_, Method::IPatch, "/",
                             {.accept = {},
                              .contentFormat = kSenmlJson,
                              .payload = {foreignWrite.begin(), foreignWrite.end()},
                              .query = {},
                              .confirmable = true,
                              .observe = {}});
  EXPECT_CODE(compositeWrite, kUnauthorized);
  // Its own lifetime a server may change; the other's lifetime is unchanged by the refusal.
  EXPECT_CODE(writeText(server_, slash(1, *own1) + "/1", "70"), kChanged);
  EXPECT_EQ(TestLwm2mServer::text(read(second_, slash(1, *own2) + "/1")),
            std::to_string(kLifetime2));

  // Observing the whole Server object, server 1 hears nothing of server 2's instance.
  auto watchAll = server_.startObserve("/1", kSenmlJson);
  ASSERT_TRUE(watchAll);
  EXPECT_CODE(*watchAll, kContent);
  EXPECT_FALSE(holds(*watchAll, slash(1, *own2) + "/")) << TestLwm2mServer::text(*watchAll);
  EXPECT_CODE(writeText(second_, slash(1, *own2) + "/1", "95"), kChanged);
  idle(1000ms);
  for (const Response& note : server_.notifications(watchAll->token))
    EXPECT_FALSE(holds(note, slash(1, *own2) + "/")) << TestLwm2mServer::text(note);
  EXPECT_TRUE(server_.cancelObserve(watchAll->token));

  // The Security object is never a server's.
  EXPECT_CODE(read(server_, "/0/0/0"), kUnauthorized);
  EXPECT_CODE(read(second_, "/0", kSenmlJson), kUnauthorized);

  // The gateway's instances (the Device object, the provider's instance) carry the default
  // entry Read|Write|Execute: both servers read them, neither may delete them.
  for (TestLwm2mServer* server : {&server_, &second_}) {
    auto manufacturer = read(*server, "/3/0/0");
    EXPECT_CODE(manufacturer, kContent);
    EXPECT_EQ(TestLwm2mServer::text(manufacturer), "lwm2md tests");
    auto value = read(*server, "/3303/0/5700");
    EXPECT_CODE(value, kContent);
    EXPECT_EQ(TestLwm2mServer::text(value), "20.5");
    EXPECT_CODE(call(*server, Method::Delete, "/3303/0"), kUnauthorized);
  }
  EXPECT_CODE(writeText(second_, "/3303/0/5750", "hall"), kChanged);
  EXPECT_EQ(TestLwm2mServer::text(read(server_, "/3303/0/5750")), "hall");

  // Write-Attributes are per server: server 1's gt=100 holds back its notifications of an
  // ordinary change, server 2 (no attributes) hears of every change.
  auto attrs = server_.writeAttributes("/3303/0/5700", {"gt=100"});
  ASSERT_TRUE(attrs);
  EXPECT_CODE(*attrs, kChanged);
  auto discover1 = read(server_, "/3303/0/5700", kLink);
  EXPECT_THAT(TestLwm2mServer::text(discover1), HasSubstr("gt=100"));
  auto discover2 = read(second_, "/3303/0/5700", kLink);
  EXPECT_CODE(discover2, kContent);
  EXPECT_THAT(TestLwm2mServer::text(discover2), Not(HasSubstr("gt=")));
  auto observe1 = server_.startObserve("/3303/0/5700", kText);
  auto observe2 = second_.startObserve("/3303/0/5700", kText);
  ASSERT_TRUE(observe1 && observe2) << daemon_->output();
  EXPECT_CODE(*observe1, kContent);
  EXPECT_CODE(*observe2, kContent);
  setSensor(21.5);
  ASSERT_TRUE(second_.waitForNotifications(observe2->token, 1, 3s)) << daemon_->output();
  EXPECT_EQ(TestLwm2mServer::text(second_.notifications(observe2->token)[0]), "21.5");
  idle(1000ms);
  EXPECT_TRUE(server_.notifications(observe1->token).empty())
      << "server 2's lack of attributes reached server 1's observation";
  // Crossing 100 notifies server 1 too: its observation is alive, only filtered.
  setSensor(150.0);
  ASSERT_TRUE(server_.waitForNotifications(observe1->token, 1, 3s)) << daemon_->output();
  EXPECT_EQ(TestLwm2mServer::text(server_.notifications(observe1->token)[0]), "150");
  ASSERT_TRUE(second_.waitForNotifications(observe2->token, 2, 3s));
  EXPECT_EQ(TestLwm2mServer::text(second_.notifications(observe2->token)[1]), "150");
}

TEST_F(Multi, Int951_CreateNeedsTheCreateRightAndTheCreatorSharesByAclEntry) {
  ASSERT_NO_FATAL_FAILURE(start(/*provider=*/false, /*withBootstrap=*/true));
  const std::string note = R"([{"bn":"/32771/7/","n":"0","vs":"made by 1"}])";
  // No object-level Access Control instance for the test object: nobody may create.
  EXPECT_CODE(create(server_, "/32771", note), kUnauthorized);
  EXPECT_CODE(create(second_, "/32771", note), kUnauthorized);
  // Nor may a server make itself an Access Control instance (only the client and the
  // Bootstrap-Server create them): 4.05.
  EXPECT_CODE(create(server_, "/2",
                     R"([{"bn":"/2/90/","n":"0","v":32771},{"n":"1","v":65535},)"
                     R"({"n":"2/1","v":16},{"n":"3","v":1}])"),
              kMethodNotAllowed);

  // Only a Bootstrap-Server writes object-level ACLs (owner 65535): it grants server 1 Create.
  manager()->callMethod("Bootstrap").onInterface("org.lwm2md1.Manager");
  ASSERT_TRUE(bs_.waitForEvent(Event::Kind::BootstrapRequest, 10s)) << daemon_->output();
  const std::string grant = R"([{"bn":"/2/100/","n":"0","v":32771},{"n":"1","v":65535},)"
                            R"({"n":"2/1","v":16},{"n":"3","v":65535}])";
  auto written = bs_.bootstrapWrite("/2/100", kSenmlJson, {grant.begin(), grant.end()});
  ASSERT_TRUE(written);
  EXPECT_CODE(*written, kChanged);
  auto finish = bs_.bootstrapFinish();
  ASSERT_TRUE(finish);
  ASSERT_EQ(finish->code, kChanged) << TestLwm2mServer::text(*finish);
  ASSERT_TRUE(server_.waitForEvent(Event::Kind::Register, 10s)) << daemon_->output();
  ASSERT_TRUE(second_.waitForEvent(Event::Kind::Register, 10s)) << daemon_->output();
  settle();
  // The object-level instance is the Bootstrap-Server's to manage: no server reads it.
  EXPECT_CODE(read(server_, "/2/100/2/1"), kUnauthorized);

  EXPECT_CODE(create(second_, "/32771", note), kUnauthorized);
  auto created = create(server_, "/32771", note);
  ASSERT_EQ(created.code, kCreated) << TestLwm2mServer::text(created) << daemon_->output();
  ASSERT_EQ(created.locationPath, (std::vector<std::string>{"32771", "7"}));
  const std::string instance = "/32771/7";

  // The creator reads it; the other server neither reads it nor finds it in the object.
  EXPECT_EQ(TestLwm2mServer::text(read(server_, instance + "/0")), "made by 1");
  EXPECT_CODE(read(second_, instance + "/0"), kUnauthorized);
  auto object2 = read(second_, "/32771", kSenmlJson);
  EXPECT_CODE(object2, kContent);
  EXPECT_FALSE(holds(object2, instance + "/")) << TestLwm2mServer::text(object2);
  EXPECT_CODE(writeText(second_, instance + "/0", "taken"), kUnauthorized);

  // The client made an Access Control instance for it, owned by the creator, without entries.
  std::optional<uint16_t> acl;
  for (uint16_t iid = 0; iid < 128 && !acl; ++iid) {
    auto oid = server_.read(slash(2, iid) + "/0", kText);
    if (!oid || oid->code != kContent || TestLwm2mServer::text(*oid) != "32771") continue;
    auto target = server_.read(slash(2, iid) + "/1", kText);
    if (target && target->code == kContent && TestLwm2mServer::text(*target) == "7") acl = iid;
  }
  ASSERT_TRUE(acl) << "server 1 finds no Access Control instance for " << instance << "\n"
                   << daemon_->output();
  EXPECT_EQ(TestLwm2mServer::text(read(server_, slash(2, *acl) + "/3")), "1");
  // Only its owner manages it.
  EXPECT_CODE(read(second_, slash(2, *acl) + "/3"), kUnauthorized);
  EXPECT_CODE(writeText(second_, slash(2, *acl) + "/2/2", "1"), kUnauthorized);
  EXPECT_CODE(read(second_, instance + "/0"), kUnauthorized);

  // Servers never delete Access Control instances (they go with their target), not even
  // the owner; a malformed entry is refused and changes nothing.
  EXPECT_CODE(call(second_, Method::Delete, slash(2, *acl)), kUnauthorized);
  EXPECT_CODE(call(server_, Method::Delete, slash(2, *acl)), kUnauthorized);
  EXPECT_CODE(writeText(server_, slash(2, *acl) + "/2/2", "read please"), kBadRequest);
  EXPECT_CODE(read(second_, instance + "/0"), kUnauthorized);
  // The owner grants server 2 Read: now server 2 reads it, and still may not write it.
  EXPECT_CODE(writeText(server_, slash(2, *acl) + "/2/2", "1"), kChanged);
  auto shared = read(second_, instance + "/0");
  EXPECT_CODE(shared, kContent);
  EXPECT_EQ(TestLwm2mServer::text(shared), "made by 1");
  auto sharedObject = read(second_, "/32771", kSenmlJson);
  EXPECT_TRUE(holds(sharedObject, instance + "/0")) << TestLwm2mServer::text(sharedObject);
  EXPECT_CODE(writeText(second_, instance + "/0", "taken"), kUnauthorized);
  EXPECT_CODE(call(second_, Method::Delete, instance), kUnauthorized);
  // Server 2 observes it; when the owner takes the entry back, the next change ends that
  // observation with 4.01 (the path cannot be read any more) instead of sending the value.
  auto watch = second_.startObserve(instance + "/0", kText);
  ASSERT_TRUE(watch);
  EXPECT_CODE(*watch, kContent);
  EXPECT_CODE(writeText(server_, slash(2, *acl) + "/2/2", "0"), kChanged);
  EXPECT_CODE(read(second_, instance + "/0"), kUnauthorized);
  EXPECT_CODE(writeText(server_, instance + "/0", "secret"), kChanged);
  ASSERT_TRUE(second_.waitForNotifications(watch->token, 1, 3s)) << daemon_->output();
  const Response& ended = second_.notifications(watch->token)[0];
  EXPECT_CODE(ended, kUnauthorized);
  EXPECT_THAT(TestLwm2mServer::text(ended), Not(HasSubstr("secret")));
  // The creator keeps every instance right, Delete included; the ACL goes with the instance.
  EXPECT_CODE(call(server_, Method::Delete, instance), kDeleted);
  EXPECT_CODE(read(server_, slash(2, *acl) + "/0"), kNotFound);
}

TEST_F(Multi, ObservationsArePerServer) {
  ASSERT_NO_FATAL_FAILURE(start(/*provider=*/true));
  auto observe1 = server_.startObserve("/3303/0/5700", kText);
  auto observe2 = second_.startObserve("/3303/0/5700", kText);
  ASSERT_TRUE(observe1 && observe2) << daemon_->output();
  EXPECT_CODE(*observe1, kContent);
  EXPECT_CODE(*observe2, kContent);
  EXPECT_TRUE(observe1->observe && observe2->observe);
  EXPECT_TRUE(server_.waitFor([&] { return observationsOf(kSsid1) == 1; }, 3s));
  EXPECT_TRUE(server_.waitFor([&] { return observationsOf(kSsid2) == 1; }, 3s));

  // A change by the provider (no server) notifies both.
  setSensor(22.0);
  ASSERT_TRUE(server_.waitForNotifications(observe1->token, 1, 3s)) << daemon_->output();
  ASSERT_TRUE(second_.waitForNotifications(observe2->token, 1, 3s)) << daemon_->output();
  EXPECT_EQ(TestLwm2mServer::text(server_.notifications(observe1->token)[0]), "22");
  EXPECT_EQ(TestLwm2mServer::text(second_.notifications(observe2->token)[0]), "22");

  // Server 1 answers its next notification with RST: its observation ends, server 2's not.
  server_.forgetObserve(observe1->token);
  setSensor(23.0);
  ASSERT_TRUE(second_.waitForNotifications(observe2->token, 2, 3s)) << daemon_->output();
  EXPECT_EQ(TestLwm2mServer::text(second_.notifications(observe2->token)[1]), "23");
  EXPECT_TRUE(server_.waitFor([&] { return observationsOf(kSsid1) == 0; }, 5s))
      << "server 1's observation survived its RST\n"
      << daemon_->output();
  EXPECT_EQ(observationsOf(kSsid2), 1u);
  setSensor(24.0);
  ASSERT_TRUE(second_.waitForNotifications(observe2->token, 3, 3s)) << daemon_->output();
  EXPECT_EQ(TestLwm2mServer::text(second_.notifications(observe2->token)[2]), "24");
  EXPECT_EQ(observationsOf(kSsid1), 0u);
  EXPECT_EQ(observationsOf(kSsid2), 1u);
}

TEST_F(Multi, DisableOneServerKeepsTheOther) {
  ASSERT_NO_FATAL_FAILURE(start(/*provider=*/true));
  auto own1 = ownServerInstance(server_, kSsid1);
  auto own2 = ownServerInstance(second_, kSsid2);
  ASSERT_TRUE(own1 && own2) << "a server cannot read its own Server instance\n"
                            << daemon_->output();
  // A short Disable Timeout, so server 1 comes back within the test.
  EXPECT_CODE(writeText(server_, slash(1, *own1) + "/5", "3"), kChanged);
  settle();
  const size_t updates2 = count(second_, Event::Kind::Update);

  // Server 2 may not disable server 1.
  EXPECT_CODE(execute(second_, slash(1, *own1) + "/4"), kUnauthorized);
  EXPECT_EQ(count(server_, Event::Kind::Deregister), 0u);

  auto observe1 = server_.startObserve("/3303/0/5700", kText);
  auto observe2 = second_.startObserve("/3303/0/5700", kText);
  ASSERT_TRUE(observe1 && observe2) << daemon_->output();
  EXPECT_CODE(*observe1, kContent);
  EXPECT_CODE(*observe2, kContent);

  const auto disabledAt = std::chrono::steady_clock::now();
  EXPECT_CODE(execute(server_, slash(1, *own1) + "/4"), kChanged);
  auto dereg = server_.waitForEvent(Event::Kind::Deregister, 5s);
  ASSERT_TRUE(dereg) << "no De-register after Disable\n" << daemon_->output();
  EXPECT_EQ(dereg->location, register1_.location);
  EXPECT_TRUE(server_.waitFor([&] { return serverState(kSsid1) == "disabled"; }, 3s))
      << serverState(kSsid1);

  // Server 2 is still registered and served.
  EXPECT_EQ(serverState(kSsid2), "registered");
  EXPECT_EQ(manager()->getProperty("State").onInterface("org.lwm2md1.Manager").get<std::string>(),
            "registered");
  auto manufacturer = read(second_, "/3/0/0");
  EXPECT_CODE(manufacturer, kContent);
  EXPECT_EQ(TestLwm2mServer::text(manufacturer), "lwm2md tests");
  EXPECT_CODE(execute(second_, slash(1, *own2) + "/8"), kChanged);
  ASSERT_TRUE(second_.waitFor([&] { return count(second_, Event::Kind::Update) > updates2; }, 5s))
      << daemon_->output();
  EXPECT_EQ(second_.events().back().location, register2_.location);
  EXPECT_EQ(second_.events().back().code, kChanged);

  // Server 1's observation went with its registration; server 2's goes on.
  EXPECT_TRUE(server_.waitFor([&] { return observationsOf(kSsid1) == 0; }, 3s));
  EXPECT_EQ(observationsOf(kSsid2), 1u);
  setSensor(30.0);
  ASSERT_TRUE(second_.waitForNotifications(observe2->token, 1, 3s)) << daemon_->output();
  EXPECT_EQ(TestLwm2mServer::text(second_.notifications(observe2->token)[0]), "30");
  EXPECT_TRUE(server_.notifications(observe1->token).empty());

  // After its Disable Timeout server 1 registers again; server 2 was never disturbed.
  auto back = server_.waitForEvent(Event::Kind::Register, 10s);
  ASSERT_TRUE(back) << "server 1 did not come back after its Disable Timeout\n"
                    << daemon_->output();
  EXPECT_GE(std::chrono::steady_clock::now() - disabledAt, 2500ms);
  EXPECT_EQ(count(second_, Event::Kind::Register), 1u);
  EXPECT_EQ(count(second_, Event::Kind::Deregister), 0u);
  EXPECT_EQ(serverState(kSsid2), "registered");
}

}  // namespace
}  // namespace lwm2md::test
