// AddInstance's "provider" option on the daemon's side, and liblwm2md-provider's callback
// instances driven through the ProviderGateway: the whole path a server's request will take,
// over a real (private) bus.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <lwm2md/provider.hpp>
#include <mutex>
#include <thread>

#include "dbus/service/dbus_service.hpp"
#include "dbus/service/provider_gateway.hpp"
#include "ddf/object_registry.hpp"
#include "provider_fixture.hpp"
#include "test_objects.hpp"

namespace lwm2md {
namespace {

using namespace std::chrono_literals;
namespace lp = lwm2md::provider;
constexpr const char* kService = "org.lwm2md1";

using test::Clock;
using Options = std::map<std::string, sdbus::Variant>;

class CallbackInstanceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { bus_ = std::make_unique<test::PrivateBus>(); }
  static void TearDownTestSuite() { bus_.reset(); }

  void SetUp() override {
    ASSERT_TRUE(bus_->ok()) << bus_->error();
    registry_.add(test::temperatureDef());
    registry_.add(test::typesDef());
    daemon_ = sdbus::createSessionBusConnectionWithAddress(bus_->address());
    auto service = DbusService::create(*daemon_, tree_, ManagerInfo{"gw", "0", {}});
    ASSERT_TRUE(service.ok()) << service.error().message;
    service_ = std::move(*service);
    daemon_->requestName(kService);
    auto gateway = ProviderGateway::create(*daemon_, registry_, 2s);
    ASSERT_TRUE(gateway.ok()) << gateway.error().message;
    gateway_ = std::move(*gateway);
    client_ = sdbus::createSessionBusConnectionWithAddress(bus_->address());
    manager_ = sdbus::createProxy(*client_, kService, "/org/lwm2md1");
  }
  void TearDown() override {
    manager_.reset();
    client_.reset();
    gateway_.reset();
    service_.reset();
    daemon_.reset();
  }

  // Calls AddInstance from the client's connection on another thread while this thread runs
  // the daemon's side. Returns the path, or the D-Bus error's name.
  std::string addInstance(std::uint16_t oid, std::uint16_t iid, const DbusValues& values,
                          const Options& options) {
    auto call = std::async(std::launch::async, [&]() -> std::string {
      try {
        sdbus::ObjectPath path;
        manager_->callMethod("AddInstance")
            .onInterface("org.lwm2md1.Manager")
            .withArguments(oid, iid, values, options)
            .storeResultsTo(path);
        return path;
      } catch (const sdbus::Error& e) {
        lastMessage_ = e.getMessage();
        return e.getName();
      }
    });
    EXPECT_TRUE(
        test::pumpUntil(*daemon_, [&] { return call.wait_for(0s) == std::future_status::ready; }));
    return call.get();
  }

  static Options providerOption(const std::string& path) {
    return {{"provider", sdbus::Variant(sdbus::ObjectPath(path))}};
  }

  static inline std::unique_ptr<test::PrivateBus> bus_;
  ObjectRegistry registry_;
  ObjectTree tree_{registry_};
  std::unique_ptr<sdbus::IConnection> daemon_;
  std::unique_ptr<DbusService> service_;
  std::unique_ptr<ProviderGateway> gateway_;
  std::unique_ptr<sdbus::IConnection> client_;
  std::unique_ptr<sdbus::IProxy> manager_;
  std::string lastMessage_;
};

TEST_F(CallbackInstanceTest, ProviderOptionRecordsTheCallersObject) {
  EXPECT_EQ(addInstance(3303, 0, {}, providerOption("/my/sensor_1")), "/org/lwm2md1/Object/3303/0");
  const auto ref = service_->providerOf(3303, 0);
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->busName, client_->getUniqueName());
  EXPECT_EQ(ref->path, "/my/sensor_1");
  // The instance is in the tree (for discovery and registration) without any cached value.
  ASSERT_NE(tree_.find(3303, 0), nullptr);
  EXPECT_TRUE(tree_.find(3303, 0)->resourceIds().empty());
  EXPECT_EQ(tree_.find(3303, 0)->owner(), client_->getUniqueName());

  // An ordinary instance has no provider.
  EXPECT_EQ(addInstance(3303, 1, {{5700, sdbus::Variant(1.0)}}, {}), "/org/lwm2md1/Object/3303/1");
  EXPECT_FALSE(service_->providerOf(3303, 1));
  EXPECT_FALSE(service_->providerOf(3303, 7));

  // Removing the instance forgets the provider.
  ASSERT_TRUE(tree_.removeInstance(3303, 0).ok());
  EXPECT_FALSE(service_->providerOf(3303, 0));
}

