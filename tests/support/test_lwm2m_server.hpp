#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

// libcoap's types stay out of this header: tests see only the server's own vocabulary.
struct coap_context_t;
struct coap_session_t;

namespace lwm2md::test {

using Token = std::vector<uint8_t>;

/// One request on the registration interface (or a Bootstrap-Request, POST /bs), as the server
/// answered it.
struct Event {
  enum class Kind { Register, Update, Deregister, BootstrapRequest };
  Kind kind = Kind::Register;
  /// "/rd/<n>": the location created (Register) or addressed (Update, De-register). Empty for a
  /// Register that was refused.
  std::string location;
  std::map<std::string, std::string> query;  // "Q" and other flags map to ""
  std::string payload;
  uint8_t code = 0;  // the response code sent, e.g. 0x41 (2.01) or 0x84 (4.04)
};

/// What a registration currently holds (updated by Update).
struct RegistrationRecord {
  std::string location;
  std::string endpoint;
  std::map<std::string, std::string> query;
  std::string payload;
};

/// FETCH and iPATCH (RFC 8132) carry LwM2M 1.1's Read-Composite, Observe-Composite and
/// Write-Composite.
enum class Method { Get, Put, Post, Delete, Fetch, IPatch };

struct RequestOptions {
  std::optional<uint16_t> accept;
  std::optional<uint16_t> contentFormat;
  std::vector<uint8_t> payload;
  std::vector<std::string> query;  // one Uri-Query option each, e.g. "pmin=1"
  bool confirmable = true;
  std::optional<uint32_t> observe;
  /// A Block1 option value (NUM << 4 | M << 3 | SZX) and a Size1 to send as they are: the
  /// payload then goes in this one datagram, whatever its size (for block sequences a
  /// well-behaved sender would not make).
  std::optional<uint32_t> block1{};
  std::optional<uint32_t> size1{};
  std::chrono::milliseconds timeout{5000};
};

struct Response {
  uint8_t code = 0;
  std::optional<uint16_t> contentFormat;
  std::vector<uint8_t> payload;
  std::vector<std::string> locationPath;
  std::optional<uint32_t> observe;
  Token token;
};

/// DTLS credentials for a TestLwm2mServer (libcoap's gnutls variant). Key material is DER.
struct ServerSecurity {
  enum class Mode { Psk, Certificate, RawPublicKey };
  Mode mode = Mode::Psk;
  /// PSK: the identity the server knows and its key. A handshake with another identity fails.
  std::string pskIdentity;
  std::vector<uint8_t> pskKey;
  /// Certificate: the server's own certificate; RawPublicKey: its public key (SPKI).
  std::vector<uint8_t> certificate;
  std::vector<uint8_t> privateKey;
  /// Certificate: the CA client certificates must chain to (empty: any client certificate).
  std::vector<uint8_t> caCertificate;
  /// RawPublicKey: the client key to accept (empty: any).
  std::vector<uint8_t> clientPublicKey;
};

/// What reached a DTLS server's socket, classified by the first bytes of each datagram
/// (peeked before libcoap reads it; a lower bound when datagrams arrive in bursts).
struct DatagramCounts {
  int clientHellos = 0;  // DTLS handshake records carrying a ClientHello
  int dtlsRecords = 0;   // any DTLS record (content types 20..23)
  int plainCoap = 0;     // datagrams that parse as CoAP version 1, not DTLS
};

/// An LwM2M server for the end-to-end tests, built on libcoap (no DTLS) and bound to an
/// ephemeral UDP port on 127.0.0.1. It implements the registration interface (/rd), records
/// every operation as an Event, can inject faults, and sends device-management requests to the
/// client of the latest Register. Single-threaded: nothing happens unless a test runs pump(),
/// waitFor() or one of the blocking helpers, each bounded by a timeout.
class TestLwm2mServer {
 public:
  TestLwm2mServer();
  /// A DTLS server (coaps://) with these credentials; the rest behaves as the plain one.
  explicit TestLwm2mServer(ServerSecurity security);
  ~TestLwm2mServer();
  TestLwm2mServer(const TestLwm2mServer&) = delete;
  TestLwm2mServer& operator=(const TestLwm2mServer&) = delete;

  /// False when the context or endpoint could not be set up; error() says why.
  bool ok() const { return port_ != 0; }
  const std::string& error() const { return error_; }
  uint16_t port() const { return port_; }
  /// "coap://127.0.0.1:<port>", or "coaps://..." for a DTLS server: for the client's config.
  std::string uri() const;

