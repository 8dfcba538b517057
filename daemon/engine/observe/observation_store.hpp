#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "core/event_loop.hpp"
#include "dm/dm_request.hpp"
#include "observe/notification_planner.hpp"

namespace lwm2md {

using ObserveToken = std::vector<std::uint8_t>;

/// One observation (RFC 7641 §1.2: an "observer" of a path): who asked, with which token and
/// request, and what was last sent. `server` identifies the server (its connection) and is only
/// compared, never dereferenced, by the store.
struct Observation {
  Observation(std::uint64_t id_, const void* server_, ObserveToken token_, DmRequest request_,
              NotificationPlanner planner_)
      : id(id_),
        server(server_),
        token(std::move(token_)),
        request(std::move(request_)),
        paths{request.path},
        planner(std::move(planner_)) {}

  std::uint64_t id;
  const void* server;
  ObserveToken token;
  DmRequest request;  // the GET or FETCH run again for every notification (path, Accept)
  /// What it observes: the request's path, or for an Observe-Composite (FETCH) every path its
  /// payload lists. Changes are matched and attributes looked up against these.
  std::vector<Path> paths;
  bool composite() const { return request.method == CoapMethod::Fetch; }
  NotificationPlanner planner;
  /// The Observe option value last used (24 bits, increasing).
  std::uint32_t sequence = 0;
  /// The Observe value the state file holds for it: values below it are free to use; once
  /// `sequence` comes close, a new reserve is saved (ObserveManager).
  std::uint32_t reserved = 0;
  std::vector<std::uint8_t> lastPayload;
  std::optional<std::uint16_t> lastFormat;
  /// When a confirmable message last reached the server for it (RFC 7641 §4.5: at least one
  /// CON every 24 hours).
  NotificationPlanner::TimePoint lastConfirmableAt;
  /// Message id of the last notification, to match a RST that carries no token.
  std::optional<int> lastMid;
  /// The single pending timer of this observation (evaluation or final notification).
  std::optional<EventLoop::TimerId> timer;
  /// Set when the observation ends with this code (e.g. 4.04 after the instance was removed):
  /// the next timer sends it as the final notification and removes the observation.
  std::optional<CoapCode> finalCode;
};

/// Every live observation of every server. Keyed by id; a server and token name at most one
/// observation (a second Observe with the same token replaces the first, RFC 7641 §4.1).
class ObservationStore {
 public:
  /// Adds `observation` with a fresh id, replacing any with the same server and token.
  /// Returns the stored observation and, when one was replaced, the replaced one.
  std::pair<Observation*, std::optional<Observation>> add(const void* server,
                                                          const ObserveToken& token,
                                                          const DmRequest& request,
                                                          const NotificationPlanner& planner);
  Observation* find(std::uint64_t id);
  const Observation* find(std::uint64_t id) const;
  Observation* find(const void* server, const ObserveToken& token);
  Observation* findByMid(const void* server, int mid);
  /// Removes and returns it (so the caller can cancel its timer); nullopt when unknown.
  std::optional<Observation> remove(std::uint64_t id);

  /// Sets what `observation` (one of this store's) observes: an Observe-Composite's paths.
  void setPaths(Observation& observation, std::vector<Path> paths);
  /// Ids of the observations whose paths may concern a change in instance /oid/iid: those
  /// observing it or something in it, its object, or the root. A superset (an observation of
  /// /oid/iid/1 is listed for a change of resource 2); callers match the resources.
  std::vector<std::uint64_t> idsWatching(std::uint16_t oid, std::uint16_t iid) const;
  /// Ids of all observations, or of one server's.
  std::vector<std::uint64_t> ids() const;
  std::vector<std::uint64_t> idsOf(const void* server) const;
  std::size_t countOf(const void* server) const { return idsOf(server).size(); }
  std::size_t size() const { return observations_.size(); }

 private:
  void index(const Observation& observation);
  void unindex(const Observation& observation);

  std::uint64_t nextId_ = 1;
  std::map<std::uint64_t, Observation> observations_;
  // Which observations watch what, so that a change (a provider pushing thousands a second)
  // looks at the observations of its instance, not at all of them.
  std::map<std::pair<std::uint16_t, std::uint16_t>, std::set<std::uint64_t>> byInstance_;
  std::map<std::uint16_t, std::set<std::uint64_t>> byObject_;  // paths /oid
  std::set<std::uint64_t> atRoot_;                             // path /
};

}  // namespace lwm2md
