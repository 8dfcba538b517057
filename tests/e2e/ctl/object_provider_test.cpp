// Whole-object providers end to end (Manager.ProvideObject; real lwm2md, liblwm2md-provider or a
// raw sd-bus object in this process, the libcoap test server): a server's Create and Delete go
// to the provider after the data model's checks, what it refuses leaves no trace, the object is
// released when the provider leaves, and ProvideObject refuses what it must.
#include <gmock/gmock.h>

#include <cstring>
#include <lwm2md/provider.hpp>

#include "ctl_fixture.hpp"

namespace lwm2md::test {
namespace {

using provider::Value;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr uint8_t kCreated = 0x41;           // 2.01
constexpr uint8_t kDeleted = 0x42;           // 2.02
constexpr uint8_t kContent = 0x45;           // 2.05
constexpr uint8_t kBadRequest = 0x80;        // 4.00
constexpr uint8_t kNotFound = 0x84;          // 4.04
constexpr uint8_t kMethodNotAllowed = 0x85;  // 4.05
constexpr uint16_t kTlv = 11542;
constexpr const char* kManagerIface = "org.lwm2md1.Manager";

// --- OMA TLV (TS 1.1 Core §7.4.3), just enough for Create payloads ---

std::vector<uint8_t> tlvEntry(uint8_t kind, uint16_t id, const std::vector<uint8_t>& value) {
  // Type byte: kind (bits 7-6), 16-bit id (bit 5), 8-bit length field (bits 4-3 = 01).
  std::vector<uint8_t> out{static_cast<uint8_t>((kind << 6) | 0x20 | 0x08),
                           static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id & 0xff),
                           static_cast<uint8_t>(value.size())};
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

std::vector<uint8_t> tlvFloat(uint16_t rid, double value) {
  uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  std::vector<uint8_t> bytes;
  for (int shift = 56; shift >= 0; shift -= 8) bytes.push_back(static_cast<uint8_t>(bits >> shift));
  return tlvEntry(3, rid, bytes);
}

std::vector<uint8_t> tlvString(uint16_t rid, const std::string& value) {
  return tlvEntry(3, rid, std::vector<uint8_t>(value.begin(), value.end()));
}

std::vector<uint8_t> tlvInstance(uint16_t iid, std::vector<std::vector<uint8_t>> resources) {
  std::vector<uint8_t> content;
  for (const auto& r : resources) content.insert(content.end(), r.begin(), r.end());
  return tlvEntry(0, iid, content);
}

/// The daemon fixture plus one liblwm2md-provider connection pumped on this thread (a member,
/// so a test can drop it to make the provider leave the bus).
class ObjectProvider : public CtlFixture {
 protected:
  void start() {
    startDaemon(config() + "[dbus]\nprovider_timeout = 5\n");
    ASSERT_TRUE(server_.waitForEvent(Event::Kind::Register, 10s)) << daemon_->output();
    ASSERT_TRUE(waitForBusName());
    provider_ = connect();
    ASSERT_TRUE(provider_);
    server_.setSidePump([this] { pumpAll(); });
  }

  std::unique_ptr<provider::Provider> connect() {
    auto connected = provider::Provider::connect(provider::Bus::at(bus_.address()));
    EXPECT_TRUE(connected) << connected.error().name << ": " << connected.error().message;
    return connected ? std::move(*connected) : nullptr;
  }

  void pumpAll() {
    pumpClient();
    if (provider_) (void)provider_->process();
    if (second_) (void)second_->process();
    if (raw_)
      while (raw_->processPendingRequest()) {
      }
  }

  void TearDown() override {
    server_.setSidePump([this] { pumpClient(); });
    CtlFixture::TearDown();
    provider_.reset();
    second_.reset();
    rawObject_.reset();
    raw_.reset();
  }

  std::optional<Response> create(const std::vector<uint8_t>& tlv) {
    RequestOptions options;
    options.contentFormat = kTlv;
    options.payload = tlv;
    return server_.request(Method::Post, "/3303", options);
  }
  std::optional<Response> remove(const std::string& path) {
    return server_.request(Method::Delete, path);
  }

