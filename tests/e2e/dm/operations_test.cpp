// Every Device Management operation end to end on the Device object, a temperature sensor
// (3303) published by a D-Bus provider and a multi-instance resource, with the TS's error codes.
#include "dm_e2e_fixture.hpp"

namespace lwm2md::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class DmOperations : public DmFixture {
 protected:
  void SetUp() override {
    DmFixture::SetUp();
    startDm();
  }
  /// A provider's temperature sensor at /3303/0; waits for the Update announcing it.
  sdbus::ObjectPath publishSensor() {
    auto path = addInstance(3303, 0, {{5700, sdbus::Variant(21.5)}});
    auto update = server_.waitForEvent(Event::Kind::Update, 10s);
    EXPECT_TRUE(update) << daemon_->output();
    return path;
  }
};

TEST_F(DmOperations, TemperatureSensorReadWriteExecuteDiscoverAttributes) {
  auto path = publishSensor();
  EXPECT_EQ(readText("/3303/0/5700"), "21.5");
  auto instance = tlv::byId(read("/3303/0", kTlv).payload);
  ASSERT_TRUE(instance.contains(5700));
  EXPECT_EQ(instance.at(5700).value.size(), 4u);  // 21.5 fits a 4-byte float

  auto sensor = sdbus::createProxy(*client_, "org.lwm2md1", path);
  std::vector<DbusValues> written;
  std::vector<uint16_t> executed;
  sensor->uponSignal("Written").onInterface("org.lwm2md1.Instance").call([&](const DbusValues& v) {
    written.push_back(v);
  });
  sensor->uponSignal("Executed")
      .onInterface("org.lwm2md1.Instance")
      .call([&](uint16_t rid, const std::string&) { executed.push_back(rid); });
  sensor->finishRegistration();

  // Write (PUT on the resource, POST partial update on the instance).
  EXPECT_CODE(sendText(Method::Put, "/3303/0/5750", "greenhouse"), code::kChanged);
  EXPECT_CODE(send(Method::Post, "/3303/0", kTlv, tlv::string(5750, "cellar")), code::kChanged);
  EXPECT_EQ(readText("/3303/0/5750"), "cellar");
  ASSERT_TRUE(server_.waitFor([&] { return written.size() == 2; }, 5s));
  EXPECT_EQ(written[1].at(5750).get<std::string>(), "cellar");

  // Execute (POST on an executable resource).
  EXPECT_CODE(call(Method::Post, "/3303/0/5605"), code::kChanged);
  ASSERT_TRUE(server_.waitFor([&] { return !executed.empty(); }, 5s));
  EXPECT_EQ(executed[0], 5605);

  // Write-Attributes and Discover.
  EXPECT_CODE(attributes("/3303/0/5700", {"pmin=2", "pmax=30", "lt=10", "gt=30", "st=0.5"}),
              code::kChanged);
  EXPECT_EQ(discover("/3303/0/5700"), "</3303/0/5700>;pmin=2;pmax=30;gt=30;lt=10;st=0.5");
  EXPECT_EQ(discover("/3303/0"),
            "</3303/0>,</3303/0/5605>,</3303/0/5700>;pmin=2;pmax=30;gt=30;lt=10;st=0.5,"
            "</3303/0/5750>");
  EXPECT_EQ(discover("/3303"),
            "</3303>;ver=1.1,</3303/0>,</3303/0/5605>,</3303/0/5700>,"
            "</3303/0/5750>");
  Response bad = attributes("/3303/0/5750", {"gt=1"});
  EXPECT_CODE(bad, code::kBadRequest);
  EXPECT_THAT(TestLwm2mServer::text(bad), HasSubstr("numeric"));
}

