#include "observe/observation_store.hpp"

namespace lwm2md {

std::pair<Observation*, std::optional<Observation>> ObservationStore::add(
    const void* server, const ObserveToken& token, const DmRequest& request,
    const NotificationPlanner& planner) {
  std::optional<Observation> replaced;
  if (Observation* existing = find(server, token)) replaced = remove(existing->id);
  const std::uint64_t id = nextId_++;
  auto [it, inserted] = observations_.emplace(id, Observation(id, server, token, request, planner));
  return {&it->second, std::move(replaced)};
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
