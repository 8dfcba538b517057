#include "test_lwm2m_server.hpp"

#include <arpa/inet.h>
#include <coap3/coap.h>
#include <gnutls/gnutls.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>

#include <fmt/format.h>

namespace lwm2md::test {

namespace {

using Clock = std::chrono::steady_clock;

// Longest single wait inside waitFor(), so the predicate is re-checked regularly even when the
// predicate depends on something other than CoAP traffic.
constexpr std::chrono::milliseconds kMaxSlice{50};
// Slice while a side pump is set: its events are only seen between slices.
constexpr std::chrono::milliseconds kSideSlice{2};
constexpr uint8_t kCreated = 0x41;
constexpr uint8_t kDeleted = 0x42;
constexpr uint8_t kChanged = 0x44;
constexpr uint8_t kBadRequest = 0x80;
constexpr uint8_t kNotFound = 0x84;
constexpr uint8_t kMethodNotAllowed = 0x85;
constexpr uint16_t kLinkFormat = 40;

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(separator, start);
    if (end == std::string::npos) end = text.size();
    if (end > start) parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

std::map<std::string, std::string> parseQuery(const coap_string_t* query) {
  std::map<std::string, std::string> out;
  if (query == nullptr) return out;
  std::string text(reinterpret_cast<const char*>(query->s), query->length);
  for (const auto& item : split(text, '&')) {
    auto eq = item.find('=');
    if (eq == std::string::npos) {
      out[item] = "";
    } else {
      out[item.substr(0, eq)] = item.substr(eq + 1);
    }
  }
  return out;
}

std::vector<std::string> uriPath(const coap_pdu_t* pdu) {
  coap_string_t* path = coap_get_uri_path(pdu);
  if (path == nullptr) return {};
  std::string text(reinterpret_cast<const char*>(path->s), path->length);
  coap_delete_string(path);
  return split(text, '/');
}

std::vector<uint8_t> body(const coap_pdu_t* pdu) {
  size_t length = 0;
  size_t offset = 0;
  size_t total = 0;
  const uint8_t* data = nullptr;
  // With COAP_BLOCK_SINGLE_BODY libcoap hands over the reassembled body in one piece.
  if (coap_get_data_large(pdu, &length, &data, &offset, &total) == 0 || data == nullptr) return {};
  return {data, data + length};
}

std::optional<uint32_t> uintOption(const coap_pdu_t* pdu, coap_option_num_t number) {
  coap_opt_iterator_t iterator;
  coap_opt_t* option = coap_check_option(pdu, number, &iterator);
  if (option == nullptr) return std::nullopt;
  return coap_decode_var_bytes(coap_opt_value(option), coap_opt_length(option));
}

std::vector<std::string> stringOptions(const coap_pdu_t* pdu, coap_option_num_t number) {
  std::vector<std::string> out;
  coap_opt_filter_t filter;
  coap_option_filter_clear(&filter);
  coap_option_filter_set(&filter, number);
  coap_opt_iterator_t iterator;
  coap_option_iterator_init(pdu, &iterator, &filter);
  while (coap_opt_t* option = coap_option_next(&iterator)) {
    out.emplace_back(reinterpret_cast<const char*>(coap_opt_value(option)),
                     coap_opt_length(option));
  }
  return out;
}

Token tokenOf(const coap_pdu_t* pdu) {
  coap_bin_const_t token = coap_pdu_get_token(pdu);
  return Token(token.s, token.s + token.length);
}

void setCode(coap_pdu_t* response, uint8_t code) {
  coap_pdu_set_code(response, static_cast<coap_pdu_code_t>(code));
}

coap_pdu_code_t methodCode(Method method) {
  switch (method) {
    case Method::Get:
      return COAP_REQUEST_CODE_GET;
    case Method::Put:
      return COAP_REQUEST_CODE_PUT;
    case Method::Post:
      return COAP_REQUEST_CODE_POST;
    case Method::Delete:
      return COAP_REQUEST_CODE_DELETE;
    case Method::Fetch:
      return COAP_REQUEST_CODE_FETCH;
    case Method::IPatch:
      return COAP_REQUEST_CODE_IPATCH;
  }
  return COAP_REQUEST_CODE_GET;
}

void addUintOption(coap_optlist_t** list, coap_option_num_t number, uint32_t value) {
  uint8_t buffer[4];
  unsigned length = coap_encode_var_safe(buffer, sizeof(buffer), value);
  coap_insert_optlist(list, coap_new_optlist(number, length, buffer));
}

void addStringOption(coap_optlist_t** list, coap_option_num_t number, const std::string& value) {
  coap_insert_optlist(
      list, coap_new_optlist(number, value.size(), reinterpret_cast<const uint8_t*>(value.data())));
}

// libcoap has no getter for an endpoint's port: its description reads "127.0.0.1:PORT".
uint16_t portFromEndpoint(const char* description) {
  if (description == nullptr) return 0;
  std::string text(description);
  auto space = text.find(' ');
  if (space != std::string::npos) text.resize(space);
  auto colon = text.rfind(':');
  if (colon == std::string::npos) return 0;
  long port = std::strtol(text.c_str() + colon + 1, nullptr, 10);
  return port > 0 && port < 65536 ? static_cast<uint16_t>(port) : 0;
}

// The endpoint's socket, found among our own descriptors by its bound address. Reading it
// before libcoap does is how Registers are dropped without any answer (libcoap always ACKs a
// CON request that reached a handler).
int findUdpSocket(uint16_t port) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    const std::string name = entry.path().filename().string();
    char* end = nullptr;
    long fd = std::strtol(name.c_str(), &end, 10);
    if (end == name.c_str() || *end != '\0') continue;
    int type = 0;
    socklen_t typeLength = sizeof(type);
    if (::getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_TYPE, &type, &typeLength) != 0 ||
        type != SOCK_DGRAM) {
      continue;
    }
    sockaddr_in addr{};
    socklen_t length = sizeof(addr);
    if (::getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
      continue;
    }
    if (addr.sin_family == AF_INET && ntohs(addr.sin_port) == port &&
        addr.sin_addr.s_addr == htonl(INADDR_LOOPBACK)) {
      return static_cast<int>(fd);
    }
  }
  return -1;
}

