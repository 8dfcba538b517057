// [limits] on the D-Bus side (DbusService::setLimits) against a private dbus-daemon: instances
// per client, calls per second per client, and the largest value a client may set. Each refusal
// must be exactly org.lwm2md1.Error.LimitExceeded and change nothing.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "dbus/service/dbus_service.hpp"
#include "ddf/object_registry.hpp"
#include "private_bus.hpp"
#include "test_objects.hpp"

namespace lwm2md {
namespace {

using namespace std::chrono_literals;
constexpr const char* kService = "org.lwm2md1";
constexpr const char* kManagerIface = "org.lwm2md1.Manager";
constexpr const char* kInstanceIface = "org.lwm2md1.Instance";
constexpr const char* kLimitExceeded = "org.lwm2md1.Error.LimitExceeded";
constexpr std::uint16_t kTemperature = 3303;

// The daemon's loop in miniature (as in dbus_service_test.cpp): polls the service's connection
// and runs posted tasks on the same thread, the only one that touches the tree and the service.
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
  ServerLoop(const ServerLoop&) = delete;
  ServerLoop& operator=(const ServerLoop&) = delete;

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
      std::fprintf(stderr, "server loop did not run a task within 10 s\n");
      std::abort();  // the task refers to the caller's stack
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

// A D-Bus client: its own connection (its own unique name), plain synchronous calls.
class Caller {
 public:
  explicit Caller(const std::string& address)
      : conn_(sdbus::createSessionBusConnectionWithAddress(address)),
        manager_(sdbus::createProxy(*conn_, kService, "/org/lwm2md1")) {}

  std::string name() const { return conn_->getUniqueName(); }

  std::string addInstance(std::uint16_t oid, std::uint16_t iid, const DbusValues& values,
                          const std::map<std::string, sdbus::Variant>& options = {}) {
    sdbus::ObjectPath path;
    manager_->callMethod("AddInstance")
        .onInterface(kManagerIface)
        .withArguments(oid, iid, values, options)
        .storeResultsTo(path);
    return path;
  }
  std::string addTemperature(std::uint16_t iid) {
    return addInstance(kTemperature, iid, {{5700, sdbus::Variant(20.0)}});
  }
  void set(const std::string& path, const DbusValues& values) {
    auto proxy = sdbus::createProxy(*conn_, kService, path);
    proxy->callMethod("Set").onInterface(kInstanceIface).withArguments(values);
  }
  void remove(const std::string& path) {
    auto proxy = sdbus::createProxy(*conn_, kService, path);
    proxy->callMethod("Remove").onInterface(kInstanceIface);
  }
  DbusValues instanceValues(const std::string& path) {
    auto proxy = sdbus::createProxy(*conn_, kService, path);
    return proxy->getProperty("Values").onInterface(kInstanceIface).get<DbusValues>();
  }
  void managedObjects() {
    std::map<sdbus::ObjectPath, std::map<std::string, std::map<std::string, sdbus::Variant>>> all;
    manager_->callMethod("GetManagedObjects")
        .onInterface("org.freedesktop.DBus.ObjectManager")
        .storeResultsTo(all);
  }
  std::string introspect(const std::string& path) {
    auto proxy = sdbus::createProxy(*conn_, kService, path);
    std::string xml;
    proxy->callMethod("Introspect")
        .onInterface("org.freedesktop.DBus.Introspectable")
        .storeResultsTo(xml);
    return xml;
  }
  /// A cheap call that changes nothing: the Manager's Endpoint property.
  std::string endpoint() {
    return manager_->getProperty("Endpoint").onInterface(kManagerIface).get<std::string>();
  }

 private:
  std::unique_ptr<sdbus::IConnection> conn_;
  std::unique_ptr<sdbus::IProxy> manager_;
};

std::optional<sdbus::Error> errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const sdbus::Error& e) {
    return e;
  }
  return std::nullopt;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Calls `call` until it fails (at most `max` times); the number that succeeded, and the error.
std::pair<int, std::optional<sdbus::Error>> callUntilRefused(const std::function<void()>& call,
                                                             int max = 200) {
  for (int done = 0; done < max; ++done)
    if (auto error = errorOf(call)) return {done, error};
  return {max, std::nullopt};
}

class DbusLimitsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { bus_ = std::make_unique<test::PrivateBus>(); }
  static void TearDownTestSuite() { bus_.reset(); }

