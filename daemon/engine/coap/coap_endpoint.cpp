#include "coap/coap_endpoint.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

#include "coap/request_decoding.hpp"
#include "core/event_loop.hpp"
#include "core/log.hpp"

namespace lwm2md {

namespace {

/// Why a Block1 block is malformed, if it is: every block but the last carries exactly the
/// block size (RFC 7959 §2.2), or the body would be put together with holes or overlaps.
std::optional<std::string> blockSizeProblem(const coap_block_t& block, std::size_t length) {
  if (!block.m) return std::nullopt;
  const std::size_t size = std::size_t{16} << block.szx;
  if (length == size) return std::nullopt;
  return fmt::format("block {} carries {} bytes: a block with more to follow carries {}", block.num,
                     length, size);
}

std::shared_ptr<spdlog::logger> logger() {
  static const auto instance = log::get("coap");
  return instance;
}

coap_pdu_code_t toPduCode(CoapMethod method) {
  switch (method) {
    case CoapMethod::Get:
      return COAP_REQUEST_CODE_GET;
    case CoapMethod::Post:
      return COAP_REQUEST_CODE_POST;
    case CoapMethod::Put:
      return COAP_REQUEST_CODE_PUT;
    case CoapMethod::Delete:
      return COAP_REQUEST_CODE_DELETE;
    case CoapMethod::Fetch:
      return COAP_REQUEST_CODE_FETCH;
    case CoapMethod::Patch:
      return COAP_REQUEST_CODE_PATCH;
    case CoapMethod::IPatch:
      return COAP_REQUEST_CODE_IPATCH;
  }
  return COAP_REQUEST_CODE_GET;
}

/// EXCHANGE_LIFETIME with RFC 7252's default parameters (§4.8.2): after it, nothing more of an
/// exchange (a block of a body, a request for a block-wise notification's next block) comes.
constexpr auto kExchangeLifetime = std::chrono::seconds(247);
/// The bounds of answered_: enough for a server's requests of an EXCHANGE_LIFETIME at a
/// steady pace, flat under a flood.
constexpr std::size_t kMaxAnsweredRequests = 512;
constexpr std::size_t kMaxAnsweredBytes = 256 * 1024;

int coapLogLevel() {
  auto level = logger()->level();
  if (level <= spdlog::level::trace) return LOG_DEBUG;
  if (level <= spdlog::level::debug) return LOG_INFO;
  return LOG_WARNING;
}

/// libcoap's own log lines go to the "coap" logger. Its warnings come one per bad datagram
/// ("discard malformed PDU"), so a flood of garbage would flood the journal in turn: at most
/// ten a second, each saying how many were left out. Its debug output (log level debug or
/// trace) passes whole.
void logFromLibcoap(coap_log_t level, const char* message) {
  std::string_view text(message != nullptr ? message : "");
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  if (level > LOG_WARNING) {
    logger()->log(level >= LOG_DEBUG ? spdlog::level::trace : spdlog::level::debug, "libcoap: {}",
                  text);
    return;
  }
  static LimitWarning budget(std::chrono::milliseconds(100));
  const auto suppressed = budget.hit();
  if (!suppressed) return;
  logger()->log(level <= LOG_ERR ? spdlog::level::err : spdlog::level::warn, "libcoap: {}{}", text,
                LimitWarning::suppressedNote(*suppressed));
}

void releaseBuffer(coap_session_t*, void* app) {
  delete static_cast<std::vector<std::uint8_t>*>(app);
}

/// The Request-Tag option (RFC 9175 §3.2) libcoap puts in every block of a block-wise request
/// body; empty when there is none.
std::vector<std::uint8_t> requestTagOf(const coap_pdu_t* pdu) {
  coap_opt_iterator_t it;
  coap_opt_t* opt = coap_check_option(pdu, COAP_OPTION_RTAG, &it);
  if (!opt) return {};
  const std::uint8_t* value = coap_opt_value(opt);
  return {value, value + coap_opt_length(opt)};
}

bool sameAddress(const sockaddr_storage& found, socklen_t length, const coap_address_t& want) {
  if (length != want.size || found.ss_family != want.addr.sa.sa_family) return false;
  return std::memcmp(&found, &want.addr, length) == 0;
}

std::uint16_t portOf(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET)
    return ntohs(reinterpret_cast<const sockaddr_in&>(address).sin_port);
  if (address.ss_family == AF_INET6)
    return ntohs(reinterpret_cast<const sockaddr_in6&>(address).sin6_port);
  return 0;
}

/// The UDP socket libcoap opened for a client session (4.3.1 has no getter): the datagram
/// socket of this process connected to the session's peer from the session's local port.
int findSessionSocket(coap_session_t* session) {
  const coap_address_t* remote = coap_session_get_addr_remote(session);
  const coap_address_t* local = coap_session_get_addr_local(session);
  if (!remote || !local) return -1;
  const std::uint16_t localPort = coap_address_get_port(local);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    const std::string name = entry.path().filename().string();
    char* end = nullptr;
    const long fd = std::strtol(name.c_str(), &end, 10);
    if (end == name.c_str() || *end != '\0') continue;
    int type = 0;
    socklen_t typeLength = sizeof type;
    if (getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_TYPE, &type, &typeLength) != 0 ||
        type != SOCK_DGRAM)
      continue;
    sockaddr_storage peer{};
    socklen_t peerLength = sizeof peer;
    if (getpeername(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&peer), &peerLength) != 0 ||
        !sameAddress(peer, peerLength, *remote))
      continue;
    sockaddr_storage self{};
    socklen_t selfLength = sizeof self;
    if (getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&self), &selfLength) != 0)
      continue;
    if (localPort == 0 || portOf(self) == localPort) return static_cast<int>(fd);
  }
  return -1;
}

/// An entity tag for a block-wise body (RFC 7252 §5.10.6, RFC 7959 §2.4): FNV-1a over the
/// bytes. A client that holds blocks of an earlier representation sees the tag change and
/// fetches the new one whole instead of splicing old blocks onto a new first block.
std::uint64_t entityTagOf(const std::vector<std::uint8_t>& payload) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (std::uint8_t byte : payload) hash = (hash ^ byte) * 0x100000001b3ULL;
  return hash == 0 ? 1 : hash;  // 0 asks libcoap to choose one
}

/// The largest body sent whole in one response: anything longer goes in 1024-byte blocks.
constexpr std::size_t kSingleBlockBody = 1024;

