// The OMA LwM2M 1.1 ETS (interoperability) device-management cases that plain UDP can drive,
// against the real daemon configured with the ETS client configuration C.3 values it owns.
#include "dm_e2e_fixture.hpp"

namespace lwm2md::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class EtsDm : public DmFixture {
 protected:
  void SetUp() override {
    DmFixture::SetUp();
    startDm();
    supplyDeviceC3();
  }
};

/// The single object instance of an object-level TLV: its resources by id.
std::map<uint16_t, tlv::Entry> onlyInstance(const Response& r, uint16_t iid = 0) {
  auto instances = tlv::parse(r.payload);
  EXPECT_TRUE(instances && instances->size() == 1);
  if (!instances || instances->empty()) return {};
  EXPECT_EQ((*instances)[0].kind, tlv::Kind::ObjectInstance);
  EXPECT_EQ((*instances)[0].id, iid);
  return tlv::byId((*instances)[0].value);
}

/// A multiple Integer resource's instances, by instance id.
std::map<uint16_t, int64_t> integers(const tlv::Entry& resource) {
  EXPECT_EQ(resource.kind, tlv::Kind::Multiple);
  std::map<uint16_t, int64_t> out;
  for (const auto& [id, entry] : tlv::byId(resource.value)) out[id] = entry.integer();
  return out;
}

void expectDeviceC3(const std::map<uint16_t, tlv::Entry>& device) {
  ASSERT_TRUE(device.contains(0) && device.contains(1) && device.contains(2) &&
              device.contains(3) && device.contains(11) && device.contains(16));
  // Supplied over D-Bus by the fixture (supplyDeviceC3).
  ASSERT_TRUE(device.contains(6) && device.contains(7) && device.contains(8) &&
              device.contains(9) && device.contains(10));
  using Instances = std::map<uint16_t, int64_t>;
  EXPECT_EQ(integers(device.at(6)), (Instances{{0, 1}, {1, 5}}));
  EXPECT_EQ(integers(device.at(7)), (Instances{{0, 3800}, {1, 5000}}));
  EXPECT_EQ(integers(device.at(8)), (Instances{{0, 125}, {1, 900}}));
  EXPECT_EQ(device.at(9).integer(), 100);
  EXPECT_EQ(device.at(10).integer(), 15);
  EXPECT_EQ(device.at(0).text(), "Open Mobile Alliance");
  EXPECT_EQ(device.at(1).text(), "Lightweight M2M Client");
  EXPECT_EQ(device.at(2).text(), "345000123");
  EXPECT_EQ(device.at(3).text(), "1.0");
  EXPECT_EQ(device.at(11).kind, tlv::Kind::Multiple);
  auto errors = tlv::byId(device.at(11).value);
  ASSERT_TRUE(errors.contains(0));
  EXPECT_EQ(errors.at(0).integer(), 0);
  EXPECT_EQ(device.at(16).text(), "U");
  EXPECT_FALSE(device.contains(4));  // executable: no value to read
}

TEST_F(EtsDm, Int201_QueryingBasicInformationInPlainText) {
  Response r = read("/3/0/0", kText);
  EXPECT_CODE(r, code::kContent);
  EXPECT_EQ(r.contentFormat, kText);
  EXPECT_EQ(TestLwm2mServer::text(r), "Open Mobile Alliance");
  EXPECT_EQ(readText("/3/0/1"), "Lightweight M2M Client");
  EXPECT_EQ(readText("/3/0/2"), "345000123");
  EXPECT_EQ(readText("/3/0/3"), "1.0");
  // The values a provider supplies over D-Bus read the same way.
  EXPECT_EQ(readText("/3/0/9"), "100");
  EXPECT_EQ(readText("/3/0/10"), "15");
  EXPECT_EQ(readText("/3/0/6/1"), "5");
  EXPECT_EQ(readText("/3/0/7/0"), "3800");
}

