// liblwm2md-provider against the real daemon: a provider's values reach the LwM2M server, and
// the server's writes and executes reach the provider's callbacks.
#include <gmock/gmock.h>

#include <lwm2md/provider.hpp>

#include "ctl_fixture.hpp"

namespace lwm2md::test {
namespace {

using provider::Value;
using ::testing::HasSubstr;

constexpr uint8_t kContent = 0x45;
constexpr uint8_t kChanged = 0x44;

class ProviderLibrary : public CtlFixture {
 protected:
  std::unique_ptr<provider::Provider> connectProvider() {
    auto connected = provider::Provider::connect(provider::Bus::at(bus_.address()));
    EXPECT_TRUE(connected) << connected.error().name << ": " << connected.error().message;
    if (!connected) return nullptr;
    auto p = std::move(*connected);
    provider::Provider* raw = p.get();
    // The provider lives on this thread: process its messages whenever the server waits.
    server_.setSidePump([this, raw] {
      pumpClient();
      (void)raw->process();
    });
    return p;
  }
  void TearDown() override {
    server_.setSidePump([this] { pumpClient(); });
    CtlFixture::TearDown();
  }
};

TEST_F(ProviderLibrary, ServerReadsWritesAndExecutesThroughTheLibrary) {
  startAndRegister();
  ASSERT_TRUE(waitForBusName());
  auto p = connectProvider();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->uniqueName().rfind(":", 0), 0u);

  std::vector<std::pair<std::uint16_t, Value>> written;
  std::vector<std::pair<std::uint16_t, std::string>> executed;
  p->onWritten([&](std::uint16_t oid, std::uint16_t iid, const provider::Values& values) {
    EXPECT_EQ(oid, 3303);
    EXPECT_EQ(iid, 0);
    for (const auto& [rid, v] : values) written.emplace_back(rid, v);
  });
  p->onExecuted([&](std::uint16_t oid, std::uint16_t, std::uint16_t rid, const std::string& args) {
    EXPECT_EQ(oid, 3303);
    executed.emplace_back(rid, args);
  });

  auto sensor = p->addInstance(3303, provider::kAnyInstance,
                               {{5700, Value::floating(19.75)}, {5701, Value::string("Cel")}});
  ASSERT_TRUE(sensor) << sensor.error().name << ": " << sensor.error().message;
  EXPECT_EQ(sensor->objectId, 3303);
  EXPECT_EQ(sensor->instanceId, 0);
  EXPECT_EQ(sensor->path, "/org/lwm2md1/Object/3303/0");
  auto update = server_.waitForEvent(Event::Kind::Update, 5s);
  ASSERT_TRUE(update);
  EXPECT_THAT(update->payload, HasSubstr("</3303/0>"));

  auto read = server_.read("/3303/0/5700", 0);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->code, kContent);
  EXPECT_EQ(TestLwm2mServer::text(*read), "19.75");
  ASSERT_TRUE(p->set(3303, 0, {{5700, Value::floating(20.5)}}));
  read = server_.read("/3303/0/5700", 0);
  ASSERT_TRUE(read);
  EXPECT_EQ(TestLwm2mServer::text(*read), "20.5");
  auto values = p->get(3303, 0, {5700, 5701});
  ASSERT_TRUE(values);
  EXPECT_EQ(values->at(5700), Value::floating(20.5));
  EXPECT_EQ(values->at(5701), Value::string("Cel"));

  auto write = server_.write("/3303/0/5750", 0, std::string("cellar"));
  ASSERT_TRUE(write);
  EXPECT_EQ(write->code, kChanged);
  auto exec = server_.execute("/3303/0/5605", "0='x'");
  ASSERT_TRUE(exec);
  EXPECT_EQ(exec->code, kChanged);
  ASSERT_TRUE(server_.waitFor([&] { return !written.empty() && !executed.empty(); }, 5s));
  EXPECT_EQ(written[0].first, 5750);
  EXPECT_EQ(written[0].second, Value::string("cellar"));
  EXPECT_EQ(executed[0], (std::pair<std::uint16_t, std::string>{5605, "0='x'"}));

  // lwm2mctl sees the provider's instance, with it as the owner.
  auto tree = ctl({"tree"});
  EXPECT_THAT(tree.output, HasSubstr("/3303/0 (owner: " + p->uniqueName() + ")"));