/// Puts `body` into `response`: whole when it is small and no block was asked for, else the
/// block the request's Block2 names (RFC 7959 §2.2), with Size2 and an ETag of the body, so the
/// server can tell the blocks of one representation from another's. False for a block beyond
/// the end.
bool attachBlock(const coap_pdu_t* request, coap_pdu_t* response,
                 const std::vector<std::uint8_t>& body, std::uint16_t format) {
  std::uint8_t buf[8];
  if (format != 0)  // 0 is already there (added empty, as a zero-length uint)
    coap_add_option(response, COAP_OPTION_CONTENT_FORMAT,
                    coap_encode_var_safe(buf, sizeof buf, format), buf);
  coap_block_t asked{};
  const bool blockAsked = coap_get_block(request, COAP_OPTION_BLOCK2, &asked) != 0;
  if (!blockAsked && body.size() <= kSingleBlockBody)
    return body.empty() || coap_add_data(response, body.size(), body.data());
  const unsigned szx = blockAsked ? std::min(asked.szx, 6u) : 6u;
  const std::size_t size = std::size_t{16} << szx;
  const std::size_t num = blockAsked ? asked.num : 0;
  const std::size_t offset = num * size;
  if (offset >= body.size() && offset != 0) return false;
  const bool more = offset + size < body.size();
  coap_add_option(response, COAP_OPTION_ETAG,
                  coap_encode_var_safe8(buf, sizeof buf, entityTagOf(body)), buf);
  coap_add_option(response, COAP_OPTION_BLOCK2,
                  coap_encode_var_safe(buf, sizeof buf,
                                       static_cast<unsigned>((num << 4) | (more ? 8u : 0u) | szx)),
                  buf);
  coap_add_option(response, COAP_OPTION_SIZE2,
                  coap_encode_var_safe(buf, sizeof buf, static_cast<unsigned>(body.size())), buf);
  const std::size_t length = std::min(size, body.size() - offset);
  return coap_add_data(response, length, body.data() + offset) != 0;
}

/// Whether a request may continue a block-wise notification (RFC 7959 §2.6): a GET or a
/// bodiless FETCH with a Block2 option on the notified path. A client that sees a new ETag
/// asks for the first block again (libcoap 4.3.1 does), so any block continues it; libcoap
/// also leaves the body out of a FETCH continuation, and an empty FETCH cannot be a
/// Read-Composite of its own.
bool continuesNotification(const DmRequest& dm, const coap_pdu_t* request) {
  coap_block_t block{};
  if (!coap_get_block(request, COAP_OPTION_BLOCK2, &block)) return false;
  if (dm.method == CoapMethod::Get) return true;
  return dm.method == CoapMethod::Fetch && dm.payload.empty();
}

/// libcoap's fixed point: an integer part and thousandths. The config bounds the values
/// (ACK_TIMEOUT <= 300 s, ACK_RANDOM_FACTOR <= 10), so the integer part fits.
coap_fixed_point_t toFixedPoint(double value) {
  auto thousandths = static_cast<std::uint32_t>(std::lround(std::max(value, 0.0) * 1000.0));
  return coap_fixed_point_t{static_cast<std::uint16_t>(thousandths / 1000),
                            static_cast<std::uint16_t>(thousandths % 1000)};
}

}  // namespace

CoapEndpoint::CoapEndpoint(EventLoop& loop)
    : loop_(loop), answered_(kMaxAnsweredRequests, kMaxAnsweredBytes, kExchangeLifetime) {
  coap_startup();
  coap_set_log_handler(&logFromLibcoap);
  coap_set_log_level(static_cast<coap_log_t>(coapLogLevel()));
  context_ = coap_new_context(nullptr);
  if (!context_) throw std::runtime_error("cannot create a CoAP context");
  coap_set_app_data(context_, this);
  // libcoap splits the daemon's own large requests into blocks (RFC 7959) and answers a
  // server's Block2 continuations of them; it hands each Block1 block of a server's request to
  // the handler, which collects the body (collectBlock). Not COAP_BLOCK_SINGLE_BODY: libcoap
  // 4.3.1 then reassembles request bodies itself and dereferences a null body for several
  // block sequences (a last block adding nothing to a body without Size1, a lone last block
  // announcing Size1, a block after a completed body: SEGVs that fuzz-coap_endpoint and the
  // garbage flood found), over DTLS as over UDP, where no screening can see them first.
  coap_context_set_block_mode(context_, COAP_BLOCK_USE_LIBCOAP);
  coap_register_response_handler(context_, &CoapEndpoint::onResponse);
  coap_register_nack_handler(context_, &CoapEndpoint::onNack);

  // Every LwM2M path goes to one handler: the "unknown resource" with a handler per method.
  coap_resource_t* resource = coap_resource_unknown_init2(&CoapEndpoint::onRequest, 0);
  for (auto code : {COAP_REQUEST_GET, COAP_REQUEST_POST, COAP_REQUEST_DELETE, COAP_REQUEST_FETCH,
                    COAP_REQUEST_IPATCH})
    coap_register_request_handler(resource, code, &CoapEndpoint::onRequest);
  coap_add_resource(context_, resource);

  const int fd = coap_context_get_coap_fd(context_);
  if (fd < 0) throw std::runtime_error("libcoap was built without epoll support");
  loop_.watchFd(fd, EPOLLIN, [this](std::uint32_t) { process(); });
}

CoapEndpoint::~CoapEndpoint() {
  loop_.unwatchFd(coap_context_get_coap_fd(context_));
  pending_.clear();
  coap_free_context(context_);
  coap_cleanup();
}

std::uint16_t CoapEndpoint::localPort(const coap_session_t* session) {
  if (!session) return 0;
  const coap_address_t* local = coap_session_get_addr_local(session);
  if (!local) return 0;
  if (local->addr.sa.sa_family == AF_INET) return ntohs(local->addr.sin.sin_port);
  if (local->addr.sa.sa_family == AF_INET6) return ntohs(local->addr.sin6.sin6_port);
  return 0;
}

