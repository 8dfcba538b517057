#pragma once

#include <cstdint>
#include <optional>

#include "model/content.hpp"

namespace lwm2md::fuzz {

/// A fixed object for the fuzzers: rid 1..9 are single resources of each ResourceType in enum
/// order (String .. Corelnk), rid 101..109 the same types as multiple resources, rid 10 an
/// executable; everything else is unknown.
inline std::optional<ResourceShape> fuzzShape(std::uint16_t rid) {
  const bool multiple = rid > 100;
  const int index = multiple ? rid - 100 : rid;
  if (index < 1 || index > 10 || (multiple && index == 10)) return std::nullopt;
  return ResourceShape{static_cast<ResourceType>(index), multiple};
}

}  // namespace lwm2md::fuzz
