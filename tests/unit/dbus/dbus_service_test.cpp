#include "dbus/service/dbus_service.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "dbus/instance_proxy.hpp"
#include "dbus/manager_proxy.hpp"
#include "dbus/server_proxy.hpp"
#include "ddf/object_registry.hpp"
#include "private_bus.hpp"
#include "test_objects.hpp"

namespace lwm2md {
namespace {

using namespace std::chrono_literals;
using Objlnk2 = sdbus::Struct<std::uint16_t, std::uint16_t>;
constexpr const char* kService = "org.lwm2md1";
constexpr const char* kInstanceIface = "org.lwm2md1.Instance";
constexpr auto kWait = 5s;

// Renders a variant as "<signature>:<value>" so that tests compare plain strings across threads.
std::string show(const sdbus::Variant& v) {
  if (v.isEmpty()) return "<empty>";
  const std::string sig = v.peekValueType();
  if (sig == "d") return fmt::format("d:{}", v.get<double>());
  if (sig == "s") return "s:" + v.get<std::string>();
  if (sig == "x") return fmt::format("x:{}", v.get<std::int64_t>());
  if (sig == "t") return fmt::format("t:{}", v.get<std::uint64_t>());
  if (sig == "q") return fmt::format("q:{}", v.get<std::uint16_t>());
  if (sig == "u") return fmt::format("u:{}", v.get<std::uint32_t>());
  if (sig == "b") return fmt::format("b:{}", v.get<bool>());
  if (sig == "(qq)") {
    auto l = v.get<Objlnk2>();
    return fmt::format("(qq):{},{}", l.get<0>(), l.get<1>());
  }
  if (sig == "ay") {
    std::string hex;
    for (auto b : v.get<std::vector<std::uint8_t>>()) hex += fmt::format("{:02x}", b);
    return "ay:" + hex;
  }
  if (sig == "a{qv}") {
    std::string out = "a{qv}:{";
    for (const auto& [k, inner] : v.get<DbusValues>()) out += fmt::format("{}={};", k, show(inner));
    return out + "}";
  }
  return "?" + sig;
}

using Shown = std::map<std::uint16_t, std::string>;
Shown show(const DbusValues& values) {
  Shown out;
  for (const auto& [k, v] : values) out[k] = show(v);
  return out;
}

// Signals as the clients saw them, in arrival order.
struct Event {
  std::string kind;  // InterfacesAdded, InterfacesRemoved, PropertiesChanged, Written, Executed
  std::string path;
  std::string interface;
  std::map<std::string, std::string> properties;
  Shown values;
  std::uint16_t rid = 0;
  std::string args;
};

class Recorder {
 public:
  void add(Event e) {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(e));
    cv_.notify_all();
  }
  /// The first event matching `pred`, waiting at most kWait.
  std::optional<Event> waitFor(const std::function<bool(const Event&)>& pred) {
    std::unique_lock lock(mutex_);
    std::optional<Event> found;
    cv_.wait_for(lock, kWait, [&] {
      for (const auto& e : events_)
        if (pred(e)) {
          found = e;
          return true;
        }
      return false;
    });
    return found;
  }
  std::vector<Event> all() {
    std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Event> events_;
};

std::map<std::string, std::string> showProperties(const std::map<std::string, sdbus::Variant>& p) {
  std::map<std::string, std::string> out;
  for (const auto& [name, v] : p) out[name] = show(v);
  return out;
}

// Client proxies generated from the XML contract.
class ManagerClient final
    : public sdbus::ProxyInterfaces<org::lwm2md1::Manager_proxy, sdbus::ObjectManager_proxy,
                                    sdbus::Properties_proxy> {
 public:
  ManagerClient(sdbus::IConnection& c, Recorder& r)
      : ProxyInterfaces(c, kService, "/org/lwm2md1"), recorder_(r) {
    registerProxy();
  }
  ~ManagerClient() { unregisterProxy(); }

 private:
  void onInterfacesAdded(
      const sdbus::ObjectPath& path,
      const std::map<std::string, std::map<std::string, sdbus::Variant>>& ifaces) override {
    Event e{"InterfacesAdded", path, {}, {}, {}, 0, {}};
    if (auto it = ifaces.find(kInstanceIface); it != ifaces.end()) {
      e.interface = kInstanceIface;
      e.properties = showProperties(it->second);
    }
    recorder_.add(std::move(e));
  }
  void onInterfacesRemoved(const sdbus::ObjectPath& path,
                           const std::vector<std::string>& ifaces) override {
    Event e{"InterfacesRemoved", path, {}, {}, {}, 0, {}};
    for (const auto& i : ifaces)
      if (i == kInstanceIface) e.interface = i;
    recorder_.add(std::move(e));
  }
  void onPropertiesChanged(const std::string& iface,
                           const std::map<std::string, sdbus::Variant>& changed,
                           const std::vector<std::string>& /*invalidated*/) override {
    recorder_.add({"PropertiesChanged", "/org/lwm2md1", iface, showProperties(changed), {}, 0, {}});
  }
  Recorder& recorder_;
};

class InstanceClient final
    : public sdbus::ProxyInterfaces<org::lwm2md1::Instance_proxy, sdbus::Properties_proxy> {
 public:
  InstanceClient(sdbus::IConnection& c, const std::string& path, Recorder& r)
      : ProxyInterfaces(c, kService, path), path_(path), recorder_(r) {
    registerProxy();
  }
  ~InstanceClient() { unregisterProxy(); }
  // Instance.Get/Set and Properties.Get/Set share names: bring both in to overload.
  using org::lwm2md1::Instance_proxy::Get;
  using org::lwm2md1::Instance_proxy::Set;
  using sdbus::Properties_proxy::Get;
  using sdbus::Properties_proxy::Set;

 private:
  void onWritten(const DbusValues& values) override {
    recorder_.add({"Written", path_, kInstanceIface, {}, show(values), 0, {}});
  }
  void onExecuted(const std::uint16_t& rid, const std::string& args) override {
    recorder_.add({"Executed", path_, kInstanceIface, {}, {}, rid, args});
  }
  void onObservationChanged(const std::uint16_t& rid, const bool& observed) override {
    recorder_.add(
        {"ObservationChanged", path_, kInstanceIface, {}, {}, rid, observed ? "true" : "false"});
  }
  void onPropertiesChanged(const std::string& iface,
                           const std::map<std::string, sdbus::Variant>& changed,
                           const std::vector<std::string>& /*invalidated*/) override {
    recorder_.add({"PropertiesChanged", path_, iface, showProperties(changed), {}, 0, {}});
  }
  std::string path_;
  Recorder& recorder_;
};

// A D-Bus client process in miniature: its own connection, its own event loop thread.
struct Client {
  explicit Client(const std::string& address)
      : conn(sdbus::createSessionBusConnectionWithAddress(address)) {
    conn->enterEventLoopAsync();
    manager = std::make_unique<ManagerClient>(*conn, recorder);
  }
  ~Client() {
    manager.reset();
    conn->leaveEventLoop();
  }
  std::string name() const { return conn->getUniqueName(); }
  std::unique_ptr<InstanceClient> instance(const std::string& path) {
    return std::make_unique<InstanceClient>(*conn, path, recorder);
  }