TEST_F(DmOperations, CreateAndDeleteAnnounceTheInstanceAndExportItOnDbus) {
  // Create with the instance id in an Object Instance TLV.
  auto wrapped = tlv::encode(tlv::Kind::ObjectInstance, 7,
                             tlv::concat({tlv::float64(5700, 18.25), tlv::string(5701, "Cel")}));
  Response created = send(Method::Post, "/3303", kTlv, wrapped);
  EXPECT_CODE(created, code::kCreated);
  EXPECT_EQ(created.locationPath, (std::vector<std::string>{"3303", "7"}));
  auto update = server_.waitForEvent(Event::Kind::Update, 10s);
  ASSERT_TRUE(update) << daemon_->output();
  EXPECT_THAT(update->payload, HasSubstr("</3303/7>"));
  EXPECT_EQ(readText("/3303/7/5700"), "18.25");
  // D-Bus shows it, owned by the daemon.
  auto exported = sdbus::createProxy(*client_, "org.lwm2md1", "/org/lwm2md1/Object/3303/7");
  EXPECT_EQ(exported->getProperty("Owner").onInterface("org.lwm2md1.Instance").get<std::string>(),
            "");

  // Create without an instance id: the client picks the lowest free one.
  Response picked = send(Method::Post, "/3303", kTlv, tlv::float64(5700, 1.0));
  EXPECT_CODE(picked, code::kCreated);
  EXPECT_EQ(picked.locationPath, (std::vector<std::string>{"3303", "0"}));
  ASSERT_TRUE(server_.waitForEvent(Event::Kind::Update, 10s));

  // The same id again, a missing mandatory resource, objects a server may not create.
  EXPECT_CODE(send(Method::Post, "/3303", kTlv, wrapped), code::kBadRequest);
  Response mandatory = send(Method::Post, "/3303", kTlv, tlv::string(5701, "Cel"));
  EXPECT_CODE(mandatory, code::kBadRequest);
  EXPECT_THAT(TestLwm2mServer::text(mandatory), HasSubstr("Sensor Value"));
  EXPECT_CODE(send(Method::Post, "/3", kTlv, tlv::string(0, "x")), code::kMethodNotAllowed);
  EXPECT_CODE(send(Method::Post, "/1", kTlv, tlv::integer(0, 2)), code::kMethodNotAllowed);
  EXPECT_CODE(send(Method::Post, "/64999", kTlv, tlv::integer(0, 2)), code::kNotFound);
  EXPECT_CODE(send(Method::Post, "/3303", kTlv, {0xc4, 0x16}), code::kBadRequest);

  // Delete.
  EXPECT_CODE(call(Method::Delete, "/3303/7"), code::kDeleted);
  auto gone = server_.waitForEvent(Event::Kind::Update, 10s);
  ASSERT_TRUE(gone) << daemon_->output();
  EXPECT_THAT(gone->payload, Not(HasSubstr("</3303/7>")));
  EXPECT_THAT(gone->payload, HasSubstr("</3303/0>"));
  EXPECT_CODE(read("/3303/7/5700", kText), code::kNotFound);
  EXPECT_CODE(call(Method::Delete, "/3303/7"), code::kNotFound);
  EXPECT_CODE(call(Method::Delete, "/3/0"), code::kMethodNotAllowed);
  EXPECT_CODE(call(Method::Delete, "/1/0"), code::kMethodNotAllowed);
  EXPECT_CODE(call(Method::Delete, "/3303"), code::kMethodNotAllowed);
  EXPECT_CODE(call(Method::Delete, "/"), code::kMethodNotAllowed);
  EXPECT_CODE(call(Method::Delete, "/3303/0/5700"), code::kMethodNotAllowed);
}

