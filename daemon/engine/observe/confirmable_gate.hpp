#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>

namespace lwm2md {

/// Per server, at most one confirmable notification in flight (RFC 7641 §4.5.2, RFC 7252 §4.7
/// NSTART = 1). libcoap would queue further CON messages behind the outstanding one, each with
/// the value it had when it was queued; instead, observations that become due while the slot is
/// taken wait here, and when it frees, the first in line is evaluated with its current value:
/// however often it changed meanwhile, it sends once, the newest state.
///
/// Waiting observations are served first come, first served; one that waits again goes to the
/// back of the line, so a resource that changes all the time cannot starve the others. Servers
/// are identities here (never dereferenced); observations are ids.
class ConfirmableGate {
 public:
  /// A confirmable notification of `server` is in flight.
  bool busy(const void* server) const;
  /// A confirmable notification with message id `mid` went out to `server`.
  void occupy(const void* server, int mid);
  /// The message `mid` of `server` was acknowledged, or failed (RST, never acknowledged): frees
  /// the slot when it is the one in flight. True when it freed it.
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
    std::optional<int> inFlight;  // message id of the CON notification awaiting its ACK
    std::deque<std::uint64_t> line;
  };
  std::map<const void*, Lane> lanes_;
  /// Every waiting observation and its server. An id in a line but not here was forgotten and
  /// is skipped (ids are never reused).
  std::map<std::uint64_t, const void*> waiting_;
};

}  // namespace lwm2md