void releaseBuffer(coap_session_t* /*session*/, void* buffer) {
  delete static_cast<std::vector<uint8_t>*>(buffer);
}

// The negotiated cipher suite of a DTLS session, as GnuTLS names it ("" without DTLS).
std::string cipherSuiteOf(coap_session_t* session) {
  coap_tls_library_t library = COAP_TLS_LIBRARY_NOTLS;
  void* tls = coap_session_get_tls(session, &library);
  if (tls == nullptr || library != COAP_TLS_LIBRARY_GNUTLS) return {};
  auto* g = static_cast<gnutls_session_t>(tls);
  const char* name =
      gnutls_cipher_suite_get_name(gnutls_kx_get(g), gnutls_cipher_get(g), gnutls_mac_get(g));
  return name != nullptr ? name : "";
}

TestLwm2mServer* serverOf(coap_session_t* session) {
  return static_cast<TestLwm2mServer*>(coap_get_app_data(coap_session_get_context(session)));
}

}  // namespace

// libcoap's C callbacks, with access to the server's state.
struct ServerCallbacks {
  static void onRequest(coap_resource_t* /*resource*/, coap_session_t* session,
                        const coap_pdu_t* request, const coap_string_t* query,
                        coap_pdu_t* response) {
    TestLwm2mServer* self = serverOf(session);
    const auto path = uriPath(request);
    const auto method = coap_pdu_get_code(request);
    if (path.size() == 1 && path[0] == "bs" && method == COAP_REQUEST_CODE_POST) {
      onBootstrapRequest(*self, session, request, query, response);
      return;
    }
    if (path.empty() || path[0] != "rd" || path.size() > 2) {
      setCode(response, kNotFound);
      return;
    }
    if (path.size() == 1) {
      if (method != COAP_REQUEST_CODE_POST) {
        setCode(response, kMethodNotAllowed);
        return;
      }
      onRegister(*self, session, request, query, response);
      return;
    }
    const std::string location = "/rd/" + path[1];
    if (method == COAP_REQUEST_CODE_POST) {
      onUpdate(*self, session, location, request, query, response);
    } else if (method == COAP_REQUEST_CODE_DELETE) {
      onDeregister(*self, location, request, query, response);
    } else {
      setCode(response, kMethodNotAllowed);
    }
  }

  static void onRegister(TestLwm2mServer& self, coap_session_t* session, const coap_pdu_t* request,
                         const coap_string_t* query, coap_pdu_t* response) {
    Event event;
    event.kind = Event::Kind::Register;
    event.query = parseQuery(query);
    auto data = body(request);
    event.payload.assign(data.begin(), data.end());
    auto ep = event.query.find("ep");
    if (self.registerCode_ != kCreated) {
      event.code = self.registerCode_;
    } else if (ep == event.query.end() || ep->second.empty()) {
      event.code = kBadRequest;  // the endpoint name is mandatory
    } else {
      // A new Register from the same endpoint replaces its old registration.
      for (auto it = self.registrations_.begin(); it != self.registrations_.end();) {
        it = it->second.endpoint == ep->second ? self.registrations_.erase(it) : std::next(it);
      }
      const std::string id = std::to_string(self.nextId_++);
      event.location = "/rd/" + id;
      event.code = kCreated;
      self.registrations_[event.location] =
          RegistrationRecord{event.location, ep->second, event.query, event.payload};
      self.latestLocation_ = event.location;
      self.registerCipherSuite_ = cipherSuiteOf(session);
      self.setPeer(session);
      coap_add_option(response, COAP_OPTION_LOCATION_PATH, 2,
                      reinterpret_cast<const uint8_t*>("rd"));
      coap_add_option(response, COAP_OPTION_LOCATION_PATH, id.size(),
                      reinterpret_cast<const uint8_t*>(id.data()));
    }
    setCode(response, event.code);
    self.record(std::move(event));
  }