TEST_F(DmOperations, MultiInstanceResourceReplacePartialUpdateAndInstanceWrite) {
  addInstance(32769, 0, {{2, sdbus::Variant(std::string("multi"))}});
  ASSERT_TRUE(server_.waitForEvent(Event::Kind::Update, 10s));
  EXPECT_CODE(send(Method::Put, "/32769/0/1", kTlv, tlv::integers(1, {{0, 10}, {1, 11}})),
              code::kChanged);
  EXPECT_EQ(discover("/32769/0/1"), "</32769/0/1>;dim=2,</32769/0/1/0>,</32769/0/1/1>");
  // POST on a non-executable resource is a partial update: instances merge.
  EXPECT_CODE(send(Method::Post, "/32769/0/1", kTlv, tlv::integers(1, {{1, -1}, {5, 50}})),
              code::kChanged);
  auto merged = tlv::parse(read("/32769/0/1", kTlv).payload);
  ASSERT_TRUE(merged && merged->size() == 1);
  auto values = tlv::byId((*merged)[0].value);
  ASSERT_EQ(values.size(), 3u);
  EXPECT_EQ(values.at(0).integer(), 10);
  EXPECT_EQ(values.at(1).integer(), -1);
  EXPECT_EQ(values.at(5).integer(), 50);
  // PUT replaces them all.
  EXPECT_CODE(send(Method::Put, "/32769/0/1", kTlv, tlv::integers(1, {{3, 3}})), code::kChanged);
  EXPECT_EQ(discover("/32769/0/1"), "</32769/0/1>;dim=1,</32769/0/1/3>");
  // One resource instance.
  EXPECT_CODE(sendText(Method::Put, "/32769/0/1/4", "4"), code::kChanged);
  EXPECT_EQ(readText("/32769/0/1/4"), "4");
  EXPECT_EQ(readText("/32769/0/1/3"), "3");
  // The Device's multiple resources are read-only.
  EXPECT_CODE(sendText(Method::Put, "/3/0/11/0", "1"), code::kMethodNotAllowed);
  EXPECT_CODE(send(Method::Post, "/3/0/11", kTlv, tlv::integers(11, {{1, 1}})),
              code::kMethodNotAllowed);
}

TEST_F(DmOperations, EveryErrorCodeWithAReason) {
  auto expectError = [&](const Response& r, uint8_t expected) {
    EXPECT_CODE(r, expected);
    EXPECT_FALSE(TestLwm2mServer::text(r).empty()) << "no diagnostic payload";
  };
  expectError(read("/0/0", kTlv), code::kUnauthorized);
  expectError(read("/3/9", kTlv), code::kNotFound);
  expectError(read("/3/0/99", kText), code::kNotFound);
  expectError(read("/64999", kTlv), code::kNotFound);
  expectError(read("/3/0/4", kText), code::kMethodNotAllowed);
  expectError(read("/3/0", kText), code::kNotAcceptable);
  expectError(read("/3/0/0", 9999), code::kNotAcceptable);
  expectError(sendText(Method::Put, "/3/0/0", "x"), code::kMethodNotAllowed);
  expectError(send(Method::Put, "/3/0/14", 9999, {'x'}), code::kUnsupported);
  expectError(sendText(Method::Put, "/3/0/13", "soon"), code::kBadRequest);
  expectError(send(Method::Put, "/3/0", kTlv, {0xc8, 0x0e, 0x05, 'a'}), code::kBadRequest);
  expectError(sendText(Method::Post, "/3/0/4", "bad"), code::kBadRequest);
  expectError(attributes("/3/0", {"pmin=5", "pmax=1"}), code::kBadRequest);
  Response unknown = attributes("/3/0", {"bogus=1"});
  expectError(unknown, code::kBadRequest);
  EXPECT_THAT(TestLwm2mServer::text(unknown), HasSubstr("bogus"));
  // Nothing of that changed the Device.
  EXPECT_EQ(readText("/3/0/14"), "+00:00");
  EXPECT_EQ(discover("/3/0/14"), "</3/0/14>");
}

TEST_F(DmOperations, Version10ServerGetsTlvWithoutAccept) {
  // (A fresh daemon for a 1.0 server.)
  daemon_->stop(10s, [this] { server_.pump(10ms); });
  startDm("1.0");
  Response instance = read("/3/0");
  EXPECT_CODE(instance, code::kContent);
  EXPECT_EQ(instance.contentFormat, kTlv);
  Response single = read("/3/0/0");
  EXPECT_EQ(single.contentFormat, kText);
  EXPECT_EQ(TestLwm2mServer::text(single), "Open Mobile Alliance");
}

}  // namespace
}  // namespace lwm2md::test