  // --- DTLS ---
  /// The PSK identity of every PSK handshake a client started (in order).
  const std::vector<std::string>& pskIdentitiesSeen() const { return pskIdentities_; }
  /// Certificate/RPK: each client certificate or key presented (DER), in order.
  const std::vector<std::vector<uint8_t>>& peerKeysSeen() const { return peerKeys_; }
  /// The cipher suite of the session the latest Register came on ("" for plain CoAP), e.g.
  /// "PSK-AES-128-CCM-8" as GnuTLS names it.
  const std::string& registerCipherSuite() const { return registerCipherSuite_; }
  const DatagramCounts& datagrams() const { return datagrams_; }
  /// Plain UDP: copies of CON responses (a notification whose ACK was lost, sent again) that
  /// were acknowledged again and not handed on a second time.
  int answeredRetransmissions() const { return answeredRetransmissions_; }

  // --- Fault injection ---
  /// Answers the next `n` Updates with `code` (e.g. 0x84, 4.04) instead of 2.04. They are still
  /// recorded as Update events with that code.
  void failNextUpdates(int n, uint8_t code);
  /// Silently discards the next `n` Register datagrams (retransmissions count one each): no ACK,
  /// no response, no event. droppedRegisters() counts them.
  void dropNextRegisters(int n);
  int droppedRegisters() const { return droppedRegisters_; }
  /// Response code for Registers from now on (default 2.01). Anything but 2.01 creates no
  /// registration.
  void setRegisterCode(uint8_t code);
  /// Response code for Bootstrap-Requests (POST /bs) from now on (default 2.04). Each is recorded
  /// as a BootstrapRequest event with its query (ep, pct) and makes its sender the peer.
  void setBootstrapRequestCode(uint8_t code) { bootstrapCode_ = code; }

  // --- Running ---
  /// Handles I/O and timers for at most `slice`.
  void pump(std::chrono::milliseconds slice = std::chrono::milliseconds(20));
  /// Runs `pump` (which must not block) on every pump() slice, and keeps slices short while one
  /// is set: for whatever else this thread must keep going while a blocking helper such as
  /// request() waits (an in-process D-Bus provider, another TestLwm2mServer).
  void setSidePump(std::function<void()> pump) { sidePump_ = std::move(pump); }
  /// Pumps until pred() holds (true) or `timeout` passes (false).
  bool waitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout);
  /// The next event of `kind` not returned before (by this function), waiting for it.
  std::optional<Event> waitForEvent(Event::Kind kind, std::chrono::milliseconds timeout);
  const std::vector<Event>& events() const { return events_; }
  /// The most recent live registration.
  std::optional<RegistrationRecord> registration() const;
  const std::map<std::string, RegistrationRecord>& registrations() const { return registrations_; }

  // --- Requests to the client ---
  /// Sends further requests to host:port over a new client session instead of the registered
  /// client (a Register afterwards switches back). For talking to plain CoAP peers.
  bool connect(const std::string& host, uint16_t port);
  /// True when requests have somewhere to go.
  bool hasPeer() const { return peer_ != nullptr; }
  /// Sends a request and waits for its response (piggybacked or separate, matched by token).
  /// nullopt on timeout, RST or when there is no peer.
  std::optional<Response> request(Method method, const std::string& path,
                                  RequestOptions options = {});
  std::optional<Response> read(const std::string& path, std::optional<uint16_t> accept = {});
  std::optional<Response> write(const std::string& path, uint16_t contentFormat,
                                const std::vector<uint8_t>& payload);
  std::optional<Response> write(const std::string& path, uint16_t contentFormat,
                                const std::string& payload);
  std::optional<Response> execute(const std::string& path, const std::string& args = {});
  /// GET with Accept: application/link-format.
  std::optional<Response> discover(const std::string& path);
  /// PUT with the attributes as queries ("pmin=2") and no payload.
  std::optional<Response> writeAttributes(const std::string& path,
                                          const std::vector<std::string>& attributes);

  // --- Bootstrap-Server role (to the client of the latest Bootstrap-Request, Register or
  // CoAP ping) ---
  /// Bootstrap-Write: PUT with a payload in `contentFormat`.
  std::optional<Response> bootstrapWrite(const std::string& path, uint16_t contentFormat,
                                         const std::vector<uint8_t>& payload);
  /// Bootstrap-Delete: DELETE on "/", "/oid" or "/oid/iid".
  std::optional<Response> bootstrapDelete(const std::string& path);
  /// Bootstrap-Discover: GET with Accept: application/link-format on "/" or "/oid".
  std::optional<Response> bootstrapDiscover(const std::string& path);
  /// Bootstrap-Read: GET on "/1", "/1/x", "/2" or "/2/x".
  std::optional<Response> bootstrapRead(const std::string& path,
                                        std::optional<uint16_t> accept = {});
  /// Bootstrap-Finish: POST /bs without payload.
  std::optional<Response> bootstrapFinish();

