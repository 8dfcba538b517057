#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "coap/coap_endpoint.hpp"
#include "core/event_loop.hpp"
#include "model/limit_warning.hpp"
#include "observe/attributes.hpp"
#include "observe/confirmable_gate.hpp"
#include "observe/observation_store.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

class ServerConnection;

/// The Information Reporting interface (LwM2M 1.1 TS §6.4, RFC 7641): keeps every server's
/// observations, hears every change of the object tree and sends notifications on the server's
/// session when the attributes (pmin, pmax, gt, lt, st, epmin, epmax, con) say so. Everything
/// runs on the daemon's loop; the only timers are one per observation that has something due.
///
/// Notifications are never sent from inside a libcoap handler: a change only marks the
/// observation and arms a timer, so one tree change of several resources (or several changes
/// in one pass) produces at most one notification per observation.
///
/// Per server at most one confirmable notification is in flight (ConfirmableGate): an
/// observation due meanwhile waits without reading, and notifies its current value once the
/// ACK (or the failure) of the one in flight is heard. NON notifications go out at once.
class ObserveManager final : public TreeListener {
 public:
  /// Runs a Read for `peer` (a ServerConnection*) with the daemon's policy (access rights,
  /// default format of the server's version): the first response and every notification.
  using ReadFunction = std::function<DmResponse(const DmRequest&, void* peer)>;
  using Clock = NotificationPlanner::Clock;

  ObserveManager(EventLoop& loop, CoapEndpoint& coap, ObjectTree& tree, AttributeStore& attributes,
                 ReadFunction read);
  ~ObserveManager() override;
  ObserveManager(const ObserveManager&) = delete;
  ObserveManager& operator=(const ObserveManager&) = delete;

  /// Serves a GET with an Observe option from `server`: Observe=0 reads and (on success)
  /// establishes or replaces the observation; Observe=1 reads and cancels it (RFC 7641 §3.6).
  ObserveResponse handle(const DmRequest& request, const ObserveRequest& observe,
                         ServerConnection* server);
  /// A notification failed (RST, or a CON never acknowledged): the observation ends.
  void notificationFailed(ServerConnection* server, const ObserveToken& token, int mid,
                          NotificationFailure failure);
  /// The CON notification `mid` sent to `peer` was acknowledged: the next waiting observation
  /// of that server may notify. (The manager registers this with the CoapEndpoint itself.)
  void notificationAcknowledged(const void* peer, int mid);
  /// Drops every observation of `server` silently (it registers again, TS §6.2.1).
  void dropServer(const ServerConnection* server);
  /// A value under `path` changed without the tree hearing of it (a computed resource).
  void changed(const Path& path);

  /// Observations one server may hold (0: no limit). An Observe that would start one more is
  /// served as a plain GET (RFC 7641 §4.1: the response carries no Observe option) and nothing
  /// is stored; re-registering an observation (same token) or cancelling one always works.
  /// Lowering it drops nothing: the servers above it just cannot add any.
  void setMaxObservationsPerServer(std::size_t limit) { maxPerServer_ = limit; }

  std::size_t count() const { return store_.size(); }
  /// Confirmable notifications each server may have in flight ([coap] nstart; 1 by default).
  void setConfirmableLimit(std::size_t perServer) { gate_.setLimit(perServer); }
  /// Every path some observation watches (an Observe-Composite's each), duplicates included.
  std::vector<Path> observedPaths();
  /// Heard whenever an observation begins or ends (possibly inside a libcoap handler: the
  /// listener should defer its work to the loop).
  void setWatchListener(std::function<void()> listener) { watchListener_ = std::move(listener); }
  std::size_t countOf(const ServerConnection* server) const { return store_.countOf(server); }

  /// An observation as it can be taken up again after a restart (the state file keeps it).
  struct Resumable {
    ObserveToken token;
    DmRequest request;
    /// No notification so far used an Observe value at or beyond this one.
    std::uint32_t sequence = 0;
  };
  std::vector<Resumable> resumable(const ServerConnection* server) const;
  /// Takes up an observation `server` set up before a restart: it notifies as before, with
  /// Observe values above `sequence`, at the next change or pmax. Fails on an undecodable
  /// composite payload.
  Status resume(ServerConnection* server, const ObserveToken& token, const DmRequest& request,
                std::uint32_t sequence);
  /// Heard when what resumable() returns changes: an observation begins or ends, or the
  /// Observe values run into the reserve last handed out (the listener saves the state).
  void setPersistListener(std::function<void()> listener) {
    persistListener_ = std::move(listener);
  }

  void instanceAdded(const Instance& instance) override;
  void instanceRemoved(std::uint16_t oid, std::uint16_t iid) override;
  void valuesChanged(const Instance& instance, const std::vector<std::uint16_t>& rids,
                     ChangeOrigin origin) override;

 private:
  ServerConnection* serverOf(const Observation& observation) const;
  NotificationAttributes effectiveAttributes(const Observation& observation) const;
  NotificationAttributes serverDefaults(const ServerConnection& server) const;
  std::optional<double> numberAt(const Path& path) const;
  /// Marks a change and arms the observation's timer for when it may be evaluated.
  void touch(Observation& observation);
  /// (Re)arms the single timer at the planner's next wake-up (none when nothing is due).
  void plan(Observation& observation);
  void replanAll();
  void onTimer(std::uint64_t id);
  void evaluate(Observation& observation);
  void send(Observation& observation, const DmResponse& response, Clock::time_point now);
  /// Sends the final error notification and removes the observation.
  void finish(Observation& observation, CoapCode code, const std::vector<std::uint8_t>& reason);
  void remove(std::uint64_t id);
  /// Whether the observation's next notification would go as CON (RFC 7641 §4.5).
  bool confirmableNext(const Observation& observation, Clock::time_point now) const;
  /// While the server's CON slot is free, lets the observations waiting for it notify.
  void drain(const void* server);
  /// What an observation of `request` watches: its path, or an Observe-Composite's listed paths.
  static Result<std::vector<Path>> pathsOf(const DmRequest& request);
  /// Stores the observation (replacing one with the same server and token) with its first
  /// Observe value; the caller plans it once its last payload is set.
  Observation* establish(ServerConnection* server, const ObserveToken& token,
                         const DmRequest& request, std::vector<Path> paths, std::uint32_t sequence);
  /// Moves the persisted reserve of Observe values ahead of the one just used.
  void reserveSequence(Observation& observation);

  EventLoop& loop_;
  CoapEndpoint& coap_;
  ObjectTree& tree_;
  AttributeStore& attributes_;
  ReadFunction read_;
  ObservationStore store_;
  ConfirmableGate gate_;
  /// drain() calls deferred to the loop (a failure is heard inside a libcoap handler), by server.
  std::map<const void*, EventLoop::TimerId> drainTimers_;
  std::function<void()> watchListener_;
  std::function<void()> persistListener_;
  std::size_t maxPerServer_ = 0;
  LimitWarning limitWarning_;
};

}  // namespace lwm2md
