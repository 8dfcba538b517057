#include "registration/server_connection.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <ctime>
#include <utility>

#include "bootstrap/bootstrap_objects.hpp"
#include "coap/coap_endpoint.hpp"
#include "coap/session_security.hpp"
#include "core/log.hpp"
#include "io/content_format.hpp"
#include "objects/server_object.hpp"
#include "registration/registration_payload.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

namespace {

std::shared_ptr<spdlog::logger> logger() {
  static const auto instance = log::get("reg");
  return instance;
}

std::string describe(const ClientResponse& response) {
  if (!response.code) return response.failure;
  std::string text = toString(*response.code);
  if (!response.payload.empty())
    text += " " + std::string(response.payload.begin(), response.payload.end());
  return text;
}

RegistrationMachine::Params paramsFor(const ServerConfig& server,
                                      const RegistrationConfig& timing) {
  RegistrationMachine::Params params;
  params.lifetime = std::chrono::seconds(server.lifetime);
  params.binding = server.binding;
  params.updateAtFraction = timing.updateAtFraction;
  params.retryInitial = std::chrono::seconds(timing.retryInitialSeconds);
  params.retryMax = std::chrono::seconds(timing.retryMaxSeconds);
  return params;
}

template <typename T>
std::optional<std::chrono::seconds> secondsOf(const std::optional<T>& value) {
  if (!value) return std::nullopt;
  return std::chrono::seconds(*value);
}

}  // namespace

ServerConnection::ServerConnection(EventLoop& loop, CoapEndpoint& coap, const ObjectTree& tree,
                                   ServerConfig server, std::string endpoint,
                                   const RegistrationConfig& timing,
                                   std::function<void()> onStateChange)
    : loop_(loop),
      coap_(coap),
      tree_(tree),
      server_(std::move(server)),
      endpoint_(std::move(endpoint)),
      timing_(timing),
      machine_(*this, paramsFor(server_, timing)),
      onStateChange_(std::move(onStateChange)) {}

ServerConnection::~ServerConnection() {
  cancelSchedule();
  if (closeTimer_) loop_.cancelTimer(*closeTimer_);
  coap_.release(closing_);
  coap_.release(session_);
}

RegistrationMachine::Params ServerConnection::currentParams() const {
  RegistrationMachine::Params params = paramsFor(server_, timing_);
  const Instance* instance = findServerInstance(tree_, server_.shortId);
  if (!instance) return params;  // no Server object instance (yet): the config speaks
  const ServerAccount account = readServerAccount(*instance);
  params.lifetime = std::chrono::seconds(account.lifetime);
  params.binding = account.binding;
  params.disableTimeout = std::chrono::seconds(account.disableTimeout);
  params.retry.retryCount = account.retryCount;
  params.retry.retryTimer = secondsOf(account.retryTimer);
  params.retry.sequenceDelay = secondsOf(account.sequenceDelay);
  params.retry.sequenceRetryCount = account.sequenceRetryCount;
  return params;
}

void ServerConnection::start() {
  machine_.setParams(currentParams());
  machine_.start();
  changed();
}

bool ServerConnection::resume(std::vector<std::string> location, const RegisterArgs& accepted,
                              std::uint16_t localPort, std::int64_t acceptedAt) {
  if (localPort == 0 || location.empty()) return false;
  machine_.setParams(currentParams());
  if (!ensureSession(localPort)) return false;
  logger()->info("server {}: resuming the registration at /{} from port {}", server_.shortId,
                 fmt::join(location, "/"), localPort);
  acceptedAt_ = acceptedAt;
  acceptancesSeen_ = machine_.acceptances();
  machine_.resume(std::move(location), accepted);
  changed();
  return true;
}

std::uint16_t ServerConnection::localPort() const {
  return CoapEndpoint::localPort(session_);
}

void ServerConnection::settingsChanged() {
  const auto before = machine_.params();
  auto now = currentParams();
  if (now.lifetime != before.lifetime || now.binding != before.binding)
    logger()->info("server {}: lifetime {} s, binding {}", server_.shortId, now.lifetime.count(),
                   now.binding);
  machine_.setParams(std::move(now));
  changed();
}

void ServerConnection::triggerUpdate() {
  logger()->info("server {}: Registration Update Trigger", server_.shortId);
  machine_.triggerUpdate();
  changed();
}

void ServerConnection::disable() {
  logger()->info("server {}: disabled for {} s", server_.shortId,
                 machine_.params().disableTimeout.count());
  machine_.disable();
  changed();
}

bool ServerConnection::ensureSession(std::uint16_t localPort) {
  // libcoap leaves a DTLS session whose handshake failed (wrong key, server gone) in state
  // NONE: start this attempt on a fresh session and handshake rather than rely on it reviving.
  if (session_ && coap_session_get_proto(session_) == COAP_PROTO_DTLS &&
      coap_session_get_state(session_) == COAP_SESSION_STATE_NONE)
    disconnect();
  if (session_) return true;
  // The credentials come from the server's Security object instance (/0/x with Short Server
  // ID /0/x/10 equal to ours): the config's at start, a bootstrap server's after a bootstrap.
  SessionSecurity security;
  if (const Instance* securityInstance = findSecurityInstance(tree_, server_.shortId)) {
    auto read = sessionSecurityFrom(*securityInstance);
    if (!read) {
      logger()->error("server {}: {}", server_.shortId, read.error().message);
      return false;
    }
    security = std::move(*read);
  }
  // Without an instance, security stays NoSec: connect() refuses it for a coaps:// URI.
  auto session = coap_.connect(server_.uri, this, security, localPort);
  if (!session) {
    logger()->error("server {}: {}", server_.shortId, session.error().message);
    return false;
  }
  session_ = *session;
  return true;
}

