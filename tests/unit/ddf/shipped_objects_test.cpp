// The object definitions in objects/ are what the daemon serves by default: check that they all
// load and that key resources carry the ids, operations and types the LwM2M TS gives them.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "ddf/object_registry.hpp"
#include "test_util.hpp"

namespace lwm2md {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

const std::filesystem::path kObjects = LWM2MD_SOURCE_OBJECTS_DIR;

class ShippedObjects : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> errors;
    loaded_ = registry_.loadDirectory(kObjects, errors);
    for (const auto& e : errors) ADD_FAILURE() << e;
  }

  const ResourceDef& res(std::uint16_t oid, std::uint16_t rid) {
    static const ResourceDef none{};
    const auto* def = registry_.find(oid);
    if (!def) {
      ADD_FAILURE() << "object " << oid << " not loaded";
      return none;
    }
    const auto* r = def->resource(rid);
    if (!r) {
      ADD_FAILURE() << "/" << oid << "/x/" << rid << " not defined";
      return none;
    }
    return *r;
  }

  ObjectRegistry registry_;
  std::size_t loaded_ = 0;
};

TEST_F(ShippedObjects, EveryFileLoadsAndIsNamedAfterItsObject) {
  std::vector<std::uint16_t> ids;
  for (const auto& entry : std::filesystem::directory_iterator(kObjects)) {
    if (entry.path().extension() != ".xml") continue;
    auto defs = parseDdf(test::readText(entry.path()), entry.path().filename().string());
    ASSERT_TRUE(defs.ok()) << defs.error().message;
    ASSERT_EQ(defs->size(), 1u) << entry.path();
    EXPECT_EQ(std::to_string((*defs)[0].id), entry.path().stem().string());
    EXPECT_FALSE((*defs)[0].name.empty());
    EXPECT_FALSE((*defs)[0].urn.empty());
    ids.push_back((*defs)[0].id);
  }
  EXPECT_THAT(ids, UnorderedElementsAre(0, 1, 2, 3, 4, 3303));
  EXPECT_EQ(loaded_, 6u);
}

TEST_F(ShippedObjects, EveryFileIsInstalled) {
  const auto build = test::readText(kObjects / "meson.build");
  for (const auto& entry : std::filesystem::directory_iterator(kObjects)) {
    if (entry.path().extension() == ".xml") {
      EXPECT_THAT(build, HasSubstr("'" + entry.path().filename().string() + "'"));
    }
  }
}

TEST_F(ShippedObjects, ResourceCounts) {
  // Object versions of LwM2M 1.1: Security 0..17, Server 0..23, Device 0..22, Conn. Mon. 0..13.
  const std::vector<std::pair<std::uint16_t, std::size_t>> expected = {
      {0, 18}, {1, 24}, {2, 4}, {3, 23}, {4, 14}, {3303, 12}};
  for (const auto& [oid, count] : expected) {
    const auto* def = registry_.find(oid);
    ASSERT_NE(def, nullptr) << oid;
    EXPECT_EQ(def->resources.size(), count) << "object " << oid;
    // Ids are contiguous from 0 for the core objects.
    if (oid < 5) {
      EXPECT_EQ(def->resources.begin()->first, 0);
      EXPECT_EQ(def->resources.rbegin()->first, count - 1);
    }
  }
}

TEST_F(ShippedObjects, ObjectAttributes) {
  const auto* security = registry_.find(0);
  ASSERT_NE(security, nullptr);
  EXPECT_TRUE(security->multiple);
  EXPECT_TRUE(security->mandatory);
  EXPECT_EQ(security->objectVersion, "1.1");
  EXPECT_EQ(security->lwm2mVersion, "1.1");
  const auto* server = registry_.find(1);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->objectVersion, "1.1");
  EXPECT_TRUE(server->multiple);
  const auto* device = registry_.find(3);
  ASSERT_NE(device, nullptr);
  EXPECT_FALSE(device->multiple);
  EXPECT_TRUE(device->mandatory);
  EXPECT_EQ(device->objectVersion, "1.1");
  EXPECT_EQ(device->urn, "urn:oma:lwm2m:oma:3:1.1");
  const auto* temperature = registry_.find(3303);
  ASSERT_NE(temperature, nullptr);
  EXPECT_TRUE(temperature->multiple);
  EXPECT_FALSE(temperature->mandatory);
}