  /// ProvideObject called on `connection`; the D-Bus error name, or "" on success.
  std::string provideObject(sdbus::IConnection& connection, uint16_t oid, const std::string& path,
                            std::map<std::string, sdbus::Variant> options = {}) {
    auto manager = sdbus::createProxy(connection, "org.lwm2md1", "/org/lwm2md1");
    try {
      manager->callMethod("ProvideObject")
          .onInterface(kManagerIface)
          .withArguments(oid, sdbus::ObjectPath(path), options);
      return "";
    } catch (const sdbus::Error& e) {
      lastMessage_ = e.getMessage();
      return e.getName();
    }
  }

  /// The Owner property of /oid/iid on the bus, or nullopt when it is not exported.
  std::optional<std::string> ownerOf(uint16_t oid, uint16_t iid) {
    auto proxy = sdbus::createProxy(
        *client_, "org.lwm2md1",
        "/org/lwm2md1/Object/" + std::to_string(oid) + "/" + std::to_string(iid));
    try {
      return proxy->getProperty("Owner").onInterface("org.lwm2md1.Instance").get<std::string>();
    } catch (const sdbus::Error&) {
      return std::nullopt;
    }
  }

  /// A sensor probe's handlers: Read answers `temperature`.
  provider::CallbackHandlers probe(double temperature) {
    provider::CallbackHandlers handlers;
    handlers.read = [this, temperature](
                        std::uint16_t, std::uint16_t,
                        const std::vector<std::uint16_t>&) -> provider::Result<provider::Values> {
      ++reads_;
      return provider::Values{{5700, Value::floating(temperature)}};
    };
    return handlers;
  }

  std::unique_ptr<provider::Provider> provider_;
  std::unique_ptr<provider::Provider> second_;
  std::unique_ptr<sdbus::IConnection> raw_;
  std::unique_ptr<sdbus::IObject> rawObject_;
  std::string lastMessage_;
  int reads_ = 0;
};

TEST_F(ObjectProvider, ServerCreateGoesThroughTheProvider) {
  ASSERT_NO_FATAL_FAILURE(start());
  std::vector<std::pair<uint16_t, provider::Values>> created;
  provider::ObjectHandlers object;
  object.create =
      [&](std::uint16_t oid, std::uint16_t iid,
          const provider::Values& values) -> provider::Result<provider::CallbackHandlers> {
    EXPECT_EQ(oid, 3303);
    created.emplace_back(iid, values);
    return probe(30.5);
  };
  ASSERT_TRUE(provider_->provideObject(3303, object));

  auto response = create(tlvInstance(4, {tlvFloat(5700, 18.25), tlvString(5750, "hall")}));
  ASSERT_TRUE(response) << daemon_->output();
  EXPECT_EQ(response->code, kCreated)
      << TestLwm2mServer::codeString(response->code) << " " << TestLwm2mServer::text(*response);
  EXPECT_EQ(response->locationPath, (std::vector<std::string>{"3303", "4"}));
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].first, 4);
  EXPECT_EQ(created[0].second.at(5700), Value::floating(18.25));
  EXPECT_EQ(created[0].second.at(5750), Value::string("hall"));

  // The servers hear of it, the bus shows it as the provider's, and a Read asks the provider.
  auto update = server_.waitForEvent(Event::Kind::Update, 5s);
  ASSERT_TRUE(update) << daemon_->output();
  EXPECT_THAT(update->payload, HasSubstr("</3303/4>"));
  EXPECT_EQ(ownerOf(3303, 4), provider_->uniqueName());
  auto read = server_.read("/3303/4/5700", 0);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->code, kContent) << TestLwm2mServer::text(*read);
  EXPECT_EQ(TestLwm2mServer::text(*read), "30.5");
  EXPECT_EQ(reads_, 1);
  auto tree = ctl({"tree"});
  EXPECT_THAT(tree.output, HasSubstr("/3303/4 (owner: " + provider_->uniqueName() + ")"));

  // Without an instance id the daemon picks the lowest free one and tells the provider.
  response = create(tlvFloat(5700, 1.0));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, kCreated) << TestLwm2mServer::text(*response);
  EXPECT_EQ(response->locationPath, (std::vector<std::string>{"3303", "0"}));
  ASSERT_EQ(created.size(), 2u);
  EXPECT_EQ(created[1].first, 0);
  EXPECT_EQ(ownerOf(3303, 0), provider_->uniqueName());
}

