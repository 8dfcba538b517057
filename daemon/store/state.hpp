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

/// A registration as the server holds it, so that a restart within its lifetime resumes it with
/// an Update (and the server's observations live on) instead of a new Register.
struct StoredRegistration {
  std::uint16_t server = 0;
  /// The server URI and endpoint name it was made with: a different one means register anew.
  std::string uri;
  std::string endpoint;
  /// Seconds, as the server last accepted it.
  std::uint32_t lifetime = 0;
  /// Unix seconds of the server's last 2.01 (Register) or 2.04 (Update).
  std::int64_t updatedAt = 0;
  /// The local UDP port the server knows the client by (0: unknown).
  std::uint16_t localPort = 0;

  bool operator==(const StoredRegistration&) const = default;
};

/// An observation a server set up (RFC 7641): what it asked, with which token, and the Observe
/// value to continue from, so that notifications go on after a restart.
struct StoredObservation {
  std::uint16_t server = 0;
  std::vector<std::uint8_t> token;  // 0..8 bytes
  /// true: an Observe-Composite (FETCH with the paths in `payload`); false: a GET of `path`.
  bool composite = false;
  Path path;
  std::optional<std::uint16_t> accept;
  std::optional<std::uint16_t> contentFormat;  // of `payload`
  std::vector<std::uint8_t> payload;
  /// No notification before the restart used a value at or above this (24 bits).
  std::uint32_t sequence = 0;

  bool operator==(const StoredObservation&) const = default;
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
  /// Each server's registration and observations (version 2; empty in a version 1 file).
  std::vector<StoredRegistration> registrations;
  std::vector<StoredObservation> observations;

  bool operator==(const PersistedState&) const = default;
};

}  // namespace lwm2md
