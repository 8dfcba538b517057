#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>

namespace lwm2md {

/// Per server, at most NSTART confirmable notifications in flight (RFC 7641 §4.5.2, RFC 7252
/// §4.7; NSTART is 1 unless configured). libcoap would queue further CON messages behind the
/// outstanding ones, each with the value it had when it was queued; instead, observations that
/// become due while every slot is taken wait here, and when one frees, the first in line is
/// evaluated with its current value: however often it changed meanwhile, it sends once, the
/// newest state.
///
/// Waiting observations are served first come, first served; one that waits again goes to the
/// back of the line, so a resource that changes all the time cannot starve the others. Servers
/// are identities here (never dereferenced); observations are ids.
class ConfirmableGate {
 public:
  /// How many confirmable notifications each server may have in flight (NSTART, >= 1).
  void setLimit(std::size_t perServer) { limit_ = perServer < 1 ? 1 : perServer; }
  /// Every slot of `server` holds a confirmable notification in flight.
  bool busy(const void* server) const;
  /// A confirmable notification with message id `mid` went out to `server`.
  void occupy(const void* server, int mid);
  /// The message `mid` of `server` was acknowledged, or failed (RST, never acknowledged): frees
  /// its slot when it is one in flight. True when it freed one.
  bool release(const void* server, int mid);

  /// Observation `id` of `server` is due while the slot is taken: it waits (once, however often
  /// this is called) until next() hands it out.
  void wait(const void* server, std::uint64_t id);
  bool waiting(std::uint64_t id) const { return waiting_.contains(id); }
  /// The longest-waiting observation of `server`, taken out of the line; nullopt when none.
  std::optional<std::uint64_t> next(const void* server);
  std::size_t waitingCount(const void* server) const;

  /// The observation ended: it no longer waits (its CON in flight, if any, still holds the slot
  /// until it is acknowledged or fails).
  void forget(std::uint64_t id);
  /// The server's session is gone: its slot and line with it.
  void dropServer(const void* server);

 private:
  struct Lane {
    std::set<int> inFlight;  // message ids of the CON notifications awaiting their ACK
    std::deque<std::uint64_t> line;
  };
  std::map<const void*, Lane> lanes_;
  /// Every waiting observation and its server. An id in a line but not here was forgotten and
  /// is skipped (ids are never reused).
  std::map<std::uint64_t, const void*> waiting_;
  std::size_t limit_ = 1;
};

}  // namespace lwm2md