Result<coap_session_t*> CoapEndpoint::connect(const std::string& uri, void* peer,
                                              const SessionSecurity& security,
                                              std::uint16_t localPort) {
  coap_uri_t parsed{};
  if (coap_split_uri(reinterpret_cast<const uint8_t*>(uri.data()), uri.size(), &parsed) != 0)
    return Error{CoapCode::BadRequest, fmt::format("'{}' is not a CoAP URI", uri)};
  const bool secure = parsed.scheme == COAP_URI_SCHEME_COAPS;
  if (!secure && parsed.scheme != COAP_URI_SCHEME_COAP)
    return Error{CoapCode::NotImplemented,
                 fmt::format("'{}': only coap:// and coaps:// are supported", uri)};
  // The scheme says whether the server expects DTLS; the mode says which keys. They must
  // agree: never send in plain CoAP what was meant to be protected, nor the reverse.
  if (secure && security.mode == SecurityMode::NoSec)
    return Error{
        CoapCode::BadRequest,
        fmt::format("'{}': coaps:// needs Security Mode PSK, RPK or Certificate, not NoSec", uri)};
  if (!secure && security.mode != SecurityMode::NoSec)
    return Error{CoapCode::BadRequest,
                 fmt::format("'{}': Security Mode {} needs a coaps:// URI; refusing plain CoAP",
                             uri, toString(security.mode))};
  if (secure && !coap_dtls_is_supported())
    return Error{CoapCode::NotImplemented,
                 fmt::format("'{}': this libcoap has no DTLS support", uri)};
  const std::string host(reinterpret_cast<const char*>(parsed.host.s), parsed.host.length);
  const std::string port =
      std::to_string(parsed.port ? parsed.port : (secure ? COAPS_DEFAULT_PORT : COAP_DEFAULT_PORT));

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0)
    return Error{CoapCode::ServiceUnavailable,
                 fmt::format("cannot resolve '{}': {}", host, gai_strerror(rc))};
  coap_address_t address;
  coap_address_init(&address);
  address.size = found->ai_addrlen;
  std::memcpy(&address.addr, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);

  // A resumed registration keeps its port: the wildcard address of the server's family, so
  // that the kernel still picks the source address; libcoap binds it before connecting.
  coap_address_t local;
  coap_address_init(&local);
  if (localPort != 0) {
    if (secure)
      return Error{CoapCode::NotImplemented,
                   fmt::format("'{}': a DTLS session cannot be bound to a given port", uri)};
    local.addr.sa.sa_family = address.addr.sa.sa_family;
    if (address.addr.sa.sa_family == AF_INET6) {
      local.size = sizeof(sockaddr_in6);
      local.addr.sin6.sin6_addr = in6addr_any;
      local.addr.sin6.sin6_port = htons(localPort);
    } else {
      local.size = sizeof(sockaddr_in);
      local.addr.sin.sin_addr.s_addr = htonl(INADDR_ANY);
      local.addr.sin.sin_port = htons(localPort);
    }
  }
  coap_session_t* session =
      secure ? newDtlsSession(address, host, uri, security)
             : coap_new_client_session(context_, localPort != 0 ? &local : nullptr, &address,
                                       COAP_PROTO_UDP);
  if (!session && localPort != 0)
    return Error{CoapCode::ServiceUnavailable,
                 fmt::format("cannot open a session to {} from local port {}", uri, localPort)};
  if (!session)
    return Error{CoapCode::ServiceUnavailable,
                 secure ? fmt::format("cannot open a DTLS session ({}) to {}: libcoap refused "
                                      "the key material or the handshake setup",
                                      toString(security.mode), uri)
                        : fmt::format("cannot open a session to {}", uri)};
  coap_session_init_token(session, 0, nullptr);
  coap_session_set_app_data(session, peer);
  // Set before anything is sent: libcoap reads them when it first queues a CON message.
  coap_session_set_ack_timeout(session, toFixedPoint(transmission_.ackTimeoutSeconds));
  coap_session_set_ack_random_factor(session, toFixedPoint(transmission_.ackRandomFactor));
  coap_session_set_max_retransmit(session, transmission_.maxRetransmit);
  coap_session_set_nstart(session, transmission_.nstart);
  // libcoap 4.3.1 keeps its default, without a word, for values it does not accept.
  const coap_fixed_point_t ackTimeout = coap_session_get_ack_timeout(session);
  const coap_fixed_point_t wanted = toFixedPoint(transmission_.ackTimeoutSeconds);
  if (ackTimeout.integer_part != wanted.integer_part ||
      ackTimeout.fractional_part != wanted.fractional_part ||
      coap_session_get_max_retransmit(session) != transmission_.maxRetransmit)
    logger()->warn(
        "{}: libcoap refused ack_timeout {} s or max_retransmit {}: using {}.{:03} s, {}", uri,
        transmission_.ackTimeoutSeconds, transmission_.maxRetransmit, ackTimeout.integer_part,
        ackTimeout.fractional_part, coap_session_get_max_retransmit(session));
  if (secure) {
    // DTLS records are encrypted: peeking at them for CoAP RSTs would misread them.
    logger()->info("{}: DTLS session ({})", uri, toString(security.mode));
  } else if (const int fd = findSessionSocket(session); fd >= 0) {
    sessionSockets_[session] = fd;
  } else {
    logger()->warn("{}: cannot find the session's socket: RSTs to NON notifications go unseen",
                   uri);
  }
  return session;
}

coap_session_t* CoapEndpoint::newDtlsSession(const coap_address_t& address, const std::string& host,
                                             const std::string& uri,
                                             const SessionSecurity& security) {
  if (security.mode == SecurityMode::Psk) {
    // libcoap copies the identity and key into the session.
    coap_dtls_cpsk_t psk{};
    psk.version = COAP_DTLS_CPSK_SETUP_VERSION;
    psk.psk_info.identity = {security.identity.size(), security.identity.data()};
    psk.psk_info.key = {security.secretKey.size(), security.secretKey.data()};
    coap_session_t* session =
        coap_new_client_session_psk2(context_, nullptr, &address, COAP_PROTO_DTLS, &psk);
    if (session) dtlsSessions_[session] = security;
    return session;
  }
  const bool rpk = security.mode == SecurityMode::Rpk;
  if (security.serverKey.empty())
    logger()->warn("{}: no server {} (Security object resource 4): the server is not verified", uri,
                   rpk ? "public key" : "certificate or CA");
  // libcoap 4.3.1 stores the PKI setup in the context and reads the key bytes through it:
  // they must outlive this call.
  // libcoap 4.3.1 (gnutls) reads past the end of the key buffers it is given for raw public
  // keys: each copy has zero bytes after the key, so those reads stay in memory we own.
  auto padded = [](const std::vector<std::uint8_t>& key) {
    std::vector<std::uint8_t> copy(key);
    copy.resize(key.size() + 4096, 0);
    return copy;
  };
  pkiKeys_.identity = padded(security.identity);
  pkiKeys_.secretKey = padded(security.secretKey);
  pkiKeys_.serverKey = padded(security.serverKey);
  coap_dtls_pki_t pki{};
  pki.version = COAP_DTLS_PKI_SETUP_VERSION;
  pki.is_rpk_not_cert = rpk ? 1 : 0;
  // Certificate mode: GnuTLS checks the server's chain against resource 4 (a CA, or the
  // server's own certificate pinned as trust anchor). RPK mode: onPeerCertificate compares the
  // presented key with resource 4.
  const bool verifyChain = !rpk && !security.serverKey.empty();
  pki.verify_peer_cert = verifyChain ? 1 : 0;
  pki.check_common_ca = 0;
  pki.allow_self_signed = 0;
  pki.allow_expired_certs = 0;
  pki.cert_chain_validation = verifyChain ? 1 : 0;
  pki.cert_chain_verify_depth = 3;
  pki.check_cert_revocation = 0;  // LwM2M devices have no CRL distribution
  pki.allow_no_crl = 1;
  pki.allow_expired_crl = 1;
  pki.validate_cn_call_back = &CoapEndpoint::onPeerCertificate;
  pki.cn_call_back_arg = this;
  // SNI names the server when the URI does (not for address literals, RFC 6066 §3).
  std::string sni = host;
  in6_addr scratch{};
  const bool literal = inet_pton(AF_INET, host.c_str(), &scratch) == 1 ||
                       inet_pton(AF_INET6, host.c_str(), &scratch) == 1;
  pki.client_sni = literal ? nullptr : sni.data();
  pki.pki_key.key_type = COAP_PKI_KEY_ASN1;
  coap_pki_key_asn1_t& asn1 = pki.pki_key.key.asn1;
  asn1.public_cert = pkiKeys_.identity.data();
  asn1.public_cert_len = security.identity.size();
  asn1.private_key = pkiKeys_.secretKey.data();
  asn1.private_key_len = security.secretKey.size();
  asn1.private_key_type = COAP_ASN1_PKEY_EC;
  if (verifyChain) {
    asn1.ca_cert = pkiKeys_.serverKey.data();
    asn1.ca_cert_len = security.serverKey.size();
  }
  coap_session_t* session =
      coap_new_client_session_pki(context_, nullptr, &address, COAP_PROTO_DTLS, &pki);
  if (session) dtlsSessions_[session] = security;
  return session;
}

