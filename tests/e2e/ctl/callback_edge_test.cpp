// Callback providers at their edges, end to end (real lwm2md, liblwm2md-provider in this
// process, the libcoap test server): a provider that leaves in the middle of a request, the
// provider error table as the server sees it, answers of the wrong type or with resources left
// out, and Observe on a callback-provided resource (the provider is asked first).
#include <gmock/gmock.h>
#include <sys/socket.h>

#include <lwm2md/provider.hpp>

#include "ctl_fixture.hpp"

namespace lwm2md::test {
namespace {

using provider::Value;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr uint8_t kContent = 0x45;           // 2.05
constexpr uint8_t kBadRequest = 0x80;        // 4.00
constexpr uint8_t kNotFound = 0x84;          // 4.04
constexpr uint8_t kMethodNotAllowed = 0x85;  // 4.05
constexpr uint8_t kInternalError = 0xa0;     // 5.00
constexpr uint8_t kUnavailable = 0xa3;       // 5.03
constexpr uint8_t kGatewayTimeout = 0xa4;    // 5.04

using Clock = std::chrono::steady_clock;

/// The daemon fixture plus one liblwm2md-provider connection, pumped on this thread whenever
/// the test server waits. The provider is a member (not a local) so that a handler can ask for
/// it to go: it is destroyed by the pump, after process() has returned, never inside it.
class CallbackEdge : public CtlFixture {
 protected:
  void connectProvider() {
    auto connected = provider::Provider::connect(provider::Bus::at(bus_.address()));
    ASSERT_TRUE(connected) << connected.error().name << ": " << connected.error().message;
    provider_ = std::move(*connected);
    server_.setSidePump([this] {
      pumpClient();
      pumpProvider();
    });
  }

  void pumpProvider() {
    if (!provider_) return;
    (void)provider_->process();  // fails once the connection is closed; that is expected
    if (destroyProvider_) provider_.reset();
  }

  /// Starts the daemon with `dbusTable` as its [dbus] table and waits for the Register, the
  /// bus name and the provider's connection.
  void startWith(const std::string& dbusTable) {
    startDaemon(config() + "[dbus]\n" + dbusTable);
    ASSERT_TRUE(server_.waitForEvent(Event::Kind::Register, 10s)) << daemon_->output();
    ASSERT_TRUE(waitForBusName());
    connectProvider();
  }

  /// Adds /3303/0 with `handlers` and waits for the Update that announces it.
  void addSensor(provider::CallbackHandlers handlers) {
    ASSERT_TRUE(provider_);
    auto added = provider_->addCallbackInstance(3303, 0, std::move(handlers));
    ASSERT_TRUE(added) << added.error().name << ": " << added.error().message;
    auto update = server_.waitForEvent(Event::Kind::Update, 5s);
    ASSERT_TRUE(update) << daemon_->output();
    ASSERT_THAT(update->payload, HasSubstr("</3303/0>"));
  }

  void TearDown() override {
    server_.setSidePump([this] { pumpClient(); });
    CtlFixture::TearDown();
    provider_.reset();
  }

