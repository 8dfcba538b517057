#pragma once

#include <cmath>
#include <variant>
#include <vector>

#include "model/content.hpp"

namespace lwm2md::fuzz {

/// Whether `resources` hold a NaN Float: NaN is not equal to itself, so the fuzzers' equality
/// checks must step aside for it (and compare bytes or text instead).
inline bool hasNaN(const std::vector<ResourceData>& resources) {
  auto isNaN = [](const Value& value) {
    const auto* d = std::get_if<double>(&value);
    return d != nullptr && std::isnan(*d);
  };
  for (const ResourceData& resource : resources) {
    if (resource.value && isNaN(*resource.value)) return true;
    for (const auto& [id, value] : resource.instances)
      if (isNaN(value)) return true;
  }
  return false;
}

inline bool hasNaN(const Content& content) {
  for (const InstanceData& instance : content.instances)
    if (hasNaN(instance.resources)) return true;
  return false;
}

}  // namespace lwm2md::fuzz
