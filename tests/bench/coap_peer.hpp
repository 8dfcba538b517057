#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bench_report.hpp"

struct coap_context_t;
struct coap_session_t;

namespace lwm2md::bench {

/// A response or notification as the benchmarks need it: no copies of the payload beyond the
/// handler call, and the time it was handed to us.
struct Reply {
  uint8_t code = 0;
  bool confirmable = false;
  uint16_t mid = 0;
  std::optional<uint32_t> observe;
  std::string_view payload;  // valid only during the handler call
  Clock::time_point at;
};

/// A lean LwM2M server on libcoap (127.0.0.1, ephemeral port) for measuring the daemon: it
/// accepts Register/Update/De-register on /rd, and sends requests to the registered client (or
/// to any CoAP server after connect()). Unlike the e2e TestLwm2mServer it stores nothing per
/// message: each request's token maps to a handler that sees every reply (notifications too),
/// so a 10 s flood costs the observer little and gets exact receive times.
class CoapPeer {
 public:
  using Handler = std::function<void(const Reply&)>;
  enum class Method { Get, Put };

  CoapPeer();
  ~CoapPeer();
  CoapPeer(const CoapPeer&) = delete;
  CoapPeer& operator=(const CoapPeer&) = delete;

  bool ok() const { return port_ != 0; }
  uint16_t port() const { return port_; }
  std::string uri() const { return "coap://127.0.0.1:" + std::to_string(port_); }
  int registers() const { return registers_; }
  int updates() const { return updates_; }

  /// Handles I/O for at most `timeoutMs` (0: only what is ready).
  void pump(unsigned timeoutMs);
  /// Pumps until pred() or the timeout; `side` runs between pumps (another event source).
  bool waitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout,
               const std::function<void()>& side = {});

  /// Sends later requests to a plain CoAP server instead of the registered client.
  bool connect(const std::string& host, uint16_t port);

  struct Request {
    Method method = Method::Get;
    std::string path;                // "/33000/0/0"
    std::vector<std::string> query;  // "pmin=0"
    bool confirmable = true;
    bool observe = false;  // Observe: 0 (register)
    std::optional<uint16_t> accept;
  };
  /// Sends a request; `handler` sees its response and, for an observation, every
  /// notification. A plain request's handler is dropped after the first reply. Returns the
  /// token (0 when there is nowhere to send or libcoap refused).
  uint64_t send(const Request& request, Handler handler);
  /// Drops a token's handler (a later reply is answered with RST).
  void forget(uint64_t token) { handlers_.erase(token); }

 private:
  friend struct PeerCallbacks;
  struct Entry {
    Handler handler;
    bool persistent = false;
  };

  coap_context_t* context_ = nullptr;
  coap_session_t* registered_ = nullptr;
  coap_session_t* client_ = nullptr;
  uint16_t port_ = 0;
  int registers_ = 0;
  int updates_ = 0;
  uint64_t nextToken_ = 1;
  std::unordered_map<uint64_t, Entry> handlers_;
};

}  // namespace lwm2md::bench