  static void onUpdate(TestLwm2mServer& self, coap_session_t* session, const std::string& location,
                       const coap_pdu_t* request, const coap_string_t* query,
                       coap_pdu_t* response) {
    Event event;
    event.kind = Event::Kind::Update;
    event.location = location;
    event.query = parseQuery(query);
    auto data = body(request);
    event.payload.assign(data.begin(), data.end());
    auto registration = self.registrations_.find(location);
    if (registration == self.registrations_.end()) {
      event.code = kNotFound;
    } else if (self.failUpdates_ > 0) {
      --self.failUpdates_;
      event.code = self.failUpdateCode_;
    } else {
      for (const auto& [key, value] : event.query) registration->second.query[key] = value;
      if (!event.payload.empty()) registration->second.payload = event.payload;
      // The client may come back from another address (NAT rebinding, restart): follow it.
      self.setPeer(session);
      event.code = kChanged;
    }
    setCode(response, event.code);
    self.record(std::move(event));
  }

  static void onDeregister(TestLwm2mServer& self, const std::string& location,
                           const coap_pdu_t* request, const coap_string_t* query,
                           coap_pdu_t* response) {
    Event event;
    event.kind = Event::Kind::Deregister;
    event.location = location;
    event.query = parseQuery(query);
    auto data = body(request);
    event.payload.assign(data.begin(), data.end());
    event.code = self.registrations_.erase(location) > 0 ? kDeleted : kNotFound;
    setCode(response, event.code);
    self.record(std::move(event));
  }

  // Bootstrap-Request (POST /bs?ep=..&pct=..): recorded, answered with the configured code; its
  // sender becomes the peer that bootstrapWrite() and the other helpers address.
  static void onBootstrapRequest(TestLwm2mServer& self, coap_session_t* session,
                                 const coap_pdu_t* request, const coap_string_t* query,
                                 coap_pdu_t* response) {
    Event event;
    event.kind = Event::Kind::BootstrapRequest;
    event.query = parseQuery(query);
    auto data = body(request);
    event.payload.assign(data.begin(), data.end());
    event.code = self.bootstrapCode_;
    self.setPeer(session);
    setCode(response, event.code);
    self.record(std::move(event));
  }

  // A CoAP ping (an empty CON, RFC 7252 §4.3) from a client: it shows where the client can be
  // reached (a client waiting for a server-initiated bootstrap sends one), so its sender
  // becomes the peer. libcoap answers it with RST itself.
  static void onPing(coap_session_t* session, const coap_pdu_t* /*received*/,
                     const coap_mid_t /*mid*/) {
    serverOf(session)->setPeer(session);
  }

  static coap_response_t onResponse(coap_session_t* session, const coap_pdu_t* /*sent*/,
                                    const coap_pdu_t* received, const coap_mid_t /*mid*/) {
    TestLwm2mServer* self = serverOf(session);
    Response response;
    response.code = static_cast<uint8_t>(coap_pdu_get_code(received));
    response.token = tokenOf(received);
    if (auto format = uintOption(received, COAP_OPTION_CONTENT_FORMAT)) {
      response.contentFormat = static_cast<uint16_t>(*format);
    }
    response.observe = uintOption(received, COAP_OPTION_OBSERVE);
    response.locationPath = stringOptions(received, COAP_OPTION_LOCATION_PATH);
    response.payload = body(received);

    auto pending = self->pending_.find(response.token);
    if (pending != self->pending_.end() && !pending->second.done) {
      pending->second.done = true;
      pending->second.response = std::move(response);
      return COAP_RESPONSE_OK;
    }
    auto observation = self->observations_.find(response.token);
    if (observation != self->observations_.end() && observation->second.active) {
      observation->second.notifications.push_back(std::move(response));
      return COAP_RESPONSE_OK;
    }
    // A notification nobody wants: RST makes the client drop the observation (RFC 7641 3.6).
    return response.observe ? COAP_RESPONSE_FAIL : COAP_RESPONSE_OK;
  }

  static void onNack(coap_session_t* session, const coap_pdu_t* sent,
                     const coap_nack_reason_t /*reason*/, const coap_mid_t /*mid*/) {
    if (sent == nullptr) return;
    TestLwm2mServer* self = serverOf(session);
    auto pending = self->pending_.find(tokenOf(sent));
    if (pending != self->pending_.end() && !pending->second.done) {
      pending->second.done = true;
      pending->second.failed = true;
    }
  }
};

TestLwm2mServer::TestLwm2mServer() : TestLwm2mServer(std::optional<ServerSecurity>{}) {}

TestLwm2mServer::TestLwm2mServer(ServerSecurity security)
    : TestLwm2mServer(std::optional<ServerSecurity>(std::move(security))) {}