TEST_F(EtsDm, ServerCannotWriteSuppliedDeviceResources) {
  // Open to D-Bus clients, the supplied resources stay read-only for LwM2M servers.
  EXPECT_CODE(sendText(Method::Put, "/3/0/9", "5"), code::kMethodNotAllowed);
  EXPECT_EQ(readText("/3/0/9"), "100");
}

TEST_F(EtsDm, Int203_QueryingBasicInformationInTlv) {
  Response r = read("/3/0", kTlv);
  EXPECT_CODE(r, code::kContent);
  EXPECT_EQ(r.contentFormat, kTlv);
  expectDeviceC3(tlv::byId(r.payload));
}

TEST_F(EtsDm, Int205_SettingBasicInformationInPlainText) {
  EXPECT_CODE(sendText(Method::Put, "/1/0/2", "101"), code::kChanged);
  EXPECT_CODE(sendText(Method::Put, "/1/0/3", "1010"), code::kChanged);
  EXPECT_CODE(sendText(Method::Put, "/1/0/5", "2000"), code::kChanged);
  EXPECT_EQ(readText("/1/0/2"), "101");
  EXPECT_EQ(readText("/1/0/3"), "1010");
  EXPECT_EQ(readText("/1/0/5"), "2000");
  EXPECT_CODE(sendText(Method::Put, "/1/0/2", "1"), code::kChanged);
  EXPECT_CODE(sendText(Method::Put, "/1/0/3", "10"), code::kChanged);
  EXPECT_EQ(readText("/1/0/2"), "1");
  EXPECT_EQ(readText("/1/0/3"), "10");
}

TEST_F(EtsDm, Int215_SettingBasicInformationInTlv) {
  Response before = read("/1/0", kTlv);
  EXPECT_CODE(before, code::kContent);
  auto server = tlv::byId(before.payload);
  ASSERT_TRUE(server.contains(0) && server.contains(1) && server.contains(2) &&
              server.contains(3) && server.contains(7));
  EXPECT_EQ(server.at(0).integer(), 1);
  EXPECT_EQ(server.at(1).integer(), 86400);
  EXPECT_EQ(server.at(2).integer(), 1);
  EXPECT_EQ(server.at(3).integer(), 10);
  EXPECT_EQ(server.at(7).text(), "U");

  // Partial update of the instance.
  auto update = tlv::concat({tlv::integer(2, 101), tlv::integer(3, 1010), tlv::integer(5, 2000),
                             tlv::boolean(6, true), tlv::string(7, "U")});
  EXPECT_CODE(send(Method::Post, "/1/0", kTlv, update), code::kChanged);
  auto after = tlv::byId(read("/1/0", kTlv).payload);
  EXPECT_EQ(after.at(2).integer(), 101);
  EXPECT_EQ(after.at(3).integer(), 1010);
  EXPECT_EQ(after.at(5).integer(), 2000);
  EXPECT_TRUE(after.at(6).boolean());
  EXPECT_EQ(after.at(0).integer(), 1);  // untouched

  // Replace the instance with its original writable values: 5 goes away again.
  auto original = tlv::concat({tlv::integer(1, 86400), tlv::integer(2, 1), tlv::integer(3, 10),
                               tlv::boolean(6, server.at(6).boolean()), tlv::string(7, "U")});
  EXPECT_CODE(send(Method::Put, "/1/0", kTlv, original), code::kChanged);
  auto replaced = tlv::byId(read("/1/0", kTlv).payload);
  EXPECT_EQ(replaced.at(2).integer(), 1);
  EXPECT_EQ(replaced.at(3).integer(), 10);
  EXPECT_FALSE(replaced.contains(5));
  EXPECT_EQ(replaced.at(0).integer(), 1);
}