  std::unique_ptr<provider::Provider> provider_;
  bool destroyProvider_ = false;
};

TEST_F(CallbackEdge, ProviderLeavingMidRequestGivesServiceUnavailable) {
  // A timeout long enough that only the provider's departure can explain a quick answer.
  ASSERT_NO_FATAL_FAILURE(startWith("provider_timeout = 5\n"));
  int reads = 0;
  provider::CallbackHandlers handlers;
  handlers.read = [&](std::uint16_t, std::uint16_t,
                      const std::vector<std::uint16_t>&) -> provider::Result<provider::Values> {
    ++reads;
    // The provider dies with the call in hand: its connection to the bus is cut before the
    // library can send the reply (the send then fails), and the Provider goes right after
    // process() returns. The daemon must hear of it from the bus, not from a reply.
    ::shutdown(provider_->pollData().fd, SHUT_RDWR);
    destroyProvider_ = true;
    return provider::Values{{5700, Value::floating(99.0)}};
  };
  ASSERT_NO_FATAL_FAILURE(addSensor(handlers));

  const auto start = Clock::now();
  auto read = server_.read("/3303/0/5700", 0);
  const auto took = Clock::now() - start;
  ASSERT_TRUE(read) << daemon_->output();
  EXPECT_EQ(reads, 1);
  EXPECT_EQ(read->code, kUnavailable)
      << TestLwm2mServer::codeString(read->code) << " " << TestLwm2mServer::text(*read);
  EXPECT_THAT(TestLwm2mServer::text(*read), HasSubstr("left the bus"));
  EXPECT_LT(took, 2s) << "the server waited for the provider timeout instead";
  EXPECT_FALSE(provider_);

  // The instance went with its provider: the next Read finds nothing, and the server hears of
  // it in an Update.
  auto again = server_.read("/3303/0/5700", 0);
  ASSERT_TRUE(again) << daemon_->output();
  EXPECT_EQ(again->code, kNotFound) << TestLwm2mServer::codeString(again->code);
  auto whole = server_.read("/3303/0");
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->code, kNotFound);
  auto update = server_.waitForEvent(Event::Kind::Update, 5s);
  ASSERT_TRUE(update) << daemon_->output();
  EXPECT_THAT(update->payload, Not(HasSubstr("</3303/0>")));
  EXPECT_THAT(update->payload, HasSubstr("</3/0>"));
  // The daemon itself is fine.
  auto manufacturer = server_.read("/3/0/0", 0);
  ASSERT_TRUE(manufacturer);
  EXPECT_EQ(TestLwm2mServer::text(*manufacturer), "lwm2md tests");
  EXPECT_TRUE(daemon_->running());
}

TEST_F(CallbackEdge, ProviderErrorsMapToCoapCodes) {
  ASSERT_NO_FATAL_FAILURE(startWith("provider_timeout = 5\n"));
  std::optional<provider::Error> readError;
  bool throwOnRead = false;
  std::vector<std::string> writesSeen;
  provider::CallbackHandlers handlers;
  handlers.read = [&](std::uint16_t, std::uint16_t,
                      const std::vector<std::uint16_t>&) -> provider::Result<provider::Values> {
    if (throwOnRead) throw std::runtime_error("sensor bus jammed");
    if (readError) return *readError;
    return provider::Values{{5700, Value::floating(18.5)}, {5750, Value::string("hall")}};
  };
  handlers.write = [&](std::uint16_t, std::uint16_t, const provider::Values& values,
                       bool) -> provider::Status {
    for (const auto& [rid, v] : values) writesSeen.push_back(std::to_string(rid));
    return provider::Error{provider::errors::kNotPermitted, "the application name is fixed"};
  };
  // No execute handler: the library refuses Execute with NotPermitted.
  ASSERT_NO_FATAL_FAILURE(addSensor(handlers));

  struct Case {
    const char* name;
    std::string message;
    uint8_t code;
  };
  const std::vector<Case> cases = {
      {provider::errors::kNotFound, "no reading yet", kNotFound},
      {provider::errors::kFailed, "the sensor is broken", kInternalError},
      {provider::errors::kInvalidValue, "a bad question", kBadRequest},
      {provider::errors::kNotPermitted, "reads are off", kMethodNotAllowed},
      {provider::errors::kTimeout, "the sensor is silent", kGatewayTimeout},
      // Not in the table: 5.00. An empty name counts as Failed (library).
      {"com.example.Error.Odd", "something odd", kInternalError},
      {"", "nameless", kInternalError},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    readError = provider::Error{c.name, c.message};
    auto read = server_.read("/3303/0/5700", 0);
    ASSERT_TRUE(read) << daemon_->output();
    EXPECT_EQ(read->code, c.code) << TestLwm2mServer::codeString(read->code);
    // The provider's message is the diagnostic payload.
    EXPECT_THAT(TestLwm2mServer::text(*read), HasSubstr(c.message));
  }
  // Whole-instance reads fail the same way.
  readError = provider::Error{provider::errors::kNotFound, "no reading yet"};
  auto whole = server_.read("/3303/0");
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->code, kNotFound);

  // An exception in the handler is Failed: 5.00, naming what it said.
  readError.reset();
  throwOnRead = true;
  auto thrown = server_.read("/3303/0/5700", 0);
  ASSERT_TRUE(thrown);
  EXPECT_EQ(thrown->code, kInternalError);
  EXPECT_THAT(TestLwm2mServer::text(*thrown), HasSubstr("sensor bus jammed"));
  throwOnRead = false;

