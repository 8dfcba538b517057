// lwm2mctl against the real daemon: every command in text and --json, the Manager's methods as
// the LwM2M server sees them, the Server objects' properties, and the exit codes.
#include <gmock/gmock.h>

#include "ctl_fixture.hpp"

namespace lwm2md::test {
namespace {

using ::testing::HasSubstr;

constexpr uint8_t kContent = 0x45;
constexpr uint8_t kChanged = 0x44;

// A DDF document of one object with an Integer and an executable resource.
std::string ddf(int oid, const std::string& name) {
  return "<LWM2M><Object ObjectType=\"MODefinition\"><Name>" + name + "</Name><ObjectID>" +
         std::to_string(oid) +
         "</ObjectID><MultipleInstances>Multiple</MultipleInstances><Mandatory>Optional"
         "</Mandatory><Resources><Item ID=\"0\"><Name>Level</Name><Operations>RW</Operations>"
         "<MultipleInstances>Single</MultipleInstances><Mandatory>Mandatory</Mandatory>"
         "<Type>Integer</Type></Item><Item ID=\"1\"><Name>Go</Name><Operations>E</Operations>"
         "<MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory>"
         "<Type></Type></Item></Resources></Object></LWM2M>";
}

class LwM2mCtl : public CtlFixture {};

TEST_F(LwM2mCtl, StatusInTextAndJson) {
  startAndRegister();
  auto json = ctlUntil({"--json", "status"}, [](const Run& run) {
    return run.json().is_object() && run.json().value("state", "") == "registered";
  });
  ASSERT_EQ(json.code, 0) << json.output;
  EXPECT_EQ(json.json()["endpoint"], "e2e-gw");
  EXPECT_EQ(json.json()["version"], "0.1.0");
  EXPECT_EQ(json.json()["servers"], 1);
  EXPECT_GE(json.json()["instances"].get<int>(), 3);  // Security, Server, Device at least
  auto text = ctl({"status"});
  EXPECT_EQ(text.code, 0);
  EXPECT_THAT(text.output, HasSubstr("endpoint:  e2e-gw\n"));
  EXPECT_THAT(text.output, HasSubstr("state:     registered\n"));
  EXPECT_THAT(text.output, HasSubstr("servers:   1\n"));
}

TEST_F(LwM2mCtl, ServersShowTheRegistrationAndObservations) {
  const auto before = static_cast<std::uint64_t>(std::time(nullptr));
  auto reg = startAndRegister();
  ASSERT_FALSE(reg.location.empty());
  auto run = waitServerState("registered");
  ASSERT_EQ(run.code, 0) << run.output;
  auto server = run.json()[0];
  EXPECT_EQ(server["short_server_id"], 1);
  EXPECT_EQ(server["uri"], server_.uri());
  EXPECT_EQ(server["lifetime"], 60);
  EXPECT_EQ(server["binding"], "U");
  EXPECT_EQ("/" + server["registration_id"].get<std::string>(), reg.location);
  EXPECT_GE(server["last_update"].get<std::uint64_t>(), before);
  EXPECT_EQ(server["observations"], 0);

  auto text = ctl({"servers"});
  EXPECT_EQ(text.code, 0);
  EXPECT_THAT(text.output, HasSubstr("server 1\n"));
  EXPECT_THAT(text.output, HasSubstr("state:           registered\n"));
  EXPECT_THAT(text.output, HasSubstr("registration id: " + reg.location.substr(1) + "\n"));
  EXPECT_THAT(text.output, HasSubstr("uri:             " + server_.uri() + "\n"));

  // An Update stamps LastUpdate again (seconds: wait for the clock to move on).
  const auto first = server["last_update"].get<std::uint64_t>();
  std::this_thread::sleep_for(1100ms);
  auto update = ctl({"update"});
  ASSERT_EQ(update.code, 0) << update.output;
  ASSERT_TRUE(server_.waitForEvent(Event::Kind::Update, 5s));
  auto later = ctlUntil({"--json", "servers"}, [&](const Run& r) {
    return r.json().is_array() && !r.json().empty() &&
           r.json()[0].value("last_update", std::uint64_t{0}) > first;
  });
  EXPECT_GT(later.json()[0]["last_update"].get<std::uint64_t>(), first) << later.output;
}

TEST_F(LwM2mCtl, ServersCountTheServersObservations) {
  startAndRegister();
  waitServerState("registered");
  // An observation shows in Observations.
  auto observe = server_.startObserve("/3/0/13", 0);
  ASSERT_TRUE(observe) << daemon_->output();
  ASSERT_EQ(observe->code, kContent);
  auto observed = ctlUntil({"--json", "servers"}, [](const Run& r) {
    return r.json().is_array() && !r.json().empty() && r.json()[0].value("observations", 0) == 1;
  });
  EXPECT_EQ(observed.json()[0]["observations"], 1) << observed.output;
}

TEST_F(LwM2mCtl, TreeAndGetShowNamesAndValues) {
  startAndRegister();
  auto tree = ctl({"tree"});
  ASSERT_EQ(tree.code, 0) << tree.output;
  EXPECT_THAT(tree.output, HasSubstr("/3 Device\n"));
  EXPECT_THAT(tree.output, HasSubstr("  /3/0 (owner: lwm2md)\n"));
  EXPECT_THAT(tree.output, HasSubstr("    /3/0/0 Manufacturer = \"lwm2md tests\"\n"));
  EXPECT_THAT(tree.output, HasSubstr("/1 LwM2M Server\n"));

  auto json = ctl({"--json", "tree"}).json();
  ASSERT_TRUE(json.is_object());
  bool sawManufacturer = false;
  for (const auto& object : json["objects"])
    if (object["id"] == 3) {
      EXPECT_EQ(object["name"], "Device");
      for (const auto& resource : object["instances"][0]["resources"])
        if (resource["id"] == 0) {
          sawManufacturer = true;
          EXPECT_EQ(resource["name"], "Manufacturer");
          EXPECT_EQ(resource["type"], "String");
          EXPECT_EQ(resource["value"], "lwm2md tests");
        }
    }
  EXPECT_TRUE(sawManufacturer) << json.dump();

  auto one = ctl({"get", "/3/0/0"});
  EXPECT_EQ(one.code, 0);
  EXPECT_EQ(one.output, "lwm2md tests\n");
  auto oneJson = ctl({"--json", "get", "/3/0/1"}).json();
  EXPECT_EQ(oneJson["path"], "/3/0/1");
  EXPECT_EQ(oneJson["name"], "Model Number");
  EXPECT_EQ(oneJson["value"], "E2E");
  auto instance = ctl({"get", "/3/0"});
  EXPECT_EQ(instance.code, 0);
  EXPECT_THAT(instance.output, HasSubstr("/3/0/3 Firmware Version = \"1.2.3\"\n"));
  auto instanceJson = ctl({"--json", "get", "/3/0"}).json();
  EXPECT_TRUE(instanceJson["resources"].is_array());
  EXPECT_GE(instanceJson["resources"].size(), 4u);

  // Errors: a path that is not one, an instance or resource that is not there.
  EXPECT_EQ(ctl({"get", "/3"}).code, 64);
  EXPECT_EQ(ctl({"get", "3/0"}).code, 64);
  EXPECT_EQ(ctl({"get", "/3/70000"}).code, 64);
  auto missing = ctl({"get", "/3/9"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_THAT(missing.output, HasSubstr("org.freedesktop.DBus.Error.UnknownObject"));
  auto noResource = ctl({"--json", "get", "/3/0/999"});
  EXPECT_EQ(noResource.code, 1);
  EXPECT_EQ(noResource.json()["error"]["name"], "org.lwm2md1.Error.NotFound");
}

TEST_F(LwM2mCtl, SetTypesTheValueFromTheDefinition) {
  startAndRegister();
  ASSERT_TRUE(waitForBusName());
  addShared(3303, 0, {{5700, sdbus::Variant(20.5)}, {5701, sdbus::Variant(std::string("Cel"))}});
  auto set = ctl({"set", "/3303/0/5750", "kitchen"});
  ASSERT_EQ(set.code, 0) << set.output;
  EXPECT_THAT(set.output, HasSubstr("/3303/0/5750 Application Type = \"kitchen\""));
  auto read = server_.read("/3303/0/5750", 0);
  ASSERT_TRUE(read);
  EXPECT_EQ(TestLwm2mServer::text(*read), "kitchen");

  auto number = ctl({"--json", "set", "/3303/0/5700", "22.25"});
  ASSERT_EQ(number.code, 0) << number.output;
  EXPECT_EQ(number.json()["value"], 22.25);
  auto value = server_.read("/3303/0/5700", 0);
  ASSERT_TRUE(value);
  EXPECT_EQ(TestLwm2mServer::text(*value), "22.25");
  EXPECT_EQ(ctl({"get", "/3303/0/5700"}).output, "22.25\n");

  // Values that do not fit the type, resources that do not exist or cannot be set: usage.
  auto notNumber = ctl({"set", "/3303/0/5700", "warm"});
  EXPECT_EQ(notNumber.code, 64);
  EXPECT_THAT(notNumber.output, HasSubstr("is not a number"));
  EXPECT_EQ(ctl({"set", "/3303/0/4242", "1"}).code, 64);
  EXPECT_EQ(ctl({"set", "/3303/0/5605", "1"}).code, 64);  // executable
  EXPECT_EQ(ctl({"set", "/3303/0", "1"}).code, 64);
  EXPECT_EQ(ctl({"set", "/3303/0/5700"}).code, 64);
  // The daemon's own instance: its error, by name.
  auto foreign = ctl({"set", "/3/0/0", "x"});
  EXPECT_EQ(foreign.code, 1);
  EXPECT_THAT(foreign.output, HasSubstr("org.lwm2md1.Error.NotPermitted"));
  EXPECT_THAT(foreign.output, HasSubstr("owned by the daemon"));
}

TEST_F(LwM2mCtl, DeregisterRegisterUpdateReachTheServer) {
  startAndRegister();
  waitServerState("registered");
  auto deregister = ctl({"deregister"});
  ASSERT_EQ(deregister.code, 0) << deregister.output;
  EXPECT_THAT(deregister.output, HasSubstr("deregister: requested"));
  ASSERT_TRUE(server_.waitForEvent(Event::Kind::Deregister, 5s));
  auto state = waitServerState("deregistered");
  EXPECT_EQ(state.json()[0]["registration_id"], "");
  EXPECT_EQ(ctl({"--json", "status"}).json()["state"], "idle");
  // It stays de-registered: no Register, no Update (the retry delay here is 1 s).
  server_.pump(1500ms);
  EXPECT_FALSE(server_.waitForEvent(Event::Kind::Register, 100ms));
  // An Update asked for now goes nowhere.
  EXPECT_EQ(ctl({"update"}).code, 0);
  EXPECT_FALSE(server_.waitForEvent(Event::Kind::Update, 500ms));

  auto reg = ctl({"--json", "register"});
  ASSERT_EQ(reg.code, 0) << reg.output;
  EXPECT_EQ(reg.json()["ok"], true);
  EXPECT_EQ(reg.json()["command"], "register");
  auto registered = server_.waitForEvent(Event::Kind::Register, 5s);
  ASSERT_TRUE(registered);
  waitServerState("registered");

  auto update = ctl({"--json", "update"});
  ASSERT_EQ(update.code, 0) << update.output;
  auto updated = server_.waitForEvent(Event::Kind::Update, 5s);
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->location, registered->location);

  auto bootstrap = ctl({"bootstrap"});
  EXPECT_EQ(bootstrap.code, 1);
  EXPECT_THAT(bootstrap.output,
              HasSubstr("org.lwm2md1.Error.Failed: no Bootstrap-Server account is provisioned"));
  auto bootstrapJson = ctl({"--json", "bootstrap"});
  EXPECT_EQ(bootstrapJson.code, 1);
  EXPECT_EQ(bootstrapJson.json()["error"]["name"], "org.lwm2md1.Error.Failed");
  EXPECT_EQ(bootstrapJson.json()["error"]["message"], "no Bootstrap-Server account is provisioned");
}

TEST_F(LwM2mCtl, WatchShowsWhatHappensAsItHappens) {
  startAndRegister();
  waitServerState("registered");
  ChildProcess text(binary(), withBus({"watch", "--seconds", "6"}));
  ChildProcess json(binary(), withBus({"--json", "watch", "--seconds", "6"}));
  auto pump = [this] { server_.pump(5ms); };
  ASSERT_TRUE(text.waitForOutput("watching", 5s, pump)) << text.output();
  ASSERT_TRUE(json.waitForOutput("watching", 5s, pump)) << json.output();

  // An instance appears and changes, a server writes and executes, the registration goes.
  auto path = addInstance(3303, 0, {{5700, sdbus::Variant(20.0)}});
  auto instance = sdbus::createProxy(*client_, "org.lwm2md1", path);
  instance->callMethod("Set")
      .onInterface("org.lwm2md1.Instance")
      .withArguments(DbusValues{{5700, sdbus::Variant(21.5)}});
  auto write = server_.write("/3303/0/5750", 0, std::string("attic"));
  ASSERT_TRUE(write);
  EXPECT_EQ(write->code, kChanged);
  auto exec = server_.execute("/3303/0/5605", "");
  ASSERT_TRUE(exec);
  EXPECT_EQ(ctl({"deregister"}).code, 0);
  ASSERT_TRUE(server_.waitForEvent(Event::Kind::Deregister, 5s));

  ASSERT_TRUE(text.waitExit(10s, pump));
  ASSERT_TRUE(json.waitExit(10s, pump));
  EXPECT_EQ(text.exitCode(), 0);
  const std::string out = text.output();
  EXPECT_THAT(out, HasSubstr("added /3303/0 (owner: :"));
  EXPECT_THAT(out, HasSubstr("changed /3303/0 Values={"));
  EXPECT_THAT(out, HasSubstr("5700=21.5"));
  EXPECT_THAT(out, HasSubstr("written /3303/0 5750=\"attic\""));
  EXPECT_THAT(out, HasSubstr("executed /3303/0/5605 \"\""));
  EXPECT_THAT(out, HasSubstr("changed server/1 State=\"deregistering\""));
  EXPECT_THAT(out, HasSubstr("changed manager State=\"idle\""));

  bool added = false, written = false, executed = false, serverChanged = false;
  for (const auto& event : Run{0, json.output()}.jsonLines()) {
    const std::string kind = event.value("event", "");
    if (kind == "added" && event["path"] == "/3303/0") added = true;
    if (kind == "written" && event["path"] == "/3303/0")
      written = event["values"]["5750"] == "attic";
    if (kind == "executed" && event["path"] == "/3303/0/5605") executed = true;
    if (kind == "changed" && event["path"] == "server/1" &&
        event["properties"].value("State", "") == "deregistered")
      serverChanged = true;
  }
  EXPECT_TRUE(added && written && executed && serverChanged) << json.output();
}

TEST_F(LwM2mCtl, AddObjectDefinitionOnTheRealDaemon) {
  startAndRegister();
  ASSERT_TRUE(waitForBusName());
  std::uint16_t oid = 0;
  manager()
      ->callMethod("AddObjectDefinition")
      .onInterface("org.lwm2md1.Manager")
      .withArguments(ddf(33200, "Valve"))
      .storeResultsTo(oid);
  EXPECT_EQ(oid, 33200);
  addShared(33200, 1, {{0, sdbus::Variant(std::int64_t{7})}});
  // The new object is registered with the server and readable by it.
  auto update = server_.waitForEvent(Event::Kind::Update, 5s);
  ASSERT_TRUE(update);
  EXPECT_THAT(update->payload, HasSubstr("</33200/1>"));
  auto read = server_.read("/33200/1/0", 0);
  ASSERT_TRUE(read);
  EXPECT_EQ(TestLwm2mServer::text(*read), "7");
  auto tree = ctl({"tree"});
  EXPECT_THAT(tree.output, HasSubstr("/33200 Valve\n"));
  EXPECT_THAT(tree.output, HasSubstr("/33200/1/0 Level = 7\n"));
  EXPECT_EQ(ctl({"set", "/33200/1/0", "-3"}).code, 0);
  EXPECT_EQ(ctl({"get", "/33200/1/0"}).output, "-3\n");
  EXPECT_EQ(ctl({"set", "/33200/1/0", "1.5"}).code, 64);

  for (const std::string& bad :
       {std::string("<LWM2M><Object>"), std::string("not xml at all"), std::string("<LWM2M/>")}) {
    try {
      manager()
          ->callMethod("AddObjectDefinition")
          .onInterface("org.lwm2md1.Manager")
          .withArguments(bad)
          .storeResultsTo(oid);
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const sdbus::Error& e) {
      EXPECT_EQ(e.getName(), "org.lwm2md1.Error.InvalidValue") << bad;
      EXPECT_FALSE(e.getMessage().empty());
    }
  }
  // Redefining an object that has instances is refused.
  try {
    manager()
        ->callMethod("AddObjectDefinition")
        .onInterface("org.lwm2md1.Manager")
        .withArguments(ddf(33200, "Other"))
        .storeResultsTo(oid);
    ADD_FAILURE() << "redefined an object with instances";
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), "org.lwm2md1.Error.AlreadyExists");
  }
}

TEST_F(LwM2mCtl, ExitCodesWithoutADaemonAndForBadUsage) {
  // The bus is there, lwm2md is not.
  auto absent = ctl({"status"});
  EXPECT_EQ(absent.code, 69);
  EXPECT_THAT(absent.output, HasSubstr("not on the bus"));
  auto absentJson = ctl({"--json", "servers"});
  EXPECT_EQ(absentJson.code, 69);
  EXPECT_EQ(absentJson.json()["error"]["name"], "org.freedesktop.DBus.Error.ServiceUnknown");
  // No bus at all.
  EXPECT_EQ(ctl({"--address", "unix:path=/nonexistent/lwm2md-bus", "status"}, false).code, 69);
  // Usage.
  EXPECT_EQ(ctl({}).code, 64);
  EXPECT_EQ(ctl({"frobnicate"}).code, 64);
  EXPECT_EQ(ctl({"status", "extra"}).code, 64);
  EXPECT_EQ(ctl({"--bogus", "status"}).code, 64);
  EXPECT_EQ(ctl({"status", "--seconds", "2"}).code, 64);
  EXPECT_EQ(ctl({"watch", "--seconds", "-1"}).code, 64);
  EXPECT_EQ(ctl({"--address"}, false).code, 64);
  auto help = ctl({"--help"}, false);
  EXPECT_EQ(help.code, 0);
  EXPECT_THAT(help.output, HasSubstr("usage: lwm2mctl"));
  EXPECT_THAT(help.output, HasSubstr("watch [--seconds N]"));
}

}  // namespace
}  // namespace lwm2md::test