int CoapEndpoint::onPeerCertificate(const char* /*cn*/, const std::uint8_t* der, std::size_t length,
                                    coap_session_t* session, unsigned depth, int validated,
                                    void* arg) {
  auto* self = static_cast<CoapEndpoint*>(arg);
  auto it = self->dtlsSessions_.find(session);
  if (it == self->dtlsSessions_.end()) return 0;  // not a session of ours: refuse
  const SessionSecurity& security = it->second;
  if (security.mode == SecurityMode::Rpk) {
    if (security.serverKey.empty()) return 1;  // nothing to pin (warned at connect)
    const bool same = length == security.serverKey.size() &&
                      std::equal(der, der + length, security.serverKey.begin());
    if (!same) logger()->warn("DTLS: the server's raw public key is not the one in resource 4");
    return same ? 1 : 0;
  }
  if (security.serverKey.empty()) return 1;
  if (!validated)
    logger()->warn(
        "DTLS: the server's certificate (chain depth {}) does not verify against "
        "resource 4",
        depth);
  return validated ? 1 : 0;
}

void CoapEndpoint::release(coap_session_t* session) {
  if (!session) return;
  sessionSockets_.erase(session);
  // Nobody waits for answers on a session given up: its requests' callbacks go with it.
  std::erase_if(pending_, [session](const auto& entry) { return entry.first.first == session; });
  std::erase_if(requestTags_,
                [session](const auto& entry) { return entry.first.first == session; });
  std::erase_if(waiting_, [session](const auto& key) { return key.first == session; });
  std::erase_if(completed_, [session](const auto& entry) { return entry.first.first == session; });
  dtlsSessions_.erase(session);
  std::erase_if(blockwiseBodies_,
                [session](const auto& entry) { return entry.first.first == session; });
  std::erase_if(partialBodies_,
                [session](const auto& entry) { return entry.first.first == session; });
  answered_.forget(session);
  unacknowledged_.erase(session);
  std::erase_if(acked_, [session](const auto& entry) { return entry.first == session; });
  coap_session_set_app_data(session, nullptr);
  coap_session_release(session);
}

void CoapEndpoint::send(coap_session_t* session, const ClientRequest& request,
                        ResponseCallback callback) {
  auto fail = [&](const std::string& why) {
    ClientResponse response;
    response.failure = why;
    // Never call back synchronously from inside a caller's state change: defer.
    loop_.addTimer(std::chrono::milliseconds(0), [callback, response] { callback(response); });
  };
  coap_pdu_t* pdu = coap_new_pdu(COAP_MESSAGE_CON, toPduCode(request.method), session);
  if (!pdu) return fail("cannot allocate a PDU");
  std::uint8_t token[8];
  size_t tokenLength = 0;
  coap_session_new_token(session, &tokenLength, token);
  coap_add_token(pdu, tokenLength, token);
  for (const auto& segment : request.path)
    coap_add_option(pdu, COAP_OPTION_URI_PATH, segment.size(),
                    reinterpret_cast<const uint8_t*>(segment.data()));
  if (request.contentFormat) {
    std::uint8_t buf[4];
    coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
                    coap_encode_var_safe(buf, sizeof buf, *request.contentFormat), buf);
  }
  for (const auto& item : request.query)
    coap_add_option(pdu, COAP_OPTION_URI_QUERY, item.size(),
                    reinterpret_cast<const uint8_t*>(item.data()));
  if (!request.payload.empty()) {
    // libcoap sends large bodies block-wise and needs the data alive until then.
    auto* body = new std::vector<std::uint8_t>(request.payload);
    if (!coap_add_data_large_request(session, pdu, body->size(), body->data(), &releaseBuffer,
                                     body)) {
      coap_delete_pdu(pdu);
      return fail("cannot attach the payload");
    }
  }
  const std::vector<std::uint8_t> key(token, token + tokenLength);
  // A body too large for one datagram now has a Request-Tag: it finds the request again when
  // libcoap reports on a later block (see requestTags_).
  const std::vector<std::uint8_t> tag = requestTagOf(pdu);
  pending_[{session, key}] = std::move(callback);
  if (!tag.empty()) requestTags_[{session, tag}] = key;
  if (coap_send(session, pdu) == COAP_INVALID_MID) {
    pending_.erase({session, key});
    if (!tag.empty()) requestTags_.erase({session, tag});
    fail("the CoAP session refused the request");
  }
}

void CoapEndpoint::reportAcks() {
  // A DTLS session cannot be peeked at (and a peek can miss a datagram libcoap read in the same
  // pass): once libcoap has nothing left to retransmit on any session, every CON notification
  // still counted as outstanding was acknowledged (a failed one went through onNack).
  bool anyOutstanding = false;
  for (const auto& [session, mids] : unacknowledged_) anyOutstanding |= !mids.empty();
  if (anyOutstanding && coap_can_exit(context_)) {
    for (auto& [session, mids] : unacknowledged_) {
      for (int mid : mids) acked_.emplace_back(session, mid);
      mids.clear();
    }
  }
  if (acked_.empty()) return;
  // The handler sends the next notifications, which may add to both.
  auto acked = std::move(acked_);
  acked_.clear();
  if (!notificationAck_) return;
  for (const auto& [session, mid] : acked)
    notificationAck_(coap_session_get_app_data(session), mid);
}