  Recorder recorder;
  std::unique_ptr<sdbus::IConnection> conn;
  std::unique_ptr<ManagerClient> manager;
};

// The daemon's loop in miniature: polls the server connection the way the daemon does
// (getEventLoopPollData + processPendingRequest) and runs posted tasks on the same thread,
// which is where the tree must be touched.
class ServerLoop {
 public:
  explicit ServerLoop(sdbus::IConnection& conn)
      : conn_(conn), wakeFd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    thread_ = std::thread([this] { run(); });
  }
  ~ServerLoop() {
    stop_ = true;
    wake();
    thread_.join();
    ::close(wakeFd_);
  }

  template <typename F>
  auto call(F f) -> std::invoke_result_t<F&> {
    using R = std::invoke_result_t<F&>;
    auto task = std::make_shared<std::packaged_task<R()>>(std::move(f));
    auto future = task->get_future();
    {
      std::lock_guard lock(mutex_);
      tasks_.push_back([task] { (*task)(); });
    }
    wake();
    if (future.wait_for(10s) != std::future_status::ready) {
      // The task refers to the caller's stack: continuing would be worse than stopping.
      std::fprintf(stderr, "server loop did not run a task within 10 s\n");
      std::abort();
    }
    return future.get();
  }

 private:
  void wake() {
    std::uint64_t one = 1;
    (void)!::write(wakeFd_, &one, sizeof(one));
  }
  void run() {
    while (!stop_) {
      auto pd = conn_.getEventLoopPollData();
      pollfd fds[2] = {{pd.fd, pd.events, 0}, {wakeFd_, POLLIN, 0}};
      int timeout = pd.getPollTimeout();
      if (timeout < 0 || timeout > 100) timeout = 100;
      (void)::poll(fds, 2, timeout);
      if (fds[1].revents & POLLIN) {
        std::uint64_t n;
        (void)!::read(wakeFd_, &n, sizeof(n));
      }
      std::deque<std::function<void()>> tasks;
      {
        std::lock_guard lock(mutex_);
        tasks.swap(tasks_);
      }
      for (auto& t : tasks) t();
      while (conn_.processPendingRequest()) {
      }
    }
  }

  sdbus::IConnection& conn_;
  int wakeFd_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::deque<std::function<void()>> tasks_;
  std::thread thread_;
};

std::optional<sdbus::Error> errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const sdbus::Error& e) {
    return e;
  }
  return std::nullopt;
}

ResourceData floatValue(std::uint16_t rid, double v) {
  return ResourceData{rid, ResourceType::Float, false, Value(v), {}};
}

class DbusServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { bus_ = std::make_unique<test::PrivateBus>(); }
  static void TearDownTestSuite() { bus_.reset(); }

  void SetUp() override {
    ASSERT_TRUE(bus_->ok()) << bus_->error();
    registry_.add(test::temperatureDef());
    registry_.add(test::deviceDef());
    registry_.add(test::typesDef());
    populate();
    serverConn_ = sdbus::createSessionBusConnectionWithAddress(bus_->address());
    ManagerInfo info{"gw-test", "9.9.9", [this] { return state_; }};
    auto created = DbusService::create(*serverConn_, tree_, std::move(info));
    ASSERT_TRUE(created.ok()) << created.error().message;
    service_ = std::move(*created);
    serverConn_->requestName(kService);
    loop_ = std::make_unique<ServerLoop>(*serverConn_);
    client_ = std::make_unique<Client>(bus_->address());
  }

  void TearDown() override {
    client_.reset();
    loop_.reset();
    service_.reset();
    serverConn_.reset();
  }

  // Runs before the service exists (for instances that predate it).
  virtual void populate() {}

  sdbus::ObjectPath addTemperature(std::uint16_t iid = 0, double value = 21.5) {
    return client_->manager->AddInstance(
        3303, iid, {{5700, sdbus::Variant(value)}, {5701, sdbus::Variant(std::string("Cel"))}}, {});
  }

  bool treeHas(std::uint16_t oid, std::uint16_t iid) {
    return loop_->call([&] { return tree_.find(oid, iid) != nullptr; });
  }

  // Polls the tree (on the loop thread) until `pred` holds, for at most kWait.
  bool eventually(const std::function<bool()>& pred) {
    auto deadline = std::chrono::steady_clock::now() + kWait;
    while (std::chrono::steady_clock::now() < deadline) {
      if (loop_->call(pred)) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  std::vector<std::string> managedPaths() {
    std::vector<std::string> paths;
    for (const auto& [path, ifaces] : client_->manager->GetManagedObjects()) {
      (void)ifaces;
      paths.push_back(path);
    }
    return paths;
  }

  static inline std::unique_ptr<test::PrivateBus> bus_;
  ObjectRegistry registry_;
  ObjectTree tree_{registry_};
  std::string state_ = "registering";  // read and written on the loop thread only
  std::unique_ptr<sdbus::IConnection> serverConn_;
  std::unique_ptr<DbusService> service_;
  std::unique_ptr<ServerLoop> loop_;
  std::unique_ptr<Client> client_;
};

TEST_F(DbusServiceTest, ManagerProperties) {
  EXPECT_EQ(client_->manager->Endpoint(), "gw-test");
  EXPECT_EQ(client_->manager->Version(), "9.9.9");
  EXPECT_EQ(client_->manager->State(), "registering");

  loop_->call([&] {
    state_ = "registered";
    service_->stateChanged();
  });
  auto changed = client_->recorder.waitFor([](const Event& e) {
    return e.kind == "PropertiesChanged" && e.interface == "org.lwm2md1.Manager";
  });
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->properties["State"], "s:registered");
  EXPECT_EQ(client_->manager->State(), "registered");
}

