#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "model/value.hpp"

namespace lwm2md {

/// Operations a resource allows, as in the DDF <Operations> element (R, W, RW, E or empty).
struct Operations {
  bool read = false;
  bool write = false;
  bool execute = false;
};

/// One <Item> of a DDF file.
struct ResourceDef {
  std::uint16_t id = 0;
  std::string name;
  Operations operations;
  bool multiple = false;
  bool mandatory = false;
  ResourceType type = ResourceType::None;
  std::string rangeEnumeration;
  std::string units;
};

/// One <Object> of a DDF file.
struct ObjectDef {
  std::uint16_t id = 0;
  std::string name;
  std::string urn;
  std::string objectVersion = "1.0";
  std::string lwm2mVersion = "1.0";
  bool multiple = false;
  bool mandatory = false;
  std::map<std::uint16_t, ResourceDef> resources;

  const ResourceDef* resource(std::uint16_t rid) const {
    auto it = resources.find(rid);
    return it == resources.end() ? nullptr : &it->second;
  }
};

}  // namespace lwm2md
