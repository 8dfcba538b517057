#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

namespace lwm2md {

/// How many instances each D-Bus client (unique bus name, ":1.42") owns, for [limits]
/// max_instances_per_provider. Kept up to date from the tree's added/removed events rather
/// than counted on each AddInstance, which would walk every instance of the tree each time.
/// Instances of the daemon ("") and shared ones ("*") belong to no client and are not counted.
class OwnerCounts {
 public:
  /// The tree's removal event names only the instance, so the owner is remembered per instance.
  void added(std::uint16_t oid, std::uint16_t iid, const std::string& owner);
  void removed(std::uint16_t oid, std::uint16_t iid);
  /// Instances `owner` owns now.
  std::uint32_t count(const std::string& owner) const;
  /// Clients that own at least one instance.
  std::size_t owners() const { return counts_.size(); }

  /// Whether instances of `owner` are counted: a client's unique bus name.
  static bool isClient(const std::string& owner) { return !owner.empty() && owner[0] == ':'; }

 private:
  using Counts = std::map<std::string, std::uint32_t>;
  Counts counts_;
  // Each counted instance -> its owner's entry (std::map iterators stay valid).
  std::map<std::pair<std::uint16_t, std::uint16_t>, Counts::iterator> instances_;
};

}  // namespace lwm2md