TestLwm2mServer::TestLwm2mServer(std::optional<ServerSecurity> security)
    : security_(std::move(security)) {
  coap_startup();
  const char* level = std::getenv("LWM2MD_TEST_COAP_LOG");
  coap_set_log_level(level != nullptr && std::string(level) == "debug" ? LOG_DEBUG : LOG_ERR);

  context_ = coap_new_context(nullptr);
  if (context_ == nullptr) {
    error_ = "coap_new_context failed";
    return;
  }
  coap_context_set_block_mode(context_, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
  coap_set_app_data(context_, this);
  coap_register_response_handler(context_, &ServerCallbacks::onResponse);
  coap_register_nack_handler(context_, &ServerCallbacks::onNack);
  coap_register_ping_handler(context_, &ServerCallbacks::onPing);

  // Every path goes to one handler: /rd and /rd/<n> are dispatched there, and a DELETE of an
  // unknown location gets 4.04 instead of libcoap's default 2.02 for missing resources.
  coap_resource_t* resource = coap_resource_unknown_init2(&ServerCallbacks::onRequest, 0);
  coap_register_request_handler(resource, COAP_REQUEST_POST, &ServerCallbacks::onRequest);
  coap_register_request_handler(resource, COAP_REQUEST_GET, &ServerCallbacks::onRequest);
  coap_register_request_handler(resource, COAP_REQUEST_DELETE, &ServerCallbacks::onRequest);
  coap_add_resource(context_, resource);

  coap_address_t address;
  coap_address_init(&address);
  address.addr.sin.sin_family = AF_INET;
  address.addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.addr.sin.sin_port = 0;
  address.size = sizeof(sockaddr_in);
  if (security_ && !setUpDtls()) return;
  coap_endpoint_t* endpoint =
      coap_new_endpoint(context_, &address, security_ ? COAP_PROTO_DTLS : COAP_PROTO_UDP);
  if (endpoint == nullptr) {
    error_ = security_ ? "cannot bind a DTLS endpoint on 127.0.0.1"
                       : "cannot bind a UDP endpoint on 127.0.0.1";
    return;
  }
  uint16_t port = portFromEndpoint(coap_endpoint_str(endpoint));
  if (port == 0) {
    error_ = std::string("cannot read the bound port from '") + coap_endpoint_str(endpoint) + "'";
    return;
  }
  socketFd_ = findUdpSocket(port);
  if (socketFd_ < 0) {
    error_ = "cannot find the endpoint's socket";
    return;
  }
  coapFd_ = coap_context_get_coap_fd(context_);
  if (!security_) {
    // Turns the kernel's receive time stamps on for this socket (see filterDatagrams); the
    // first query has nothing to report yet.
    timespec stamp{};
    ::ioctl(socketFd_, SIOCGSTAMPNS, &stamp);
  }
  std::random_device seed;
  tokenCounter_ = (static_cast<uint64_t>(seed()) << 32) ^ seed();
  port_ = port;
}

TestLwm2mServer::~TestLwm2mServer() {
  if (context_ == nullptr) return;
  if (peer_ != nullptr) coap_session_release(peer_);
  coap_free_context(context_);
}

std::string TestLwm2mServer::uri() const {
  return fmt::format("{}://127.0.0.1:{}", security_ ? "coaps" : "coap", port_);
}

bool TestLwm2mServer::setUpDtls() {
  if (!coap_dtls_is_supported()) {
    error_ = "libcoap has no DTLS support";
    return false;
  }
  ServerSecurity& sec = *security_;
  if (sec.mode == ServerSecurity::Mode::Psk) {
    coap_dtls_spsk_t psk{};
    psk.version = COAP_DTLS_SPSK_SETUP_VERSION;
    psk.psk_info.key = {sec.pskKey.size(), sec.pskKey.data()};
    // Records every identity; only the configured one gets the key, others fail the handshake.
    psk.validate_id_call_back = [](coap_bin_const_t* identity, coap_session_t* /*session*/,
                                   void* arg) -> const coap_bin_const_t* {
      auto* self = static_cast<TestLwm2mServer*>(arg);
      const std::string seen(reinterpret_cast<const char*>(identity->s), identity->length);
      self->pskIdentities_.push_back(seen);
      if (seen != self->security_->pskIdentity) return nullptr;
      static thread_local coap_bin_const_t key;
      key = {self->security_->pskKey.size(), self->security_->pskKey.data()};
      return &key;
    };
    psk.id_call_back_arg = this;
    if (coap_context_set_psk2(context_, &psk) == 0) {
      error_ = "coap_context_set_psk2 failed";
      return false;
    }
    return true;
  }
  const bool rpk = sec.mode == ServerSecurity::Mode::RawPublicKey;
  coap_dtls_pki_t pki{};
  pki.version = COAP_DTLS_PKI_SETUP_VERSION;
  pki.is_rpk_not_cert = rpk ? 1 : 0;
  pki.verify_peer_cert = !rpk && !sec.caCertificate.empty() ? 1 : 0;
  pki.cert_chain_validation = pki.verify_peer_cert;
  pki.cert_chain_verify_depth = 3;
  pki.allow_no_crl = 1;
  pki.allow_expired_crl = 1;
  pki.validate_cn_call_back = [](const char* /*cn*/, const uint8_t* der, size_t length,
                                 coap_session_t* /*session*/, unsigned depth, int validated,
                                 void* arg) -> int {
    auto* self = static_cast<TestLwm2mServer*>(arg);
    if (depth == 0) self->peerKeys_.emplace_back(der, der + length);
    const ServerSecurity& s = *self->security_;
    if (s.mode == ServerSecurity::Mode::RawPublicKey)
      return s.clientPublicKey.empty() ||
             std::vector<uint8_t>(der, der + length) == s.clientPublicKey;
    return s.caCertificate.empty() || validated ? 1 : 0;
  };
  pki.cn_call_back_arg = this;
  pki.pki_key.key_type = COAP_PKI_KEY_ASN1;
  coap_pki_key_asn1_t& asn1 = pki.pki_key.key.asn1;
  asn1.public_cert = sec.certificate.data();
  asn1.public_cert_len = sec.certificate.size();
  asn1.private_key = sec.privateKey.data();
  asn1.private_key_len = sec.privateKey.size();
  asn1.private_key_type = COAP_ASN1_PKEY_EC;
  if (!rpk && !sec.caCertificate.empty()) {
    asn1.ca_cert = sec.caCertificate.data();
    asn1.ca_cert_len = sec.caCertificate.size();
  }
  if (coap_context_set_pki(context_, &pki) == 0) {
    error_ = "coap_context_set_pki failed";
    return false;
  }
  return true;
}

void TestLwm2mServer::countDatagram() {
  if (!security_ || socketFd_ < 0) return;
  uint8_t head[14];
  const ssize_t n = ::recv(socketFd_, head, sizeof(head), MSG_PEEK | MSG_DONTWAIT);
  if (n <= 0) return;
  // A DTLS record starts with its content type (20..23) and version {254, 253} (DTLS 1.2) or
  // {254, 255} (1.0); a ClientHello is handshake type 1 right after the 13-byte header.
  if (n >= 3 && head[0] >= 20 && head[0] <= 23 && head[1] == 254) {
    ++datagrams_.dtlsRecords;
    if (head[0] == 22 && n >= 14 && head[13] == 1) ++datagrams_.clientHellos;
  } else if ((head[0] >> 6) == 1) {
    ++datagrams_.plainCoap;
  }
}

void TestLwm2mServer::failNextUpdates(int n, uint8_t code) {
  failUpdates_ = n;
  failUpdateCode_ = code;
}

void TestLwm2mServer::dropNextRegisters(int n) {
  dropRegisters_ = n;
}

void TestLwm2mServer::setRegisterCode(uint8_t code) {
  registerCode_ = code;
}

void TestLwm2mServer::record(Event event) {
  events_.push_back(std::move(event));
  consumed_.push_back(false);
}

void TestLwm2mServer::setPeer(coap_session_t* session) {
  if (session == peer_) return;
  coap_session_reference(session);
  if (peer_ != nullptr) coap_session_release(peer_);
  peer_ = session;
}

bool TestLwm2mServer::shouldDrop(const uint8_t* data, size_t length) const {
  coap_pdu_t* pdu = coap_pdu_init(COAP_MESSAGE_CON, COAP_EMPTY_CODE, 0, length + 16);
  if (pdu == nullptr) return false;
  bool drop = false;
  if (coap_pdu_parse(COAP_PROTO_UDP, data, length, pdu) != 0) {
    auto type = coap_pdu_get_type(pdu);
    auto path = uriPath(pdu);
    drop = (type == COAP_MESSAGE_CON || type == COAP_MESSAGE_NON) &&
           coap_pdu_get_code(pdu) == COAP_REQUEST_CODE_POST && path.size() == 1 && path[0] == "rd";
  }
  coap_delete_pdu(pdu);
  return drop;
}

namespace {

// FNV-1a: enough to tell a byte-identical retransmission from another message that reuses
// its message id (a restarted client).
uint64_t digestOf(const uint8_t* data, size_t length) {
  uint64_t hash = 14695981039346656037ull;
  for (size_t i = 0; i < length; ++i) hash = (hash ^ data[i]) * 1099511628211ull;
  return hash;
}

std::string peerKey(const sockaddr_storage& address, socklen_t length) {
  return std::string(reinterpret_cast<const char*>(&address),
                     std::min<size_t>(length, sizeof(address)));
}

int64_t nanoseconds(const timespec& t) {
  return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

int64_t realtimeNow() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return nanoseconds(now);
}

}  // namespace

bool TestLwm2mServer::answerRetransmission(const uint8_t* data, size_t length,
                                           const std::string& peer, int64_t arrivalNs) {
  // A CON message with a response code (classes 2 to 5): a notification or separate response.
  if (length < 4 || (data[0] >> 6) != 1 || ((data[0] >> 4) & 3) != 0) return false;
  const int codeClass = data[1] >> 5;
  if (codeClass < 2 || codeClass > 5) return false;
  // Malformed messages are libcoap's to refuse, every copy.
  std::unique_ptr<coap_pdu_t, void (*)(coap_pdu_t*)> parsed(
      coap_pdu_init(COAP_MESSAGE_CON, COAP_EMPTY_CODE, 0, length + 16), &coap_delete_pdu);
  coap_pdu_t* pdu = parsed.get();
  if (pdu == nullptr || coap_pdu_parse(COAP_PROTO_UDP, data, length, pdu) == 0) return false;
  const uint16_t mid = static_cast<uint16_t>(data[2] << 8 | data[3]);
  const uint64_t digest = digestOf(data, length);
  auto known = std::find_if(seen_.begin(), seen_.end(), [&](const SeenMessage& m) {
    return m.messageId == mid && m.digest == digest && m.peer == peer;
  });
  if (known == seen_.end()) {
    seen_[seenNext_] = SeenMessage{peer, mid, digest, arrivalNs};
    seenNext_ = (seenNext_ + 1) % seen_.size();
    return false;  // the first copy: libcoap handles it
  }
  if (known->arrivalNs == arrivalNs) return false;  // the same datagram, peeked again

  // Another copy. Its answer is the one the first copy got: RST for a notification nobody
  // observes (as onResponse decides), an empty ACK otherwise.
  const Token token = tokenOf(pdu);
  auto pending = pending_.find(token);
  auto observation = observations_.find(token);
  const bool reset = uintOption(pdu, COAP_OPTION_OBSERVE).has_value() &&
                     (pending == pending_.end() || pending->second.done) &&
                     (observation == observations_.end() || !observation->second.active);
  const uint8_t answer[4] = {static_cast<uint8_t>(reset ? 0x70 : 0x60), 0, data[2], data[3]};
  // Taken off the socket first, so that libcoap never sees (and silently drops) this copy.
  uint8_t discard[1];
  ::recv(socketFd_, discard, sizeof(discard), MSG_DONTWAIT);
  ::sendto(socketFd_, answer, sizeof(answer), 0, reinterpret_cast<const sockaddr*>(peer.data()),
           static_cast<socklen_t>(peer.size()));
  ++answeredRetransmissions_;
  return true;
}

void TestLwm2mServer::filterDatagrams() {
  if (socketFd_ < 0) return;
  // DTLS records are opaque here; on plain UDP every datagram is looked at (retransmissions).
  if (security_ && dropRegisters_ <= 0) return;
  std::vector<uint8_t>& buffer = peekBuffer_;
  // Bounded: a burst larger than this is left for the next pump.
  for (int i = 0; i < 64; ++i) {
    sockaddr_storage from{};
    iovec io{buffer.data(), buffer.size()};
    msghdr message{};
    message.msg_name = &from;
    message.msg_namelen = sizeof(from);
    message.msg_iov = &io;
    message.msg_iovlen = 1;
    const int64_t before = realtimeNow();
    const ssize_t n = ::recvmsg(socketFd_, &message, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0) return;
    const auto length = static_cast<size_t>(n);
    if (dropRegisters_ > 0 && shouldDrop(buffer.data(), length)) {
      ::recv(socketFd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
      --dropRegisters_;
      ++droppedRegisters_;
      continue;
    }
    if (security_) return;
    // The kernel's arrival time of the peeked datagram (SIOCGSTAMPNS reports the one of the
    // last datagram read, peeks included), rather than SO_TIMESTAMPNS, whose control message
    // would crowd out the IP_PKTINFO one in libcoap's own recvmsg buffer. A datagram that
    // came in before time stamping was on reads as "now": no arrival time to go by, so it is
    // left to libcoap.
    timespec stamp{};
    if (::ioctl(socketFd_, SIOCGSTAMPNS, &stamp) != 0 || nanoseconds(stamp) >= before) return;
    if (!answerRetransmission(buffer.data(), length, peerKey(from, message.msg_namelen),
                              nanoseconds(stamp))) {
      return;
    }
  }
}

void TestLwm2mServer::pump(std::chrono::milliseconds slice) {
  // Re-entry (two servers pumping each other, a side pump that pumps us) must not nest
  // coap_io_process: the outer call does the work.
  if (context_ == nullptr || pumping_) return;
  pumping_ = true;
  struct Reset {
    bool& flag;
    ~Reset() { flag = false; }
  } reset{pumping_};
  if (sidePump_) {
    sidePump_();
    slice = std::min(slice, kSideSlice);
  }
  filterDatagrams();
  int timeoutMs = static_cast<int>(std::max<int64_t>(0, slice.count()));
  if (coapFd_ < 0) {
    coap_io_process(context_, timeoutMs == 0 ? COAP_IO_NO_WAIT : static_cast<uint32_t>(timeoutMs));
    return;
  }
  // Wait ourselves so that dropped datagrams can be taken off the socket before libcoap sees
  // them; libcoap's epoll fd also wakes us for its retransmission and observe timers.
  pollfd fds[2] = {{coapFd_, POLLIN, 0}, {socketFd_, POLLIN, 0}};
  ::poll(fds, socketFd_ >= 0 ? 2 : 1, timeoutMs);
  filterDatagrams();
  countDatagram();
  coap_io_process(context_, COAP_IO_NO_WAIT);
}

bool TestLwm2mServer::waitFor(const std::function<bool()>& pred,
                              std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    if (pred()) return true;
    auto now = Clock::now();
    if (now >= deadline) return false;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
    pump(std::min(left, kMaxSlice));
  }
}

std::optional<Event> TestLwm2mServer::waitForEvent(Event::Kind kind,
                                                   std::chrono::milliseconds timeout) {
  std::optional<size_t> found;
  waitFor(
      [&] {
        for (size_t i = 0; i < events_.size(); ++i) {
          if (!consumed_[i] && events_[i].kind == kind) {
            found = i;
            return true;
          }
        }
        return false;
      },
      timeout);
  if (!found) return std::nullopt;
  consumed_[*found] = true;
  return events_[*found];
}

std::optional<RegistrationRecord> TestLwm2mServer::registration() const {
  auto it = registrations_.find(latestLocation_);
  if (it == registrations_.end()) return std::nullopt;
  return it->second;
}

bool TestLwm2mServer::connect(const std::string& host, uint16_t port) {
  if (context_ == nullptr) return false;
  coap_address_t address;
  coap_address_init(&address);
  if (::inet_pton(AF_INET, host.c_str(), &address.addr.sin.sin_addr) == 1) {
    address.addr.sin.sin_family = AF_INET;
    address.addr.sin.sin_port = htons(port);
    address.size = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, host.c_str(), &address.addr.sin6.sin6_addr) == 1) {
    address.addr.sin6.sin6_family = AF_INET6;
    address.addr.sin6.sin6_port = htons(port);
    address.size = sizeof(sockaddr_in6);
  } else {
    return false;  // numeric addresses only: tests stay on loopback
  }
  coap_session_t* session = coap_new_client_session(context_, nullptr, &address, COAP_PROTO_UDP);
  if (session == nullptr) return false;
  setPeer(session);
  coap_session_release(session);  // drop the creation reference: peer_ holds its own
  return true;
}

