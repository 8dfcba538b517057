#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bootstrap/bootstrap_handler.hpp"
#include "build_config.hpp"
#include "ddf/object_registry.hpp"
#include "io/content_format.hpp"
#include "observe/attributes.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md::test {

inline std::vector<std::uint8_t> bytes(std::string_view text) {
  return {text.begin(), text.end()};
}

inline ResourceData single(std::uint16_t rid, ResourceType type, Value value) {
  return ResourceData{rid, type, false, std::move(value), {}};
}

inline ResourceData multiple(std::uint16_t rid, ResourceType type,
                             std::map<std::uint16_t, Value> values) {
  return ResourceData{rid, type, true, std::nullopt, std::move(values)};
}

inline ResourceData text(std::uint16_t rid, std::string value) {
  return single(rid, ResourceType::String, std::move(value));
}
inline ResourceData integer(std::uint16_t rid, std::int64_t value) {
  return single(rid, ResourceType::Integer, value);
}
inline ResourceData boolean(std::uint16_t rid, bool value) {
  return single(rid, ResourceType::Boolean, value);
}
inline ResourceData opaque(std::uint16_t rid, std::string_view value) {
  return single(rid, ResourceType::Opaque, Opaque(value.begin(), value.end()));
}

/// A Security instance's resources: URI, Bootstrap-Server flag, mode, and Short Server ID for a
/// server account.
inline std::vector<ResourceData> securityValues(std::string uri, bool bootstrap, std::int64_t mode,
                                                std::optional<std::int64_t> ssid) {
  std::vector<ResourceData> values{text(0, std::move(uri)), boolean(1, bootstrap),
                                   integer(2, mode)};
  if (ssid) values.push_back(integer(10, *ssid));
  return values;
}

/// A Server instance with the mandatory resources.
inline std::vector<ResourceData> serverValues(std::int64_t ssid, std::int64_t lifetime = 300,
                                              std::string binding = "U") {
  return {integer(0, ssid), integer(1, lifetime), boolean(6, false), text(7, std::move(binding))};
}

/// The client of ETS configuration C.13 (bootstrap tests): the shipped object definitions, a
/// Bootstrap-Server account (/0/0, NoSec, Client Hold Off Time 0) and the Device instance, and
/// no LwM2M Server account yet. A temperature sensor (/3303/0) stands for what a D-Bus client
/// provides.
class BootstrapTest : public ::testing::Test {
 protected:
  static constexpr const char* kBootstrapUri = "coap://127.0.0.1:5783";

  void SetUp() override {
    std::vector<std::string> errors;
    ASSERT_GT(registry.loadDirectory(LWM2MD_SOURCE_OBJECTS_DIR, errors), 4u);
    ASSERT_TRUE(errors.empty()) << errors.front();
    auto account = securityValues(kBootstrapUri, true, 3, std::nullopt);
    account.push_back(integer(11, 0));
    ASSERT_TRUE(tree.addInstance(0, 0, account, "").ok());
    ASSERT_TRUE(tree.addInstance(3, 0,
                                 {text(0, "ACME"),
                                  multiple(11, ResourceType::Integer, {{0, std::int64_t{0}}}),
                                  text(16, "U")},
                                 "")
                    .ok());
    ASSERT_TRUE(tree.addInstance(3303, 0,
                                 {single(5700, ResourceType::Float, 21.5), text(5701, "Cel")},
                                 ":1.7")
                    .ok());
  }

  DmResponse send(CoapMethod method, std::string_view path,
                  std::optional<std::uint16_t> accept = std::nullopt,
                  std::optional<std::uint16_t> format = std::nullopt,
                  std::vector<std::uint8_t> payload = {}, std::vector<std::string> query = {}) {
    DmRequest r;
    r.method = method;
    r.path = *Path::parse(path);
    r.accept = accept;
    r.contentFormat = format;
    r.payload = std::move(payload);
    r.query = std::move(query);
    return handler.handle(r);
  }

  DmResponse write(std::string_view path, ContentFormat format, std::vector<std::uint8_t> payload) {
    return send(CoapMethod::Put, path, std::nullopt, static_cast<std::uint16_t>(format),
                std::move(payload));
  }
  DmResponse writeText(std::string_view path, std::string_view value) {
    return write(path, ContentFormat::TextPlain, bytes(value));
  }
  /// Bootstrap-Write of whole instances in TLV (the format every 1.0 bootstrap server speaks).
  DmResponse writeTlv(const Path& path, std::vector<InstanceData> instances) {
    return write(path.toString(), ContentFormat::LwM2MTlv,
                 encode(ContentFormat::LwM2MTlv, Content{path, std::move(instances)}));
  }
  DmResponse discover(std::string_view path) {
    return send(CoapMethod::Get, path, static_cast<std::uint16_t>(ContentFormat::LinkFormat));
  }
  DmResponse remove(std::string_view path) { return send(CoapMethod::Delete, path); }

  static std::vector<std::uint8_t> encode(ContentFormat format, const Content& content) {
    auto encoded = encodeContent(format, content);
    EXPECT_TRUE(encoded.ok()) << encoded.error().message;
    return encoded.ok() ? *encoded : std::vector<std::uint8_t>{};
  }

  /// Writes a complete NoSec server account (Security /0/iid, Server /1/iid) with `ssid`.
  void addServerAccount(std::uint16_t iid, std::int64_t ssid, std::string uri) {
    ASSERT_EQ(writeTlv(Path(0, iid), {{iid, securityValues(std::move(uri), false, 3, ssid)}}).code,
              CoapCode::Changed);
    ASSERT_EQ(writeTlv(Path(1, iid), {{iid, serverValues(ssid)}}).code, CoapCode::Changed);
  }

  std::optional<Value> valueOf(std::uint16_t oid, std::uint16_t iid, std::uint16_t rid) const {
    const Instance* instance = tree.find(oid, iid);
    if (!instance) return std::nullopt;
    auto data = instance->resource(rid);
    if (!data) return std::nullopt;
    return data->value;
  }

  ObjectRegistry registry;
  ObjectTree tree{registry};
  AttributeStore attributes;
  BootstrapHandler handler{tree, &attributes};
};

}  // namespace lwm2md::test
