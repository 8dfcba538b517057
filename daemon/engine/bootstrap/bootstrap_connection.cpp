#include "bootstrap/bootstrap_connection.hpp"

#include <fmt/format.h>

#include <utility>

#include "bootstrap/bootstrap_objects.hpp"
#include "coap/coap_endpoint.hpp"
#include "coap/session_security.hpp"
#include "core/log.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

namespace {

std::shared_ptr<spdlog::logger> logger() {
  static const auto instance = log::get("bootstrap");
  return instance;
}

std::string describe(const ClientResponse& response) {
  if (!response.code) return response.failure;
  std::string text = toString(*response.code);
  if (!response.payload.empty())
    text += " " + std::string(response.payload.begin(), response.payload.end());
  return text;
}

BootstrapHandler::Options handlerOptions(const BootstrapConnection::Options& options) {
  BootstrapHandler::Options handler;
  if (options.preferredFormat) handler.readFormat = *options.preferredFormat;
  return handler;
}

/// The first Bootstrap-Server account (the consistency check allows only one).
const Instance* bootstrapAccount(const ObjectTree& tree) {
  const auto ids = bootstrapAccounts(tree);
  return ids.empty() ? nullptr : tree.find(bootstrap_ids::kSecurity, ids.front());
}

std::chrono::seconds nonNegativeSeconds(std::int64_t value) {
  return std::chrono::seconds(std::max<std::int64_t>(0, value));
}

}  // namespace

std::vector<std::string> bootstrapRequestQuery(const BootstrapRequestArgs& args) {
  std::vector<std::string> query{fmt::format("ep={}", args.endpoint)};
  if (args.preferredFormat) query.push_back(fmt::format("pct={}", *args.preferredFormat));
  return query;
}

BootstrapConnection::BootstrapConnection(EventLoop& loop, CoapEndpoint& coap, ObjectTree& tree,
                                         AttributeStore* attributes, Options options,
                                         FinishedCallback onFinished)
    : loop_(loop),
      coap_(coap),
      tree_(tree),
      options_(std::move(options)),
      onFinished_(std::move(onFinished)),
      handler_(tree, attributes, handlerOptions(options_)),
      machine_(*this, currentParams()) {}

BootstrapConnection::~BootstrapConnection() {
  cancelSchedule();
  if (closeTimer_) loop_.cancelTimer(*closeTimer_);
  if (finishedTimer_) loop_.cancelTimer(*finishedTimer_);
  if (pingTimer_) loop_.cancelTimer(*pingTimer_);
  coap_.release(closing_);
  coap_.release(session_);
}

BootstrapMachine::Params BootstrapConnection::currentParams() const {
  BootstrapMachine::Params params;
  params.endpoint = options_.endpoint;
  if (options_.preferredFormat)
    params.preferredFormat = static_cast<std::uint16_t>(*options_.preferredFormat);
  params.finishTimeout = options_.finishTimeout;
  params.retryInitial = options_.retryInitial;
  params.retryMax = options_.retryMax;
  params.maxAttempts = options_.maxAttempts;
  if (const Instance* account = bootstrapAccount(tree_)) {
    if (auto holdOff = integerValue(*account, bootstrap_ids::kClientHoldOffTime))
      params.holdOff = nonNegativeSeconds(*holdOff);
    if (auto timeout = integerValue(*account, bootstrap_ids::kAccountTimeout))
      params.accountTimeout = nonNegativeSeconds(*timeout);
  }
  return params;
}

std::string BootstrapConnection::serverUri() const {
  if (const Instance* account = bootstrapAccount(tree_))
    if (auto uri = singleValue(*account, bootstrap_ids::kServerUri))
      if (const auto* text = std::get_if<std::string>(&*uri); text && !text->empty()) return *text;
  return options_.fallbackUri;
}

void BootstrapConnection::start() {
  machine_.setParams(currentParams());
  logger()->info("bootstrap: starting with {} (hold off {} s)", serverUri(),
                 machine_.params().holdOff.count());
  machine_.start();
  changed();
}

void BootstrapConnection::stop() {
  machine_.stop();
  changed();
}

bool BootstrapConnection::listen() {
  if (!ensureSession()) return false;
  // The Bootstrap-Server reaches the client at the address this session sends from; a CoAP
  // ping (RFC 7252 §4.3) shows it that address, and opens the way through a NAT or firewall.
  // Over DTLS the first ping may go before the handshake is done (and be lost with it): ping
  // again a little later, a bounded number of times.
  auto ping = [this] {
    if (session_ && !machine_.active() && coap_session_send_ping(session_) == COAP_INVALID_MID)
      logger()->warn("bootstrap: cannot ping the Bootstrap-Server");
  };
  ping();
  if (pingTimer_) loop_.cancelTimer(*pingTimer_);
  pingTimer_ = loop_.addTimer(std::chrono::milliseconds(1000), [this, ping] {
    pingTimer_.reset();
    ping();
  });
  if (const coap_address_t* local = coap_session_get_addr_local(session_))
    logger()->info("bootstrap: listening for a server-initiated bootstrap on local port {}",
                   coap_address_get_port(local));
  return true;
}

