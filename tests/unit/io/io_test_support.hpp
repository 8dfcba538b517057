#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/content.hpp"

namespace lwm2md::test {

/// A ShapeLookup over a fixed table.
inline ShapeLookup shapesOf(std::map<std::uint16_t, ResourceShape> table) {
  return [table = std::move(table)](std::uint16_t rid) -> std::optional<ResourceShape> {
    auto it = table.find(rid);
    if (it == table.end()) return std::nullopt;
    return it->second;
  };
}

/// Object 3 (Device), the resources the TS examples use.
inline ShapeLookup deviceShapes() {
  using T = ResourceType;
  return shapesOf({{0, {T::String, false}},
                   {1, {T::String, false}},
                   {2, {T::String, false}},
                   {3, {T::String, false}},
                   {4, {T::None, false}},
                   {5, {T::None, false}},
                   {6, {T::Integer, true}},
                   {7, {T::Integer, true}},
                   {8, {T::Integer, true}},
                   {9, {T::Integer, false}},
                   {10, {T::Integer, false}},
                   {11, {T::Integer, true}},
                   {12, {T::None, false}},
                   {13, {T::Time, false}},
                   {14, {T::String, false}},
                   {15, {T::String, false}},
                   {16, {T::String, false}},
                   {17, {T::String, false}}});
}

/// Object 2 (Access Control).
inline ShapeLookup accessControlShapes() {
  using T = ResourceType;
  return shapesOf({{0, {T::Integer, false}},
                   {1, {T::Integer, false}},
                   {2, {T::Integer, true}},
                   {3, {T::Integer, false}}});
}

/// Object 1 (Server), the resources of the TS example.
inline ShapeLookup serverShapes() {
  using T = ResourceType;
  return shapesOf({{0, {T::Integer, false}},
                   {1, {T::Integer, false}},
                   {2, {T::Integer, false}},
                   {3, {T::Integer, false}},
                   {4, {T::None, false}},
                   {6, {T::Boolean, false}},
                   {7, {T::String, false}}});
}

/// A test object with one single resource per type (rid = 1..10 in ResourceType order after
/// None) and the same types as multiple resources (rid + 100); rid 300 is a String with a
/// 16-bit id; rid 10 is executable.
constexpr std::uint16_t kTypesObject = 9999;
inline std::uint16_t ridFor(ResourceType type, bool multiple = false) {
  return static_cast<std::uint16_t>(static_cast<int>(type) + (multiple ? 100 : 0));
}
inline ShapeLookup typesShapes() {
  std::map<std::uint16_t, ResourceShape> table;
  for (auto type : {ResourceType::String, ResourceType::Integer, ResourceType::UnsignedInteger,
                    ResourceType::Float, ResourceType::Boolean, ResourceType::Opaque,
                    ResourceType::Time, ResourceType::Objlnk, ResourceType::Corelnk}) {
    table[ridFor(type)] = {type, false};
    table[ridFor(type, true)] = {type, true};
  }
  table[10] = {ResourceType::None, false};
  table[300] = {ResourceType::String, false};
  return shapesOf(std::move(table));
}

/// "C8 00 14 4F ..." → bytes (spaces and newlines ignored).
inline std::vector<std::uint8_t> hex(std::string_view text) {
  std::vector<std::uint8_t> out;
  int nibble = -1;
  for (char c : text) {
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    if (v < 0) continue;
    if (nibble < 0) {
      nibble = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(nibble * 16 + v));
      nibble = -1;
    }
  }
  return out;
}

inline std::vector<std::uint8_t> bytesOf(std::string_view text) {
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

inline ResourceData single(std::uint16_t id, ResourceType type, Value value) {
  ResourceData r;
  r.id = id;
  r.type = type;
  r.value = std::move(value);
  return r;
}

inline ResourceData multiple(std::uint16_t id, ResourceType type,
                             std::map<std::uint16_t, Value> instances) {
  ResourceData r;
  r.id = id;
  r.type = type;
  r.multiple = true;
  r.instances = std::move(instances);
  return r;
}

/// Content at /oid/iid/rid holding one single resource.
inline Content resourceContent(std::uint16_t oid, std::uint16_t iid, ResourceData resource) {
  Content c;
  c.path = Path(oid, iid, resource.id);
  c.instances.push_back(InstanceData{iid, {std::move(resource)}});
  return c;
}

}  // namespace lwm2md::test
