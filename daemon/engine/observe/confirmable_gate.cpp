#include "observe/confirmable_gate.hpp"

namespace lwm2md {

bool ConfirmableGate::busy(const void* server) const {
  auto it = lanes_.find(server);
  return it != lanes_.end() && it->second.inFlight.size() >= limit_;
}

void ConfirmableGate::occupy(const void* server, int mid) {
  lanes_[server].inFlight.insert(mid);
}

bool ConfirmableGate::release(const void* server, int mid) {
  auto it = lanes_.find(server);
  return it != lanes_.end() && it->second.inFlight.erase(mid) > 0;
}

void ConfirmableGate::wait(const void* server, std::uint64_t id) {
  if (!waiting_.emplace(id, server).second) return;  // already in line: keeps its place
  lanes_[server].line.push_back(id);
}

std::optional<std::uint64_t> ConfirmableGate::next(const void* server) {
  auto lane = lanes_.find(server);
  if (lane == lanes_.end()) return std::nullopt;
  auto& line = lane->second.line;
  while (!line.empty()) {
    const std::uint64_t id = line.front();
    line.pop_front();
    if (waiting_.erase(id) > 0) return id;  // else forgotten while it waited
  }
  return std::nullopt;
}

std::size_t ConfirmableGate::waitingCount(const void* server) const {
  std::size_t count = 0;
  for (const auto& [id, owner] : waiting_)
    if (owner == server) ++count;
  return count;
}

void ConfirmableGate::forget(std::uint64_t id) {
  waiting_.erase(id);
}

void ConfirmableGate::dropServer(const void* server) {
  std::erase_if(waiting_, [server](const auto& entry) { return entry.second == server; });
  lanes_.erase(server);
}

}  // namespace lwm2md
