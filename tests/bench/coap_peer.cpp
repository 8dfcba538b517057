#include "coap_peer.hpp"

#include <arpa/inet.h>
#include <coap3/coap.h>
#include <sys/socket.h>

#include <cstring>

#include "support/ports.hpp"

namespace lwm2md::bench {
namespace {

/// A notification flood must not overflow the observer's socket while it is busy elsewhere,
/// or the figures show the observer's limit instead of the daemon's. libcoap 4.3.1 has no
/// accessor for an endpoint's socket: find it among our descriptors by its bound port. Root
/// may exceed net.core.rmem_max (SO_RCVBUFFORCE); otherwise this gets what the limit allows.
void growReceiveBuffer(uint16_t port) {
  for (int fd = 0; fd < 1024; ++fd) {
    sockaddr_in address{};
    socklen_t length = sizeof address;
    int type = 0;
    socklen_t typeLength = sizeof type;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
        address.sin_family != AF_INET || ntohs(address.sin_port) != port ||
        getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &typeLength) != 0 || type != SOCK_DGRAM)
      continue;
    const int size = 8 << 20;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
}

}  // namespace

struct PeerCallbacks {
  static CoapPeer* peer(coap_session_t* session) {
    return static_cast<CoapPeer*>(coap_get_app_data(coap_session_get_context(session)));
  }

  static void onRegister(coap_resource_t*, coap_session_t* session, const coap_pdu_t*,
                         const coap_string_t*, coap_pdu_t* response) {
    CoapPeer* self = peer(session);
    ++self->registers_;
    if (self->registered_ != session) {
      if (self->registered_) coap_session_release(self->registered_);
      self->registered_ = coap_session_reference(session);
    }
    coap_pdu_set_code(response, COAP_RESPONSE_CODE_CREATED);
    coap_add_option(response, COAP_OPTION_LOCATION_PATH, 2, reinterpret_cast<const uint8_t*>("rd"));
    coap_add_option(response, COAP_OPTION_LOCATION_PATH, 1, reinterpret_cast<const uint8_t*>("1"));
  }

  static void onUpdate(coap_resource_t*, coap_session_t* session, const coap_pdu_t*,
                       const coap_string_t*, coap_pdu_t* response) {
    ++peer(session)->updates_;
    coap_pdu_set_code(response, COAP_RESPONSE_CODE_CHANGED);
  }

  static void onDeregister(coap_resource_t*, coap_session_t*, const coap_pdu_t*,
                           const coap_string_t*, coap_pdu_t* response) {
    coap_pdu_set_code(response, COAP_RESPONSE_CODE_DELETED);
  }

  static coap_response_t onResponse(coap_session_t* session, const coap_pdu_t*,
                                    const coap_pdu_t* received, const coap_mid_t) {
    Reply reply;
    reply.at = Clock::now();
    CoapPeer* self = peer(session);
    const coap_bin_const_t token = coap_pdu_get_token(received);
    if (token.length != sizeof(uint64_t)) return COAP_RESPONSE_FAIL;
    uint64_t key = 0;
    std::memcpy(&key, token.s, sizeof key);
    auto it = self->handlers_.find(key);
    if (it == self->handlers_.end()) return COAP_RESPONSE_FAIL;  // RST: nobody listens
    reply.code = static_cast<uint8_t>(coap_pdu_get_code(received));
    reply.confirmable = coap_pdu_get_type(received) == COAP_MESSAGE_CON;
    reply.mid = static_cast<uint16_t>(coap_pdu_get_mid(received));
    coap_opt_iterator_t iterator;
    if (coap_opt_t* option = coap_check_option(received, COAP_OPTION_OBSERVE, &iterator))
      reply.observe = coap_decode_var_bytes(coap_opt_value(option), coap_opt_length(option));
    size_t length = 0;
    const uint8_t* data = nullptr;
    if (coap_get_data(received, &length, &data) && data)
      reply.payload = std::string_view(reinterpret_cast<const char*>(data), length);
    // The handler may send or forget: call a copy and look the entry up again afterwards.
    const bool persistent = it->second.persistent;
    CoapPeer::Handler handler = persistent ? CoapPeer::Handler{} : std::move(it->second.handler);
    if (!persistent) self->handlers_.erase(it);
    if (persistent) {
      it->second.handler(reply);
    } else if (handler) {
      handler(reply);
    }
    return COAP_RESPONSE_OK;
  }
};