  // Write refused with NotPermitted: 4.05 with the provider's words; the value is unchanged.
  auto write = server_.write("/3303/0/5750", 0, std::string("cellar"));
  ASSERT_TRUE(write);
  EXPECT_EQ(write->code, kMethodNotAllowed) << TestLwm2mServer::codeString(write->code);
  EXPECT_THAT(TestLwm2mServer::text(*write), HasSubstr("the application name is fixed"));
  EXPECT_EQ(writesSeen, (std::vector<std::string>{"5750"}));
  auto read = server_.read("/3303/0/5750", 0);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->code, kContent);
  EXPECT_EQ(TestLwm2mServer::text(*read), "hall");
  // A write the data model refuses never reaches the provider: 5700 is read-only.
  auto readOnly = server_.write("/3303/0/5700", 0, std::string("3"));
  ASSERT_TRUE(readOnly);
  EXPECT_EQ(readOnly->code, kMethodNotAllowed);
  // A truncated TLV payload: 4.00 from the data model; the provider is not asked.
  auto malformed = server_.write("/3303/0/5750", 11542, std::vector<uint8_t>{0xc8});
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->code, kBadRequest) << TestLwm2mServer::codeString(malformed->code);
  EXPECT_EQ(writesSeen.size(), 1u);

  // No execute handler: 4.05.
  auto exec = server_.execute("/3303/0/5605");
  ASSERT_TRUE(exec);
  EXPECT_EQ(exec->code, kMethodNotAllowed) << TestLwm2mServer::codeString(exec->code);
}

TEST_F(CallbackEdge, WrongTypedProviderAnswerIs500) {
  ASSERT_NO_FATAL_FAILURE(startWith("provider_timeout = 5\n"));
  Value temperature = Value::string("warm");
  provider::CallbackHandlers handlers;
  handlers.read = [&](std::uint16_t, std::uint16_t,
                      const std::vector<std::uint16_t>&) -> provider::Result<provider::Values> {
    return provider::Values{{5700, temperature}, {5701, Value::string("Cel")}};
  };
  ASSERT_NO_FATAL_FAILURE(addSensor(handlers));

  auto read = server_.read("/3303/0/5700", 0);
  ASSERT_TRUE(read) << daemon_->output();
  EXPECT_EQ(read->code, kInternalError) << TestLwm2mServer::codeString(read->code);
  EXPECT_THAT(TestLwm2mServer::text(*read), HasSubstr("5700"));
  // The whole instance cannot be read either: one bad value spoils the answer.
  auto whole = server_.read("/3303/0", 11542);
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->code, kInternalError);
  EXPECT_THAT(TestLwm2mServer::text(*whole), HasSubstr("5700"));
  // An integer is not a Float either (the D-Bus type is checked, not converted).
  temperature = Value::integer(20);
  read = server_.read("/3303/0/5700", 0);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->code, kInternalError) << TestLwm2mServer::text(*read);

  // Once the provider answers properly, reads work again.
  temperature = Value::floating(20.5);
  read = server_.read("/3303/0/5700", 0);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->code, kContent);
  EXPECT_EQ(TestLwm2mServer::text(*read), "20.5");
}

TEST_F(CallbackEdge, ResourceLeftOutOfReadAnswerIs404NotAStaleValue) {
  // org.lwm2md1.Provider.xml: "Resources asked for but left out count as having no value (the
  // server gets 4.04 when it asked for exactly one)".
  ASSERT_NO_FATAL_FAILURE(startWith("provider_timeout = 5\n"));
  provider::Values answer = {{5700, Value::floating(17.5)}, {5701, Value::string("Cel")}};
  provider::CallbackHandlers handlers;
  handlers.read = [&](std::uint16_t, std::uint16_t,
                      const std::vector<std::uint16_t>&) -> provider::Result<provider::Values> {
    return answer;
  };
  ASSERT_NO_FATAL_FAILURE(addSensor(handlers));
  auto read = server_.read("/3303/0/5700", 0);
  ASSERT_TRUE(read);
  EXPECT_EQ(TestLwm2mServer::text(*read), "17.5");

  // The sensor has no reading any more: the provider leaves 5700 out.
  answer = {{5701, Value::string("Cel")}};
  read = server_.read("/3303/0/5700", 0);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->code, kNotFound)
      << "got " << TestLwm2mServer::codeString(read->code) << " " << TestLwm2mServer::text(*read);
  answer = {};
  auto whole = server_.read("/3303/0", 0x6e);  // SenML JSON: names the resources it holds
  ASSERT_TRUE(whole);
  EXPECT_THAT(TestLwm2mServer::text(*whole), Not(HasSubstr("5700")))
      << TestLwm2mServer::codeString(whole->code);
}