std::optional<std::vector<std::uint8_t>> CoapEndpoint::collectBlock(coap_session_t* session,
                                                                    const coap_pdu_t* request,
                                                                    const coap_block_t& block,
                                                                    coap_pdu_t* response) {
  std::uint8_t buf[4];
  auto answer = [&](CoapCode code, const std::string& reason) {
    coap_pdu_set_code(response, static_cast<coap_pdu_code_t>(code));
    if (!reason.empty())
      coap_add_data(response, reason.size(), reinterpret_cast<const uint8_t*>(reason.data()));
  };
  const auto id = std::make_pair(session, bodyKey(request));
  const auto now = std::chrono::steady_clock::now();
  // A body whose next block has not come within EXCHANGE_LIFETIME is abandoned.
  std::erase_if(partialBodies_, [&](const auto& entry) {
    return now - entry.second.lastBlockAt > kExchangeLifetime;
  });
  const std::size_t size = std::size_t{16} << std::min(block.szx, 6u);
  const std::size_t offset = static_cast<std::size_t>(block.num) * size;
  size_t length = 0;
  const uint8_t* data = nullptr;
  if (!coap_get_data(request, &length, &data)) length = 0;
  auto it = partialBodies_.find(id);
  if (auto problem = blockSizeProblem(block, length)) {
    if (it != partialBodies_.end()) partialBodies_.erase(it);
    answer(CoapCode::BadRequest, *problem);
    return std::nullopt;
  }
  if (block.num == 0) {
    // A first block starts the body anew (a server restarting its transfer). Few bodies are
    // collected at once: a new one beyond that pushes out the one idle longest.
    constexpr std::size_t kMaxPartialBodies = 16;
    if (it == partialBodies_.end() && partialBodies_.size() >= kMaxPartialBodies)
      partialBodies_.erase(std::min_element(partialBodies_.begin(), partialBodies_.end(),
                                            [](const auto& a, const auto& b) {
                                              return a.second.lastBlockAt < b.second.lastBlockAt;
                                            }));
    it = partialBodies_.insert_or_assign(id, PartialBody{}).first;
  } else if (it == partialBodies_.end()) {
    answer(CoapCode::RequestEntityIncomplete,
           fmt::format("block {} of a body whose first block did not come", block.num));
    return std::nullopt;
  }
  PartialBody& partial = it->second;
  partial.lastBlockAt = now;
  if (offset + length <= partial.body.size() && block.m) {
    // A retransmitted block already kept: acknowledge it again.
  } else if (offset != partial.body.size()) {
    partialBodies_.erase(it);
    answer(CoapCode::RequestEntityIncomplete,
           fmt::format("block {} does not follow the blocks received", block.num));
    return std::nullopt;
  } else {
    partial.body.insert(partial.body.end(), data, data + length);
  }
  if (maxPayloadBytes_ != 0 && partial.body.size() > maxPayloadBytes_) {
    warnTooLarge(partial.body.size());
    partialBodies_.erase(it);
    coap_add_option(response, COAP_OPTION_SIZE1,
                    coap_encode_var_safe(buf, sizeof buf, static_cast<unsigned>(maxPayloadBytes_)),
                    buf);
    answer(CoapCode::RequestEntityTooLarge,
           fmt::format("request body larger than {} bytes", maxPayloadBytes_));
    return std::nullopt;
  }
  // The response names the block it acknowledges (RFC 7959 §2.3), the last one's too; libcoap
  // has named the others already.
  coap_opt_iterator_t named;
  if (coap_check_option(response, COAP_OPTION_BLOCK1, &named) == nullptr)
    coap_add_option(
        response, COAP_OPTION_BLOCK1,
        coap_encode_var_safe(buf, sizeof buf, (block.num << 4) | (block.m ? 8u : 0u) | block.szx),
        buf);
  if (block.m) {
    answer(CoapCode::Continue, "");
    return std::nullopt;
  }
  std::vector<std::uint8_t> body = std::move(partial.body);
  partialBodies_.erase(it);
  return body;
}

void CoapEndpoint::warnTooLarge(std::size_t announced) {
  if (auto suppressed = tooLargeWarning_.hit())
    logger()->warn(
        "refused a request body of {} bytes or more: the limit is {} ([limits] "
        "max_payload){}",
        announced, maxPayloadBytes_, LimitWarning::suppressedNote(*suppressed));
}

void CoapEndpoint::sendTooLarge(coap_session_t* session, const coap_pdu_t* request,
                                std::size_t announced) {
  warnTooLarge(announced);
  sendAnswer(session, request, CoapCode::RequestEntityTooLarge,
             fmt::format("request body larger than {} bytes", maxPayloadBytes_));
}

void CoapEndpoint::sendAnswer(coap_session_t* session, const coap_pdu_t* request, CoapCode code,
                              const std::string& reason) {
  // A CON request is answered piggybacked in its ACK; a NON one with a NON (RFC 7252 §5.2).
  const bool confirmable = coap_pdu_get_type(request) == COAP_MESSAGE_CON;
  coap_pdu_t* pdu = coap_pdu_init(
      confirmable ? COAP_MESSAGE_ACK : COAP_MESSAGE_NON, static_cast<coap_pdu_code_t>(code),
      confirmable ? coap_pdu_get_mid(request) : coap_new_message_id(session),
      coap_session_max_pdu_size(session));
  if (!pdu) return;
  const coap_bin_const_t token = coap_pdu_get_token(request);
  coap_add_token(pdu, token.length, token.s);
  if (code == CoapCode::RequestEntityTooLarge) {
    std::uint8_t buf[4];
    coap_add_option(pdu, COAP_OPTION_SIZE1,
                    coap_encode_var_safe(buf, sizeof buf, static_cast<unsigned>(maxPayloadBytes_)),
                    buf);
  }
  coap_add_data(pdu, reason.size(), reinterpret_cast<const uint8_t*>(reason.data()));
  if (coap_send(session, pdu) == COAP_INVALID_MID)
    logger()->debug("could not send {} to a request libcoap was not given", toString(code));
}

std::string CoapEndpoint::bodyKey(const coap_pdu_t* request) {
  const auto tag = requestTagOf(request);
  std::string key(tag.begin(), tag.end());
  for (const auto& segment : stringOptions(request, COAP_OPTION_URI_PATH)) key += "/" + segment;
  return key;
}