  void SetUp() override {
    ASSERT_TRUE(bus_->ok()) << bus_->error();
    // Capture the "dbus" logger's lines (the service logs limit hits there).
    logger_ = std::make_shared<spdlog::logger>(
        "dbus", std::make_shared<spdlog::sinks::ostream_sink_mt>(log_));
    logger_->set_level(spdlog::level::info);
    spdlog::drop("dbus");
    spdlog::register_logger(logger_);

    registry_.add(test::temperatureDef());
    registry_.add(test::typesDef());
    serverConn_ = sdbus::createSessionBusConnectionWithAddress(bus_->address());
    auto created = DbusService::create(*serverConn_, tree_, ManagerInfo{"gw-limits", "1.0", {}});
    ASSERT_TRUE(created.ok()) << created.error().message;
    service_ = std::move(*created);
    serverConn_->requestName(kService);
    loop_ = std::make_unique<ServerLoop>(*serverConn_);
    a_ = std::make_unique<Caller>(bus_->address());
    b_ = std::make_unique<Caller>(bus_->address());
  }

  void TearDown() override {
    a_.reset();
    b_.reset();
    loop_.reset();
    service_.reset();
    serverConn_.reset();
    spdlog::drop("dbus");
  }

  void setLimits(const LimitsConfig& limits) {
    loop_->call([&] { service_->setLimits(limits); });
  }
  static LimitsConfig limits(std::uint32_t instances, std::uint32_t calls, std::uint32_t payload) {
    LimitsConfig config;
    config.maxInstancesPerProvider = instances;
    config.dbusCallsPerSecond = calls;
    config.maxPayloadBytes = payload;
    return config;
  }

  std::size_t instancesOwnedInTree(const std::string& owner) {
    return loop_->call([&] {
      std::size_t n = 0;
      for (const Instance* instance : tree_.allInstances())
        if (instance->owner() == owner) ++n;
      return n;
    });
  }
  std::uint32_t countedFor(const std::string& owner) {
    return loop_->call([&] { return service_->instancesOwnedBy(owner); });
  }
  bool treeHas(std::uint16_t oid, std::uint16_t iid) {
    return loop_->call([&] { return tree_.find(oid, iid) != nullptr; });
  }
  std::optional<Value> valueOf(std::uint16_t oid, std::uint16_t iid, std::uint16_t rid) {
    return loop_->call([&]() -> std::optional<Value> {
      const Instance* instance = tree_.find(oid, iid);
      auto data = instance ? instance->resource(rid) : std::nullopt;
      if (!data || !data->value) return std::nullopt;
      return data->value;
    });
  }
  // Polls the loop thread until `pred` holds, for at most 5 s.
  bool eventually(const std::function<bool()>& pred) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (loop_->call(pred)) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
  std::size_t logLinesWith(const std::string& part) {
    logger_->flush();
    std::istringstream lines(log_.str());
    std::size_t n = 0;
    for (std::string line; std::getline(lines, line);)
      if (contains(line, part)) ++n;
    return n;
  }

  static inline std::unique_ptr<test::PrivateBus> bus_;
  std::ostringstream log_;
  std::shared_ptr<spdlog::logger> logger_;
  ObjectRegistry registry_;
  ObjectTree tree_{registry_};
  std::unique_ptr<sdbus::IConnection> serverConn_;
  std::unique_ptr<DbusService> service_;
  std::unique_ptr<ServerLoop> loop_;
  std::unique_ptr<Caller> a_;
  std::unique_ptr<Caller> b_;
};

// --- max_instances_per_provider ------------------------------------------------------------

TEST_F(DbusLimitsTest, InstanceLimitRefusesTheOneBeyondAndLeavesNothing) {
  setLimits(limits(2, 0, 1024));
  a_->addTemperature(0);
  a_->addTemperature(1);
  auto error = errorOf([&] { a_->addTemperature(2); });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->getName(), kLimitExceeded);
  EXPECT_TRUE(contains(error->getMessage(), "max_instances_per_provider is 2"))
      << error->getMessage();
  EXPECT_FALSE(treeHas(kTemperature, 2));
  // "Pick an id" is refused the same way, and picks none.
  auto picked = errorOf([&] { a_->addTemperature(Path::kInvalidId); });
  ASSERT_TRUE(picked);
  EXPECT_EQ(picked->getName(), kLimitExceeded);
  EXPECT_EQ(instancesOwnedInTree(a_->name()), 2U);
  EXPECT_EQ(countedFor(a_->name()), 2U);
  // A callback-provided instance is owned by its provider too.
  auto provided = errorOf([&] {
    a_->addInstance(kTemperature, 5, {}, {{"provider", sdbus::Variant(sdbus::ObjectPath("/p"))}});
  });
  ASSERT_TRUE(provided);
  EXPECT_EQ(provided->getName(), kLimitExceeded);
  EXPECT_FALSE(loop_->call([&] { return service_->providerOf(kTemperature, 5).has_value(); }));
}