TEST_F(DbusServiceTest, AddInstanceExportsObjectWithValues) {
  const auto path = addTemperature(0, 21.5);
  EXPECT_EQ(path, "/org/lwm2md1/Object/3303/0");

  auto added = client_->recorder.waitFor([&](const Event& e) {
    return e.kind == "InterfacesAdded" && e.path == path && e.interface == kInstanceIface;
  });
  ASSERT_TRUE(added);
  EXPECT_EQ(added->properties["ObjectId"], "q:3303");
  EXPECT_EQ(added->properties["InstanceId"], "q:0");
  EXPECT_EQ(added->properties["Owner"], "s:" + client_->name());
  EXPECT_EQ(added->properties["Values"], "a{qv}:{5700=d:21.5;5701=s:Cel;}");

  auto instance = client_->instance(path);
  EXPECT_EQ(instance->ObjectId(), 3303);
  EXPECT_EQ(instance->InstanceId(), 0);
  EXPECT_EQ(instance->Owner(), client_->name());
  EXPECT_EQ(show(instance->Values()), (Shown{{5700, "d:21.5"}, {5701, "s:Cel"}}));

  // The tree holds it, owned by the caller.
  EXPECT_TRUE(loop_->call([&] {
    const Instance* i = tree_.find(3303, 0);
    return i && i->owner() == client_->name() && i->resource(5700)->value == Value(21.5);
  }));
  const auto paths = managedPaths();
  EXPECT_NE(std::find(paths.begin(), paths.end(), path), paths.end());
}

TEST_F(DbusServiceTest, AddInstanceWrongTypeIsInvalidType) {
  auto error = errorOf([&] {
    client_->manager->AddInstance(3303, 0, {{5700, sdbus::Variant(std::string("21.5"))}}, {});
  });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->getName(), "org.lwm2md1.Error.InvalidType");
  EXPECT_NE(error->getMessage().find("Sensor Value"), std::string::npos) << error->getMessage();
  EXPECT_NE(error->getMessage().find("'d'"), std::string::npos);
  EXPECT_FALSE(treeHas(3303, 0));

  // An integer of the wrong width is just as wrong (signatures are the contract).
  auto narrow = errorOf([&] {
    client_->manager->AddInstance(test::kTypesOid, 0, {{1, sdbus::Variant(std::int32_t{1})}}, {});
  });
  ASSERT_TRUE(narrow);
  EXPECT_EQ(narrow->getName(), "org.lwm2md1.Error.InvalidType");
}

TEST_F(DbusServiceTest, AddInstanceErrors) {
  auto unknownObject = errorOf([&] { client_->manager->AddInstance(4242, 0, {}, {}); });
  ASSERT_TRUE(unknownObject);
  EXPECT_EQ(unknownObject->getName(), "org.lwm2md1.Error.UnknownObject");
  EXPECT_NE(unknownObject->getMessage().find("4242"), std::string::npos);

  auto unknownResource = errorOf([&] {
    client_->manager->AddInstance(3303, 0, {{9999, sdbus::Variant(1.0)}}, {});
  });
  ASSERT_TRUE(unknownResource);
  EXPECT_EQ(unknownResource->getName(), "org.lwm2md1.Error.NotFound");

  auto executable = errorOf([&] {
    client_->manager->AddInstance(3303, 0, {{5605, sdbus::Variant(std::string())}}, {});
  });
  ASSERT_TRUE(executable);
  EXPECT_EQ(executable->getName(), "org.lwm2md1.Error.InvalidValue");

  auto option = errorOf([&] {
    client_->manager->AddInstance(3303, 0, {}, {{"frobnicate", sdbus::Variant(std::string("x"))}});
  });
  ASSERT_TRUE(option);
  EXPECT_EQ(option->getName(), "org.lwm2md1.Error.InvalidValue");
  EXPECT_NE(option->getMessage().find("frobnicate"), std::string::npos);
  EXPECT_FALSE(treeHas(3303, 0));

  addTemperature(0);
  auto taken = errorOf([&] { addTemperature(0); });
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->getName(), "org.lwm2md1.Error.AlreadyExists");

  // Device is single-instance.
  client_->manager->AddInstance(3, 0, {}, {});
  auto second = errorOf([&] { client_->manager->AddInstance(3, 65535, {}, {}); });
  ASSERT_TRUE(second);
  EXPECT_EQ(second->getName(), "org.lwm2md1.Error.AlreadyExists");
}

TEST_F(DbusServiceTest, InstanceId65535PicksAFreeId) {
  EXPECT_EQ(addTemperature(0), "/org/lwm2md1/Object/3303/0");
  EXPECT_EQ(addTemperature(1), "/org/lwm2md1/Object/3303/1");
  EXPECT_EQ(addTemperature(3), "/org/lwm2md1/Object/3303/3");
  EXPECT_EQ(addTemperature(65535), "/org/lwm2md1/Object/3303/2");
  EXPECT_EQ(addTemperature(65535), "/org/lwm2md1/Object/3303/4");
  EXPECT_TRUE(treeHas(3303, 4));
}

