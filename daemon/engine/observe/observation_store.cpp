#include "observe/observation_store.hpp"

#include <algorithm>

namespace lwm2md {

std::pair<Observation*, std::optional<Observation>> ObservationStore::add(
    const void* server, const ObserveToken& token, const DmRequest& request,
    const NotificationPlanner& planner) {
  std::optional<Observation> replaced;
  if (Observation* existing = find(server, token)) replaced = remove(existing->id);
  const std::uint64_t id = nextId_++;
  auto [it, inserted] = observations_.emplace(id, Observation(id, server, token, request, planner));
  index(it->second);
  return {&it->second, std::move(replaced)};
}

void ObservationStore::setPaths(Observation& observation, std::vector<Path> paths) {
  unindex(observation);
  observation.paths = std::move(paths);
  index(observation);
}

std::vector<std::uint64_t> ObservationStore::idsWatching(std::uint16_t oid,
                                                         std::uint16_t iid) const {
  std::vector<std::uint64_t> out(atRoot_.begin(), atRoot_.end());
  if (auto it = byObject_.find(oid); it != byObject_.end())
    out.insert(out.end(), it->second.begin(), it->second.end());
  if (auto it = byInstance_.find({oid, iid}); it != byInstance_.end())
    out.insert(out.end(), it->second.begin(), it->second.end());
  // An observation listed twice (a composite of /oid and /oid/iid) is matched once.
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void ObservationStore::index(const Observation& observation) {
  for (const Path& path : observation.paths) {
    if (path.isRoot())
      atRoot_.insert(observation.id);
    else if (path.isObject())
      byObject_[path.objectId()].insert(observation.id);
    else
      byInstance_[{path.objectId(), path.instanceId()}].insert(observation.id);
  }
}

void ObservationStore::unindex(const Observation& observation) {
  auto drop = [&observation](auto& index, const auto& key) {
    auto it = index.find(key);
    if (it == index.end()) return;
    it->second.erase(observation.id);
    if (it->second.empty()) index.erase(it);
  };
  for (const Path& path : observation.paths) {
    if (path.isRoot())
      atRoot_.erase(observation.id);
    else if (path.isObject())
      drop(byObject_, path.objectId());
    else
      drop(byInstance_,
           std::pair<std::uint16_t, std::uint16_t>{path.objectId(), path.instanceId()});
  }
}

Observation* ObservationStore::find(std::uint64_t id) {
  auto it = observations_.find(id);
  return it == observations_.end() ? nullptr : &it->second;
}

const Observation* ObservationStore::find(std::uint64_t id) const {
  auto it = observations_.find(id);
  return it == observations_.end() ? nullptr : &it->second;
}

Observation* ObservationStore::find(const void* server, const ObserveToken& token) {
  for (auto& [id, observation] : observations_)
    if (observation.server == server && observation.token == token) return &observation;
  return nullptr;
}

Observation* ObservationStore::findByMid(const void* server, int mid) {
  for (auto& [id, observation] : observations_)
    if (observation.server == server && observation.lastMid == mid) return &observation;
  return nullptr;
}

std::optional<Observation> ObservationStore::remove(std::uint64_t id) {
  auto it = observations_.find(id);
  if (it == observations_.end()) return std::nullopt;
  unindex(it->second);
  Observation removed = std::move(it->second);
  observations_.erase(it);
  return removed;
}

std::vector<std::uint64_t> ObservationStore::ids() const {
  std::vector<std::uint64_t> out;
  for (const auto& [id, observation] : observations_) out.push_back(id);
  return out;
}

std::vector<std::uint64_t> ObservationStore::idsOf(const void* server) const {
  std::vector<std::uint64_t> out;
  for (const auto& [id, observation] : observations_)
    if (observation.server == server) out.push_back(id);
  return out;
}

}  // namespace lwm2md