TEST_F(ObjectProvider, RefusedOrInvalidCreateLeavesNoTrace) {
  ASSERT_NO_FATAL_FAILURE(start());
  int calls = 0;
  provider::Error refusal{provider::errors::kAlreadyExists, "probe 4 is wired already"};
  provider::ObjectHandlers object;
  object.create = [&](std::uint16_t, std::uint16_t,
                      const provider::Values&) -> provider::Result<provider::CallbackHandlers> {
    ++calls;
    return refusal;
  };
  ASSERT_TRUE(provider_->provideObject(3303, object));

  auto response = create(tlvInstance(4, {tlvFloat(5700, 18.25)}));
  ASSERT_TRUE(response) << daemon_->output();
  EXPECT_EQ(response->code, kBadRequest) << TestLwm2mServer::codeString(response->code);
  EXPECT_THAT(TestLwm2mServer::text(*response), HasSubstr("probe 4 is wired already"));
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(ownerOf(3303, 4)) << "a refused instance is on the bus";
  auto read = server_.read("/3303/4");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->code, kNotFound);
  EXPECT_THAT(ctl({"tree"}).output, Not(HasSubstr("/3303/4")));

  refusal = {provider::errors::kInvalidValue, "no such probe"};
  response = create(tlvInstance(5, {tlvFloat(5700, 1.0)}));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, kBadRequest);
  EXPECT_EQ(calls, 2);

  // What the data model refuses never reaches the provider: a missing mandatory resource,
  // a malformed payload, a resource the object does not define.
  response = create(tlvInstance(6, {tlvString(5750, "hall")}));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, kBadRequest);
  EXPECT_THAT(TestLwm2mServer::text(*response), HasSubstr("Sensor Value"));
  response = create({0xc8, 0x16});
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, kBadRequest) << TestLwm2mServer::codeString(response->code);
  response = create(tlvInstance(6, {tlvFloat(5700, 1.0), tlvString(4242, "x")}));
  ASSERT_TRUE(response);
  EXPECT_THAT(response->code, ::testing::AnyOf(kBadRequest, kNotFound))
      << TestLwm2mServer::codeString(response->code);
  EXPECT_EQ(calls, 2);
  // Nothing was ever added: no Update announced an instance.
  EXPECT_FALSE(server_.waitForEvent(Event::Kind::Update, 500ms));
}

