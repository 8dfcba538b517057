#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lwm2md {

/// An LwM2M path: /, /oid, /oid/iid, /oid/iid/rid or /oid/iid/rid/riid.
/// Every id is 0..65534; 65535 is reserved by the TS (it means "no id").
class Path {
 public:
  static constexpr std::uint16_t kInvalidId = 65535;

  Path() = default;
  explicit Path(std::uint16_t oid) : ids_{oid}, depth_(1) {}
  Path(std::uint16_t oid, std::uint16_t iid) : ids_{oid, iid}, depth_(2) {}
  Path(std::uint16_t oid, std::uint16_t iid, std::uint16_t rid) : ids_{oid, iid, rid}, depth_(3) {}
  Path(std::uint16_t oid, std::uint16_t iid, std::uint16_t rid, std::uint16_t riid)
      : ids_{oid, iid, rid, riid}, depth_(4) {}

  /// Parses URI path segments ("3", "0", "1"); nullopt on anything but 0..65534 decimals.
  static std::optional<Path> fromSegments(const std::vector<std::string>& segments);
  /// Parses "/3/0/1" (leading slash optional, no trailing slash).
  static std::optional<Path> parse(std::string_view text);

  int depth() const { return depth_; }
  bool isRoot() const { return depth_ == 0; }
  bool isObject() const { return depth_ == 1; }
  bool isInstance() const { return depth_ == 2; }
  bool isResource() const { return depth_ == 3; }
  bool isResourceInstance() const { return depth_ == 4; }

  std::uint16_t objectId() const { return ids_[0]; }
  std::uint16_t instanceId() const { return ids_[1]; }
  std::uint16_t resourceId() const { return ids_[2]; }
  std::uint16_t resourceInstanceId() const { return ids_[3]; }
  std::uint16_t at(int level) const { return ids_[static_cast<std::size_t>(level)]; }

  /// This path with one more id appended.
  Path child(std::uint16_t id) const;
  /// True when `other` equals this path or lies below it.
  bool contains(const Path& other) const;

  std::string toString() const;

  auto operator<=>(const Path& other) const {
    for (int i = 0; i < 4; ++i) {
      if (i >= depth_ || i >= other.depth_) return depth_ <=> other.depth_;
      if (auto c = ids_[static_cast<std::size_t>(i)] <=> other.ids_[static_cast<std::size_t>(i)];
          std::is_neq(c))
        return c;
    }
    return depth_ <=> other.depth_;
  }
  bool operator==(const Path& other) const { return std::is_eq(*this <=> other); }

 private:
  std::array<std::uint16_t, 4> ids_{};
  int depth_ = 0;
};

}  // namespace lwm2md