TEST_F(DbusServiceTest, SetByOwnerChangesValues) {
  const auto path = addTemperature(0, 21.5);
  auto instance = client_->instance(path);
  instance->Set({{5700, sdbus::Variant(22.25)}});

  auto changed = client_->recorder.waitFor([&](const Event& e) {
    return e.kind == "PropertiesChanged" && e.path == path && e.interface == kInstanceIface;
  });
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->properties["Values"], "a{qv}:{5700=d:22.25;5701=s:Cel;}");
  EXPECT_EQ(show(instance->Get({5700})), (Shown{{5700, "d:22.25"}}));
  EXPECT_TRUE(
      loop_->call([&] { return tree_.find(3303, 0)->resource(5700)->value == Value(22.25); }));

  // A bad Set changes nothing.
  auto bad = errorOf([&] {
    instance->Set({{5700, sdbus::Variant(1.0)}, {5701, sdbus::Variant(std::int64_t{1})}});
  });
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->getName(), "org.lwm2md1.Error.InvalidType");
  EXPECT_NE(bad->getMessage().find("Sensor Units"), std::string::npos);
  auto unknown = errorOf([&] { instance->Set({{1234, sdbus::Variant(1.0)}}); });
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->getName(), "org.lwm2md1.Error.NotFound");
  EXPECT_EQ(show(instance->Get({5700})), (Shown{{5700, "d:22.25"}}));
}