TEST_F(CallbackInstanceTest, InvalidProviderOptionsAreNamedErrors) {
  struct Case {
    Options options;
    DbusValues values;
    std::string error;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{{"provider", sdbus::Variant(std::string("/my/sensor"))}},
       {},
       "org.lwm2md1.Error.InvalidType",
       "object path ('o')"},
      {{{"provider", sdbus::Variant(true)}}, {}, "org.lwm2md1.Error.InvalidType", "'provider'"},
      {{{"provider", sdbus::Variant(sdbus::ObjectPath("/my/sensor"))},
        {"shared", sdbus::Variant(true)}},
       {},
       "org.lwm2md1.Error.InvalidValue",
       "exclude each other"},
      {providerOption("/my/sensor"),
       {{5700, sdbus::Variant(21.5)}},
       "org.lwm2md1.Error.InvalidValue",
       "takes no values"},
      {{{"providr", sdbus::Variant(sdbus::ObjectPath("/my/sensor"))}},
       {},
       "org.lwm2md1.Error.InvalidValue",
       "'provider' (o)"},
  };
  for (const Case& c : cases) {
    lastMessage_.clear();
    EXPECT_EQ(addInstance(3303, 0, c.values, c.options), c.error) << c.says;
    EXPECT_NE(lastMessage_.find(c.says), std::string::npos) << lastMessage_;
    EXPECT_EQ(tree_.find(3303, 0), nullptr) << c.says;
    EXPECT_FALSE(service_->providerOf(3303, 0)) << c.says;
  }
}

TEST_F(CallbackInstanceTest, ObjectPathSyntax) {
  for (const char* good : {"/", "/a", "/org/lwm2md1/Provider", "/a_b/C9/_"})
    EXPECT_TRUE(isObjectPath(good)) << good;
  for (const char* bad : {"", "a", "a/b", "//", "/a/", "/a//b", "/a-b", "/a.b", "/ä", "/a b"})
    EXPECT_FALSE(isObjectPath(bad)) << bad;
}

TEST_F(CallbackInstanceTest, ProviderLeavingRemovesItsCallbackInstances) {
  EXPECT_EQ(addInstance(3303, 0, {}, providerOption("/p")), "/org/lwm2md1/Object/3303/0");
  ASSERT_TRUE(service_->providerOf(3303, 0));
  manager_.reset();
  client_.reset();
  EXPECT_TRUE(test::pumpUntil(*daemon_, [&] { return tree_.find(3303, 0) == nullptr; }));
  EXPECT_FALSE(service_->providerOf(3303, 0));
}

// liblwm2md-provider in a thread of its own, as an application would run it.
class LibraryProvider {
 public:
  explicit LibraryProvider(const std::string& address) {
    thread_ = std::thread([this, address] { run(address); });
  }
  ~LibraryProvider() { stop(); }

  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  /// The outcome of addCallbackInstance (once `added()`).
  std::future<lp::Result<lp::InstanceRef>>& added() { return added_; }
  std::string uniqueName() {
    std::lock_guard lock(mutex_);
    return uniqueName_;
  }
  std::vector<std::string> calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }

 private:
  void run(const std::string& address) {
    auto connected = lp::Provider::connect(lp::Bus::at(address));
    if (!connected) {
      addedPromise_.set_value(connected.error());
      return;
    }
    auto& provider = **connected;
    {
      std::lock_guard lock(mutex_);
      uniqueName_ = provider.uniqueName();
    }
    lp::CallbackHandlers handlers;
    handlers.read = [this](std::uint16_t oid, std::uint16_t iid,
                           const std::vector<std::uint16_t>& rids) -> lp::Result<lp::Values> {
      note("Read " + std::to_string(oid) + "/" + std::to_string(iid) + " " +
           std::to_string(rids.size()));
      if (std::find(rids.begin(), rids.end(), 4) != rids.end())
        throw std::runtime_error("flag sensor unplugged");
      return lp::Values{{0, lp::Value::string("text")},
                        {3, lp::Value::floating(2.5)},
                        {9, lp::Value::multiple({{0, lp::Value::integer(7)}})}};
    };
    handlers.write = [this](std::uint16_t, std::uint16_t, const lp::Values& values,
                            bool replace) -> lp::Status {
      std::string text;
      for (const auto& [rid, v] : values) text += std::to_string(rid) + "=" + v.toString() + " ";
      note("Write " + text + (replace ? "replace" : "update"));
      if (values.count(2)) return lp::Error{lp::errors::kInvalidValue, "2 must stay 0"};
      return {};
    };
    handlers.execute = [this](std::uint16_t, std::uint16_t, std::uint16_t rid,
                              const std::string& args) -> lp::Status {
      note("Execute " + std::to_string(rid) + " '" + args + "'");
      return {};
    };
    addedPromise_.set_value(
        provider.addCallbackInstance(test::kTypesOid, lp::kAnyInstance, std::move(handlers)));
    // Bounded: the test stops it well within this.
    const auto deadline = Clock::now() + 60s;
    while (!stop_ && Clock::now() < deadline) (void)provider.runFor(20ms);
  }
  void note(std::string call) {
    std::lock_guard lock(mutex_);
    calls_.push_back(std::move(call));
  }

  std::promise<lp::Result<lp::InstanceRef>> addedPromise_;
  std::future<lp::Result<lp::InstanceRef>> added_ = addedPromise_.get_future();
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::string uniqueName_;
  std::vector<std::string> calls_;
  std::thread thread_;
};