TEST_F(ObjectProvider, DeleteGoesThroughTheProvider) {
  ASSERT_NO_FATAL_FAILURE(start());
  std::vector<uint16_t> deletes;
  bool allowDelete = false;
  provider::ObjectHandlers object;
  object.create = [&](std::uint16_t, std::uint16_t,
                      const provider::Values&) -> provider::Result<provider::CallbackHandlers> {
    return probe(20.5);
  };
  object.remove = [&](std::uint16_t, std::uint16_t iid) -> provider::Status {
    deletes.push_back(iid);
    if (!allowDelete) return provider::Error{provider::errors::kNotPermitted, "probe is bolted"};
    return {};
  };
  ASSERT_TRUE(provider_->provideObject(3303, object));
  auto response = create(tlvInstance(4, {tlvFloat(5700, 18.25)}));
  ASSERT_TRUE(response);
  ASSERT_EQ(response->code, kCreated) << TestLwm2mServer::text(*response);
  ASSERT_TRUE(server_.waitForEvent(Event::Kind::Update, 5s));

  // Refused: 4.05 with the provider's words; the instance stays.
  response = remove("/3303/4");
  ASSERT_TRUE(response) << daemon_->output();
  EXPECT_EQ(response->code, kMethodNotAllowed) << TestLwm2mServer::codeString(response->code);
  EXPECT_THAT(TestLwm2mServer::text(*response), HasSubstr("probe is bolted"));
  EXPECT_EQ(deletes, (std::vector<uint16_t>{4}));
  EXPECT_TRUE(ownerOf(3303, 4));
  auto read = server_.read("/3303/4/5700", 0);
  ASSERT_TRUE(read);
  EXPECT_EQ(TestLwm2mServer::text(*read), "20.5");

  // A Delete the data model refuses (no such instance, a whole object) is not offered.
  response = remove("/3303/9");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, kNotFound);
  response = remove("/3303");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, kMethodNotAllowed);
  EXPECT_EQ(deletes.size(), 1u);

  // Accepted: 2.02, the instance goes from the tree, the bus and the registration.
  allowDelete = true;
  response = remove("/3303/4");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, kDeleted) << TestLwm2mServer::text(*response);
  EXPECT_EQ(deletes.size(), 2u);
  read = server_.read("/3303/4");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->code, kNotFound);
  auto update = server_.waitForEvent(Event::Kind::Update, 5s);
  ASSERT_TRUE(update);
  EXPECT_THAT(update->payload, Not(HasSubstr("</3303/4>")));
  EXPECT_TRUE(server_.waitFor([&] { return !ownerOf(3303, 4); }, 2s));
}

TEST_F(ObjectProvider, ProviderWithoutCreateOrDeleteMethodsGets405) {
  ASSERT_NO_FATAL_FAILURE(start());
  // A provider written against the bare interface that implements Read only.
  raw_ = sdbus::createSessionBusConnectionWithAddress(bus_.address());
  rawObject_ = sdbus::createObject(*raw_, "/com/example/Sensors");
  rawObject_->registerMethod("Read")
      .onInterface("org.lwm2md1.Provider")
      .implementedAs([](std::uint16_t, std::uint16_t, const std::vector<std::uint16_t>&) {
        return std::map<std::uint16_t, sdbus::Variant>{{5700, sdbus::Variant(12.5)}};
      });
  rawObject_->finishRegistration();
  ASSERT_EQ(provideObject(*raw_, 3303, "/com/example/Sensors"), "") << lastMessage_;
  // Its own instance, added with the provider option, is allowed.
  auto manager = sdbus::createProxy(*raw_, "org.lwm2md1", "/org/lwm2md1");
  manager->callMethod("AddInstance")
      .onInterface(kManagerIface)
      .withArguments(std::uint16_t{3303}, std::uint16_t{0},
                     std::map<std::uint16_t, sdbus::Variant>{},
                     std::map<std::string, sdbus::Variant>{
                         {"provider", sdbus::Variant(sdbus::ObjectPath("/com/example/Sensors"))}});
  ASSERT_TRUE(server_.waitForEvent(Event::Kind::Update, 5s));

  auto response = create(tlvInstance(4, {tlvFloat(5700, 18.25)}));
  ASSERT_TRUE(response) << daemon_->output();
  EXPECT_EQ(response->code, kMethodNotAllowed) << TestLwm2mServer::codeString(response->code);
  EXPECT_FALSE(ownerOf(3303, 4));
  response = remove("/3303/0");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, kMethodNotAllowed) << TestLwm2mServer::codeString(response->code);
  auto read = server_.read("/3303/0/5700", 0);
  ASSERT_TRUE(read);
  EXPECT_EQ(TestLwm2mServer::text(*read), "12.5");
}