bool CoapEndpoint::screenDatagrams() {
  bool waiting = false;
  // Bounded: a few datagrams taken off per session and pass; the rest wait for the next pass
  // (the socket stays readable), so one flooding server cannot hold the loop.
  constexpr int kMaxPerPass = 32;
  for (const auto& [session, fd] : sessionSockets_) {
    bool headWaiting = false;  // this session's next datagram, if any, goes to libcoap
    for (int i = 0; i < kMaxPerPass; ++i) {
      const ssize_t n = recv(fd, readAhead_.data(), readAhead_.size(), MSG_PEEK | MSG_DONTWAIT);
      if (n < 0) break;
      headWaiting = true;  // libcoap reads it, unless it is taken below
      if (n < 4 || (readAhead_[0] >> 6) != 1) break;
      const int type = (readAhead_[0] >> 4) & 3;
      const int mid = (readAhead_[2] << 8) | readAhead_[3];
      const std::uint8_t code = readAhead_[1];
      if (type == COAP_MESSAGE_ACK || type == COAP_MESSAGE_RST) {
        if (!notificationFailure_ && !notificationAck_) break;
        auto outstanding = unacknowledged_.find(session);
        // Erased on first sight: the same datagram is peeked again when libcoap leaves it
        // unread.
        const bool ours =
            outstanding != unacknowledged_.end() && outstanding->second.erase(mid) > 0;
        if (type == COAP_MESSAGE_ACK) {
          if (ours) acked_.emplace_back(session, mid);
        } else if (code == 0 && notificationFailure_) {
          // An empty RST (RFC 7252 §4.2).
          logger()->debug("RST for message id {}", mid);
          notificationFailure_(coap_session_get_app_data(session), {}, mid,
                               NotificationFailure::Reset);
        }
        break;
      }
      // Only requests that carry a body (POST, PUT, FETCH, PATCH, iPATCH) are looked into:
      // a GET or DELETE costs no parse.
      const bool bodyMethod = code == COAP_REQUEST_CODE_POST || code == COAP_REQUEST_CODE_PUT ||
                              code == COAP_REQUEST_CODE_FETCH || code == COAP_REQUEST_CODE_PATCH ||
                              code == COAP_REQUEST_CODE_IPATCH;
      if (!bodyMethod) break;
      const auto length = static_cast<std::size_t>(n);
      coap_pdu_t* pdu = coap_pdu_init(COAP_MESSAGE_CON, COAP_EMPTY_CODE, 0, length);
      if (!pdu) break;
      bool taken = false;
      if (coap_pdu_parse(COAP_PROTO_UDP, readAhead_.data(), length, pdu)) {
        if (const std::size_t announced = announcedBodySize(pdu);
            maxPayloadBytes_ != 0 && announced > maxPayloadBytes_) {
          taken = true;
          (void)recv(fd, readAhead_.data(), readAhead_.size(), MSG_DONTWAIT);
          sendTooLarge(session, pdu, announced);
        }
      }
      coap_delete_pdu(pdu);
      if (!taken) break;
      headWaiting = false;  // taken: the next one decides
    }
    waiting = waiting || headWaiting;
  }
  return waiting;
}

void CoapEndpoint::process() {
  // libcoap reads one datagram per session and call. Under load (a server's ACKs among a
  // provider's pushes, many requests in flight, a flood) one a turn of the loop held the
  // daemon to one datagram per D-Bus batch: so, while a plain-UDP socket has more, up to a
  // bounded number more before the loop turns. Not when a datagram left work for later (a 0
  // ms timer: a notification its Write caused, a session closed after its De-register): that
  // comes before the next datagram, as it would a turn apart.
  constexpr int kDatagramsPerTurn = 16;
  (void)screenDatagrams();
  processing_ = true;
  coap_io_process(context_, COAP_IO_NO_WAIT);
  for (int i = 1; i < kDatagramsPerTurn && !loop_.hasDueTimers() && screenDatagrams(); ++i)
    coap_io_process(context_, COAP_IO_NO_WAIT);
  processing_ = false;
  reportAcks();
}

std::vector<std::uint8_t> CoapEndpoint::requestTokenOf(coap_session_t* session,
                                                       const coap_pdu_t* sent,
                                                       const coap_pdu_t* received) const {
  // libcoap gives the answer to a block-wise request the request's own token back.
  if (received) {
    auto token = tokenOf(received);
    if (!token.empty() && pending_.contains({session, token})) return token;
  }
  if (!sent) return {};
  if (auto tag = requestTagOf(sent); !tag.empty()) {
    auto it = requestTags_.find({session, tag});
    if (it != requestTags_.end()) return it->second;
  }
  return tokenOf(sent);
}

void CoapEndpoint::finish(coap_session_t* session, const coap_pdu_t* sent,
                          const coap_pdu_t* received, const ClientResponse& response) {
  const auto token = requestTokenOf(session, sent, received);
  auto it = pending_.find({session, token});
  if (it == pending_.end()) return;
  auto callback = std::move(it->second);
  pending_.erase(it);
  std::erase_if(requestTags_, [&](const auto& entry) {
    return entry.first.first == session && entry.second == token;
  });
  callback(response);
}

bool CoapEndpoint::defer(coap_session_t* session, const coap_pdu_t* request, const DmRequest& dm) {
  const auto key = std::make_pair(session, tokenOf(request));
  auto complete = [this, key](DmResponse response) {
    // The session may have gone meanwhile (released with its requests): then nobody waits.
    coap_async_t* async = coap_find_async(key.first, {key.second.size(), key.second.data()});
    if (!async || !waiting_.contains(key)) return;
    waiting_.erase(key);
    completed_[key] = std::move(response);
    coap_async_trigger(async);
    // libcoap sends it from its next pass; make sure there is one soon.
    loop_.addTimer(std::chrono::milliseconds(0), [this] { process(); });
  };
  if (!deferredHandler_(dm, coap_session_get_app_data(session), complete)) return false;
  // Delay 0: wait for coap_async_trigger(); libcoap acknowledges a CON request at once
  // (RFC 7252 §5.2.2).
  if (!coap_register_async(session, request, 0)) {
    logger()->warn("cannot answer a request separately (a duplicate token?)");
    return true;  // the handler runs; its answer is dropped when it comes
  }
  waiting_.insert(key);
  return true;
}

void CoapEndpoint::onRequest(coap_resource_t* resource, coap_session_t* session,
                             const coap_pdu_t* request, const coap_string_t* query,
                             coap_pdu_t* response) {
  auto* self = static_cast<CoapEndpoint*>(coap_get_app_data(coap_session_get_context(session)));
  const bool confirmable = coap_pdu_get_type(request) == COAP_MESSAGE_CON;
  const auto now = std::chrono::steady_clock::now();
  if (confirmable && self->answered_.replay(session, request, response, now)) {
    logger()->debug("a copy of request {} (message id {}): answered as before, not served again",
                    toString(static_cast<CoapCode>(coap_pdu_get_code(request))),
                    coap_pdu_get_mid(request));
    return;
  }
  serveRequest(resource, session, request, query, response);
  // Piggybacked answers only: an empty ACK (a separate answer follows) or a separate answer
  // (its type changed) leave the copy to the separate-answer machinery.
  if (confirmable && coap_pdu_get_code(response) != COAP_EMPTY_CODE &&
      coap_pdu_get_type(response) == COAP_MESSAGE_ACK)
    self->answered_.remember(session, request, response, now);
}