Token TestLwm2mServer::newToken() {
  uint64_t value = ++tokenCounter_;
  Token token(8);
  for (size_t i = 0; i < token.size(); ++i) token[i] = static_cast<uint8_t>(value >> (8 * i));
  return token;
}

std::optional<Response> TestLwm2mServer::request(Method method, const std::string& path,
                                                 RequestOptions options) {
  return send(method, path, options, newToken());
}

std::optional<Response> TestLwm2mServer::send(Method method, const std::string& path,
                                              const RequestOptions& options, const Token& token) {
  if (peer_ == nullptr) return std::nullopt;
  coap_pdu_t* pdu =
      coap_pdu_init(options.confirmable ? COAP_MESSAGE_CON : COAP_MESSAGE_NON, methodCode(method),
                    coap_new_message_id(peer_), coap_session_max_pdu_size(peer_));
  if (pdu == nullptr) return std::nullopt;
  coap_add_token(pdu, token.size(), token.data());

  coap_optlist_t* list = nullptr;
  if (options.observe) addUintOption(&list, COAP_OPTION_OBSERVE, *options.observe);
  for (const auto& segment : split(path, '/'))
    addStringOption(&list, COAP_OPTION_URI_PATH, segment);
  if (options.contentFormat) {
    addUintOption(&list, COAP_OPTION_CONTENT_FORMAT, *options.contentFormat);
  }
  for (const auto& query : options.query) addStringOption(&list, COAP_OPTION_URI_QUERY, query);
  if (options.accept) addUintOption(&list, COAP_OPTION_ACCEPT, *options.accept);
  if (options.block1) addUintOption(&list, COAP_OPTION_BLOCK1, *options.block1);
  if (options.size1) addUintOption(&list, COAP_OPTION_SIZE1, *options.size1);
  if (list != nullptr) {
    coap_add_optlist_pdu(pdu, &list);
    coap_delete_optlist(list);
  }
  if (options.block1) {
    if (!options.payload.empty())
      coap_add_data(pdu, options.payload.size(), options.payload.data());
  } else if (!options.payload.empty()) {
    // libcoap sends large bodies block-wise and frees the copy when the transfer ends.
    auto* copy = new std::vector<uint8_t>(options.payload);
    if (coap_add_data_large_request(peer_, pdu, copy->size(), copy->data(), &releaseBuffer, copy) ==
        0) {
      coap_delete_pdu(pdu);
      return std::nullopt;
    }
  }

  pending_[token] = Pending{};
  if (coap_send(peer_, pdu) == COAP_INVALID_MID) {
    pending_.erase(token);
    return std::nullopt;
  }
  waitFor([&] { return pending_[token].done; }, options.timeout);
  Pending result = std::move(pending_[token]);
  pending_.erase(token);
  if (!result.done || result.failed) return std::nullopt;
  return result.response;
}