TEST_F(CallbackEdge, ObjectLevelReadAsksTheProvider) {
  // A Read of /3303 covers the callback instance /3303/0: its values are the provider's, so
  // the provider must be asked, as for /3303/0 (coap-shepherd reads every object this way
  // after each Update that changes the object list).
  ASSERT_NO_FATAL_FAILURE(startWith("provider_timeout = 5\n"));
  int reads = 0;
  provider::CallbackHandlers handlers;
  handlers.read = [&](std::uint16_t, std::uint16_t,
                      const std::vector<std::uint16_t>&) -> provider::Result<provider::Values> {
    ++reads;
    return provider::Values{{5700, Value::floating(19.5)}};
  };
  ASSERT_NO_FATAL_FAILURE(addSensor(handlers));
  auto read = server_.read("/3303", 0x6e);  // SenML JSON
  ASSERT_TRUE(read) << daemon_->output();
  EXPECT_EQ(read->code, kContent) << TestLwm2mServer::codeString(read->code);
  EXPECT_EQ(reads, 1) << "the provider was not asked";
  EXPECT_THAT(TestLwm2mServer::text(*read), HasSubstr("19.5"));
}

TEST_F(CallbackEdge, ObserveOfCallbackInstanceAsksTheProviderFirst) {
  // An Observe of a callback-provided resource is answered like a Read: the provider is asked
  // first (empty ACK, separate response), and the observation starts from its fresh answer.
  ASSERT_NO_FATAL_FAILURE(startWith("provider_timeout = 5\n"));
  double temperature = 21.25;
  std::optional<provider::Error> readError;
  int reads = 0;
  provider::CallbackHandlers handlers;
  handlers.read = [&](std::uint16_t, std::uint16_t,
                      const std::vector<std::uint16_t>&) -> provider::Result<provider::Values> {
    ++reads;
    if (readError) return *readError;
    return provider::Values{{5700, Value::floating(temperature)}};
  };
  ASSERT_NO_FATAL_FAILURE(addSensor(handlers));

  // Nothing was ever read: the Observe itself asks the provider.
  auto first = server_.startObserve("/3303/0/5700", 0);
  ASSERT_TRUE(first) << daemon_->output();
  EXPECT_EQ(first->code, kContent)
      << TestLwm2mServer::codeString(first->code) << " " << TestLwm2mServer::text(*first);
  ASSERT_TRUE(first->observe) << "not registered as an observation";
  EXPECT_EQ(TestLwm2mServer::text(*first), "21.25");
  EXPECT_EQ(reads, 1);

  // The provider's value moves on: a second Observe gets the new value, not the tree's old
  // one, and the first observer is notified of the change the provider's answer brought.
  temperature = 30.5;
  auto second = server_.startObserve("/3303/0/5700", 0);
  ASSERT_TRUE(second) << daemon_->output();
  EXPECT_EQ(second->code, kContent) << TestLwm2mServer::codeString(second->code);
  ASSERT_TRUE(second->observe);
  EXPECT_EQ(TestLwm2mServer::text(*second), "30.5");
  EXPECT_EQ(reads, 2);
  ASSERT_TRUE(server_.waitForNotifications(first->token, 1, 3s));
  EXPECT_EQ(TestLwm2mServer::text(server_.notifications(first->token).back()), "30.5");

  // A provider that refuses: the server gets its error and nothing is observed.
  readError = provider::Error{provider::errors::kNotFound, "probe unplugged"};
  auto refused = server_.startObserve("/3303/0/5700", 0);
  ASSERT_TRUE(refused) << daemon_->output();
  EXPECT_EQ(refused->code, kNotFound) << TestLwm2mServer::codeString(refused->code);
  EXPECT_THAT(TestLwm2mServer::text(*refused), HasSubstr("probe unplugged"));
  EXPECT_FALSE(refused->observe);
  EXPECT_EQ(reads, 3);

  // Cancelling (Observe=1) is answered at once, from the tree, without asking again.
  readError.reset();
  auto cancel = server_.cancelObserve(second->token);
  ASSERT_TRUE(cancel);
  EXPECT_EQ(reads, 3);
}

}  // namespace
}  // namespace lwm2md::test