void CoapEndpoint::serveRequest(coap_resource_t* resource, coap_session_t* session,
                                const coap_pdu_t* request, const coap_string_t* query,
                                coap_pdu_t* response) {
  auto* self = static_cast<CoapEndpoint*>(coap_get_app_data(coap_session_get_context(session)));
  auto reply = [&](CoapCode code, const std::string& reason) {
    coap_pdu_set_code(response, static_cast<coap_pdu_code_t>(code));
    if (!reason.empty())
      coap_add_data(response, reason.size(), reinterpret_cast<const uint8_t*>(reason.data()));
  };
  auto method = fromPduCode(coap_pdu_get_code(request));
  if (!method || !self->requestHandler_)
    return reply(CoapCode::MethodNotAllowed, "method not allowed");
  if (const std::size_t limit = self->maxPayloadBytes_; limit != 0) {
    // What screenDatagrams() refuses before libcoap reads it, for DTLS sessions (whose
    // records cannot be read ahead) and a limit lowered since: a body announced (Size1) or
    // reaching (its block's end) beyond the limit. collectBlock() checks the body it adds to.
    if (const std::size_t announced = announcedBodySize(request); announced > limit) {
      self->warnTooLarge(announced);
      std::uint8_t buf[4];
      coap_add_option(response, COAP_OPTION_SIZE1,
                      coap_encode_var_safe(buf, sizeof buf, static_cast<unsigned>(limit)), buf);
      return reply(CoapCode::RequestEntityTooLarge,
                   fmt::format("request body larger than {} bytes", limit));
    }
  }

  const RequestOptions options = requestOptions(request);
  const auto& segments = options.uriPath;
  if (segments == std::vector<std::string>{"bs"} && *method == CoapMethod::Post &&
      self->bootstrapFinish_) {
    if (auto finished = self->bootstrapFinish_(coap_session_get_app_data(session)))
      return reply(finished->code, isSuccess(finished->code) ? "" : finished->diagnostic());
    return reply(CoapCode::NotFound, "not an LwM2M path");
  }
  auto decoded = decodeDmRequest(*method, request, options);
  if (!decoded) return reply(CoapCode::NotFound, "not an LwM2M path");
  DmRequest dm = std::move(*decoded);
  if (coap_block_t block1{}; coap_get_block(request, COAP_OPTION_BLOCK1, &block1)) {
    auto body = self->collectBlock(session, request, block1, response);
    if (!body) return;  // answered: 2.31 Continue or an error
    dm.payload = std::move(*body);
  }

  // A GET with an Observe option goes to the observation engine (RFC 7641): libcoap cannot
  // observe its "unknown resource", so the daemon keeps its own observations. So does a FETCH
  // with one: Observe-Composite and its cancel (LwM2M 1.1 Transport, CoAP mapping).
  std::optional<std::uint32_t> sequence;
  DmResponse result;
  bool continued = false;  // served from a block-wise notification's body
  const auto& observe = options.observe;
  const bool observable = dm.method == CoapMethod::Get || dm.method == CoapMethod::Fetch;
  if (observable && observe && self->observeHandler_) {
    bool establish = true;
    if (coap_find_async(session, coap_pdu_get_token(request))) {
      // The second pass of an Observe whose values a callback provider was asked for first
      // (the deferred handler's Read left its answer in the tree): the observation engine
      // answers from those. A failed Read is the answer, and nothing is observed.
      auto done = self->completed_.find({session, tokenOf(request)});
      if (done == self->completed_.end()) return;  // not yet: nothing to send
      DmResponse first = std::move(done->second);
      self->completed_.erase(done);
      coap_pdu_set_type(response, COAP_MESSAGE_NON);  // as for any separate response (below)
      if (!isSuccess(first.code)) {
        result = std::move(first);
        establish = false;
      }
    } else if (*observe == 0 && self->deferredHandler_ && self->defer(session, request, dm)) {
      return;  // an empty ACK now; the observation is established once the values are in
    }
    if (establish) {
      auto answer = self->observeHandler_(dm, ObserveRequest{*observe, tokenOf(request)},
                                          coap_session_get_app_data(session));
      result = std::move(answer.response);
      sequence = answer.sequence;
    }
  } else if (const BlockwiseBody* body = options.block2 && continuesNotification(dm, request)
                                             ? self->continuationOf(session, dm.path, dm.accept)
                                             : nullptr) {
    // The rest of a block-wise notification: the blocks of the body that was notified.
    result.code = CoapCode::Content;
    result.contentFormat = body->contentFormat;
    result.payload = body->payload;
    continued = true;
  } else if (coap_find_async(session, coap_pdu_get_token(request))) {
    // The second pass of a request answered separately: its result has come. (libcoap frees
    // the async entry itself once this handler returns.)
    auto done = self->completed_.find({session, tokenOf(request)});
    if (done == self->completed_.end()) return;  // not yet: nothing to send
    result = std::move(done->second);
    self->completed_.erase(done);
    // Non-confirmable: libcoap lets one CON per session be outstanding (NSTART = 1), so a CON
    // response would wait behind the client's own Update, which a server may hold back until
    // its reads are answered (coap-shepherd does): a deadlock. A lost NON response costs the
    // server one retry of its request (RFC 7252 §5.2.2 allows either type).
    coap_pdu_set_type(response, COAP_MESSAGE_NON);
  } else if (self->deferredHandler_ && self->defer(session, request, dm)) {
    return;  // an empty ACK now (for a CON request), the response when it is ready
  } else {
    result = self->requestHandler_(dm, coap_session_get_app_data(session));
  }
  for (const auto& segment : result.locationPath)
    coap_add_option(response, COAP_OPTION_LOCATION_PATH, segment.size(),
                    reinterpret_cast<const uint8_t*>(segment.data()));
  if (result.maxAge) {
    std::uint8_t buf[4];
    coap_add_option(response, COAP_OPTION_MAXAGE,
                    coap_encode_var_safe(buf, sizeof buf, *result.maxAge), buf);
  }
  if (!isSuccess(result.code) || !result.contentFormat)
    return reply(result.code, result.diagnostic());
  coap_pdu_set_code(response, static_cast<coap_pdu_code_t>(result.code));
  if (sequence) {
    std::uint8_t buf[4];
    coap_add_option(response, COAP_OPTION_OBSERVE,
                    coap_encode_var_safe(buf, sizeof buf, *sequence & 0xFFFFFF), buf);
  }
  if (*result.contentFormat == 0) {
    // libcoap leaves out a Content-Format of 0 (text/plain) here; LwM2M servers want it.
    coap_add_option(response, COAP_OPTION_CONTENT_FORMAT, 0, nullptr);
  }
  if (sequence || continued) {
    // What an observation's server reads block by block is sliced here, never by libcoap:
    // libcoap would keep answering later blocks from the first representation after a
    // notification has changed it (4.3.1 keys its copy by resource, and every path is the one
    // unknown resource here).
    if (sequence && result.payload.size() > kSingleBlockBody)
      self->blockwiseBodies_[std::make_pair(session, dm.path)] =
          BlockwiseBody{result.payload, result.contentFormat, std::chrono::steady_clock::now()};
    if (!attachBlock(request, response, result.payload, *result.contentFormat))
      reply(CoapCode::BadOption, "no such block");
    return;
  }
  auto* body = new std::vector<std::uint8_t>(std::move(result.payload));
  if (!coap_add_data_large_response(resource, session, request, response, query,
                                    *result.contentFormat, -1, 0, body->size(), body->data(),
                                    &releaseBuffer, body)) {
    reply(CoapCode::InternalServerError, "cannot attach the response");
  }
}