std::optional<Response> TestLwm2mServer::read(const std::string& path,
                                              std::optional<uint16_t> accept) {
  RequestOptions options;
  options.accept = accept;
  return request(Method::Get, path, options);
}

std::optional<Response> TestLwm2mServer::write(const std::string& path, uint16_t contentFormat,
                                               const std::vector<uint8_t>& payload) {
  RequestOptions options;
  options.contentFormat = contentFormat;
  options.payload = payload;
  return request(Method::Put, path, options);
}

std::optional<Response> TestLwm2mServer::write(const std::string& path, uint16_t contentFormat,
                                               const std::string& payload) {
  return write(path, contentFormat, std::vector<uint8_t>(payload.begin(), payload.end()));
}

std::optional<Response> TestLwm2mServer::execute(const std::string& path, const std::string& args) {
  RequestOptions options;
  options.payload.assign(args.begin(), args.end());
  return request(Method::Post, path, options);
}

std::optional<Response> TestLwm2mServer::discover(const std::string& path) {
  return read(path, kLinkFormat);
}

std::optional<Response> TestLwm2mServer::writeAttributes(
    const std::string& path, const std::vector<std::string>& attributes) {
  RequestOptions options;
  options.query = attributes;
  return request(Method::Put, path, options);
}

std::optional<Response> TestLwm2mServer::bootstrapWrite(const std::string& path,
                                                        uint16_t contentFormat,
                                                        const std::vector<uint8_t>& payload) {
  return write(path, contentFormat, payload);
}

