#include "dbus/service/owner_counts.hpp"

namespace lwm2md {

void OwnerCounts::added(std::uint16_t oid, std::uint16_t iid, const std::string& owner) {
  removed(oid, iid);  // the same id added twice without a removal: count it once
  if (!isClient(owner)) return;
  auto owned = counts_.try_emplace(owner, 0).first;
  ++owned->second;
  instances_.emplace(std::pair{oid, iid}, owned);
}

void OwnerCounts::removed(std::uint16_t oid, std::uint16_t iid) {
  auto it = instances_.find({oid, iid});
  if (it == instances_.end()) return;
  if (--it->second->second == 0) counts_.erase(it->second);
  instances_.erase(it);
}

std::uint32_t OwnerCounts::count(const std::string& owner) const {
  auto it = counts_.find(owner);
  return it == counts_.end() ? 0 : it->second;
}

}  // namespace lwm2md
