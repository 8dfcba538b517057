#pragma once

#include <coap3/coap.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "coap/answered_requests.hpp"
#include "coap/session_security.hpp"
#include "dm/dm_request.hpp"
#include "model/limit_warning.hpp"
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

/// The Observe option of a request (RFC 7641 §2): 0 registers, 1 deregisters.
struct ObserveRequest {
  std::uint32_t action = 0;
  std::vector<std::uint8_t> token;
};

/// The answer to a request with an Observe option: the response and, when an observation was
/// established, the Observe option value to put in it.
struct ObserveResponse {
  DmResponse response;
  std::optional<std::uint32_t> sequence;
};

/// A notification sent on a server's session with the server's token (RFC 7641 §4.2). An error
/// code ends the observation and carries no Observe option (`sequence` nullopt).
struct Notification {
  std::vector<std::uint8_t> token;
  std::optional<std::uint32_t> sequence;
  bool confirmable = false;
  CoapCode code = CoapCode::Content;
  std::optional<std::uint16_t> contentFormat;
  std::vector<std::uint8_t> payload;
  /// What is observed (the root path for an Observe-Composite). When the payload goes
  /// block-wise, the server's Block2 requests for the rest on this path are served from this
  /// payload: every block comes from one representation, and a FETCH continuation need not
  /// repeat its body (RFC 7959 §2.6).
  Path path;
};

/// Why a notification failed: the server answered with RST, or a CON one was never
/// acknowledged. Either way the observation ends (RFC 7641 §3.6, §4.5).
enum class NotificationFailure { Reset, NotAcknowledged };

/// CoAP transmission parameters (RFC 7252 §4.8) given to every client session: how long a CON
/// message waits for its ACK and how often it is retransmitted before it counts as lost.
struct TransmissionParameters {
  double ackTimeoutSeconds = 2.0;   // ACK_TIMEOUT (>= 1 s: libcoap 4.3.1 ignores less)
  double ackRandomFactor = 1.5;     // ACK_RANDOM_FACTOR
  std::uint16_t maxRetransmit = 4;  // MAX_RETRANSMIT (>= 1: libcoap 4.3.1 ignores 0)
  std::uint16_t nstart = 1;         // NSTART: CON messages in flight at once
};

/// A request body arriving block-wise (Block1) that libcoap hands over block by block.
struct PartialBody {
  std::vector<std::uint8_t> body;
  std::chrono::steady_clock::time_point lastBlockAt;
};

/// A notification body that went block-wise, kept for the server's Block2 requests.
struct BlockwiseBody {
  std::vector<std::uint8_t> payload;
  std::optional<std::uint16_t> contentFormat;
  std::chrono::steady_clock::time_point sentAt;
};

/// The libcoap glue: one coap_context_t driven by the daemon's EventLoop. Serves every
/// request a server sends (on any path) through one handler, and sends the client's own
/// requests with a callback per request.
class CoapEndpoint {
 public:
  /// Serves an incoming request; `peer` is the app data of the session it came on.
  using RequestHandler = std::function<DmResponse(const DmRequest&, void* peer)>;
  using ResponseCallback = std::function<void(const ClientResponse&)>;
  /// Serves a GET or FETCH carrying an Observe option (instead of RequestHandler).
  using ObserveHandler =
      std::function<ObserveResponse(const DmRequest&, const ObserveRequest&, void* peer)>;
  /// Hears of a failed notification: `token` is empty when only the message id is known.
  using NotificationFailureHandler = std::function<void(
      void* peer, const std::vector<std::uint8_t>& token, int mid, NotificationFailure)>;

  explicit CoapEndpoint(EventLoop& loop);
  ~CoapEndpoint();
  CoapEndpoint(const CoapEndpoint&) = delete;
  CoapEndpoint& operator=(const CoapEndpoint&) = delete;

  void setRequestHandler(RequestHandler handler) { requestHandler_ = std::move(handler); }
  void setObserveHandler(ObserveHandler handler) { observeHandler_ = std::move(handler); }
  /// Takes a request whose answer needs time (a callback provider over D-Bus): returns false
  /// to leave it to the RequestHandler, or true after arranging for `complete` to be called
  /// exactly once, later (never from within this call). The server gets an empty ACK now and
  /// the response separately (RFC 7252 §5.2.2).
  using DeferredHandler =
      std::function<bool(const DmRequest&, void* peer, std::function<void(DmResponse)> complete)>;
  void setDeferredHandler(DeferredHandler handler) { deferredHandler_ = std::move(handler); }