// The daemon defers the PropertiesChanged of providers' Sets until its loop has sent the
// notifications they caused: nothing is signalled before flushChanges(), then one signal per
// instance carries the newest values.
TEST_F(DbusServiceTest, DeferredChangesAreSignalledOncePerInstanceAtFlush) {
  const auto first = addTemperature(0, 1.0);
  const auto second = addTemperature(1, 1.0);
  loop_->call([&] {
    service_->setDeferChanges(true);
    return true;
  });
  auto instance = client_->instance(first);
  for (double v : {2.0, 3.0, 4.0}) instance->Set({{5700, sdbus::Variant(v)}});
  auto other = client_->instance(second);  // kept: its proxy records the signals
  other->Set({{5700, sdbus::Variant(9.0)}});
  auto valuesSignals = [&](const std::string& path) {
    int count = 0;
    for (const auto& e : client_->recorder.all())
      if (e.kind == "PropertiesChanged" && e.path == path && e.properties.contains("Values"))
        ++count;
    return count;
  };
  EXPECT_TRUE(loop_->call([&] { return service_->changesPending(); }));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(valuesSignals(first), 0);
  EXPECT_EQ(valuesSignals(second), 0);
  EXPECT_EQ(show(instance->Get({5700})), (Shown{{5700, "d:4"}})) << "the values are set at once";

  loop_->call([&] {
    service_->flushChanges();
    return true;
  });
  auto changed = client_->recorder.waitFor([&](const Event& e) {
    return e.kind == "PropertiesChanged" && e.path == first && e.properties.contains("Values");
  });
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->properties["Values"], "a{qv}:{5700=d:4;5701=s:Cel;}");
  ASSERT_TRUE(client_->recorder.waitFor([&](const Event& e) {
    return e.kind == "PropertiesChanged" && e.path == second && e.properties.contains("Values");
  }));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(valuesSignals(first), 1) << "three Sets, one signal";
  EXPECT_EQ(valuesSignals(second), 1);
  EXPECT_FALSE(loop_->call([&] { return service_->changesPending(); }));

  // A change of an instance removed before the flush is dropped with it.
  instance->Set({{5700, sdbus::Variant(5.0)}});
  instance->Remove();
  loop_->call([&] {
    service_->flushChanges();
    return true;
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(valuesSignals(first), 1);
}

TEST_F(DbusServiceTest, OthersMayNotSetOrRemove) {
  const auto path = addTemperature(0);
  Client other(bus_->address());
  auto foreign = other.instance(path);

  auto set = errorOf([&] { foreign->Set({{5700, sdbus::Variant(0.0)}}); });
  ASSERT_TRUE(set);
  EXPECT_EQ(set->getName(), "org.lwm2md1.Error.NotPermitted");
  EXPECT_EQ(set->getMessage(), "instance /3303/0 is owned by " + client_->name());

  auto remove = errorOf([&] { foreign->Remove(); });
  ASSERT_TRUE(remove);
  EXPECT_EQ(remove->getName(), "org.lwm2md1.Error.NotPermitted");
  EXPECT_TRUE(treeHas(3303, 0));
  // Reading is open to everyone.
  EXPECT_EQ(show(foreign->Get({5700})), (Shown{{5700, "d:21.5"}}));
}

TEST_F(DbusServiceTest, GetSomeOrAll) {
  const auto path = addTemperature(0, 19.0);
  auto instance = client_->instance(path);
  EXPECT_EQ(show(instance->Get({})), (Shown{{5700, "d:19"}, {5701, "s:Cel"}}));
  EXPECT_EQ(show(instance->Get({5701, 5701})), (Shown{{5701, "s:Cel"}}));

  auto undefined = errorOf([&] { instance->Get({5700, 7}); });
  ASSERT_TRUE(undefined);
  EXPECT_EQ(undefined->getName(), "org.lwm2md1.Error.NotFound");
  auto absent = errorOf([&] { instance->Get({5601}); });
  ASSERT_TRUE(absent);
  EXPECT_EQ(absent->getName(), "org.lwm2md1.Error.NotFound");
  EXPECT_NE(absent->getMessage().find("Min Measured Value"), std::string::npos);
}

TEST_F(DbusServiceTest, ServerWriteEmitsWritten) {
  const auto path = addTemperature(0, 21.5);
  auto instance = client_->instance(path);
  // A provider's own Set is not a server write: no Written for it.
  instance->Set({{5700, sdbus::Variant(1.0)}});
  ASSERT_TRUE(loop_->call([&] {
    return tree_.setValues(3303, 0, {floatValue(5601, -4.5)}, ChangeOrigin::Server).ok();
  }));
  auto written = client_->recorder.waitFor([](const Event& e) { return e.kind == "Written"; });
  ASSERT_TRUE(written);
  EXPECT_EQ(written->path, path);
  // Only what was written, not the whole instance.
  EXPECT_EQ(written->values, (Shown{{5601, "d:-4.5"}}));
  auto props = client_->recorder.waitFor([&](const Event& e) {
    return e.kind == "PropertiesChanged" && e.path == path && e.properties.contains("Values") &&
           e.properties.at("Values").find("5601=d:-4.5") != std::string::npos;
  });
  EXPECT_TRUE(props);
  int writtenCount = 0;
  for (const auto& e : client_->recorder.all()) writtenCount += e.kind == "Written";
  EXPECT_EQ(writtenCount, 1);
}

TEST_F(DbusServiceTest, ExecuteEmitsExecuted) {
  const auto path = addTemperature(0);
  auto instance = client_->instance(path);
  loop_->call([&] { tree_.notifyExecuted(*tree_.find(3303, 0), 5605, "0='x',1"); });
  auto executed = client_->recorder.waitFor([](const Event& e) { return e.kind == "Executed"; });
  ASSERT_TRUE(executed);
  EXPECT_EQ(executed->path, path);
  EXPECT_EQ(executed->rid, 5605);
  EXPECT_EQ(executed->args, "0='x',1");
}

TEST_F(DbusServiceTest, ObservationChangedReachesTheInstance) {
  const auto path = addTemperature(0, 21.5);
  auto instance = client_->instance(path);
  loop_->call([&] {
    service_->observationChanged(3303, 0, 5700, true);
    service_->observationChanged(3303, 0, 65535, false);
    service_->observationChanged(3303, 9, 5700, true);  // no such instance: nothing
    return true;
  });
  auto first = client_->recorder.waitFor([](const Event& e) {
    return e.kind == "ObservationChanged" && e.rid == 5700 && e.args == "true";
  });
  ASSERT_TRUE(first);
  EXPECT_EQ(first->path, path);
  EXPECT_TRUE(client_->recorder.waitFor([](const Event& e) {
    return e.kind == "ObservationChanged" && e.rid == 65535 && e.args == "false";
  }));
}

TEST_F(DbusServiceTest, RemoveByOwnerTakesObjectOffTheBus) {
  const auto path = addTemperature(0);
  auto instance = client_->instance(path);
  instance->Remove();
  // When Remove returns, the object is gone from the tree and from the bus.
  const auto paths = managedPaths();
  EXPECT_EQ(std::find(paths.begin(), paths.end(), path), paths.end());
  EXPECT_FALSE(treeHas(3303, 0));
  auto removed = client_->recorder.waitFor([&](const Event& e) {
    return e.kind == "InterfacesRemoved" && e.path == path && e.interface == kInstanceIface;
  });
  EXPECT_TRUE(removed);
  auto gone = errorOf([&] { instance->Get({}); });
  ASSERT_TRUE(gone);
  EXPECT_NE(gone->getName().find("org.freedesktop.DBus.Error"), std::string::npos)
      << gone->getName();

  // The id (and path) can be used again right away.
  EXPECT_EQ(addTemperature(65535, 5.0), path);
  auto again = client_->instance(path);
  EXPECT_EQ(show(again->Get({5700})), (Shown{{5700, "d:5"}}));
}

TEST_F(DbusServiceTest, OwnerLeavingRemovesItsInstances) {
  auto provider = std::make_unique<Client>(bus_->address());
  const auto first = provider->manager->AddInstance(3303, 65535, {}, {});
  const auto second = provider->manager->AddInstance(3, 0, {}, {});
  const auto mine = addTemperature(65535);
  EXPECT_TRUE(treeHas(3303, 0));
  EXPECT_TRUE(treeHas(3, 0));

  provider.reset();  // closes its connection: the bus says NameOwnerChanged
  EXPECT_TRUE(eventually([&] { return !tree_.find(3303, 0) && !tree_.find(3, 0); }));
  for (const auto& path : {first, second}) {
    auto removed = client_->recorder.waitFor(
        [&](const Event& e) { return e.kind == "InterfacesRemoved" && e.path == path; });
    EXPECT_TRUE(removed) << path;
  }
  // Other owners' instances stay.
  EXPECT_TRUE(treeHas(3303, 1));
  EXPECT_EQ(mine, "/org/lwm2md1/Object/3303/1");
}

TEST_F(DbusServiceTest, MultipleInstanceResourceRoundTrip) {
  DbusValues sources{{0, sdbus::Variant(std::int64_t{1})}, {5, sdbus::Variant(std::int64_t{5})}};
  const auto path = client_->manager->AddInstance(3, 0, {{6, sdbus::Variant(sources)}}, {});
  auto instance = client_->instance(path);
  EXPECT_EQ(show(instance->Get({6})), (Shown{{6, "a{qv}:{0=x:1;5=x:5;}"}}));
  EXPECT_TRUE(loop_->call([&] {
    auto r = tree_.find(3, 0)->resource(6);
    return r && r->multiple && r->instances.size() == 2 &&
           r->instances.at(5) == Value(std::int64_t{5});
  }));

  // Set replaces the whole set of instances.
  instance->Set({{6, sdbus::Variant(DbusValues{{2, sdbus::Variant(std::int64_t{7})}})}});
  EXPECT_EQ(show(instance->Values()), (Shown{{6, "a{qv}:{2=x:7;}"}}));

  auto plain = errorOf([&] { instance->Set({{6, sdbus::Variant(std::int64_t{7})}}); });
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->getName(), "org.lwm2md1.Error.InvalidType");
}

TEST_F(DbusServiceTest, EveryTypeRoundTrips) {
  DbusValues in{
      {0, sdbus::Variant(std::string("text"))},
      {1, sdbus::Variant(std::int64_t{-9})},
      {2, sdbus::Variant(std::uint64_t{18446744073709551615ull})},
      {3, sdbus::Variant(0.5)},
      {4, sdbus::Variant(false)},
      {5, sdbus::Variant(std::vector<std::uint8_t>{0xde, 0xad})},
      {6, sdbus::Variant(std::int64_t{1700000000})},
      {7, sdbus::Variant(Objlnk2(3303, 2))},
      {8, sdbus::Variant(std::string("</3303/0>"))},
      {10, sdbus::Variant(DbusValues{{1, sdbus::Variant(std::string("a"))}})},
  };
  const auto path = client_->manager->AddInstance(test::kTypesOid, 0, in, {});
  auto instance = client_->instance(path);
  EXPECT_EQ(show(instance->Get({})), show(in));
}

