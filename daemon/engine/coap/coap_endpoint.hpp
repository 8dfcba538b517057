#pragma once

#include <coap3/coap.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dm/dm_request.hpp"
#include "model/result.hpp"

namespace lwm2md {

class EventLoop;

/// An outgoing request from the client (Register, Update, De-register, later Send).
struct ClientRequest {
  CoapMethod method = CoapMethod::Post;
  std::vector<std::string> path;   // Uri-Path segments
  std::vector<std::string> query;  // Uri-Query items, "ep=name"
  std::optional<std::uint16_t> contentFormat;
  std::vector<std::uint8_t> payload;
};

/// What came back; `code` is nullopt when the request failed (no answer after the
/// retransmissions, RST, session gone): `failure` then says why.
struct ClientResponse {
  std::optional<CoapCode> code;
  std::vector<std::string> locationPath;
  std::vector<std::uint8_t> payload;
  std::string failure;
};

/// The libcoap glue: one coap_context_t driven by the daemon's EventLoop. Serves every
/// request a server sends (on any path) through one handler, and sends the client's own
/// requests with a callback per request.
class CoapEndpoint {
 public:
  /// Serves an incoming request; `peer` is the app data of the session it came on.
  using RequestHandler = std::function<DmResponse(const DmRequest&, void* peer)>;
  using ResponseCallback = std::function<void(const ClientResponse&)>;

  explicit CoapEndpoint(EventLoop& loop);
  ~CoapEndpoint();
  CoapEndpoint(const CoapEndpoint&) = delete;
  CoapEndpoint& operator=(const CoapEndpoint&) = delete;

  void setRequestHandler(RequestHandler handler) { requestHandler_ = std::move(handler); }

  /// Opens a session to a coap:// URI (host name or address, optional port). `peer` is
  /// handed back with every request arriving on it. Errors name the URI and the cause.
  Result<coap_session_t*> connect(const std::string& uri, void* peer);
  void release(coap_session_t* session);

  /// Sends a confirmable request. The callback runs exactly once (response or failure).
  void send(coap_session_t* session, const ClientRequest& request, ResponseCallback callback);

  /// Runs libcoap's pending I/O and timers; called when its fd is readable.
  void process();

  coap_context_t* context() { return context_; }

 private:
  static void onRequest(coap_resource_t* resource, coap_session_t* session,
                        const coap_pdu_t* request, const coap_string_t* query,
                        coap_pdu_t* response);
  static coap_response_t onResponse(coap_session_t* session, const coap_pdu_t* sent,
                                    const coap_pdu_t* received, coap_mid_t mid);
  static void onNack(coap_session_t* session, const coap_pdu_t* sent, coap_nack_reason_t reason,
                     coap_mid_t mid);
  void finish(const coap_pdu_t* sent, const ClientResponse& response);

  EventLoop& loop_;
  coap_context_t* context_ = nullptr;
  RequestHandler requestHandler_;
  std::map<std::vector<std::uint8_t>, ResponseCallback> pending_;  // by token
  bool processing_ = false;
};

}  // namespace lwm2md