  // Errors come back as values, named as on the bus.
  auto foreign = p->set(3, 0, {{0, Value::string("x")}});
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().name, "org.lwm2md1.Error.NotPermitted");
  auto wrongType = p->set(3303, 0, {{5700, Value::string("warm")}});
  ASSERT_FALSE(wrongType);
  EXPECT_EQ(wrongType.error().name, "org.lwm2md1.Error.InvalidType");
  auto unknown = p->addInstance(9999, 0, {});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().name, "org.lwm2md1.Error.UnknownObject");

  ASSERT_TRUE(p->remove(3303, 0));
  read = server_.read("/3303/0/5700", 0);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->code, 0x84);
}

TEST_F(ProviderLibrary, TypedValuesOfEveryKindRoundTrip) {
  startAndRegister();
  ASSERT_TRUE(waitForBusName());
  auto p = connectProvider();
  ASSERT_TRUE(p);
  // Device (3) is the daemon's, so a provider-owned object with many types: 3303 covers Float
  // and String; the shared instance option, Get of everything, and runFor are exercised too.
  auto added = p->addInstance(3303, 5, {{5700, Value::floating(1.5)}}, {true});
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(added->instanceId, 5);
  auto tree = ctl({"--json", "get", "/3303/5/5700"});
  EXPECT_EQ(tree.json()["value"], 1.5);
  auto all = p->get(3303, 5);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 1u);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(p->runFor(200ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
  // A shared instance outlives the provider's connection.
  p.reset();
  server_.setSidePump([this] { pumpClient(); });
  server_.pump(300ms);
  EXPECT_EQ(ctl({"get", "/3303/5/5700"}).output, "1.5\n");

  // Values: constructors, accessors and text.
  EXPECT_EQ(Value::integer(-4).toString(), "-4");
  EXPECT_EQ(Value::unsignedInteger(4).asUnsignedInteger(), 4u);
  EXPECT_EQ(Value::boolean(true).toString(), "true");
  EXPECT_EQ(Value::opaque({0x01, 0xab}).toString(), "0x01ab");
  EXPECT_EQ(Value::objlnk(3, 0).toString(), "3:0");
  EXPECT_EQ(Value::multiple({{0, Value::integer(1)}, {2, Value::integer(3)}}).toString(),
            "{0=1, 2=3}");
  EXPECT_FALSE(Value::integer(1).asString());
  EXPECT_FALSE(Value::string("1").asInteger());
  EXPECT_TRUE(Value::multiple({}).instances().empty());
}

TEST_F(ProviderLibrary, CallbackProviderAnswersServerReadWriteAndExecute) {
  startAndRegister();
  ASSERT_TRUE(waitForBusName());
  auto p = connectProvider();
  ASSERT_TRUE(p);
  double temperature = 21.25;
  std::string application = "hall";
  int reads = 0;
  std::vector<std::string> executed;
  provider::CallbackHandlers handlers;
  handlers.read = [&](std::uint16_t, std::uint16_t,
                      const std::vector<std::uint16_t>&) -> provider::Result<provider::Values> {
    ++reads;
    return provider::Values{{5700, Value::floating(temperature)},
                            {5750, Value::string(application)}};
  };
  handlers.write = [&](std::uint16_t, std::uint16_t, const provider::Values& values,
                       bool) -> provider::Status {
    if (auto it = values.find(5750); it != values.end()) {
      if (*it->second.asString() == "attic")
        return provider::Error{provider::errors::kInvalidValue, "no sensor in the attic"};
      application = *it->second.asString();
    }
    return {};
  };
  handlers.execute = [&](std::uint16_t, std::uint16_t, std::uint16_t rid,
                         const std::string& args) -> provider::Status {
    executed.push_back(std::to_string(rid) + ":" + args);
    return {};
  };
  auto added = p->addCallbackInstance(3303, 0, handlers);
  ASSERT_TRUE(added) << added.error().name << ": " << added.error().message;
  ASSERT_TRUE(server_.waitForEvent(Event::Kind::Update, 5s));

  // Each Read asks the provider (an empty ACK, then the separate response).
  auto read = server_.read("/3303/0/5700", 0);
  ASSERT_TRUE(read) << daemon_->output();
  EXPECT_EQ(read->code, kContent);
  EXPECT_EQ(TestLwm2mServer::text(*read), "21.25");
  temperature = 22.5;
  read = server_.read("/3303/0/5700", 0);
  ASSERT_TRUE(read) << daemon_->output();
  EXPECT_EQ(TestLwm2mServer::text(*read), "22.5");
  EXPECT_EQ(reads, 2);

  // A Write reaches the provider; its refusal reaches the server, and nothing changes.
  auto write = server_.write("/3303/0/5750", 0, std::string("cellar"));
  ASSERT_TRUE(write);
  EXPECT_EQ(write->code, kChanged);
  EXPECT_EQ(application, "cellar");
  auto refused = server_.write("/3303/0/5750", 0, std::string("attic"));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, 0x80);  // 4.00, mapped from InvalidValue
  EXPECT_THAT(TestLwm2mServer::text(*refused), HasSubstr("no sensor in the attic"));
  read = server_.read("/3303/0/5750", 0);
  ASSERT_TRUE(read);
  EXPECT_EQ(TestLwm2mServer::text(*read), "cellar");

  auto exec = server_.execute("/3303/0/5605", "0='x'");
  ASSERT_TRUE(exec);
  EXPECT_EQ(exec->code, kChanged);
  EXPECT_EQ(executed, (std::vector<std::string>{"5605:0='x'"}));
}