CoapPeer::CoapPeer() {
  coap_startup();
  coap_set_log_level(LOG_EMERG);
  context_ = coap_new_context(nullptr);
  if (!context_) return;
  coap_set_app_data(context_, this);
  coap_context_set_block_mode(context_, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
  coap_register_response_handler(context_, &PeerCallbacks::onResponse);

  coap_resource_t* rd = coap_resource_init(coap_make_str_const("rd"), 0);
  coap_register_handler(rd, COAP_REQUEST_POST, &PeerCallbacks::onRegister);
  coap_add_resource(context_, rd);
  coap_resource_t* location = coap_resource_init(coap_make_str_const("rd/1"), 0);
  coap_register_handler(location, COAP_REQUEST_POST, &PeerCallbacks::onUpdate);
  coap_register_handler(location, COAP_REQUEST_DELETE, &PeerCallbacks::onDeregister);
  coap_add_resource(context_, location);

  // A few tries: freeUdpPort() only says the port was free a moment ago.
  for (int attempt = 0; attempt < 5 && port_ == 0; ++attempt) {
    const uint16_t port = test::freeUdpPort();
    if (port == 0) continue;
    coap_address_t address;
    coap_address_init(&address);
    address.addr.sin.sin_family = AF_INET;
    address.addr.sin.sin_port = htons(port);
    address.addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (coap_new_endpoint(context_, &address, COAP_PROTO_UDP)) port_ = port;
  }
  if (port_ != 0) growReceiveBuffer(port_);
}

CoapPeer::~CoapPeer() {
  if (registered_) coap_session_release(registered_);
  if (client_) coap_session_release(client_);
  if (context_) coap_free_context(context_);
}

void CoapPeer::pump(unsigned timeoutMs) {
  coap_io_process(context_, timeoutMs == 0 ? COAP_IO_NO_WAIT : timeoutMs);
}

bool CoapPeer::waitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout,
                       const std::function<void()>& side) {
  const auto deadline = Clock::now() + timeout;
  while (!pred()) {
    if (Clock::now() >= deadline) return false;
    pump(side ? 1 : 10);
    if (side) side();
  }
  return true;
}

bool CoapPeer::connect(const std::string& host, uint16_t port) {
  coap_address_t address;
  coap_address_init(&address);
  address.addr.sin.sin_family = AF_INET;
  address.addr.sin.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &address.addr.sin.sin_addr) != 1) return false;
  if (client_) coap_session_release(client_);
  client_ = coap_new_client_session(context_, nullptr, &address, COAP_PROTO_UDP);
  return client_ != nullptr;
}

uint64_t CoapPeer::send(const Request& request, Handler handler) {
  coap_session_t* session = client_ ? client_ : registered_;
  if (!session) return 0;
  const coap_pdu_code_t code =
      request.method == Method::Get ? COAP_REQUEST_CODE_GET : COAP_REQUEST_CODE_PUT;
  coap_pdu_t* pdu = coap_pdu_init(request.confirmable ? COAP_MESSAGE_CON : COAP_MESSAGE_NON, code,
                                  coap_new_message_id(session), coap_session_max_pdu_size(session));
  if (!pdu) return 0;
  const uint64_t token = nextToken_++;
  coap_add_token(pdu, sizeof token, reinterpret_cast<const uint8_t*>(&token));
  uint8_t buffer[4];
  if (request.observe)
    coap_add_option(pdu, COAP_OPTION_OBSERVE,
                    coap_encode_var_safe(buffer, sizeof buffer, COAP_OBSERVE_ESTABLISH), buffer);
  // Uri-Path segments, then Accept, then Uri-Query: options must go in ascending number order.
  size_t start = 1;
  while (start <= request.path.size()) {
    size_t end = request.path.find('/', start);
    if (end == std::string::npos) end = request.path.size();
    if (end > start)
      coap_add_option(pdu, COAP_OPTION_URI_PATH, end - start,
                      reinterpret_cast<const uint8_t*>(request.path.data() + start));
    start = end + 1;
  }
  if (request.accept)
    coap_add_option(pdu, COAP_OPTION_ACCEPT,
                    coap_encode_var_safe(buffer, sizeof buffer, *request.accept), buffer);
  for (const std::string& query : request.query)
    coap_add_option(pdu, COAP_OPTION_URI_QUERY, query.size(),
                    reinterpret_cast<const uint8_t*>(query.data()));
  handlers_[token] = Entry{std::move(handler), request.observe};
  if (coap_send(session, pdu) == COAP_INVALID_MID) {
    handlers_.erase(token);
    return 0;
  }
  return token;
}

}  // namespace lwm2md::bench