TEST_F(DbusLimitsTest, RemovingAnInstanceFreesItsSlot) {
  setLimits(limits(1, 0, 1024));
  const auto path = a_->addTemperature(0);
  ASSERT_TRUE(errorOf([&] { a_->addTemperature(1); }));
  a_->remove(path);
  EXPECT_EQ(countedFor(a_->name()), 0U);
  EXPECT_EQ(a_->addTemperature(1), "/org/lwm2md1/Object/3303/1");
  EXPECT_TRUE(errorOf([&] { a_->addTemperature(2); }));
  // A removal by someone else (a server's Delete, say) frees it as well.
  loop_->call([&] { (void)tree_.removeInstance(kTemperature, 1); });
  EXPECT_EQ(a_->addTemperature(2), "/org/lwm2md1/Object/3303/2");
}

TEST_F(DbusLimitsTest, LeavingTheBusFreesTheSlots) {
  setLimits(limits(2, 0, 1024));
  const std::string name = a_->name();
  a_->addTemperature(0);
  a_->addTemperature(1);
  EXPECT_EQ(countedFor(name), 2U);
  a_.reset();
  EXPECT_TRUE(eventually([&] { return service_->instancesOwnedBy(name) == 0; }));
  EXPECT_EQ(instancesOwnedInTree(name), 0U);
  // The ids are free for the next client, up to its own limit.
  b_->addTemperature(0);
  b_->addTemperature(1);
  EXPECT_TRUE(errorOf([&] { b_->addTemperature(2); }));
}

TEST_F(DbusLimitsTest, OneClientAtItsLimitDoesNotStopAnother) {
  setLimits(limits(1, 0, 1024));
  a_->addTemperature(0);
  ASSERT_TRUE(errorOf([&] { a_->addTemperature(1); }));
  EXPECT_EQ(b_->addTemperature(1), "/org/lwm2md1/Object/3303/1");
  EXPECT_EQ(countedFor(a_->name()), 1U);
  EXPECT_EQ(countedFor(b_->name()), 1U);
}

TEST_F(DbusLimitsTest, SharedInstancesTakeNoSlot) {
  setLimits(limits(1, 0, 1024));
  a_->addTemperature(0);
  EXPECT_NO_THROW(a_->addInstance(kTemperature, 1, {}, {{"shared", sdbus::Variant(true)}}));
  EXPECT_EQ(countedFor(a_->name()), 1U);
}

TEST_F(DbusLimitsTest, ServerCreateForAWholeObjectProviderIsNotRefusedButCounts) {
  setLimits(limits(1, 0, 1024));
  const std::string name = a_->name();
  a_->addTemperature(0);
  // What the engine does for a server's Create that the provider accepted.
  const bool created = loop_->call([&] {
    if (!service_->bindProvider(kTemperature, 7, ProviderRef{name, "/p"})) return false;
    return tree_.addInstance(kTemperature, 7, {}, name).ok();
  });
  EXPECT_TRUE(created);
  EXPECT_EQ(countedFor(name), 2U);
  auto error = errorOf([&] { a_->addTemperature(8); });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->getName(), kLimitExceeded);
  EXPECT_TRUE(contains(error->getMessage(), "owns 2 instance(s)")) << error->getMessage();
}

TEST_F(DbusLimitsTest, ASecondSetLimitsApplies) {
  setLimits(limits(1, 0, 1024));
  a_->addTemperature(0);
  ASSERT_TRUE(errorOf([&] { a_->addTemperature(1); }));
  setLimits(limits(3, 0, 1024));
  a_->addTemperature(1);
  a_->addTemperature(2);
  EXPECT_TRUE(errorOf([&] { a_->addTemperature(3); }));
  // Lowered below what is held: nothing is taken away, nothing more is added.
  setLimits(limits(1, 0, 1024));
  EXPECT_EQ(instancesOwnedInTree(a_->name()), 3U);
  auto error = errorOf([&] { a_->addTemperature(3); });
  ASSERT_TRUE(error);
  EXPECT_TRUE(contains(error->getMessage(), "max_instances_per_provider is 1"));
}

// --- dbus_calls_per_second -----------------------------------------------------------------

TEST_F(DbusLimitsTest, RateLimitRefusesBeyondTheBurstWithTheNamedError) {
  setLimits(limits(100, 3, 1024));
  auto [done, error] = callUntilRefused([&] { a_->endpoint(); });
  // The burst is the rate; a token comes back every 333 ms, so one more may slip in at most.
  EXPECT_GE(done, 3);
  EXPECT_LE(done, 4);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->getName(), kLimitExceeded);
  EXPECT_EQ(error->getMessage(), "rate limit of 3 calls/s exceeded (dbus_calls_per_second)");
}