TEST_F(ShippedObjects, DeviceResources) {
  const auto& time = res(3, 13);
  EXPECT_EQ(time.name, "Current Time");
  EXPECT_EQ(time.type, ResourceType::Time);
  EXPECT_TRUE(time.operations.read && time.operations.write);
  EXPECT_FALSE(time.multiple);

  const auto& reboot = res(3, 4);
  EXPECT_TRUE(reboot.operations.execute);
  EXPECT_FALSE(reboot.operations.read);
  EXPECT_EQ(reboot.type, ResourceType::None);
  EXPECT_TRUE(reboot.mandatory);

  const auto& power = res(3, 6);
  EXPECT_TRUE(power.multiple);
  EXPECT_EQ(power.type, ResourceType::Integer);
  EXPECT_EQ(power.rangeEnumeration, "0..7");

  const auto& errorCode = res(3, 11);
  EXPECT_TRUE(errorCode.multiple);
  EXPECT_TRUE(errorCode.mandatory);

  EXPECT_EQ(res(3, 16).type, ResourceType::String);  // Supported Binding and Modes
  EXPECT_TRUE(res(3, 16).mandatory);
  EXPECT_EQ(res(3, 22).type, ResourceType::Objlnk);  // ExtDevInfo
  EXPECT_TRUE(res(3, 22).multiple);
  EXPECT_EQ(res(3, 9).units, "%");
}

TEST_F(ShippedObjects, SecurityAndServerResources) {
  const auto& uri = res(0, 0);
  EXPECT_EQ(uri.type, ResourceType::String);
  // Security resources are for bootstrap only: no server operations at all.
  EXPECT_FALSE(uri.operations.read || uri.operations.write || uri.operations.execute);
  EXPECT_EQ(res(0, 1).type, ResourceType::Boolean);
  EXPECT_EQ(res(0, 5).type, ResourceType::Opaque);
  EXPECT_EQ(res(0, 10).type, ResourceType::Integer);
  EXPECT_EQ(res(0, 16).type, ResourceType::UnsignedInteger);
  EXPECT_TRUE(res(0, 16).multiple);
  EXPECT_EQ(res(0, 17).type, ResourceType::Objlnk);

  const auto& lifetime = res(1, 1);
  EXPECT_EQ(lifetime.type, ResourceType::Integer);
  EXPECT_TRUE(lifetime.operations.read && lifetime.operations.write);
  EXPECT_EQ(lifetime.units, "s");
  EXPECT_TRUE(res(1, 8).operations.execute);  // Registration Update Trigger
  EXPECT_TRUE(res(1, 8).mandatory);
  EXPECT_EQ(res(1, 12).type, ResourceType::Time);
  EXPECT_EQ(res(1, 23).type, ResourceType::Boolean);  // Mute Send

  EXPECT_TRUE(res(2, 2).multiple);  // ACL
  EXPECT_EQ(res(2, 3).type, ResourceType::Integer);
}

TEST_F(ShippedObjects, ConnectivityAndTemperatureResources) {
  EXPECT_TRUE(res(4, 4).multiple);  // IP Addresses
  EXPECT_EQ(res(4, 4).type, ResourceType::String);
  EXPECT_EQ(res(4, 2).units, "dBm");

  const auto& value = res(3303, 5700);
  EXPECT_EQ(value.type, ResourceType::Float);
  EXPECT_TRUE(value.operations.read);
  EXPECT_FALSE(value.operations.write);
  EXPECT_TRUE(value.mandatory);
  EXPECT_TRUE(res(3303, 5605).operations.execute);
  EXPECT_EQ(res(3303, 5605).type, ResourceType::None);
  EXPECT_EQ(res(3303, 5701).type, ResourceType::String);
  EXPECT_TRUE(res(3303, 5750).operations.write);
  EXPECT_EQ(res(3303, 5518).type, ResourceType::Time);
  EXPECT_EQ(res(3303, 6050).type, ResourceType::Float);
  EXPECT_EQ(res(3303, 6042).type, ResourceType::Integer);
  EXPECT_EQ(res(3303, 6049).rangeEnumeration, "0..100");
}

}  // namespace
}  // namespace lwm2md