  /// Serves POST /bs (Bootstrap-Finish, the one request with no LwM2M path); nullopt answers
  /// 4.04, as for any other path that is not LwM2M's.
  using BootstrapFinishHandler = std::function<std::optional<DmResponse>(void* peer)>;
  void setBootstrapFinishHandler(BootstrapFinishHandler handler) {
    bootstrapFinish_ = std::move(handler);
  }
  void setNotificationFailureHandler(NotificationFailureHandler handler) {
    notificationFailure_ = std::move(handler);
  }
  /// Hears that the confirmable notification `mid` sent on the session of `peer` is no longer
  /// outstanding: acknowledged (libcoap 4.3.1 tells nobody of an empty ACK, so the endpoint
  /// peeks at plain-UDP datagrams, and for DTLS sessions counts every CON as acknowledged once
  /// libcoap has nothing left to retransmit). Called from process(), after libcoap's pass, never
  /// from inside a libcoap handler; at most once per notification, and never for one that
  /// failed (NotificationFailureHandler hears of those).
  using NotificationAckHandler = std::function<void(void* peer, int mid)>;
  void setNotificationAckHandler(NotificationAckHandler handler) {
    notificationAck_ = std::move(handler);
  }

  /// Used by every session connect() opens from now on (sessions already open keep theirs).
  void setTransmissionParameters(const TransmissionParameters& parameters) {
    transmission_ = parameters;
  }

  /// The largest request body a server may send, a block-wise (Block1) transfer counted whole;
  /// 0 for no limit. Beyond it the server gets 4.13 Request Entity Too Large with Size1 set
  /// to the limit (RFC 7252 §5.9.2.9, RFC 7959 §2.9.3) and nothing of the request is served.
  /// Applies at once, to transfers under way too.
  void setMaxPayloadBytes(std::size_t limit) { maxPayloadBytes_ = limit; }
  std::size_t maxPayloadBytes() const { return maxPayloadBytes_; }

  /// Opens a session to a coap:// or coaps:// URI (host name or address, optional port).
  /// `peer` is handed back with every request arriving on it. coap:// needs NoSec; coaps://
  /// runs DTLS with `security` (PSK, Certificate or RPK) and never falls back to plain CoAP: a
  /// scheme that does not fit the mode is an error. A failed handshake fails the requests
  /// queued on the session. Errors name the URI and the cause, never key bytes.
  /// A `localPort` other than 0 binds the session's socket to that UDP port (a resumed
  /// registration: the server knows the client by its address); an error when it is taken.
  Result<coap_session_t*> connect(const std::string& uri, void* peer,
                                  const SessionSecurity& security = {},
                                  std::uint16_t localPort = 0);
  /// The local UDP port a session's socket is bound to (0 when unknown).
  static std::uint16_t localPort(const coap_session_t* session);
  void release(coap_session_t* session);

  /// Sends a confirmable request. The callback runs exactly once (response or failure).
  void send(coap_session_t* session, const ClientRequest& request, ResponseCallback callback);

  /// Sends a notification; returns its message id. Never call from inside a libcoap handler.
  /// A payload larger than one datagram goes as its first block (RFC 7959 §2.6, Block2 and
  /// Size2): the server fetches the rest with GETs that Read serves.
  Result<int> notify(coap_session_t* session, const Notification& notification);

  /// Runs libcoap's pending I/O and timers; called when its fd is readable.
  void process();

  coap_context_t* context() { return context_; }

 private:
  /// Answers a copy of a recent CON request as before (answered_), else serveRequest().
  static void onRequest(coap_resource_t* resource, coap_session_t* session,
                        const coap_pdu_t* request, const coap_string_t* query,
                        coap_pdu_t* response);
  static void serveRequest(coap_resource_t* resource, coap_session_t* session,
                           const coap_pdu_t* request, const coap_string_t* query,
                           coap_pdu_t* response);
  static coap_response_t onResponse(coap_session_t* session, const coap_pdu_t* sent,
                                    const coap_pdu_t* received, coap_mid_t mid);
  static void onNack(coap_session_t* session, const coap_pdu_t* sent, coap_nack_reason_t reason,
                     coap_mid_t mid);
  /// Runs and forgets the callback of the request `sent` (null when libcoap kept no copy) or
  /// `received` (null for a NACK) answers.
  void finish(coap_session_t* session, const coap_pdu_t* sent, const coap_pdu_t* received,
              const ClientResponse& response);
  /// The token the request was sent with, as pending_ knows it: see requestTags_.
  std::vector<std::uint8_t> requestTokenOf(coap_session_t* session, const coap_pdu_t* sent,
                                           const coap_pdu_t* received) const;
  coap_session_t* newDtlsSession(const coap_address_t& address, const std::string& host,
                                 const std::string& uri, const SessionSecurity& security);
  static int onPeerCertificate(const char* cn, const std::uint8_t* der, std::size_t length,
                               coap_session_t* session, unsigned depth, int validated, void* arg);
  /// Peeks at the next datagram of each plain-UDP session, once per pass (one syscall), before
  /// libcoap reads it:
  /// - RSTs (to NON notifications) are reported at once, empty ACKs of CON notifications are
  ///   kept in acked_ for reportAcks();
  /// - a request whose body would exceed maxPayloadBytes_ (announcedBodySize: its Size1, or
  ///   where its block ends) is taken off the socket and answered 4.13 here, before libcoap or
  ///   the handler spend anything on it.
  /// DTLS records cannot be read ahead: onRequest and collectBlock() refuse those bodies (no
  /// block of them is buffered beyond the limit: libcoap hands each block on as it comes).
  /// True when a datagram is left waiting for libcoap on some plain-UDP session.
  bool screenDatagrams();
  /// Answers `request` (not given to libcoap) with 4.13 and Size1 on `session`.
  void sendTooLarge(coap_session_t* session, const coap_pdu_t* request, std::size_t announced);
  /// Answers `request` (not given to libcoap) with `code` and `reason` on `session`.
  void sendAnswer(coap_session_t* session, const coap_pdu_t* request, CoapCode code,
                  const std::string& reason);
  /// The key of a Block1 body in partialBodies_: its Request-Tag and Uri-Path.
  static std::string bodyKey(const coap_pdu_t* request);
  /// Collects a block of a Block1 body: libcoap hands every block to the handler as it comes
  /// (no COAP_BLOCK_SINGLE_BODY). Answers all but the last block here (2.31 Continue, or an
  /// error: 4.00 for a block of the wrong size, 4.08 for one that does not follow, 4.13 past
  /// the limit) and returns nullopt; returns the whole body with the last.
  std::optional<std::vector<std::uint8_t>> collectBlock(coap_session_t* session,
                                                        const coap_pdu_t* request,
                                                        const coap_block_t& block,
                                                        coap_pdu_t* response);
  /// Logs a refused body, rate-limited.
  void warnTooLarge(std::size_t announced);
  /// Reports the CON notifications acknowledged during the last pass of libcoap.
  void reportAcks();
  bool defer(coap_session_t* session, const coap_pdu_t* request, const DmRequest& dm);
  /// The body of the last block-wise notification of a session on a path, for its Block2
  /// continuations; null when there is none (or it is older than EXCHANGE_LIFETIME).
  const BlockwiseBody* continuationOf(coap_session_t* session, const Path& path,
                                      std::optional<std::uint16_t> accept);