TEST_F(EtsDm, Int221_AttemptToPerformOperationsOnSecurity) {
  EXPECT_CODE(read("/0/0", kTlv), code::kUnauthorized);
  EXPECT_CODE(sendText(Method::Put, "/0/0/0", "coap://localhost"), code::kUnauthorized);
  EXPECT_CODE(attributes("/0", {"pmin=10"}), code::kUnauthorized);
  EXPECT_CODE(read("/0", kLink), code::kUnauthorized);
  EXPECT_CODE(call(Method::Delete, "/0/0"), code::kUnauthorized);
  EXPECT_CODE(send(Method::Post, "/0", kTlv, tlv::string(0, "coap://x")), code::kUnauthorized);
}

TEST_F(EtsDm, Int222_ReadOnObject) {
  Response server = read("/1", kTlv);
  EXPECT_CODE(server, code::kContent);
  auto serverValues = onlyInstance(server);
  EXPECT_EQ(serverValues.at(0).integer(), 1);
  EXPECT_EQ(serverValues.at(1).integer(), 86400);
  Response device = read("/3", kTlv);
  EXPECT_CODE(device, code::kContent);
  expectDeviceC3(onlyInstance(device));
}

TEST_F(EtsDm, Int223_ReadOnObjectInstance) {
  auto server = tlv::byId(read("/1/0", kTlv).payload);
  EXPECT_EQ(server.at(0).integer(), 1);
  expectDeviceC3(tlv::byId(read("/3/0", kTlv).payload));
}

TEST_F(EtsDm, Int224_ReadOnResource) {
  EXPECT_EQ(readText("/1/0/0"), "1");
  EXPECT_EQ(readText("/1/0/1"), "86400");
  EXPECT_EQ(readText("/1/0/7"), "U");
  Response tlvRead = read("/1/0/1", kTlv);
  EXPECT_EQ(tlv::byId(tlvRead.payload).at(1).integer(), 86400);
}

TEST_F(EtsDm, Int225_ReadOnResourceInstance) {
  EXPECT_EQ(readText("/3/0/11/0"), "0");
  auto one = tlv::parse(read("/3/0/11/0", kTlv).payload);
  ASSERT_TRUE(one && one->size() == 1);
  EXPECT_EQ((*one)[0].kind, tlv::Kind::ResourceInstance);
  EXPECT_EQ((*one)[0].integer(), 0);
}

TEST_F(EtsDm, Int226_WritePartialUpdateOnObjectInstance) {
  auto update = tlv::concat({tlv::integer(1, 60), tlv::boolean(6, true)});
  EXPECT_CODE(send(Method::Post, "/1/0", kTlv, update), code::kChanged);
  EXPECT_EQ(readText("/1/0/1"), "60");
  EXPECT_EQ(readText("/1/0/6"), "1");
  EXPECT_EQ(readText("/1/0/7"), "U");  // untouched
}

TEST_F(EtsDm, Int227_WriteReplaceOnResource) {
  EXPECT_CODE(sendText(Method::Put, "/1/0/1", "63"), code::kChanged);
  EXPECT_EQ(readText("/1/0/1"), "63");
  EXPECT_CODE(send(Method::Put, "/1/0/1", kTlv, tlv::integer(1, 86400)), code::kChanged);
  EXPECT_EQ(readText("/1/0/1"), "86400");
}

TEST_F(EtsDm, Int228_WriteOnResourceInstance) {
  // The ETS uses a multiple String of the Portfolio object; the test object's multiple Integer
  // plays that part here.
  addInstance(32769, 0, {{2, sdbus::Variant(std::string("one"))}});
  EXPECT_CODE(send(Method::Put, "/32769/0/1", kTlv, tlv::integers(1, {{0, 1}, {1, 2}})),
              code::kChanged);
  EXPECT_CODE(sendText(Method::Put, "/32769/0/1/0", "42"), code::kChanged);
  EXPECT_EQ(readText("/32769/0/1/0"), "42");
  EXPECT_EQ(readText("/32769/0/1/1"), "2");
}