std::optional<Response> TestLwm2mServer::bootstrapDelete(const std::string& path) {
  return request(Method::Delete, path);
}

std::optional<Response> TestLwm2mServer::bootstrapDiscover(const std::string& path) {
  return discover(path);
}

std::optional<Response> TestLwm2mServer::bootstrapRead(const std::string& path,
                                                       std::optional<uint16_t> accept) {
  return read(path, accept);
}

std::optional<Response> TestLwm2mServer::bootstrapFinish() {
  return request(Method::Post, "/bs");
}

std::optional<Response> TestLwm2mServer::startObserve(const std::string& path,
                                                      std::optional<uint16_t> accept,
                                                      std::chrono::milliseconds timeout) {
  Token token = newToken();
  // Registered before sending so that no notification can slip past.
  observations_[token] = Observation{path, accept, true, {}, Method::Get, {}, {}};
  RequestOptions options;
  options.accept = accept;
  options.observe = 0;
  options.timeout = timeout;
  auto response = send(Method::Get, path, options, token);
  if (!response || !response->observe) {
    // No Observe option in the answer: the client did not accept the observation.
    observations_[token].active = false;
  }
  return response;
}

std::optional<Response> TestLwm2mServer::startCompositeObserve(uint16_t contentFormat,
                                                               const std::vector<uint8_t>& paths,
                                                               std::optional<uint16_t> accept,
                                                               std::chrono::milliseconds timeout) {
  Token token = newToken();
  observations_[token] = Observation{"/", accept, true, {}, Method::Fetch, contentFormat, paths};
  RequestOptions options;
  options.accept = accept;
  options.contentFormat = contentFormat;
  options.payload = paths;
  options.observe = 0;
  options.timeout = timeout;
  auto response = send(Method::Fetch, "/", options, token);
  if (!response || !response->observe) observations_[token].active = false;
  return response;
}

