#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "build_config.hpp"
#include "ddf/object_registry.hpp"
#include "dm/data_model.hpp"
#include "observe/attributes.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md::test {

inline std::vector<std::uint8_t> bytes(std::string_view text) {
  return {text.begin(), text.end()};
}

/// Hears what the data model does to the tree.
class RecordingListener : public TreeListener {
 public:
  struct Write {
    std::uint16_t oid, iid;
    std::vector<std::uint16_t> rids;
    ChangeOrigin origin;
  };
  struct Execute {
    std::uint16_t oid, rid;
    std::string args;
  };
  void instanceAdded(const Instance& instance) override {
    added.emplace_back(instance.objectId(), instance.instanceId());
  }
  void instanceRemoved(std::uint16_t oid, std::uint16_t iid) override {
    removed.emplace_back(oid, iid);
  }
  void valuesChanged(const Instance& instance, const std::vector<std::uint16_t>& rids,
                     ChangeOrigin origin) override {
    writes.push_back({instance.objectId(), instance.instanceId(), rids, origin});
  }
  void executed(const Instance& instance, std::uint16_t rid, const std::string& args) override {
    executes.push_back({instance.objectId(), rid, args});
  }
  std::vector<std::pair<std::uint16_t, std::uint16_t>> added, removed;
  std::vector<Write> writes;
  std::vector<Execute> executes;
  bool quiet() const { return added.empty() && removed.empty() && writes.empty(); }
};

constexpr std::uint16_t kTestObject = 32769;

/// A multi-instance test object with one resource of each shape the operations care about.
inline ObjectDef testObjectDef() {
  ObjectDef def;
  def.id = kTestObject;
  def.name = "DM Test";
  def.objectVersion = "1.2";
  def.multiple = true;
  auto add = [&](std::uint16_t rid, const char* name, Operations ops, bool multiple, bool mandatory,
                 ResourceType type) {
    ResourceDef res;
    res.id = rid;
    res.name = name;
    res.operations = ops;
    res.multiple = multiple;
    res.mandatory = mandatory;
    res.type = type;
    def.resources[rid] = res;
  };
  const Operations rw{true, true, false}, r{true, false, false}, e{false, false, true};
  add(0, "Name", rw, false, true, ResourceType::String);
  add(1, "Values", rw, true, false, ResourceType::Integer);
  add(2, "Level", rw, false, false, ResourceType::Float);
  add(3, "Blob", rw, false, false, ResourceType::Opaque);
  add(4, "Trigger", e, false, false, ResourceType::None);
  add(5, "Serial", r, false, false, ResourceType::String);
  add(6, "Flag", rw, false, false, ResourceType::Boolean);
  return def;
}

inline ResourceData single(std::uint16_t rid, ResourceType type, Value value) {
  return ResourceData{rid, type, false, std::move(value), {}};
}

inline ResourceData multiple(std::uint16_t rid, ResourceType type,
                             std::map<std::uint16_t, Value> values) {
  return ResourceData{rid, type, true, std::nullopt, std::move(values)};
}

/// The shipped definitions plus the test object; a Device, a Server, a temperature sensor
/// (owned by a D-Bus client) and a test object instance.
class DmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> errors;
    ASSERT_GT(registry.loadDirectory(LWM2MD_SOURCE_OBJECTS_DIR, errors), 4u);
    ASSERT_TRUE(errors.empty()) << errors.front();
    registry.add(testObjectDef());
    ASSERT_TRUE(tree.addInstance(3303, 0,
                                 {single(5700, ResourceType::Float, 21.5),
                                  single(5701, ResourceType::String, std::string("Cel"))},
                                 ":1.7")
                    .ok());
    ASSERT_TRUE(
        tree.addInstance(
                3, 0,
                {single(0, ResourceType::String, std::string("ACME")),
                 multiple(6, ResourceType::Integer, {{0, std::int64_t{1}}, {1, std::int64_t{5}}}),
                 multiple(11, ResourceType::Integer, {{0, std::int64_t{0}}, {1, std::int64_t{5}}}),
                 single(14, ResourceType::String, std::string("+01:00")),
                 single(16, ResourceType::String, std::string("U"))},
                "")
            .ok());
    ASSERT_TRUE(tree.addInstance(1, 0,
                                 {single(0, ResourceType::Integer, std::int64_t{1}),
                                  single(1, ResourceType::Integer, std::int64_t{86400}),
                                  single(6, ResourceType::Boolean, false),
                                  single(7, ResourceType::String, std::string("U"))},
                                 "")
                    .ok());
    ASSERT_TRUE(tree.addInstance(kTestObject, 0,
                                 {single(0, ResourceType::String, std::string("first")),
                                  multiple(1, ResourceType::Integer,
                                           {{0, std::int64_t{10}}, {1, std::int64_t{11}}}),
                                  single(2, ResourceType::Float, 1.5),
                                  single(5, ResourceType::String, std::string("SN1"))},
                                 "")
                    .ok());
    tree.addListener(&listener);
  }

  DmResponse request(CoapMethod method, std::string_view path,
                     std::optional<std::uint16_t> accept = std::nullopt,
                     std::optional<std::uint16_t> format = std::nullopt,
                     std::string_view payload = "", std::vector<std::string> query = {}) {
    return send(method, path, accept, format, bytes(payload), std::move(query));
  }

  DmResponse send(CoapMethod method, std::string_view path, std::optional<std::uint16_t> accept,
                  std::optional<std::uint16_t> format, std::vector<std::uint8_t> payload,
                  std::vector<std::string> query = {}) {
    DmRequest r;
    r.method = method;
    r.path = *Path::parse(path);
    r.accept = accept;
    r.contentFormat = format;
    r.payload = std::move(payload);
    r.query = std::move(query);
    r.serverVersion = serverVersion;
    r.serverShortId = serverShortId;
    return model.handle(r);
  }

  /// Write-Attributes: PUT with the attributes as Uri-Query.
  DmResponse writeAttributes(std::string_view path, std::vector<std::string> query) {
    return request(CoapMethod::Put, path, std::nullopt, std::nullopt, "", std::move(query));
  }

  std::optional<Value> valueOf(std::uint16_t oid, std::uint16_t iid, std::uint16_t rid) {
    const Instance* instance = tree.find(oid, iid);
    if (!instance) return std::nullopt;
    auto data = instance->resource(rid);
    if (!data) return std::nullopt;
    return data->value;
  }

  std::map<std::uint16_t, Value> instancesOf(std::uint16_t oid, std::uint16_t iid,
                                             std::uint16_t rid) {
    auto data = tree.find(oid, iid)->resource(rid);
    return data ? data->instances : std::map<std::uint16_t, Value>{};
  }

  /// Encodes `content` as TLV (the format every test payload here uses).
  static std::vector<std::uint8_t> tlv(const Content& content) {
    auto encoded = encodeContent(ContentFormat::LwM2MTlv, content);
    EXPECT_TRUE(encoded.ok()) << encoded.error().message;
    return encoded.ok() ? *encoded : std::vector<std::uint8_t>{};
  }

  ObjectRegistry registry;
  ObjectTree tree{registry};
  AttributeStore attributes;
  DataModel model{tree, attributes};
  RecordingListener listener;
  std::string serverVersion = "1.1";
  std::uint16_t serverShortId = 1;
};

}  // namespace lwm2md::test