  // --- Observations ---
  /// GET with Observe=0. The response's token names the observation; later notifications with
  /// it collect in notifications(token).
  std::optional<Response> startObserve(const std::string& path, std::optional<uint16_t> accept = {},
                                       std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// Observe-Composite: FETCH on / with Observe=0 and `paths` (a SenML pack of names in
  /// `contentFormat`). Notifications collect like startObserve's; cancelObserve sends the same
  /// FETCH with Observe=1.
  std::optional<Response> startCompositeObserve(
      uint16_t contentFormat, const std::vector<uint8_t>& paths,
      std::optional<uint16_t> accept = {},
      std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// Active cancel: the observing request again (GET, or FETCH with its payload) with
  /// Observe=1 and the same token. Stops collecting either way.
  std::optional<Response> cancelObserve(
      const Token& token, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// Passive cancel: forget the token, so the next notification is answered with RST.
  void forgetObserve(const Token& token);
  const std::vector<Response>& notifications(const Token& token) const;
  bool waitForNotifications(const Token& token, size_t count, std::chrono::milliseconds timeout);

  // --- Helpers ---
  static std::string text(const Response& response);
  /// 0x45 -> "2.05".
  static std::string codeString(uint8_t code);

 private:
  struct Pending {
    bool done = false;
    bool failed = false;
    Response response;
  };
  struct Observation {
    std::string path;
    std::optional<uint16_t> accept;
    bool active = true;
    std::vector<Response> notifications;
    Method method = Method::Get;
    std::optional<uint16_t> contentFormat;  // of `payload` (FETCH)
    std::vector<uint8_t> payload;
  };
  friend struct ServerCallbacks;

  std::optional<Response> send(Method method, const std::string& path,
                               const RequestOptions& options, const Token& token);
  Token newToken();
  void setPeer(coap_session_t* session);
  void filterDatagrams();
  explicit TestLwm2mServer(std::optional<ServerSecurity> security);
  bool setUpDtls();
  void countDatagram();
  bool shouldDrop(const uint8_t* data, size_t length) const;
  /// Plain UDP: true when the peeked datagram (from `peer`, arrived at `arrivalNs`) is another
  /// copy of a CON response already taken in; it has then been answered and taken off the
  /// socket. libcoap 4.3.1 drops such copies without the ACK RFC 7252 §4.5 asks for.
  bool answerRetransmission(const uint8_t* data, size_t length, const std::string& peer,
                            int64_t arrivalNs);
  void record(Event event);

  coap_context_t* context_ = nullptr;
  std::optional<ServerSecurity> security_;
  std::vector<std::string> pskIdentities_;
  std::vector<std::vector<uint8_t>> peerKeys_;
  std::string registerCipherSuite_;
  DatagramCounts datagrams_;
  coap_session_t* peer_ = nullptr;
  int socketFd_ = -1;
  /// The CON responses (notifications, separate responses) recently seen on the endpoint
  /// socket, oldest overwritten first: a retransmission is the same bytes from the same peer
  /// with the same message id, arrived at another time (a datagram peeked again before libcoap
  /// reads it has the same kernel arrival time).
  struct SeenMessage {
    std::string peer;  // address and port, as bytes
    uint16_t messageId = 0;
    uint64_t digest = 0;  // of the whole datagram
    int64_t arrivalNs = 0;
  };
  std::array<SeenMessage, 256> seen_;
  size_t seenNext_ = 0;
  int answeredRetransmissions_ = 0;
  std::vector<uint8_t> peekBuffer_ = std::vector<uint8_t>(65536);
  int coapFd_ = -1;
  uint16_t port_ = 0;
  std::string error_;

  std::vector<Event> events_;
  std::vector<bool> consumed_;
  std::map<std::string, RegistrationRecord> registrations_;
  std::string latestLocation_;
  unsigned nextId_ = 1;

  int failUpdates_ = 0;
  uint8_t failUpdateCode_ = 0x84;
  int dropRegisters_ = 0;
  int droppedRegisters_ = 0;
  uint8_t registerCode_ = 0x41;
  uint8_t bootstrapCode_ = 0x44;

  std::function<void()> sidePump_;
  bool pumping_ = false;
  uint64_t tokenCounter_ = 0;
  std::map<Token, Pending> pending_;
  std::map<Token, Observation> observations_;
};

}  // namespace lwm2md::test