std::optional<Response> TestLwm2mServer::cancelObserve(const Token& token,
                                                       std::chrono::milliseconds timeout) {
  auto it = observations_.find(token);
  if (it == observations_.end()) return std::nullopt;
  it->second.active = false;
  RequestOptions options;
  options.accept = it->second.accept;
  options.contentFormat = it->second.contentFormat;
  options.payload = it->second.payload;
  options.observe = 1;
  options.timeout = timeout;
  return send(it->second.method, it->second.path, options, token);
}

void TestLwm2mServer::forgetObserve(const Token& token) {
  auto it = observations_.find(token);
  if (it != observations_.end()) it->second.active = false;
}

const std::vector<Response>& TestLwm2mServer::notifications(const Token& token) const {
  static const std::vector<Response> kNone;
  auto it = observations_.find(token);
  return it == observations_.end() ? kNone : it->second.notifications;
}

bool TestLwm2mServer::waitForNotifications(const Token& token, size_t count,
                                           std::chrono::milliseconds timeout) {
  return waitFor([&] { return notifications(token).size() >= count; }, timeout);
}

std::string TestLwm2mServer::text(const Response& response) {
  return std::string(response.payload.begin(), response.payload.end());
}

std::string TestLwm2mServer::codeString(uint8_t code) {
  return fmt::format("{}.{:02}", code >> 5, code & 0x1f);
}

}  // namespace lwm2md::test