TEST_F(ProviderLibrary, SilentCallbackProviderGivesGatewayTimeoutNotAHang) {
  startDaemon(config() + "[dbus]\nprovider_timeout = 0.5\n");
  ASSERT_TRUE(server_.waitForEvent(Event::Kind::Register, 10s));
  ASSERT_TRUE(waitForBusName());
  auto p = connectProvider();
  ASSERT_TRUE(p);
  provider::CallbackHandlers handlers;
  handlers.read = [&](std::uint16_t, std::uint16_t,
                      const std::vector<std::uint16_t>&) -> provider::Result<provider::Values> {
    return provider::Values{};
  };
  ASSERT_TRUE(p->addCallbackInstance(3303, 0, handlers));
  // The provider stops answering: its messages are no longer processed.
  server_.setSidePump([this] { pumpClient(); });
  const auto start = std::chrono::steady_clock::now();
  auto read = server_.read("/3303/0/5700", 0);
  ASSERT_TRUE(read) << daemon_->output();
  EXPECT_EQ(read->code, 0xa4);  // 5.04 Gateway Timeout
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST_F(ProviderLibrary, ConnectFailsAsAValueWithoutTheDaemon) {
  auto absent = provider::Provider::connect(provider::Bus::at(bus_.address()));
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.error().name, "org.freedesktop.DBus.Error.ServiceUnknown");
  auto noBus = provider::Provider::connect(provider::Bus::at("unix:path=/nonexistent/bus"));
  ASSERT_FALSE(noBus);
  EXPECT_FALSE(noBus.error().name.empty());
}

TEST_F(ProviderLibrary, ExampleProviderStillWorks) {
  // scripts/demo runs the example: it must publish and leave cleanly through the library.
  startAndRegister();
  ASSERT_TRUE(waitForBusName());
  const char* example = std::getenv("LWM2MD_EXAMPLE_TEMPERATURE");
  ASSERT_NE(example, nullptr);
  ChildProcess sensor(example,
                      {"--bus-address", bus_.address(), "--seconds", "3", "--interval-ms", "200"});
  auto pump = [this] { server_.pump(5ms); };
  ASSERT_TRUE(sensor.waitForOutput("published /org/lwm2md1/Object/3303/", 5s, pump))
      << sensor.output();
  auto write = server_.write("/3303/0/5750", 0, std::string("lab"));
  ASSERT_TRUE(write);
  auto exec = server_.execute("/3303/0/5605");
  ASSERT_TRUE(exec);
  ASSERT_TRUE(sensor.waitForOutput("server executed 5605", 5s, pump)) << sensor.output();
  EXPECT_THAT(sensor.output(), HasSubstr("server wrote 5750 = \"lab\""));
  auto code = sensor.waitExit(10s, pump);
  EXPECT_EQ(code, 0) << sensor.output();
  EXPECT_THAT(sensor.output(), HasSubstr("provider: leaving"));
}

}  // namespace
}  // namespace lwm2md::test