TEST_F(ObjectProvider, ProviderLeavingReleasesTheObject) {
  ASSERT_NO_FATAL_FAILURE(start());
  provider::ObjectHandlers object;
  object.create = [&](std::uint16_t, std::uint16_t,
                      const provider::Values&) -> provider::Result<provider::CallbackHandlers> {
    return probe(20.0);
  };
  ASSERT_TRUE(provider_->provideObject(3303, object));
  auto response = create(tlvInstance(4, {tlvFloat(5700, 18.25)}));
  ASSERT_TRUE(response);
  ASSERT_EQ(response->code, kCreated);
  ASSERT_TRUE(server_.waitForEvent(Event::Kind::Update, 5s));

  // A second client may not take the object, nor add instances of it, while it is provided.
  second_ = connect();
  ASSERT_TRUE(second_);
  auto taken = second_->provideObject(3303, object);
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().name, "org.lwm2md1.Error.AlreadyExists");
  auto added = second_->addInstance(3303, 7, {{5700, Value::floating(1.0)}});
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error().name, "org.lwm2md1.Error.NotPermitted");

  provider_.reset();  // leaves the bus
  auto update = server_.waitForEvent(Event::Kind::Update, 5s);
  ASSERT_TRUE(update) << daemon_->output();
  EXPECT_THAT(update->payload, Not(HasSubstr("</3303/4>")));

  // Released: the other client can take it now, and Creates go to it.
  int created = 0;
  provider::ObjectHandlers other;
  other.create = [&](std::uint16_t, std::uint16_t,
                     const provider::Values&) -> provider::Result<provider::CallbackHandlers> {
    ++created;
    return probe(5.0);
  };
  ASSERT_TRUE(server_.waitFor([&] { return second_->provideObject(3303, other).ok(); }, 5s));
  response = create(tlvInstance(2, {tlvFloat(5700, 18.25)}));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->code, kCreated);
  EXPECT_EQ(created, 1);
  EXPECT_EQ(ownerOf(3303, 2), second_->uniqueName());
}

TEST_F(ObjectProvider, ProvideObjectRefusesWhatItMust) {
  ASSERT_NO_FATAL_FAILURE(start());
  const std::string path = "/org/lwm2md1/Provider";
  EXPECT_EQ(provideObject(*client_, 9999, path), "org.lwm2md1.Error.UnknownObject");
  for (uint16_t oid : {0, 1, 2, 3}) {
    SCOPED_TRACE(oid);
    EXPECT_EQ(provideObject(*client_, oid, path), "org.lwm2md1.Error.NotPermitted");
    EXPECT_THAT(lastMessage_, HasSubstr("daemon's own"));
  }
  EXPECT_EQ(provideObject(*client_, 3303, "/"), "org.lwm2md1.Error.InvalidValue");
  EXPECT_EQ(provideObject(*client_, 3303, path, {{"shared", sdbus::Variant(true)}}),
            "org.lwm2md1.Error.InvalidValue");
  EXPECT_THAT(lastMessage_, HasSubstr("shared"));

  // Instances owned by someone else (here a shared one, owned by nobody) stand in the way.
  addShared(3303, 1, {{5700, sdbus::Variant(3.5)}});
  EXPECT_EQ(provideObject(*client_, 3303, path), "org.lwm2md1.Error.AlreadyExists");
  EXPECT_THAT(lastMessage_, HasSubstr("/3303/1"));
  auto refused = provider_->provideObject(3303, {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().name, "org.lwm2md1.Error.AlreadyExists");

  // Gone: the object can be provided, again by the same caller (idempotent), not by another.
  auto instance = sdbus::createProxy(*client_, "org.lwm2md1", "/org/lwm2md1/Object/3303/1");
  instance->callMethod("Remove").onInterface("org.lwm2md1.Instance");
  EXPECT_EQ(provideObject(*client_, 3303, path), "") << lastMessage_;
  EXPECT_EQ(provideObject(*client_, 3303, path), "") << lastMessage_;
  auto other = provider_->provideObject(3303, {});
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().name, "org.lwm2md1.Error.AlreadyExists");
  EXPECT_THAT(other.error().message, HasSubstr(client_->getUniqueName()));
}

}  // namespace
}  // namespace lwm2md::test