class PreexistingInstancesTest : public DbusServiceTest {
 protected:
  void populate() override { ASSERT_TRUE(tree_.addInstance(3, 0, {}, "").ok()); }
};

TEST_F(PreexistingInstancesTest, DaemonOwnedInstancesAreExported) {
  const auto paths = managedPaths();
  EXPECT_NE(std::find(paths.begin(), paths.end(), "/org/lwm2md1/Object/3/0"), paths.end());
  auto device = client_->instance("/org/lwm2md1/Object/3/0");
  EXPECT_EQ(device->Owner(), "");
  auto set = errorOf([&] { device->Set({{0, sdbus::Variant(std::string("ACME"))}}); });
  ASSERT_TRUE(set);
  EXPECT_EQ(set->getName(), "org.lwm2md1.Error.NotPermitted");
  EXPECT_EQ(set->getMessage(),
            "resource 0 (Manufacturer) of /3/0 is owned by the daemon; a provider may supply "
            "only resources 6, 7, 8, 9, 10, 11, 20, 21 (power sources, battery, memory, error "
            "codes)");
  auto remove = errorOf([&] { device->Remove(); });
  ASSERT_TRUE(remove);
  EXPECT_EQ(remove->getName(), "org.lwm2md1.Error.NotPermitted");

  // The daemon changes its own instance; clients see it.
  ASSERT_TRUE(loop_->call([&] {
    ResourceData manufacturer{0, ResourceType::String, false, Value(std::string("ACME")), {}};
    return tree_.setValues(3, 0, {manufacturer}, ChangeOrigin::Daemon).ok();
  }));
  EXPECT_EQ(show(device->Get({0})), (Shown{{0, "s:ACME"}}));
  // Removing it in the daemon takes it off the bus.
  ASSERT_TRUE(loop_->call([&] { return tree_.removeInstance(3, 0).ok(); }));
  auto removed = client_->recorder.waitFor([](const Event& e) {
    return e.kind == "InterfacesRemoved" && e.path == "/org/lwm2md1/Object/3/0";
  });
  EXPECT_TRUE(removed);
}

TEST_F(PreexistingInstancesTest, AnyClientSuppliesDeviceHardwareResources) {
  auto device = client_->instance("/org/lwm2md1/Object/3/0");
  DbusValues sources{{0, sdbus::Variant(std::int64_t{1})}, {1, sdbus::Variant(std::int64_t{5})}};
  device->Set({{6, sdbus::Variant(sources)}, {9, sdbus::Variant(std::int64_t{100})}});
  EXPECT_EQ(show(device->Values()), (Shown{{6, "a{qv}:{0=x:1;1=x:5;}"}, {9, "x:100"}}));
  EXPECT_TRUE(loop_->call([&] {
    auto level = tree_.find(3, 0)->resource(9);
    return level && level->value == Value(std::int64_t{100});
  }));
  // The daemon still owns the instance: the client cannot remove it.
  auto remove = errorOf([&] { device->Remove(); });
  ASSERT_TRUE(remove);
  EXPECT_EQ(remove->getName(), "org.lwm2md1.Error.NotPermitted");
  // A wrongly typed supplied value is still refused by type.
  auto typed = errorOf([&] { device->Set({{9, sdbus::Variant(std::string("full"))}}); });
  ASSERT_TRUE(typed);
  EXPECT_EQ(typed->getName(), "org.lwm2md1.Error.InvalidType");
}

TEST_F(PreexistingInstancesTest, DeviceProtocolResourcesStayTheDaemons) {
  auto device = client_->instance("/org/lwm2md1/Object/3/0");
  auto time = errorOf([&] { device->Set({{13, sdbus::Variant(std::int64_t{1700000000})}}); });
  ASSERT_TRUE(time);
  EXPECT_EQ(time->getName(), "org.lwm2md1.Error.NotPermitted");
  EXPECT_NE(time->getMessage().find("resource 13 (Current Time) of /3/0"), std::string::npos)
      << time->getMessage();
  EXPECT_NE(time->getMessage().find("6, 7, 8, 9, 10, 11, 20, 21"), std::string::npos);
  // A resource the object does not define is refused by permission first, naming it.
  auto unknown = errorOf([&] { device->Set({{4242, sdbus::Variant(std::int64_t{1})}}); });
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->getName(), "org.lwm2md1.Error.NotPermitted");
  EXPECT_NE(unknown->getMessage().find("resource 4242 of /3/0"), std::string::npos)
      << unknown->getMessage();

  // A mixed Set is refused as a whole: the allowed battery level does not change either.
  auto mixed = errorOf([&] {
    device->Set({{9, sdbus::Variant(std::int64_t{42})}, {0, sdbus::Variant(std::string("ACME"))}});
  });
  ASSERT_TRUE(mixed);
  EXPECT_EQ(mixed->getName(), "org.lwm2md1.Error.NotPermitted");
  EXPECT_TRUE(show(device->Values()).empty());
  EXPECT_TRUE(loop_->call([&] { return !tree_.find(3, 0)->resource(9); }));
}

class DaemonOwnedNonDeviceTest : public DbusServiceTest {
 protected:
  void populate() override {
    ASSERT_TRUE(tree_.addInstance(test::kTypesOid, 0, {}, "").ok());
    ASSERT_TRUE(tree_.addInstance(3303, 0, {}, "").ok());
  }
};

TEST_F(DaemonOwnedNonDeviceTest, OnlyDeviceInstanceZeroTakesSuppliedResources) {
  // Resource 9 is allowed on /3/0 alone; another daemon-owned instance keeps the owner rule
  // for the same resource id.
  auto other = client_->instance(fmt::format("/org/lwm2md1/Object/{}/0", test::kTypesOid));
  auto numbers = errorOf([&] {
    other->Set({{9, sdbus::Variant(DbusValues{{0, sdbus::Variant(std::int64_t{50})}})}});
  });
  ASSERT_TRUE(numbers);
  EXPECT_EQ(numbers->getName(), "org.lwm2md1.Error.NotPermitted");
  EXPECT_EQ(numbers->getMessage(),
            fmt::format("instance /{}/0 is owned by the daemon", test::kTypesOid));
  auto temperature = client_->instance("/org/lwm2md1/Object/3303/0");
  auto value = errorOf([&] { temperature->Set({{5700, sdbus::Variant(1.5)}}); });
  ASSERT_TRUE(value);
  EXPECT_EQ(value->getName(), "org.lwm2md1.Error.NotPermitted");
  EXPECT_TRUE(loop_->call([&] { return !tree_.find(test::kTypesOid, 0)->resource(9); }));
}