DmResponse BootstrapConnection::serve(const DmRequest& request) {
  machine_.serverRequestArrived();
  changed();
  return handler_.handle(request);
}

DmResponse BootstrapConnection::serveFinish() {
  machine_.serverRequestArrived();
  DmResponse response = handler_.finish();
  // The machine hears of success only now; its finished() defers the callback, so the 2.04
  // leaves before the daemon starts registering.
  if (response.code == CoapCode::Changed) machine_.finishAccepted();
  changed();
  return response;
}

bool BootstrapConnection::ensureSession() {
  // A DTLS session whose handshake failed stays dead in libcoap 4.3.1: retry on a fresh one.
  if (session_ && coap_session_get_proto(session_) == COAP_PROTO_DTLS &&
      coap_session_get_state(session_) == COAP_SESSION_STATE_NONE)
    disconnect();
  if (session_) return true;
  const std::string uri = serverUri();
  if (uri.empty()) {
    logger()->error("bootstrap: no Bootstrap-Server account and no bootstrap URI configured");
    return false;
  }
  // The credentials are the Bootstrap-Server account's (/0/x with /0/x/1 true).
  SessionSecurity security;
  if (const Instance* account = bootstrapAccount(tree_)) {
    auto read = sessionSecurityFrom(*account);
    if (!read) {
      logger()->error("bootstrap: {}", read.error().message);
      return false;
    }
    security = std::move(*read);
  }
  auto session = coap_.connect(uri, this, security);
  if (!session) {
    logger()->error("bootstrap: {}", session.error().message);
    return false;
  }
  session_ = *session;
  return true;
}

void BootstrapConnection::changed() {
  if (machine_.state() == lastState_) return;
  logger()->info("bootstrap: {} -> {}", toString(lastState_), toString(machine_.state()));
  lastState_ = machine_.state();
}

void BootstrapConnection::sendBootstrapRequest(const BootstrapRequestArgs& args) {
  if (!ensureSession()) {
    // Reported through the machine after this call returns (it is mid-transition).
    loop_.addTimer(std::chrono::milliseconds(0), [this] {
      machine_.requestFailed("cannot open a session to the Bootstrap-Server");
      changed();
    });
    return;
  }
  ClientRequest request;
  request.method = CoapMethod::Post;
  request.path = {"bs"};
  request.query = bootstrapRequestQuery(args);
  ++requestsSent_;
  logger()->info("bootstrap: Bootstrap-Request {}", fmt::join(request.query, "&"));
  coap_.send(session_, request, [this](const ClientResponse& response) {
    if (!response.code) {
      logger()->warn("bootstrap: Bootstrap-Request failed: {}", describe(response));
      machine_.requestFailed(response.failure.empty() ? "no answer" : response.failure);
    } else {
      if (*response.code != CoapCode::Changed)
        logger()->warn("bootstrap: Bootstrap-Request refused: {}", describe(response));
      machine_.requestAnswered(*response.code);
    }
    changed();
  });
}

void BootstrapConnection::schedule(std::chrono::milliseconds delay) {
  cancelSchedule();
  timer_ = loop_.addTimer(delay, [this] {
    timer_.reset();
    machine_.timer();
    changed();
  });
}

void BootstrapConnection::cancelSchedule() {
  if (timer_) loop_.cancelTimer(*timer_);
  timer_.reset();
}

void BootstrapConnection::disconnect() {
  if (!session_) return;
  // The machine may be inside this session's request or response handler: release from the
  // loop, after the answer in progress has gone out.
  if (closeTimer_) {
    loop_.cancelTimer(*closeTimer_);
    coap_.release(closing_);
  }
  closing_ = std::exchange(session_, nullptr);
  closeTimer_ = loop_.addTimer(std::chrono::milliseconds(0), [this] {
    closeTimer_.reset();
    coap_.release(std::exchange(closing_, nullptr));
  });
}

void BootstrapConnection::finished(bool success, const std::string& reason) {
  if (success)
    logger()->info("bootstrap: finished");
  else
    logger()->error("bootstrap: {}", reason);
  // After a success the session stays open: the Bootstrap-Server may still read or write
  // (TS 1.1 §6.1.4 step 5); the next start() or stop() replaces or closes it.
  if (finishedTimer_) loop_.cancelTimer(*finishedTimer_);
  finishedTimer_ = loop_.addTimer(std::chrono::milliseconds(0), [this, success, reason] {
    finishedTimer_.reset();
    if (onFinished_) onFinished_(success, reason);
  });
}

void BootstrapConnection::purgeBootstrapAccount() {
  const auto ids = bootstrapAccounts(tree_);
  for (std::uint16_t iid : ids) {
    logger()->info("bootstrap: Bootstrap-Server Account Timeout: purging /0/{}", iid);
    (void)tree_.removeInstance(bootstrap_ids::kSecurity, iid);
  }
  disconnect();
}

}  // namespace lwm2md
