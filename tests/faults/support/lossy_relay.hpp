#pragma once

#include <netinet/in.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace lwm2md::test {

/// How one direction of a LossyRelay's link misbehaves. Every decision is drawn from a
/// generator seeded with `seed`, in the order the datagrams arrive, so a run with the same
/// seed and the same traffic drops, duplicates and delays the same datagrams.
struct Impairment {
  double lossPercent = 0;  // each datagram is dropped with this probability
  std::chrono::milliseconds delay{0};
  std::chrono::milliseconds jitter{0};  // the delay is uniform in [delay - jitter, delay + jitter]
  double duplicatePercent = 0;  // a kept datagram is delivered twice (the copy 1..10 ms later)
  /// A kept datagram is held back by an extra delay + jitter + 1..50 ms, so that datagrams
  /// sent after it overtake it.
  double reorderPercent = 0;
  bool blocked = false;  // everything is dropped (a server out of reach)
  std::uint32_t seed = 1;
};

enum class Direction { ToServer, ToClient };

/// What the relay saw of one datagram, as it arrived at the relay (before any impairment).
struct DatagramRecord {
  std::chrono::steady_clock::time_point received;
  std::vector<std::uint8_t> bytes;
  bool dropped = false;
  bool duplicated = false;
};

/// The fixed header and token of a CoAP message (RFC 7252 §3); what the fault tests group
/// retransmissions by.
struct CoapHeader {
  std::uint8_t type = 0;  // 0 CON, 1 NON, 2 ACK, 3 RST
  std::uint8_t code = 0;  // e.g. 0x02 POST, 0x45 2.05
  std::uint16_t messageId = 0;
  std::vector<std::uint8_t> token;
};

/// Parses the CoAP header of a datagram; nullopt when it is not CoAP version 1 or is too short
/// for its token.
std::optional<CoapHeader> parseCoapHeader(const std::vector<std::uint8_t>& bytes);

/// A UDP relay on 127.0.0.1 standing in for `tc netem` (not available on this kernel): the
/// client (the daemon) sends to port(); the relay forwards to the upstream server's port from
/// a socket of its own, and the server's answers go back to the client's address. Each
/// direction has its own Impairment and its own record of every datagram with the time it
/// arrived. It runs on a thread of its own, so a test thread that blocks in a helper does not
/// hold the link up; every accessor is thread-safe.
class LossyRelay {
 public:
  explicit LossyRelay(std::uint16_t upstreamPort);
  ~LossyRelay();
  LossyRelay(const LossyRelay&) = delete;
  LossyRelay& operator=(const LossyRelay&) = delete;

  /// False when the sockets or the thread could not be set up; error() says why.
  bool ok() const { return port_ != 0; }
  const std::string& error() const { return error_; }
  std::uint16_t port() const { return port_; }
  /// The port the relay sends to the server from (where the server's answers go).
  std::uint16_t upstreamSidePort() const { return upstreamSidePort_; }
  /// "coap://127.0.0.1:<port>": for the client's config.
  std::string uri() const;

  /// Changes a direction's impairment from the next datagram on (datagrams already queued keep
  /// their delivery time). The generator is re-seeded with the new seed.
  void setImpairment(Direction direction, const Impairment& impairment);
  void setBoth(const Impairment& impairment);
  /// Forwards to another server port from now on (a server that restarted elsewhere).
  void setUpstream(std::uint16_t port);

  /// Copies of the records of one direction, in arrival order.
  std::vector<DatagramRecord> records(Direction direction) const;
  std::size_t received(Direction direction) const;
  std::size_t dropped(Direction direction) const;
  std::size_t delivered(Direction direction) const;
  void clearRecords();

  // --- Garbage injection (the flood test) ---
  /// Sends `datagrams` to the client from port(), the address the client knows as the server's
  /// (its socket toward the server is connected, so nothing from elsewhere would reach it),
  /// in sendmmsg batches. Callable from any thread, at any rate; no impairment applies and
  /// nothing is recorded. Returns how many the kernel took: fewer when its send buffer is full
  /// for the moment, 0 before the client was heard from.
  std::size_t injectToClient(std::span<const std::vector<std::uint8_t>> datagrams);
  /// Datagrams from the client for which `swallow` returns true are counted (swallowed()) but
  /// neither recorded nor forwarded: the client's answers to injected garbage, which would
  /// otherwise flood the server and the records. Runs on the relay's thread with its lock held:
  /// it must not call back into the relay. An empty function (the default) swallows nothing.
  void setToServerFilter(std::function<bool(std::span<const std::uint8_t>)> swallow);
  std::size_t swallowed() const;

 private:
  struct Queued {
    std::chrono::steady_clock::time_point due;
    Direction direction;
    std::vector<std::uint8_t> bytes;
  };
  struct Side {
    Impairment impairment;
    std::mt19937 random{1};
    std::vector<DatagramRecord> records;
    std::size_t delivered = 0;
  };

  void run();
  void receive(int fd, Direction direction);
  void deliver(const Queued& datagram);
  Side& side(Direction direction) {
    return direction == Direction::ToServer ? toServer_ : toClient_;
  }
  const Side& side(Direction direction) const {
    return direction == Direction::ToServer ? toServer_ : toClient_;
  }

  int clientFd_ = -1;    // bound to port_: the client talks to this one
  int upstreamFd_ = -1;  // talks to the server
  int wakeFd_ = -1;      // an eventfd: settings changed, stop
  std::uint16_t port_ = 0;
  std::uint16_t upstreamSidePort_ = 0;
  std::string error_;

  mutable std::mutex mutex_;
  Side toServer_;
  Side toClient_;
  std::vector<Queued> queue_;
  std::uint16_t upstreamPort_ = 0;
  std::optional<sockaddr_in> clientAddress_;  // once the client was heard from
  std::function<bool(std::span<const std::uint8_t>)> toServerFilter_;
  std::size_t swallowed_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace lwm2md::test
