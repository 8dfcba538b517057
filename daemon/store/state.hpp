#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/content.hpp"
#include "model/path.hpp"

namespace lwm2md {

/// A server's Write-Attributes as stored: the same optional fields as the engine's
/// NotificationAttributes, kept as a plain struct so that the store does not depend on the
/// engine (the engine converts). Unset means "not written by the server".
struct StoredAttributes {
  std::optional<std::uint32_t> pmin;
  std::optional<std::uint32_t> pmax;
  std::optional<double> gt;
  std::optional<double> lt;
  std::optional<double> st;
  std::optional<std::uint32_t> epmin;
  std::optional<std::uint32_t> epmax;
  std::optional<bool> con;

  bool operator==(const StoredAttributes&) const = default;
};

/// The attributes one server (by short server id) attached to one path.
struct StoredAttributeEntry {
  std::uint16_t server = 0;
  Path path;
  StoredAttributes attributes;

  bool operator==(const StoredAttributeEntry&) const = default;
};

/// Everything that must survive a restart (see FORMAT.md for how it is written).
struct PersistedState {
  /// Increases with every save, so a reader can tell which of two states is newer.
  std::uint64_t generation = 0;
  /// True once a bootstrap (factory or client-initiated) completed.
  bool bootstrapped = false;
  /// Instances of objects 0 (Security), 1 (Server) and 2 (Access Control): (oid, data).
  std::vector<std::pair<std::uint16_t, InstanceData>> instances;
  /// Each server's Write-Attributes.
  std::vector<StoredAttributeEntry> attributes;
  /// Each server's registration location (short server id -> Location-Path segments).
  std::map<std::uint16_t, std::vector<std::string>> locations;

  bool operator==(const PersistedState&) const = default;
};

}  // namespace lwm2md