TEST_F(DbusLimitsTest, RateLimitedCallsAreNotExecuted) {
  setLimits(limits(100, 2, 1024));
  const auto path = a_->addTemperature(0);  // one token
  ASSERT_TRUE(callUntilRefused([&] { a_->endpoint(); }).second);
  auto set = errorOf([&] { a_->set(path, {{5700, sdbus::Variant(99.0)}}); });
  ASSERT_TRUE(set);
  EXPECT_EQ(set->getName(), kLimitExceeded);
  auto add = errorOf([&] { a_->addTemperature(1); });
  ASSERT_TRUE(add);
  EXPECT_EQ(add->getName(), kLimitExceeded);
  auto remove = errorOf([&] { a_->remove(path); });
  ASSERT_TRUE(remove);
  EXPECT_EQ(remove->getName(), kLimitExceeded);
  EXPECT_EQ(valueOf(kTemperature, 0, 5700), std::optional<Value>(Value(20.0)));
  EXPECT_FALSE(treeHas(kTemperature, 1));
  EXPECT_TRUE(treeHas(kTemperature, 0));
}

TEST_F(DbusLimitsTest, RateLimitRefillsOverTime) {
  setLimits(limits(100, 4, 1024));
  ASSERT_TRUE(callUntilRefused([&] { a_->endpoint(); }).second);
  // 4 calls/s: a token within 250 ms; allow up to 3 s.
  bool admitted = false;
  for (int i = 0; i < 30 && !admitted; ++i) {
    std::this_thread::sleep_for(100ms);
    admitted = !errorOf([&] { a_->endpoint(); });
  }
  EXPECT_TRUE(admitted);
  // A quiet second refills the whole burst.
  std::this_thread::sleep_for(1100ms);
  EXPECT_GE(callUntilRefused([&] { a_->endpoint(); }).first, 4);
}

TEST_F(DbusLimitsTest, RateLimitIsPerClient) {
  setLimits(limits(100, 3, 1024));
  ASSERT_TRUE(callUntilRefused([&] { a_->endpoint(); }).second);
  // b's burst is untouched by a's flood.
  EXPECT_EQ(b_->endpoint(), "gw-limits");
  EXPECT_EQ(b_->endpoint(), "gw-limits");
  EXPECT_EQ(b_->addTemperature(0), "/org/lwm2md1/Object/3303/0");
  EXPECT_TRUE(treeHas(kTemperature, 0));
}

TEST_F(DbusLimitsTest, RateLimitCoversEveryObjectOfTheDaemon) {
  const auto path = a_->addTemperature(0);
  setLimits(limits(100, 2, 1024));
  ASSERT_TRUE(callUntilRefused([&] { a_->endpoint(); }).second);
  // An instance's property, the ObjectManager's listing and introspection are calls too.
  for (const auto& [what, call] : std::vector<std::pair<std::string, std::function<void()>>>{
           {"Values", [&] { a_->instanceValues(path); }},
           {"GetManagedObjects", [&] { a_->managedObjects(); }},
           {"Introspect", [&] { a_->introspect(path); }}}) {
    auto error = errorOf(call);
    ASSERT_TRUE(error) << what;
    EXPECT_EQ(error->getName(), kLimitExceeded) << what;
  }
}

TEST_F(DbusLimitsTest, RateLimitChangedBySetLimitsApplies) {
  setLimits(limits(100, 2, 1024));
  ASSERT_TRUE(callUntilRefused([&] { a_->endpoint(); }).second);
  setLimits(limits(100, 0, 1024));  // 0: no limit
  EXPECT_EQ(callUntilRefused([&] { a_->endpoint(); }, 50).first, 50);
  setLimits(limits(100, 5, 1024));  // a fresh limit applies at once
  auto [done, error] = callUntilRefused([&] { a_->endpoint(); });
  EXPECT_GE(done, 5);
  EXPECT_LE(done, 6);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->getMessage(), "rate limit of 5 calls/s exceeded (dbus_calls_per_second)");
}