// --- Server objects and the Manager's methods (issue 5) ------------------------------------

class ServerClient final
    : public sdbus::ProxyInterfaces<org::lwm2md1::Server_proxy, sdbus::Properties_proxy> {
 public:
  ServerClient(sdbus::IConnection& c, const std::string& path, Recorder& r)
      : ProxyInterfaces(c, kService, path), path_(path), recorder_(r) {
    registerProxy();
  }
  ~ServerClient() { unregisterProxy(); }

 private:
  void onPropertiesChanged(const std::string& iface,
                           const std::map<std::string, sdbus::Variant>& changed,
                           const std::vector<std::string>& /*invalidated*/) override {
    recorder_.add({"PropertiesChanged", path_, iface, showProperties(changed), {}, 0, {}});
  }
  std::string path_;
  Recorder& recorder_;
};

ServerInfo serverInfo(std::string state, std::string location = {},
                      std::uint32_t observations = 0) {
  ServerInfo info;
  info.shortServerId = 7;
  info.uri = "coap://127.0.0.1:5683";
  info.state = std::move(state);
  info.lifetime = 300;
  info.binding = "U";
  info.registrationId = std::move(location);
  info.observations = observations;
  return info;
}

std::uint64_t unixSeconds() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

constexpr const char* kServerPath = "/org/lwm2md1/Server/7";
constexpr const char* kServerIface = "org.lwm2md1.Server";

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

TEST_F(DbusServiceTest, ServerObjectIsExportedWithEveryProperty) {
  loop_->call([&] { service_->serverChanged(serverInfo("registering")); });
  auto added = client_->recorder.waitFor(
      [](const Event& e) { return e.kind == "InterfacesAdded" && e.path == kServerPath; });
  ASSERT_TRUE(added);
  ServerClient server(*client_->conn, kServerPath, client_->recorder);
  EXPECT_EQ(server.Uri(), "coap://127.0.0.1:5683");
  EXPECT_EQ(server.ShortServerId(), 7);
  EXPECT_EQ(server.State(), "registering");
  EXPECT_EQ(server.Lifetime(), 300u);
  EXPECT_EQ(server.Binding(), "U");
  EXPECT_EQ(server.RegistrationId(), "");
  EXPECT_EQ(server.LastUpdate(), 0u);
  EXPECT_EQ(server.Observations(), 0u);
  auto paths = managedPaths();
  EXPECT_NE(std::find(paths.begin(), paths.end(), kServerPath), paths.end());
}

TEST_F(DbusServiceTest, ServerChangesEmitOnlyWhatChangedAndStampLastUpdate) {
  loop_->call([&] { service_->serverChanged(serverInfo("registering")); });
  ASSERT_TRUE(client_->recorder.waitFor(
      [](const Event& e) { return e.kind == "InterfacesAdded" && e.path == kServerPath; }));
  ServerClient server(*client_->conn, kServerPath, client_->recorder);
  const auto before = unixSeconds();
  loop_->call([&] { service_->serverChanged(serverInfo("registered", "rd/5")); });
  auto changed = client_->recorder.waitFor(
      [](const Event& e) { return e.kind == "PropertiesChanged" && e.path == kServerPath; });
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->interface, kServerIface);
  EXPECT_EQ(changed->properties.size(), 3u);
  EXPECT_EQ(changed->properties["State"], "s:registered");
  EXPECT_EQ(changed->properties["RegistrationId"], "s:rd/5");
  ASSERT_TRUE(changed->properties.count("LastUpdate"));
  const auto stamped = server.LastUpdate();
  EXPECT_GE(stamped, before);
  EXPECT_LE(stamped, unixSeconds());

  // The same report again changes nothing; a new observation count changes only that.
  loop_->call([&] { service_->serverChanged(serverInfo("registered", "rd/5")); });
  loop_->call([&] { service_->serverChanged(serverInfo("registered", "rd/5", 2)); });
  auto observed = client_->recorder.waitFor([](const Event& e) {
    return e.kind == "PropertiesChanged" && e.path == kServerPath &&
           e.properties.count("Observations");
  });
  ASSERT_TRUE(observed);
  EXPECT_EQ(observed->properties.size(), 1u);
  EXPECT_EQ(observed->properties["Observations"], "u:2");
  int serverSignals = 0;
  for (const auto& e : client_->recorder.all())
    if (e.kind == "PropertiesChanged" && e.path == kServerPath) ++serverSignals;
  EXPECT_EQ(serverSignals, 2);
  EXPECT_EQ(server.Observations(), 2u);
  EXPECT_EQ(server.LastUpdate(), stamped);  // no new success: the stamp stays

  loop_->call([&] { service_->serverChanged(serverInfo("deregistered")); });
  EXPECT_TRUE(eventually([&] { return true; }));
  EXPECT_EQ(server.State(), "deregistered");
  EXPECT_EQ(server.RegistrationId(), "");
  EXPECT_EQ(server.LastUpdate(), stamped);
}

TEST_F(DbusServiceTest, ServerRemovedLeavesTheBus) {
  loop_->call([&] { service_->serverChanged(serverInfo("registered", "rd/1")); });
  ASSERT_TRUE(client_->recorder.waitFor(
      [](const Event& e) { return e.kind == "InterfacesAdded" && e.path == kServerPath; }));
  loop_->call([&] { service_->serverRemoved(7); });
  ASSERT_TRUE(client_->recorder.waitFor(
      [](const Event& e) { return e.kind == "InterfacesRemoved" && e.path == kServerPath; }));
  auto paths = managedPaths();
  EXPECT_EQ(std::find(paths.begin(), paths.end(), kServerPath), paths.end());
  loop_->call([&] { service_->serverRemoved(7); });  // unknown id: nothing happens
}

