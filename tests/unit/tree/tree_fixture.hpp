#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "ddf/object_registry.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md::test {

/// Object 33000: resources 0..9 single Float (RW), 10 a multiple String, 11 executable.
inline ObjectDef benchObjectDef() {
  ObjectDef def;
  def.id = 33000;
  def.name = "Bench";
  def.multiple = true;
  auto add = [&](std::uint16_t rid, ResourceType type, bool multiple, Operations ops) {
    ResourceDef res;
    res.id = rid;
    res.name = "R" + std::to_string(rid);
    res.type = type;
    res.multiple = multiple;
    res.operations = ops;
    def.resources[rid] = res;
  };
  for (std::uint16_t rid = 0; rid < 10; ++rid)
    add(rid, ResourceType::Float, false, {true, true, false});
  add(10, ResourceType::String, true, {true, true, false});
  add(11, ResourceType::None, false, {false, false, true});
  return def;
}

inline ResourceData single(std::uint16_t rid, double value) {
  ResourceData data;
  data.id = rid;
  data.type = ResourceType::Float;
  data.value = Value(value);
  return data;
}

inline ResourceData multiple(std::uint16_t rid, std::map<std::uint16_t, Value> instances) {
  ResourceData data;
  data.id = rid;
  data.type = ResourceType::String;
  data.multiple = true;
  data.instances = std::move(instances);
  return data;
}

}  // namespace lwm2md::test
