#include "registration/server_connection.hpp"

#include <fmt/format.h>

#include "coap/coap_endpoint.hpp"
#include "core/log.hpp"
#include "io/content_format.hpp"
#include "registration/registration_payload.hpp"

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
  params.updateAtFraction = timing.updateAtFraction;
  params.retryInitial = std::chrono::seconds(timing.retryInitialSeconds);
  params.retryMax = std::chrono::seconds(timing.retryMaxSeconds);
  return params;
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
      machine_(*this, paramsFor(server_, timing)),
      onStateChange_(std::move(onStateChange)) {}

ServerConnection::~ServerConnection() {
  cancelSchedule();
  coap_.release(session_);
}

void ServerConnection::start() {
  machine_.start();
  changed();
}

bool ServerConnection::ensureSession() {
  if (session_) return true;
  auto session = coap_.connect(server_.uri, this);
  if (!session) {
    logger()->error("server {}: {}", server_.shortId, session.error().message);
    return false;
  }
  session_ = *session;
  return true;
}

void ServerConnection::changed() {
  if (machine_.state() == lastState_) return;
  logger()->info("server {} ({}): {} -> {}", server_.shortId, server_.uri, toString(lastState_),
                 toString(machine_.state()));
  lastState_ = machine_.state();
  if (onStateChange_) onStateChange_();
}

void ServerConnection::sendRegister() {
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
  request.query = registerQuery(endpoint_, server_.lifetime, server_.version, server_.binding);
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

void ServerConnection::sendUpdate(const std::vector<std::string>& location, bool withObjects) {
  ClientRequest request;
  request.method = CoapMethod::Post;
  request.path = location;
  if (withObjects) {
    request.contentFormat = static_cast<std::uint16_t>(ContentFormat::LinkFormat);
    const std::string payload = registrationPayload(tree_, server_.version);
    request.payload.assign(payload.begin(), payload.end());
  }
  logger()->debug("server {}: Update{}", server_.shortId, withObjects ? " with objects" : "");
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

}  // namespace lwm2md
