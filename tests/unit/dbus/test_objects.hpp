#pragma once

#include <cstdint>
#include <string>

#include "model/object_def.hpp"

// Object definitions built by hand, so these tests do not depend on the DDF parser.
namespace lwm2md::test {

inline ResourceDef resourceDef(std::uint16_t id, std::string name, ResourceType type,
                               bool multiple = false, bool writable = true) {
  ResourceDef r;
  r.id = id;
  r.name = std::move(name);
  r.type = type;
  r.multiple = multiple;
  if (type == ResourceType::None) {
    r.operations.execute = true;
  } else {
    r.operations.read = true;
    r.operations.write = writable;
  }
  return r;
}

inline void addResource(ObjectDef& def, ResourceDef r) {
  def.resources.emplace(r.id, std::move(r));
}

/// 3303 Temperature (the subset the tests use).
inline ObjectDef temperatureDef() {
  ObjectDef def;
  def.id = 3303;
  def.name = "Temperature";
  def.multiple = true;
  addResource(def, resourceDef(5700, "Sensor Value", ResourceType::Float, false, false));
  addResource(def, resourceDef(5701, "Sensor Units", ResourceType::String, false, false));
  addResource(def, resourceDef(5601, "Min Measured Value", ResourceType::Float, false, false));
  addResource(def, resourceDef(5605, "Reset Min and Max Measured Values", ResourceType::None));
  return def;
}

/// 3 Device (single instance, a multiple-instance Integer resource).
inline ObjectDef deviceDef() {
  ObjectDef def;
  def.id = 3;
  def.name = "Device";
  def.multiple = false;
  addResource(def, resourceDef(0, "Manufacturer", ResourceType::String, false, false));
  addResource(def, resourceDef(4, "Reboot", ResourceType::None));
  addResource(def, resourceDef(6, "Available Power Sources", ResourceType::Integer, true, false));
  addResource(def, resourceDef(9, "Battery Level", ResourceType::Integer, false, false));
  addResource(def, resourceDef(13, "Current Time", ResourceType::Time));
  return def;
}

/// A made-up object with one resource of every type.
inline constexpr std::uint16_t kTypesOid = 33000;
inline ObjectDef typesDef() {
  ObjectDef def;
  def.id = kTypesOid;
  def.name = "Types";
  def.multiple = true;
  addResource(def, resourceDef(0, "Text", ResourceType::String));
  addResource(def, resourceDef(1, "Signed", ResourceType::Integer));
  addResource(def, resourceDef(2, "Unsigned", ResourceType::UnsignedInteger));
  addResource(def, resourceDef(3, "Real", ResourceType::Float));
  addResource(def, resourceDef(4, "Flag", ResourceType::Boolean));
  addResource(def, resourceDef(5, "Blob", ResourceType::Opaque));
  addResource(def, resourceDef(6, "Stamp", ResourceType::Time));
  addResource(def, resourceDef(7, "Link", ResourceType::Objlnk));
  addResource(def, resourceDef(8, "Links", ResourceType::Corelnk));
  addResource(def, resourceDef(9, "Numbers", ResourceType::Integer, true));
  addResource(def, resourceDef(10, "Names", ResourceType::String, true));
  addResource(def, resourceDef(11, "Trigger", ResourceType::None));
  return def;
}

}  // namespace lwm2md::test