  EventLoop& loop_;
  coap_context_t* context_ = nullptr;
  RequestHandler requestHandler_;
  ObserveHandler observeHandler_;
  NotificationFailureHandler notificationFailure_;
  NotificationAckHandler notificationAck_;
  /// Per session, the message ids of CON notifications not yet acknowledged nor failed.
  std::map<coap_session_t*, std::set<int>> unacknowledged_;
  /// CON notifications whose ACK was seen while peeking, reported after libcoap read it.
  std::vector<std::pair<coap_session_t*, int>> acked_;
  BootstrapFinishHandler bootstrapFinish_;
  DeferredHandler deferredHandler_;
  /// Requests answered separately, by session and token: waiting for their result, and
  /// with their result until libcoap's second pass sends it.
  std::set<std::pair<coap_session_t*, std::vector<std::uint8_t>>> waiting_;
  std::map<std::pair<coap_session_t*, std::vector<std::uint8_t>>, DmResponse> completed_;
  TransmissionParameters transmission_;
  /// By session and token: each session numbers its tokens from the same start.
  std::map<std::pair<coap_session_t*, std::vector<std::uint8_t>>, ResponseCallback> pending_;
  /// The token of each block-wise request, by session and Request-Tag (RFC 9175 §3): libcoap
  /// 4.3.1 sends every block after the first with a token of its own and hands that block back
  /// as `sent` (to the response handler with the last block's answer, to the NACK handler when
  /// a block is lost). Only the answer's token and the Request-Tag, which every block of a
  /// body carries, lead back to the request.
  std::map<std::pair<coap_session_t*, std::vector<std::uint8_t>>, std::vector<std::uint8_t>>
      requestTags_;
  bool processing_ = false;
  /// Each client session's UDP socket, found at connect(). libcoap 4.3.1 tells nobody of a RST
  /// that answers a NON message (it only looks for its own subscriptions), so the endpoint
  /// peeks at each datagram before libcoap reads it to see RSTs to NON notifications.
  std::map<coap_session_t*, int> sessionSockets_;
  /// The credentials of each DTLS session, for checking the server's key during its handshake.
  std::map<coap_session_t*, SessionSecurity> dtlsSessions_;
  /// The key material of the latest Certificate/RPK connect(): libcoap 4.3.1 keeps the PKI
  /// setup in the context (pointing at these bytes) and may read it again.
  SessionSecurity pkiKeys_;
  std::size_t maxPayloadBytes_ = 0;
  LimitWarning tooLargeWarning_;
  /// The piggybacked answers to recent CON requests, for their copies (RFC 7252 §4.5): at most
  /// 512 answers and 256 KiB, each for EXCHANGE_LIFETIME.
  AnsweredRequests answered_;
  /// Block1 bodies being collected, by session and Request-Tag + Uri-Path.
  std::map<std::pair<coap_session_t*, std::string>, PartialBody> partialBodies_;
  /// One datagram read ahead of libcoap (the largest UDP payload).
  std::vector<std::uint8_t> readAhead_ = std::vector<std::uint8_t>(65536);
  /// Per session and observed path: the last notification sent block-wise.
  std::map<std::pair<coap_session_t*, Path>, BlockwiseBody> blockwiseBodies_;
};

}  // namespace lwm2md