TEST_F(DbusLimitsTest, AFloodIsLoggedOnce) {
  setLimits(limits(100, 2, 1024));
  auto [done, error] = callUntilRefused([&] { a_->endpoint(); });
  ASSERT_TRUE(error);
  for (int i = 0; i < 30; ++i) (void)errorOf([&] { a_->endpoint(); });
  (void)errorOf([&] { b_->addTemperature(Path::kInvalidId); });
  setLimits(limits(0, 0, 1024));
  for (int i = 0; i < 30; ++i) (void)errorOf([&] { a_->addTemperature(Path::kInvalidId); });
  // One line for a (whatever limit it hit), none for b, which hit none.
  EXPECT_EQ(logLinesWith(a_->name() + ": "), 1U) << log_.str();
  EXPECT_EQ(logLinesWith("dbus_calls_per_second"), 1U) << log_.str();
  EXPECT_EQ(logLinesWith(b_->name() + ": "), 0U) << log_.str();
}

// --- max_payload ---------------------------------------------------------------------------

TEST_F(DbusLimitsTest, PayloadLimitOnAddInstance) {
  setLimits(limits(100, 0, 1024));
  auto error = errorOf([&] {
    a_->addInstance(test::kTypesOid, 0, {{0, sdbus::Variant(std::string(1025, 'x'))}});
  });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->getName(), kLimitExceeded);
  EXPECT_TRUE(contains(error->getMessage(), "max_payload is 1024 bytes")) << error->getMessage();
  EXPECT_TRUE(contains(error->getMessage(), "resource 0 (Text)")) << error->getMessage();
  EXPECT_TRUE(contains(error->getMessage(), "1025 bytes")) << error->getMessage();
  EXPECT_FALSE(treeHas(test::kTypesOid, 0));
  EXPECT_EQ(countedFor(a_->name()), 0U);
  // Exactly the limit is fine.
  a_->addInstance(test::kTypesOid, 0, {{0, sdbus::Variant(std::string(1024, 'x'))}});
  EXPECT_TRUE(treeHas(test::kTypesOid, 0));
}

TEST_F(DbusLimitsTest, PayloadLimitOnSetChangesNothing) {
  setLimits(limits(100, 0, 1024));
  const auto path = a_->addInstance(
      test::kTypesOid, 0,
      {{5, sdbus::Variant(std::vector<std::uint8_t>{1, 2})}, {1, sdbus::Variant(std::int64_t{7})}});
  auto error = errorOf([&] {
    a_->set(path, {{1, sdbus::Variant(std::int64_t{8})},
                   {5, sdbus::Variant(std::vector<std::uint8_t>(2000, 0xab))}});
  });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->getName(), kLimitExceeded);
  EXPECT_TRUE(contains(error->getMessage(), "resource 5 (Blob) of /33000/0 has 2000 bytes"))
      << error->getMessage();
  // Neither resource changed: the Set is refused whole.
  EXPECT_EQ(valueOf(test::kTypesOid, 0, 5), std::optional<Value>(Value(Opaque{1, 2})));
  EXPECT_EQ(valueOf(test::kTypesOid, 0, 1), std::optional<Value>(Value(std::int64_t{7})));
}

TEST_F(DbusLimitsTest, PayloadLimitCountsAMultipleResourceWhole) {
  setLimits(limits(100, 0, 1024));
  DbusValues names{{0, sdbus::Variant(std::string(600, 'a'))},
                   {1, sdbus::Variant(std::string(600, 'b'))}};
  auto error = errorOf([&] { a_->addInstance(test::kTypesOid, 0, {{10, sdbus::Variant(names)}}); });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->getName(), kLimitExceeded);
  EXPECT_TRUE(contains(error->getMessage(), "1200 bytes")) << error->getMessage();
  EXPECT_FALSE(treeHas(test::kTypesOid, 0));
}

TEST_F(DbusLimitsTest, PayloadLimitChangedBySetLimitsApplies) {
  setLimits(limits(100, 0, 4096));
  const auto path = a_->addInstance(test::kTypesOid, 0, {});
  a_->set(path, {{0, sdbus::Variant(std::string(3000, 'x'))}});
  setLimits(limits(100, 0, 1024));
  auto error = errorOf([&] { a_->set(path, {{0, sdbus::Variant(std::string(3001, 'y'))}}); });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->getName(), kLimitExceeded);
  EXPECT_EQ(valueOf(test::kTypesOid, 0, 0), std::optional<Value>(Value(std::string(3000, 'x'))));
  // Another client's instance is held to the same limit, and small values still pass.
  const auto other = b_->addInstance(test::kTypesOid, 1, {{0, sdbus::Variant(std::string("ok"))}});
  EXPECT_TRUE(errorOf([&] { b_->set(other, {{0, sdbus::Variant(std::string(1025, 'z'))}}); }));
  EXPECT_NO_THROW(a_->set(path, {{0, sdbus::Variant(std::string(10, 'y'))}}));
}

}  // namespace
}  // namespace lwm2md