Result<int> CoapEndpoint::notify(coap_session_t* session, const Notification& notification) {
  if (!session) return Error{CoapCode::ServiceUnavailable, "no session to the server"};
  const auto type = notification.confirmable ? COAP_MESSAGE_CON : COAP_MESSAGE_NON;
  const size_t maxSize = coap_session_max_pdu_size(session);
  const auto messageId = coap_new_message_id(session);
  const auto& payload = notification.payload;
  // Builds the notification whole, or (with `szx`) as its first block of 16 << szx bytes;
  // null when it does not fit one datagram.
  auto build = [&](std::optional<unsigned> szx) -> coap_pdu_t* {
    coap_pdu_t* pdu =
        coap_pdu_init(type, static_cast<coap_pdu_code_t>(notification.code), messageId, maxSize);
    if (!pdu) return nullptr;
    coap_add_token(pdu, notification.token.size(), notification.token.data());
    std::uint8_t buf[4];
    if (notification.sequence)
      coap_add_option(pdu, COAP_OPTION_OBSERVE,
                      coap_encode_var_safe(buf, sizeof buf, *notification.sequence & 0xFFFFFF),
                      buf);
    if (notification.contentFormat)
      coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
                      coap_encode_var_safe(buf, sizeof buf, *notification.contentFormat), buf);
    size_t length = payload.size();
    if (szx) {
      std::uint8_t tag[8];
      coap_add_option(pdu, COAP_OPTION_ETAG,
                      coap_encode_var_safe8(tag, sizeof tag, entityTagOf(payload)), tag);
      coap_add_option(pdu, COAP_OPTION_BLOCK2,
                      coap_encode_var_safe(buf, sizeof buf, (1u << 3) | *szx), buf);
      coap_add_option(pdu, COAP_OPTION_SIZE2,
                      coap_encode_var_safe(buf, sizeof buf, static_cast<unsigned>(length)), buf);
      length = std::min(length, size_t{16} << *szx);
    }
    if (length > 0 && !coap_add_data(pdu, length, payload.data())) {
      coap_delete_pdu(pdu);
      return nullptr;
    }
    return pdu;
  };
  coap_pdu_t* pdu = build(std::nullopt);
  // Too large for one datagram: send the first block (1024 bytes, or smaller until it fits);
  // the server reads the rest block by block (RFC 7959 §2.6), which Read serves.
  for (unsigned szx = 7; !pdu && szx-- > 0;) pdu = build(szx);
  if (!pdu) return Error{CoapCode::InternalServerError, "cannot build the notification"};
  coap_opt_iterator_t blockIt;
  const bool blockwise = coap_check_option(pdu, COAP_OPTION_BLOCK2, &blockIt) != nullptr;
  const coap_mid_t mid = coap_send(session, pdu);
  if (mid == COAP_INVALID_MID)
    return Error{CoapCode::ServiceUnavailable, "the CoAP session refused the notification"};
  if (notification.confirmable) unacknowledged_[session].insert(static_cast<int>(mid));
  const auto key = std::make_pair(session, notification.path);
  if (blockwise)
    blockwiseBodies_[key] =
        BlockwiseBody{payload, notification.contentFormat, std::chrono::steady_clock::now()};
  else
    blockwiseBodies_.erase(key);
  return static_cast<int>(mid);
}

const BlockwiseBody* CoapEndpoint::continuationOf(coap_session_t* session, const Path& path,
                                                  std::optional<std::uint16_t> accept) {
  auto it = blockwiseBodies_.find(std::make_pair(session, path));
  if (it == blockwiseBodies_.end()) return nullptr;
  // EXCHANGE_LIFETIME (RFC 7252 §4.8.2) with the default parameters: after that, the server
  // cannot be continuing this notification.
  if (std::chrono::steady_clock::now() - it->second.sentAt > kExchangeLifetime) {
    blockwiseBodies_.erase(it);
    return nullptr;
  }
  if (accept && accept != it->second.contentFormat) return nullptr;
  return &it->second;
}

coap_response_t CoapEndpoint::onResponse(coap_session_t* session, const coap_pdu_t* sent,
                                         const coap_pdu_t* received, coap_mid_t) {
  auto* self = static_cast<CoapEndpoint*>(coap_get_app_data(coap_session_get_context(session)));
  // Without `sent` only the answer's token can name the request (a stray answer names none).
  const auto type = coap_pdu_get_type(received);
  const auto code = coap_pdu_get_code(received);
  if (type == COAP_MESSAGE_RST) {
    ClientResponse response;
    response.failure = "the server answered with RST";
    self->finish(session, sent, nullptr, response);  // an RST has no token
    return COAP_RESPONSE_OK;
  }
  ClientResponse response;
  response.code = static_cast<CoapCode>(code);
  response.locationPath = stringOptions(received, COAP_OPTION_LOCATION_PATH);
  response.payload = bodyOf(received);
  self->finish(session, sent, received, response);
  return COAP_RESPONSE_OK;
}

void CoapEndpoint::onNack(coap_session_t* session, const coap_pdu_t* sent,
                          coap_nack_reason_t reason, coap_mid_t mid) {
  auto* self = static_cast<CoapEndpoint*>(coap_get_app_data(coap_session_get_context(session)));
  if (auto outstanding = self->unacknowledged_.find(session);
      outstanding != self->unacknowledged_.end())
    outstanding->second.erase(static_cast<int>(mid));
  if (!sent) {
    if (reason == COAP_NACK_RST && self->notificationFailure_)
      self->notificationFailure_(coap_session_get_app_data(session), {}, mid,
                                 NotificationFailure::Reset);
    return;
  }
  if (COAP_RESPONSE_CLASS(coap_pdu_get_code(sent)) >= 2) {
    // One of our notifications (the only responses sent outside a handler).
    if (self->notificationFailure_)
      self->notificationFailure_(coap_session_get_app_data(session), tokenOf(sent), mid,
                                 reason == COAP_NACK_RST ? NotificationFailure::Reset
                                                         : NotificationFailure::NotAcknowledged);
    return;
  }
  ClientResponse response;
  switch (reason) {
    case COAP_NACK_TOO_MANY_RETRIES:
      response.failure = "no answer after all retransmissions";
      break;
    case COAP_NACK_RST:
      response.failure = "the server answered with RST";
      break;
    case COAP_NACK_ICMP_ISSUE:
      response.failure = "the server is unreachable (ICMP)";
      break;
    default:
      response.failure =
          fmt::format("request failed (libcoap reason {})", static_cast<int>(reason));
      break;
  }
  self->finish(session, sent, nullptr, response);
}

}  // namespace lwm2md