struct Completion {
  int count = 0;
  std::optional<Error> error;
  std::vector<ResourceData> values;
};

TEST_F(CallbackInstanceTest, LibraryCallbackInstanceRoundTrip) {
  LibraryProvider app(bus_->address());
  ASSERT_TRUE(test::pumpUntil(
      *daemon_, [&] { return app.added().wait_for(0s) == std::future_status::ready; }));
  auto added = app.added().get();
  ASSERT_TRUE(added.ok()) << added.error().name << ": " << added.error().message;
  const std::uint16_t iid = added->instanceId;
  EXPECT_EQ(added->path, "/org/lwm2md1/Object/33000/" + std::to_string(iid));

  const auto ref = service_->providerOf(test::kTypesOid, iid);
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->busName, app.uniqueName());
  EXPECT_EQ(ref->path, lp::kCallbackObjectPath);

  auto run = [&](const std::function<Status(Completion&)>& start) {
    Completion c;
    const Status sent = start(c);
    EXPECT_TRUE(sent.ok()) << sent.error().message;
    EXPECT_TRUE(test::pumpUntil(*daemon_, [&] { return c.count > 0; }));
    return c;
  };
  auto done = [](Completion& c) {
    return [&c](Status s) {
      ++c.count;
      if (!s) c.error = s.error();
    };
  };

  // Read: typed, filtered to what was asked.
  auto read = run([&](Completion& c) {
    return gateway_->read(*ref, test::kTypesOid, iid, {0, 9},
                          [&c](Result<std::vector<ResourceData>> r) {
                            ++c.count;
                            if (r)
                              c.values = std::move(r).value();
                            else
                              c.error = r.error();
                          });
  });
  ASSERT_FALSE(read.error) << read.error->message;
  ASSERT_EQ(read.values.size(), 2u);
  EXPECT_EQ(read.values[0].value, Value(std::string("text")));
  EXPECT_EQ(read.values[1].instances,
            (std::map<std::uint16_t, Value>{{0, Value(std::int64_t{7})}}));

  // Write accepted, and refused with the provider's words (4.00).
  auto write = run([&](Completion& c) {
    return gateway_->write(*ref, test::kTypesOid, iid,
                           {{1, ResourceType::Integer, false, Value(std::int64_t{-3}), {}}}, true,
                           done(c));
  });
  EXPECT_FALSE(write.error);
  auto refused = run([&](Completion& c) {
    return gateway_->write(*ref, test::kTypesOid, iid,
                           {{2, ResourceType::UnsignedInteger, false, Value(std::uint64_t{1}), {}}},
                           false, done(c));
  });
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(refused.error->code, CoapCode::BadRequest);
  EXPECT_NE(refused.error->message.find("2 must stay 0"), std::string::npos);

  auto execute = run([&](Completion& c) {
    return gateway_->execute(*ref, test::kTypesOid, iid, 11, "0='on'", done(c));
  });
  EXPECT_FALSE(execute.error);

  // The library implements no Create: 4.05. An instance it did not add: 4.04. A handler that
  // throws: 5.00 with what it said.
  auto create = run([&](Completion& c) {
    return gateway_->createInstance(*ref, test::kTypesOid, 40, {}, done(c));
  });
  ASSERT_TRUE(create.error);
  EXPECT_EQ(create.error->code, CoapCode::MethodNotAllowed);
  auto other = run([&](Completion& c) {
    return gateway_->execute(*ref, test::kTypesOid, static_cast<std::uint16_t>(iid + 1), 11, "",
                             done(c));
  });
  ASSERT_TRUE(other.error);
  EXPECT_EQ(other.error->code, CoapCode::NotFound);
  auto thrown = run([&](Completion& c) {
    return gateway_->read(*ref, test::kTypesOid, iid, {4},
                          [&c](Result<std::vector<ResourceData>> r) {
                            ++c.count;
                            if (!r) c.error = r.error();
                          });
  });
  ASSERT_TRUE(thrown.error);
  EXPECT_EQ(thrown.error->code, CoapCode::InternalServerError);
  EXPECT_NE(thrown.error->message.find("flag sensor unplugged"), std::string::npos);

  EXPECT_EQ(app.calls(), (std::vector<std::string>{
                             "Read 33000/" + std::to_string(iid) + " 2",
                             "Write 1=-3 replace",
                             "Write 2=1 update",
                             "Execute 11 '0='on''",
                             "Read 33000/" + std::to_string(iid) + " 1",
                         }));

  // The application ends: its instance goes, and so does its provider entry.
  app.stop();
  EXPECT_TRUE(
      test::pumpUntil(*daemon_, [&] { return tree_.find(test::kTypesOid, iid) == nullptr; }));
  EXPECT_FALSE(service_->providerOf(test::kTypesOid, iid));
}

}  // namespace
}  // namespace lwm2md