void ServerConnection::changed() {
  if (machine_.acceptances() != acceptancesSeen_) {
    // The server (re)accepted the registration just now: its lifetime runs from here.
    acceptancesSeen_ = machine_.acceptances();
    acceptedAt_ = static_cast<std::int64_t>(std::time(nullptr));
  }
  if (machine_.state() == lastState_) return;
  logger()->info("server {} ({}): {} -> {}", server_.shortId, server_.uri, toString(lastState_),
                 toString(machine_.state()));
  lastState_ = machine_.state();
  if (lastState_ == RegistrationMachine::State::Failed)
    logger()->error("server {}: registration failed after {} communication sequence(s); giving up",
                    server_.shortId, machine_.failedSequences());
  if (onStateChange_) onStateChange_();
}

void ServerConnection::sendRegister(const RegisterArgs& args) {
  if (registerHook_) registerHook_();
  if (!ensureSession()) {
    // Report the failure through the machine after this call returns (it is mid-transition).
    loop_.addTimer(std::chrono::milliseconds(0), [this] {
      machine_.onRegisterResponse(std::nullopt, {});
      changed();
    });
    return;
  }
  ClientRequest request;
  request.method = CoapMethod::Post;
  request.path = {"rd"};
  request.query = registerQuery(endpoint_, static_cast<unsigned>(args.lifetime.count()),
                                server_.version, args.binding);
  request.contentFormat = static_cast<std::uint16_t>(ContentFormat::LinkFormat);
  const std::string payload = registrationPayload(tree_, server_.version);
  request.payload.assign(payload.begin(), payload.end());
  ++registersSent_;
  logger()->debug("server {}: Register {}", server_.shortId, payload);
  coap_.send(session_, request, [this](const ClientResponse& response) {
    if (response.code != CoapCode::Created)
      logger()->warn("server {}: Register failed: {}", server_.shortId, describe(response));
    else
      logger()->info("server {}: registered at /{}", server_.shortId,
                     fmt::join(response.locationPath, "/"));
    machine_.onRegisterResponse(response.code, response.locationPath);
    changed();
  });
}

void ServerConnection::sendUpdate(const std::vector<std::string>& location,
                                  const UpdateArgs& args) {
  ClientRequest request;
  request.method = CoapMethod::Post;
  request.path = location;
  std::optional<unsigned> lifetime;
  if (args.lifetime) lifetime = static_cast<unsigned>(args.lifetime->count());
  request.query = updateQuery(lifetime, args.binding, server_.version);
  if (args.withObjects) {
    request.contentFormat = static_cast<std::uint16_t>(ContentFormat::LinkFormat);
    const std::string payload = registrationPayload(tree_, server_.version);
    request.payload.assign(payload.begin(), payload.end());
  }
  logger()->debug("server {}: Update {}{}", server_.shortId, fmt::join(request.query, "&"),
                  args.withObjects ? " with objects" : "");
  coap_.send(session_, request, [this](const ClientResponse& response) {
    if (response.code != CoapCode::Changed)
      logger()->warn("server {}: Update failed: {}; registering again", server_.shortId,
                     describe(response));
    machine_.onUpdateResponse(response.code);
    changed();
  });
  changed();
}

void ServerConnection::sendDeregister(const std::vector<std::string>& location) {
  ClientRequest request;
  request.method = CoapMethod::Delete;
  request.path = location;
  if (deregisterHook_) deregisterHook_();
  logger()->info("server {}: De-register", server_.shortId);
  coap_.send(session_, request, [this](const ClientResponse& response) {
    if (response.code != CoapCode::Deleted)
      logger()->warn("server {}: De-register: {}", server_.shortId, describe(response));
    machine_.onDeregisterResponse(response.code);
    changed();
  });
}

void ServerConnection::schedule(std::chrono::milliseconds delay) {
  cancelSchedule();
  timer_ = loop_.addTimer(delay, [this] {
    timer_.reset();
    machine_.onTimer();
    changed();
  });
}

void ServerConnection::cancelSchedule() {
  if (timer_) loop_.cancelTimer(*timer_);
  timer_.reset();
}

void ServerConnection::disconnect() {
  if (!session_) return;
  // The machine may be inside this session's response handler: release from the loop.
  if (closeTimer_) {
    loop_.cancelTimer(*closeTimer_);
    coap_.release(closing_);
  }
  closing_ = std::exchange(session_, nullptr);
  closeTimer_ = loop_.addTimer(std::chrono::milliseconds(0), [this] {
    closeTimer_.reset();
    coap_.release(std::exchange(closing_, nullptr));
  });
  logger()->info("server {}: connection closed", server_.shortId);
}

}  // namespace lwm2md
