#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/path.hpp"
#include "model/result.hpp"

namespace lwm2md {

/// The <NOTIFICATION> class attributes of LwM2M 1.1 TS §5.1.2 (plus `con` of LwM2M 1.2).
/// Each is optional: unset means "inherit from the level above".
struct NotificationAttributes {
  std::optional<std::uint32_t> pmin;   // seconds
  std::optional<std::uint32_t> pmax;   // seconds
  std::optional<double> gt;            // greater than
  std::optional<double> lt;            // less than
  std::optional<double> st;            // step
  std::optional<std::uint32_t> epmin;  // evaluation min period, seconds
  std::optional<std::uint32_t> epmax;  // evaluation max period, seconds
  std::optional<bool> con;             // confirmable notifications (1.2)

  bool empty() const { return !pmin && !pmax && !gt && !lt && !st && !epmin && !epmax && !con; }
  /// Fills every unset attribute from `parent` (the level above).
  NotificationAttributes inheritFrom(const NotificationAttributes& parent) const;
  bool operator==(const NotificationAttributes&) const = default;
};

/// The attributes one Observe-Composite notification follows, from the effective attributes of
/// each of its paths (LwM2M 1.1 TS §6.4.3 keeps every path's attributes in force; ETS int-304,
/// int-308 and int-310 expect them): no path is reported more often than its pmin allows, so
/// pmin (and epmin) is the largest; no path waits longer than its pmax, so pmax (and epmax) is
/// the smallest, but never below pmin. gt/lt/st compare one numeric value, which a composite
/// does not have: they are left out, and every change counts. `con` holds if any path asks.
NotificationAttributes combineForComposite(const std::vector<NotificationAttributes>& paths);

/// Attributes a server attached with Write-Attributes, per server (short server id) and per
/// path (object, instance, resource; 1.1 also resource instance). Attributes are per server:
/// one server's pmin never affects another server's notifications (TS §6.3.4).
class AttributeStore {
 public:
  /// What is stored for exactly this path (not inherited).
  NotificationAttributes at(std::uint16_t server, const Path& path) const;
  /// The effective attributes of `path` for `server`: this path's, then each parent level's,
  /// then `defaults` (the Server object's Default Minimum/Maximum Period).
  NotificationAttributes effective(std::uint16_t server, const Path& path,
                                   const NotificationAttributes& defaults) const;
  /// Replaces what is stored for this path (an empty set removes the entry).
  void set(std::uint16_t server, const Path& path, const NotificationAttributes& attributes);
  /// Drops everything at or below `path` (e.g. the instance was deleted), for every server.
  void removeBelow(const Path& path);
  /// Drops everything of one server (e.g. it was removed).
  void removeServer(std::uint16_t server);
  const std::map<std::pair<std::uint16_t, Path>, NotificationAttributes>& all() const {
    return entries_;
  }
  /// Heard after every change (set, removeBelow, removeServer): live observations re-plan
  /// with the new attributes, the state keeper saves them. `owner` names the listener for
  /// removeChangeListener.
  void addChangeListener(const void* owner, std::function<void()> listener) {
    listeners_.emplace_back(owner, std::move(listener));
  }
  void removeChangeListener(const void* owner) {
    std::erase_if(listeners_, [owner](const auto& entry) { return entry.first == owner; });
  }

 private:
  void changed() const {
    for (const auto& entry : listeners_) entry.second();
  }

  std::vector<std::pair<const void*, std::function<void()>>> listeners_;
  std::map<std::pair<std::uint16_t, Path>, NotificationAttributes> entries_;
};

}  // namespace lwm2md