TEST_F(DbusServiceTest, ManagerMethodsRunTheDaemonsActions) {
  int registers = 0, updates = 0, deregisters = 0;
  loop_->call([&] {
    ManagerActions actions;
    actions.registerAll = [&]() -> Status {
      ++registers;
      return {};
    };
    actions.updateAll = [&]() -> Status {
      ++updates;
      return {};
    };
    actions.deregisterAll = [&]() -> Status {
      ++deregisters;
      return Error{CoapCode::ServiceUnavailable, "the daemon is shutting down", ErrorKind::Failed};
    };
    actions.bootstrap = []() -> Status {
      return Error{CoapCode::NotImplemented, "no bootstrap server configured", ErrorKind::Failed};
    };
    service_->setActions(std::move(actions));
  });
  client_->manager->Register();
  client_->manager->Register();
  client_->manager->UpdateRegistration();
  auto error = errorOf([&] { client_->manager->Deregister(); });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->getName(), "org.lwm2md1.Error.Failed");
  EXPECT_EQ(error->getMessage(), "the daemon is shutting down");
  error = errorOf([&] { client_->manager->Bootstrap(); });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->getName(), "org.lwm2md1.Error.Failed");
  EXPECT_EQ(error->getMessage(), "no bootstrap server configured");
  EXPECT_EQ(loop_->call([&] { return registers; }), 2);
  EXPECT_EQ(loop_->call([&] { return updates; }), 1);
  EXPECT_EQ(loop_->call([&] { return deregisters; }), 1);
}

TEST_F(DbusServiceTest, ManagerMethodsWithoutActionsFail) {
  for (auto call : std::vector<std::function<void()>>{
           [&] { client_->manager->Register(); }, [&] { client_->manager->UpdateRegistration(); },
           [&] { client_->manager->Deregister(); }, [&] { client_->manager->Bootstrap(); },
           [&] { client_->manager->AddObjectDefinition(ddf(33100, "X")); }}) {
    auto error = errorOf(call);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->getName(), "org.lwm2md1.Error.Failed");
  }
}

class DefinitionsTest : public DbusServiceTest {
 protected:
  void SetUp() override {
    DbusServiceTest::SetUp();
    loop_->call([&] {
      ManagerActions actions;
      actions.addDefinitions = [this](std::vector<ObjectDef> defs) -> Status {
        for (auto& def : defs) registry_.add(std::move(def));
        return {};
      };
      service_->setActions(std::move(actions));
    });
  }
};

TEST_F(DefinitionsTest, AddObjectDefinitionTeachesTheDaemonAnObject) {
  EXPECT_EQ(client_->manager->AddObjectDefinition(ddf(33100, "Valve")), 33100);
  EXPECT_TRUE(loop_->call([&] { return registry_.find(33100) != nullptr; }));
  auto [name, multiple, resources] = client_->manager->GetObjectDefinition(33100);
  EXPECT_EQ(name, "Valve");
  EXPECT_TRUE(multiple);
  ASSERT_EQ(resources.size(), 2u);
  EXPECT_EQ(resources[0].get<0>(), 0);
  EXPECT_EQ(resources[0].get<1>(), "Level");
  EXPECT_EQ(resources[0].get<2>(), "Integer");
  EXPECT_EQ(resources[0].get<3>(), "RW");
  EXPECT_FALSE(resources[0].get<4>());
  EXPECT_TRUE(resources[0].get<5>());
  EXPECT_EQ(resources[1].get<1>(), "Go");
  EXPECT_EQ(resources[1].get<2>(), "");
  EXPECT_EQ(resources[1].get<3>(), "E");
  // Instances of the new object can be added at once.
  auto path = client_->manager->AddInstance(33100, 0, {{0, sdbus::Variant(std::int64_t{4})}}, {});
  EXPECT_EQ(path, "/org/lwm2md1/Object/33100/0");
  // A definition of an object with instances cannot be swapped under them.
  auto error = errorOf([&] { client_->manager->AddObjectDefinition(ddf(33100, "Valve2")); });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->getName(), "org.lwm2md1.Error.AlreadyExists");
  EXPECT_NE(error->getMessage().find("33100"), std::string::npos);
  // Without instances it can.
  addTemperature();
  EXPECT_EQ(client_->manager->AddObjectDefinition(ddf(33101, "Pump")), 33101);
  EXPECT_EQ(client_->manager->AddObjectDefinition(ddf(33101, "Pump 2")), 33101);
  EXPECT_EQ(std::get<0>(client_->manager->GetObjectDefinition(33101)), "Pump 2");
}

TEST_F(DefinitionsTest, MalformedDefinitionsAreRefusedWithTheParsersMessage) {
  auto error = errorOf([&] { client_->manager->AddObjectDefinition("<LWM2M><Object><Name>x"); });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->getName(), "org.lwm2md1.Error.InvalidValue");
  EXPECT_NE(error->getMessage().find("AddObjectDefinition"), std::string::npos)
      << error->getMessage();
  error = errorOf([&] { client_->manager->AddObjectDefinition(""); });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->getName(), "org.lwm2md1.Error.InvalidValue");
  error = errorOf([&] { client_->manager->AddObjectDefinition("<LWM2M></LWM2M>"); });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->getName(), "org.lwm2md1.Error.InvalidValue");
  std::string huge = ddf(33102, "Big");
  huge.insert(huge.find("</Name>"), kMaxDdfBytes, 'x');
  error = errorOf([&] { client_->manager->AddObjectDefinition(huge); });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->getName(), "org.lwm2md1.Error.InvalidValue");
  EXPECT_NE(error->getMessage().find("at most"), std::string::npos);
  EXPECT_FALSE(loop_->call([&] { return registry_.find(33102) != nullptr; }));
  // A definition that is not known at all.
  error = errorOf([&] { client_->manager->GetObjectDefinition(33199); });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->getName(), "org.lwm2md1.Error.UnknownObject");
}

}  // namespace
}  // namespace lwm2md