TEST_F(EtsDm, Int241_ExecutableResourceRebootingTheDevice) {
  auto device = sdbus::createProxy(*client_, "org.lwm2md1", "/org/lwm2md1/Object/3/0");
  std::vector<uint16_t> executed;
  device->uponSignal("Executed")
      .onInterface("org.lwm2md1.Instance")
      .call([&](uint16_t rid, const std::string&) { executed.push_back(rid); });
  device->finishRegistration();
  // An observation the reboot must end (TS §6.4: a new registration cancels observations).
  auto observed = server_.startObserve("/3/0/9", kText);
  ASSERT_TRUE(observed && observed->observe);
  auto registers = [this] {
    return std::count_if(server_.events().begin(), server_.events().end(),
                         [](const Event& e) { return e.kind == Event::Kind::Register; });
  };
  const auto registersBefore = registers();
  EXPECT_CODE(call(Method::Post, "/3/0/4"), code::kChanged);
  ASSERT_TRUE(server_.waitFor([&] { return !executed.empty(); }, 5s));
  EXPECT_EQ(executed[0], 4);
  // The client comes back as a rebooted device does: a fresh Register (ETS int-241 step 3),
  // after which it answers under its new registration.
  ASSERT_TRUE(server_.waitFor([&] { return registers() > registersBefore; }, 5s))
      << daemon_->output();
  EXPECT_TRUE(daemon_->waitForOutput("dropping 1 observation", 3s, [this] { server_.pump(10ms); }));
  EXPECT_EQ(readText("/3/0/2"), "345000123");
}

TEST_F(EtsDm, Int256_WriteOperationFailure) {
  Response r = sendText(Method::Put, "/1/0/0", "123");
  EXPECT_CODE(r, code::kMethodNotAllowed);
  EXPECT_THAT(TestLwm2mServer::text(r), HasSubstr("not writable"));
  EXPECT_EQ(readText("/1/0/0"), "1");
}

TEST_F(EtsDm, Int260_DiscoverCommand) {
  const std::string object = discover("/3");
  EXPECT_THAT(object, StartsWith("</3>;ver=1.1,</3/0>,"));
  for (const char* link :
       {"</3/0/0>", "</3/0/1>", "</3/0/2>", "</3/0/3>", "</3/0/4>", "</3/0/11>;dim=1", "</3/0/16>"})
    EXPECT_THAT(object, HasSubstr(link));
  EXPECT_CODE(attributes("/3", {"pmin=10", "pmax=200"}), code::kChanged);
  EXPECT_THAT(discover("/3"), StartsWith("</3>;ver=1.1;pmin=10;pmax=200,</3/0>,"));
  EXPECT_CODE(attributes("/3/0/11", {"lt=1", "gt=6", "st=1"}), code::kChanged);
  const std::string instance = discover("/3/0");
  EXPECT_THAT(instance, StartsWith("</3/0>,"));
  EXPECT_THAT(instance, HasSubstr("</3/0/11>;dim=1;gt=6;lt=1;st=1"));
  EXPECT_EQ(discover("/3/0/11"), "</3/0/11>;dim=1;pmin=10;pmax=200;gt=6;lt=1;st=1,</3/0/11/0>");
  // Removing them again.
  EXPECT_CODE(attributes("/3", {"pmin", "pmax"}), code::kChanged);
  EXPECT_THAT(discover("/3"), StartsWith("</3>;ver=1.1,</3/0>,"));
}

TEST_F(EtsDm, Int261_WriteAttributeOperationOnAMultipleResource) {
  EXPECT_EQ(discover("/3/0/11"), "</3/0/11>;dim=1,</3/0/11/0>");
  EXPECT_CODE(attributes("/3", {"pmin=10", "pmax=200"}), code::kChanged);
  EXPECT_CODE(attributes("/3/0", {"pmax=320"}), code::kChanged);
  EXPECT_CODE(attributes("/3/0/11/0", {"pmax=100", "epmin=1", "epmax=20"}), code::kChanged);
  EXPECT_EQ(discover("/3/0/11"),
            "</3/0/11>;dim=1;pmin=10;pmax=320,</3/0/11/0>;pmax=100;epmin=1;epmax=20");
}

}  // namespace
}  // namespace lwm2md::test
