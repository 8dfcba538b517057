#include "app/daemon.hpp"

#include <signal.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include <sdbus-c++/sdbus-c++.h>

#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <tuple>
#include <vector>

#include "access/access_control.hpp"
#include "app/config_reload.hpp"
#include "app/provider_requests.hpp"
#include "app/server_accounts.hpp"
#include "app/state_keeper.hpp"
#include "app/watchdog.hpp"
#include "bootstrap/bootstrap_connection.hpp"
#include "bootstrap/bootstrap_objects.hpp"
#include "build_config.hpp"
#include "coap/coap_endpoint.hpp"
#include "core/event_loop.hpp"
#include "core/log.hpp"
#include "dbus/service/dbus_service.hpp"
#include "dbus/service/provider_gateway.hpp"
#include "ddf/object_registry.hpp"
#include "dm/data_model.hpp"
#include "objects/server_object.hpp"
#include "objects/standard_objects.hpp"
#include "observe/attributes.hpp"
#include "observe/observe_manager.hpp"
#include "registration/server_connection.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

namespace {

constexpr const char* kBusName = "org.lwm2md1";
constexpr std::uint16_t kSecurityObject = 0;
constexpr std::uint16_t kAccessControlObject = 2;
constexpr std::uint16_t kDeviceObject = 3;
constexpr std::uint16_t kDeviceReboot = 4;             // /3/0/4
constexpr std::uint16_t kBootstrapRequestTrigger = 9;  // /1/x/9
// How long a shutdown waits for De-register answers before leaving anyway.
constexpr std::chrono::milliseconds kDeregisterGrace{3000};

TransmissionParameters transmissionParameters(const CoapConfig& coap) {
  return {coap.ackTimeoutSeconds, coap.ackRandomFactor,
          static_cast<std::uint16_t>(coap.maxRetransmit), static_cast<std::uint16_t>(coap.nstart)};
}

/// Loads object definitions: shipped ones (installed, or the source tree when run from a
/// build directory), then /etc/lwm2md/objects, then the config's directories.
void loadDefinitions(ObjectRegistry& registry, const Config& config) {
  auto logger = log::get("daemon");
  std::vector<std::filesystem::path> dirs;
  std::error_code ec;
  if (std::filesystem::is_directory(LWM2MD_OBJECTS_DIR, ec))
    dirs.emplace_back(LWM2MD_OBJECTS_DIR);
  else
    dirs.emplace_back(LWM2MD_SOURCE_OBJECTS_DIR);
  dirs.emplace_back(std::string(LWM2MD_SYSCONF_DIR) + "/objects");
  for (const auto& dir : config.objectDirs) dirs.emplace_back(dir);
  for (const auto& dir : dirs) {
    std::vector<std::string> errors;
    const auto count = registry.loadDirectory(dir, errors);
    for (const auto& error : errors) logger->error("object definitions: {}", error);
    if (count > 0) logger->info("loaded {} object definitions from {}", count, dir.string());
  }
}

std::unique_ptr<sdbus::IConnection> connectBus(const CommandLine& commandLine) {
  switch (commandLine.bus) {
    case CommandLine::Bus::Session:
      return sdbus::createSessionBusConnection();
    case CommandLine::Bus::Address:
      return sdbus::createSessionBusConnectionWithAddress(commandLine.busAddress);
    case CommandLine::Bus::System:
      break;
  }
  return sdbus::createSystemBusConnection();
}

/// Everything the daemon is made of, wired together. Members are declared in the order they
/// must be built (and are destroyed in reverse).
class Daemon final : public TreeListener {
 public:
  Daemon(Config config, CommandLine commandLine, std::unique_ptr<sdbus::IConnection> bus)
      : config_(std::move(config)),
        commandLine_(std::move(commandLine)),
        tree_(registry_),
        access_(tree_),
        dataModel_(tree_, attributes_),
        bus_(std::move(bus)) {
    dataModel_.setAccessControl(&access_);
  }

  ~Daemon() override { tree_.removeListener(this); }

  int run();

  void instanceAdded(const Instance& instance) override {
    objectsChanged();
    if (instance.objectId() != kAccessControlObject) laterEnsureAccessControl();
    laterPublishWatched();  // an object some server observes has a new instance
  }
  void instanceRemoved(std::uint16_t, std::uint16_t) override { objectsChanged(); }
  void valuesChanged(const Instance& instance, const std::vector<std::uint16_t>& rids,
                     ChangeOrigin origin) override;
  void executed(const Instance& instance, std::uint16_t rid, const std::string& args) override;

 private:
  /// With more than one server, an instance the gateway itself provides (the daemon's, a
  /// D-Bus provider's) that no Access Control instance covers would be out of every server's
  /// reach (TS 1.1 §7.3.1): it gets one that lets every server read, write and execute it,
  /// owned by no server (65535: only a bootstrap server changes it). Instances a server
  /// creates get theirs from the data model, owned by their creator.
  void ensureAccessControl();
  /// Tells providers which of their resources servers now observe (ObservationChanged).
  void publishWatched();
  void laterPublishWatched() {
    if (watchTimer_) return;
    watchTimer_ = loop_.addTimer(std::chrono::milliseconds(0), [this] {
      watchTimer_.reset();
      publishWatched();
    });
  }
  void laterEnsureAccessControl() {
    if (aclTimer_) return;
    aclTimer_ = loop_.addTimer(std::chrono::milliseconds(0), [this] {
      aclTimer_.reset();
      ensureAccessControl();
    });
  }
  void objectsChanged() {
    // What a Bootstrap-Server writes is not the client's configuration before its Finish (and
    // every server registers anew after it): the servers hear nothing of it meanwhile.
    if (bootstrapping()) return;
    for (auto& server : servers_) server->registration().objectsChanged();
  }
  /// Runs `action` on the connection of the server that Server object instance `instance`
  /// describes, from the loop: after the response to the request that caused it is sent.
  void laterForServerOf(const Instance& instance, std::function<void(ServerConnection&)> action);
  void integrateBus();
  DmResponse serve(const DmRequest& request, void* peer);
  /// The request with who asks (short server id, LwM2M version) filled in.
  DmRequest fromServer(const DmRequest& request, void* peer) const;
  std::string state() const;
  void stateChanged();
  void beginShutdown();
  /// Tells the D-Bus service how server `shortId` stands now (org.lwm2md1.Server).
  void publishServer(std::uint16_t shortId);
  /// What the Manager's Register, UpdateRegistration, Deregister, ... do.
  ManagerActions managerActions();
  /// Brings the server connections in line with the Security and Server instances: drops
  /// those whose account is gone (or moved), opens and registers the new ones. With
  /// `restartAll` every connection is made anew (after a bootstrap).
  void reconcileServers(bool restartAll);
  void addServerConnection(const ServerConfig& server);
  /// Takes up the registration (and its observations) `server` had before a restart, when the
  /// saved one is for the same URI and endpoint and its lifetime has not run out; false when
  /// there is none to take up (the caller registers anew). Each saved session is tried once.
  bool resumeSession(ServerConnection& server);
  /// Fills in every registered server's registration and observations for a save.
  void captureSessions(PersistedState& state) const;
  void removeServerConnection(std::size_t index);
  /// Takes a connection out of service with a De-register (a reload removed or changed its
  /// server); it lives on in leaving_ until the De-register is answered or given up.
  /// `forget` drops the server's Write-Attributes too (the server is gone for good).
  void retireServerConnection(std::size_t index, bool forget);
  void laterReapLeaving();
  /// SIGHUP: reads the config file again and applies what changed (see planReload()).
  void reload();
  /// Gives the [limits] of config_ to the components that enforce them (at start and on every
  /// reload; each applies them at once). The D-Bus side's are the service's own.
  void applyLimits();
  void applyServerChanges(const ServerChanges& changes);
  /// Client-initiated bootstrap; an error when there is no Bootstrap-Server account.
  Status startBootstrap(const std::string& why);
  void bootstrapFinished(bool success, const std::string& reason);
  /// The Bootstrap-Server's session, opened on first use.
  void ensureBootstrapConnection();
  /// A request from the Bootstrap-Server: one that comes unasked (server-initiated bootstrap)
  /// starts holding the state like a client-initiated one.
  void bootstrapRequestArrived();
  /// A server connection changed state: when every server has failed, bootstrap (TS 1.1
  /// "Bootstrap on Registration Failure", /1/x/16, true by default).
  void serverStateChanged(std::uint16_t shortId);
  bool bootstrapping() const { return bootstrap_ && bootstrap_->machine().active(); }

  Config config_;            // the running config: a reload replaces it
  CommandLine commandLine_;  // re-applied over every reload (--log-level, --state-dir)
  ObjectRegistry registry_;
  ObjectTree tree_;
  AccessControl access_;       // object 2, enforced once there is more than one server
  AttributeStore attributes_;  // every server's Write-Attributes: DM writes, observe reads
  DataModel dataModel_;
  EventLoop loop_;
  std::unique_ptr<sdbus::IConnection> bus_;
  std::unique_ptr<CoapEndpoint> coap_;
  std::vector<std::unique_ptr<ServerConnection>> servers_;
  /// Connections a reload retired, De-registering; reaped once done.
  std::vector<std::unique_ptr<ServerConnection>> leaving_;
  std::optional<EventLoop::TimerId> reapTimer_;
  std::unique_ptr<ObserveManager> observe_;  // refers to servers_: destroyed before them
  std::unique_ptr<DbusService> dbus_;
  // integrateBus(): whether sd-bus may have work (its fd was ready, or its last batch was
  // full), and when it wants to be called at the latest.
  bool busReady_ = true;
  EventLoop::Clock::time_point busDeadline_{};
  std::unique_ptr<ProviderGateway> providerGateway_;    // calls callback providers
  std::unique_ptr<ProviderRequests> providerRequests_;  // DM requests on their instances
  std::unique_ptr<StateKeeper> state_;  // saves objects 0-2 and attributes as they change
  /// The sessions saved before this start, until each server has had its chance to resume.
  PersistedState savedSessions_;
  /// The Bootstrap-Server connection while a bootstrap is under way (or kept for a
  /// server-initiated one); null otherwise.
  std::unique_ptr<BootstrapConnection> bootstrap_;
  std::unique_ptr<Watchdog> watchdog_;  // only when systemd asks for one
  std::optional<EventLoop::TimerId> aclTimer_;
  /// What servers observe, as (object, instance, resource; 65535 = the whole instance): the
  /// providers were told of it with ObservationChanged.
  std::set<std::tuple<std::uint16_t, std::uint16_t, std::uint16_t>> watched_;
  std::optional<EventLoop::TimerId> watchTimer_;
  std::string lastState_;
  bool stopping_ = false;
  std::shared_ptr<spdlog::logger> logger_ = log::get("daemon");
};

std::string Daemon::state() const {
  using S = RegistrationMachine::State;
  bool registering = false;
  bool registered = false;
  bool active = false;
  for (const auto& server : servers_) {
    const auto s = server->registration().state();
    registered |= s == S::Registered || s == S::Updating;
    registering |= s == S::Registering || s == S::WaitingRetry;
    active |= s != S::Deregistered && s != S::Idle;
  }
  if (stopping_) return active ? "deregistering" : "stopped";
  if (bootstrapping()) return "bootstrapping";
  if (registered) return "registered";
  if (registering) return "registering";
  return "idle";
}

void Daemon::stateChanged() {
  const std::string now = state();
  if (now != lastState_) {
    lastState_ = now;
    sd_notifyf(0, "STATUS=%s", now.c_str());
    if (dbus_) dbus_->stateChanged();
  }
  if (stopping_ && now == "stopped") loop_.stop();
}

void Daemon::laterForServerOf(const Instance& instance,
                              std::function<void(ServerConnection&)> action) {
  const std::uint16_t shortId = readServerAccount(instance).shortId;
  loop_.addTimer(std::chrono::milliseconds(0), [this, shortId, action = std::move(action)] {
    for (auto& server : servers_)
      if (server->shortId() == shortId) action(*server);
  });
}

void Daemon::valuesChanged(const Instance& instance, const std::vector<std::uint16_t>&,
                           ChangeOrigin) {
  if (instance.objectId() != server_object::kObjectId || bootstrapping()) return;
  laterForServerOf(instance, [](ServerConnection& server) { server.settingsChanged(); });
}

void Daemon::executed(const Instance& instance, std::uint16_t rid, const std::string&) {
  if (stopping_) return;
  if (instance.objectId() == kDeviceObject && rid == kDeviceReboot) {
    // The D-Bus Executed signal lets a provider restart the hardware; the client itself
    // restarts its LwM2M session as a rebooted device would (ETS int-241): observations end
    // and every server gets a fresh Register, after the 2.04 to the Execute.
    logger_->info("Reboot executed: registering anew with every server");
    loop_.addTimer(std::chrono::milliseconds(0), [this] {
      if (stopping_) return;
      for (auto& server : servers_) server->start();
      stateChanged();
    });
    return;
  }
  if (instance.objectId() != server_object::kObjectId) return;
  // The 2.04 to the Execute goes first (TS E.2), so the Update or De-register follows it.
  if (rid == kBootstrapRequestTrigger) {
    loop_.addTimer(std::chrono::milliseconds(0), [this] {
      if (auto started = startBootstrap("the Bootstrap-Request Trigger was executed"); !started)
        logger_->warn("cannot bootstrap: {}", started.error().message);
    });
    return;
  }
  if (rid == server_object::kRegistrationUpdateTrigger)
    laterForServerOf(instance, [](ServerConnection& server) { server.triggerUpdate(); });
  else if (rid == server_object::kDisable)
    laterForServerOf(instance, [](ServerConnection& server) { server.disable(); });
}

DmRequest Daemon::fromServer(const DmRequest& request, void* peer) const {
  DmRequest copy = request;
  if (auto* server = static_cast<ServerConnection*>(peer)) {
    copy.serverVersion = server->config().version;
    copy.serverShortId = server->config().shortId;
  }
  return copy;
}

DmResponse Daemon::serve(const DmRequest& request, void* peer) {
  // The Bootstrap-Server's requests go to the Bootstrap interface, with its own rules.
  if (bootstrap_ && peer == bootstrap_.get()) {
    bootstrapRequestArrived();
    return bootstrap_->serve(request);
  }
  DmRequest copy = fromServer(request, peer);
  // A server never sees the Security object (TS §E.1): it holds the keys.
  if (request.path.depth() >= 1 && request.path.objectId() == kSecurityObject)
    return DmResponse::error(CoapCode::Unauthorized, "the Security object is not accessible");
  DmResponse response = dataModel_.handle(copy);
  // What a server wrote to objects 1 and 2, and its Write-Attributes, reach the disk before
  // the server hears of success: saving after the answer lost a lifetime write to a crash right
  // after the 2.04 (the fault suite's kill loop counted 358 in 6258).
  if (state_ && isSuccess(response.code) && state_->savePending())
    if (auto saved = state_->saveNow(); !saved)
      return DmResponse::error(CoapCode::InternalServerError,
                               "the change could not be saved: " + saved.error().message);
  return response;
}

void Daemon::integrateBus() {
  // sd-bus tells before every wait which fd events and which deadline it needs; dispatch what
  // is pending, so no message waits for the next unrelated wake-up. At most a batch at a time:
  // providers pushing without pause kept this loop busy for good, and the CoAP socket (ACKs of
  // notifications among it) unread. With more left the loop polls without waiting and comes
  // back here after serving the other fds. 16, not 64: a CON notification's ACK waits for the
  // turn to end, and with 64 Sets a turn a pushing provider held CON delivery to a quarter
  // (issue 7: 11.4k/s against 26.2k/s with NSTART 32).
  //
  // PropertiesChanged for values providers Set in the last batch goes out here, at the start
  // of the next turn: by then that turn's timers have sent the notifications the Sets caused,
  // so a server hears of a change before the bus does (the signal reads back every value of
  // the instance, the costliest part of a Set), and a burst of Sets to one instance makes one
  // signal.
  //
  // sd-bus reads its socket in every sd_bus_process(), so it is called only when there may be
  // work: its fd was ready, its deadline came, or the last batch was full. Calling it every
  // turn cost a recvmsg() returning EAGAIN per CoAP request while only CoAP was busy.
  loop_.addPrepareHook([this]() -> std::optional<EventLoop::Clock::time_point> {
    constexpr int kBusBatch = 16;
    if (dbus_) dbus_->flushChanges();
    if (busReady_ || busDeadline_ <= EventLoop::Clock::now()) {
      int dispatched = 0;
      while (dispatched < kBusBatch && bus_->processPendingRequest()) ++dispatched;
      busReady_ = dispatched == kBusBatch;
    }
    if (busReady_ || (dbus_ && dbus_->changesPending())) return EventLoop::Clock::now();
    const auto poll = bus_->getEventLoopPollData();
    loop_.watchFd(poll.fd, static_cast<std::uint32_t>(poll.events),
                  [this](std::uint32_t) { busReady_ = true; });
    if (poll.timeout_usec == UINT64_MAX) {
      busDeadline_ = EventLoop::Clock::time_point::max();
      return std::nullopt;
    }
    busDeadline_ = EventLoop::Clock::time_point(std::chrono::microseconds(poll.timeout_usec));
    return busDeadline_;
  });
}

void Daemon::publishServer(std::uint16_t shortId) {
  if (!dbus_) return;
  for (const auto& server : servers_) {
    if (server->config().shortId != shortId) continue;
    ServerInfo info;
    info.shortServerId = shortId;
    info.uri = server->config().uri;
    info.state = std::string(toString(server->registration().state()));
    // The live values: a server may have written its lifetime or binding since start-up.
    info.lifetime = static_cast<std::uint32_t>(server->registration().params().lifetime.count());
    info.binding = server->registration().params().binding;
    for (const auto& part : server->registration().location())
      info.registrationId += (info.registrationId.empty() ? "" : "/") + part;
    info.observations = observe_ ? static_cast<std::uint32_t>(observe_->countOf(server.get())) : 0;
    dbus_->serverChanged(info);
  }
}

ManagerActions Daemon::managerActions() {
  // Each applies to every server and publishes what changed at once; what follows from the
  // servers' answers comes through their state-change callbacks.
  auto forEach = [this](const std::function<void(ServerConnection&)>& action) -> Status {
    if (stopping_)
      return Error{CoapCode::ServiceUnavailable, "the daemon is shutting down", ErrorKind::Failed};
    if (servers_.empty())
      return Error{CoapCode::NotFound, "no LwM2M server is configured", ErrorKind::Failed};
    for (auto& server : servers_) action(*server);
    for (auto& server : servers_) publishServer(server->config().shortId);
    stateChanged();
    return {};
  };
  ManagerActions actions;
  actions.registerAll = [forEach] { return forEach([](ServerConnection& s) { s.start(); }); };
  actions.updateAll = [forEach] {
    return forEach([](ServerConnection& s) { s.registration().triggerUpdate(); });
  };
  // shutdown() leaves the machine in Deregistered, where nothing but start() sends again.
  actions.deregisterAll = [forEach] {
    return forEach([](ServerConnection& s) { s.registration().shutdown(); });
  };
  actions.bootstrap = [this]() -> Status {
    if (stopping_)
      return Error{CoapCode::ServiceUnavailable, "the daemon is shutting down", ErrorKind::Failed};
    return startBootstrap("asked for over D-Bus (Manager.Bootstrap)");
  };
  actions.addDefinitions = [this](std::vector<ObjectDef> defs) -> Status {
    for (auto& def : defs) registry_.add(std::move(def));
    return {};
  };
  return actions;
}

void Daemon::addServerConnection(const ServerConfig& server) {
  auto connection = std::make_unique<ServerConnection>(
      loop_, *coap_, tree_, server, config_.endpoint, config_.registration,
      [this, id = server.shortId] { serverStateChanged(id); });
  ServerConnection* raw = connection.get();
  raw->setRegisterHook([this, raw] { observe_->dropServer(raw); });
  raw->setDeregisterHook([this, raw] { observe_->dropServer(raw); });
  servers_.push_back(std::move(connection));
  if (!stopping_ && !resumeSession(*raw)) raw->start();
  publishServer(server.shortId);
}

bool Daemon::resumeSession(ServerConnection& server) {
  if (!config_.registration.resume) return false;
  const std::uint16_t shortId = server.shortId();
  auto& registrations = savedSessions_.registrations;
  const auto found = std::find_if(registrations.begin(), registrations.end(),
                                  [&](const StoredRegistration& r) { return r.server == shortId; });
  if (found == registrations.end()) return false;
  const StoredRegistration stored = *found;
  registrations.erase(found);
  std::vector<StoredObservation> observations;
  std::erase_if(savedSessions_.observations, [&](StoredObservation& o) {
    if (o.server != shortId) return false;
    observations.push_back(std::move(o));
    return true;
  });
  const std::vector<std::string> location = savedSessions_.locations[shortId];
  savedSessions_.locations.erase(shortId);
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  std::string why;
  if (stored.uri != server.config().uri || stored.endpoint != config_.endpoint)
    why = "it was made for another server URI or endpoint";
  else if (now >= stored.updatedAt + static_cast<std::int64_t>(stored.lifetime))
    why = "its lifetime has run out";
  else if (location.empty() || stored.localPort == 0)
    why = "its location or local port is unknown";
  if (!why.empty()) {
    logger_->info("server {}: not resuming the saved registration: {}; registering anew", shortId,
                  why);
    return false;
  }
  if (!server.resume(location, RegisterArgs{std::chrono::seconds(stored.lifetime), ""},
                     stored.localPort, stored.updatedAt)) {
    logger_->warn("server {}: cannot resume the saved registration from port {}; registering anew",
                  shortId, stored.localPort);
    return false;
  }
  // The Update is on its way: if the server forgot us (4.04), the Register that follows drops
  // these observations again (the register hook).
  for (const auto& o : observations) {
    DmRequest request;
    request.method = o.composite ? CoapMethod::Fetch : CoapMethod::Get;
    request.path = o.path;
    request.accept = o.accept;
    request.contentFormat = o.contentFormat;
    request.payload = o.payload;
    request.serverVersion = server.config().version;
    request.serverShortId = shortId;
    if (auto resumed = observe_->resume(&server, o.token, request, o.sequence); !resumed)
      logger_->warn("server {}: cannot resume an observation of {}: {}", shortId, o.path.toString(),
                    resumed.error().message);
  }
  return true;
}

void Daemon::captureSessions(PersistedState& state) const {
  using S = RegistrationMachine::State;
  for (const auto& server : servers_) {
    const RegistrationMachine& machine = server->registration();
    if ((machine.state() != S::Registered && machine.state() != S::Updating) ||
        machine.location().empty())
      continue;
    const std::uint16_t shortId = server->shortId();
    state.locations[shortId] = machine.location();
    state.registrations.push_back(
        StoredRegistration{shortId, server->config().uri, config_.endpoint,
                           static_cast<std::uint32_t>(machine.accepted().lifetime.count()),
                           server->acceptedAt(), server->localPort()});
    if (!observe_) continue;
    for (const auto& r : observe_->resumable(server.get())) {
      StoredObservation o;
      o.server = shortId;
      o.token = r.token;
      o.composite = r.request.method == CoapMethod::Fetch;
      o.path = r.request.path;
      o.accept = r.request.accept;
      o.contentFormat = r.request.contentFormat;
      o.payload = r.request.payload;
      o.sequence = r.sequence;
      state.observations.push_back(std::move(o));
    }
  }
}

void Daemon::removeServerConnection(std::size_t index) {
  ServerConnection* connection = servers_[index].get();
  const std::uint16_t shortId = connection->shortId();
  observe_->dropServer(connection);
  attributes_.removeServer(shortId);
  servers_.erase(servers_.begin() + static_cast<std::ptrdiff_t>(index));
  if (dbus_) dbus_->serverRemoved(shortId);
  logger_->info("server {}: no longer provisioned", shortId);
}

void Daemon::retireServerConnection(std::size_t index, bool forget) {
  std::unique_ptr<ServerConnection> connection = std::move(servers_[index]);
  servers_.erase(servers_.begin() + static_cast<std::ptrdiff_t>(index));
  const std::uint16_t shortId = connection->shortId();
  observe_->dropServer(connection.get());
  if (forget) attributes_.removeServer(shortId);
  if (dbus_) dbus_->serverRemoved(shortId);
  // shutdown() De-registers a registered connection, lets a Register in flight be answered
  // and then De-registers, and ends any other at once: no registration is left behind.
  connection->registration().shutdown();
  leaving_.push_back(std::move(connection));
  laterReapLeaving();
  // A server that never answers must not keep its connection for ever.
  loop_.addTimer(kDeregisterGrace, [this] {
    if (leaving_.empty()) return;
    logger_->debug("giving up on {} De-register answer(s)", leaving_.size());
    leaving_.clear();
  });
}

void Daemon::laterReapLeaving() {
  // From the loop: the connection may be inside its own response callback right now.
  if (reapTimer_ || leaving_.empty()) return;
  reapTimer_ = loop_.addTimer(std::chrono::milliseconds(0), [this] {
    reapTimer_.reset();
    std::erase_if(leaving_, [](const auto& connection) {
      const auto s = connection->registration().state();
      return s == RegistrationMachine::State::Deregistered ||
             s == RegistrationMachine::State::Idle || s == RegistrationMachine::State::Failed;
    });
  });
}

void Daemon::reload() {
  if (stopping_) return;
  const std::filesystem::path file = config_.sourceFile;
  if (file.empty()) {
    logger_->warn("SIGHUP: no config file to reload");
    return;
  }
  // RELOADING=1 with the time it began, as Type=notify-reload expects; READY=1 ends it.
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  sd_notifyf(0, "RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=%llu",
             static_cast<unsigned long long>(now.tv_sec) * 1000000ULL +
                 static_cast<unsigned long long>(now.tv_nsec) / 1000ULL);
  logger_->info("reloading {}", file.string());
  auto loaded = loadConfig(file);
  if (!loaded) {
    // The message names the file, the line and the key. Nothing has changed.
    logger_->error("reload failed, the running configuration stays: {}", loaded.error().message);
    sd_notifyf(0, "READY=1\nSTATUS=reload failed: %s", loaded.error().message.c_str());
    lastState_.clear();  // the next state change reports the state again
    return;
  }
  applyCommandLine(commandLine_, *loaded);
  // A bootstrap rewrites objects 0 and 1 until its Finish: the tables wait for the next reload.
  const bool holding = bootstrapping() || (state_ && state_->holding());
  ReloadPlan plan = planReload(config_, std::move(*loaded), state_ && state_->bootstrapped());
  if (holding && plan.servers.any()) {
    plan.next.servers = config_.servers;
    plan.servers = {};
    plan.kept.emplace_back("[[server]] changes wait for the next reload: a bootstrap is under way");
  }
  for (const auto& line : plan.kept) logger_->warn("reload: {}", line);
  config_ = std::move(plan.next);

  if (plan.logLevel) {
    log::setup(log::parseLevel(config_.logLevel).value_or(spdlog::level::info));
    logger_->info("reload: log level {}", config_.logLevel);
  }
  if (plan.limits) {
    applyLimits();
    logger_->info(
        "reload: [limits] max_payload {}, max_observations_per_server {}, "
        "max_pending_requests {}, max_instances_per_provider {}, dbus_calls_per_second {}",
        config_.limits.maxPayloadBytes, config_.limits.maxObservationsPerServer,
        config_.limits.maxPendingRequests, config_.limits.maxInstancesPerProvider,
        config_.limits.dbusCallsPerSecond);
  }
  if (plan.providerTimeout && providerGateway_) {
    providerGateway_->setTimeout(std::chrono::milliseconds(
        static_cast<std::int64_t>(config_.providerTimeoutSeconds * 1000.0)));
    logger_->info("reload: provider timeout {} s", config_.providerTimeoutSeconds);
  }
  if (plan.coap) {
    coap_->setTransmissionParameters(transmissionParameters(config_.coap));
    if (observe_) observe_->setConfirmableLimit(config_.coap.nstart);
    logger_->info("reload: [coap] applies to sessions opened from now on");
  }
  if (plan.registration)
    logger_->info("reload: [registration] applies to server connections opened from now on");
  if (plan.device) {
    if (auto applied = applyDeviceConfig(tree_, config_.device); !applied)
      logger_->error("reload: [device]: {}", applied.error().message);
  }
  applyServerChanges(plan.servers);
  logger_->info("reloaded {}: {} server(s) added, {} changed, {} removed, {} unchanged",
                file.string(), plan.servers.added.size(), plan.servers.changed.size(),
                plan.servers.removed.size(), plan.servers.unchanged.size());
  lastState_ = state();
  sd_notifyf(0, "READY=1\nSTATUS=%s", lastState_.c_str());
  stateChanged();
}

void Daemon::applyServerChanges(const ServerChanges& changes) {
  if (!changes.any()) return;
  // The tree first: a connection reads its Security and Server instances when it starts.
  for (std::uint16_t shortId : changes.removed) unprovisionServer(tree_, shortId);
  for (const auto* list : {&changes.changed, &changes.added})
    for (const auto& server : *list)
      if (auto written = provisionServer(tree_, server); !written)
        logger_->error("reload: server {}: {}", server.shortId, written.error().message);
  // Then the connections: a removed or changed server hears a De-register on its old session,
  // and a changed or new one a fresh Register (reconcileServers opens what is missing). The
  // others are not touched: same session, registration and observations.
  auto retire = [this](std::uint16_t shortId, bool forget) {
    for (std::size_t i = 0; i < servers_.size(); ++i)
      if (servers_[i]->shortId() == shortId) {
        logger_->info("server {}: {} by the reload", shortId, forget ? "removed" : "changed");
        retireServerConnection(i, forget);
        return;
      }
  };
  for (std::uint16_t shortId : changes.removed) retire(shortId, true);
  for (const auto& server : changes.changed) retire(server.shortId, false);
  reconcileServers(false);
  // As at start: with no server left, the Bootstrap-Server (if any) provisions the client.
  if (servers_.empty())
    if (auto started = startBootstrap("the reload left no LwM2M server"); !started)
      logger_->warn("nothing to register with: {}", started.error().message);
}

void Daemon::publishWatched() {
  if (!observe_ || !dbus_) return;
  constexpr std::uint16_t kWholeInstance = 65535;
  std::set<std::tuple<std::uint16_t, std::uint16_t, std::uint16_t>> now;
  for (const Path& path : observe_->observedPaths()) {
    if (path.depth() >= 2) {
      now.emplace(path.objectId(), path.instanceId(),
                  path.depth() >= 3 ? path.resourceId() : kWholeInstance);
      continue;
    }
    // An object (or everything, for a composite's "/"): each of its instances, whole.
    for (const Instance* instance : tree_.allInstances())
      if (path.depth() == 0 || instance->objectId() == path.objectId())
        now.emplace(instance->objectId(), instance->instanceId(), kWholeInstance);
  }
  for (const auto& [oid, iid, rid] : now)
    if (!watched_.contains({oid, iid, rid})) dbus_->observationChanged(oid, iid, rid, true);
  for (const auto& [oid, iid, rid] : watched_)
    if (!now.contains({oid, iid, rid})) dbus_->observationChanged(oid, iid, rid, false);
  watched_ = std::move(now);
}

void Daemon::ensureAccessControl() {
  if (!access_.enforced()) return;
  for (const Instance* instance : tree_.allInstances()) {
    const std::uint16_t oid = instance->objectId();
    if (oid == kSecurityObject || oid == kAccessControlObject ||
        access_.controlOf(oid, instance->instanceId()))
      continue;
    // Server object instances belong to their server; everything else is the gateway's.
    const bool serverInstance = oid == server_object::kObjectId;
    ResourceData rights;
    rights.id = bootstrap_ids::kAcl;
    rights.type = ResourceType::Integer;
    rights.multiple = true;
    std::int64_t owner = acl::kMaxId;
    if (serverInstance) {
      owner = readServerAccount(*instance).shortId;
    } else {
      rights.instances[acl::kDefaultEntry] = std::int64_t{acl::kRead | acl::kWrite | acl::kExecute};
    }
    std::vector<ResourceData> values{
        ResourceData{
            bootstrap_ids::kAclObjectId, ResourceType::Integer, false, std::int64_t{oid}, {}},
        ResourceData{bootstrap_ids::kAclInstanceId,
                     ResourceType::Integer,
                     false,
                     std::int64_t{instance->instanceId()},
                     {}},
        rights,
        ResourceData{bootstrap_ids::kAclOwner, ResourceType::Integer, false, owner, {}},
    };
    std::uint16_t iid = 0;
    while (tree_.find(kAccessControlObject, iid)) ++iid;
    if (auto added = tree_.addInstance(kAccessControlObject, iid, values, ""); !added)
      logger_->warn("cannot add access control for /{}/{}: {}", oid, instance->instanceId(),
                    added.error().message);
  }
}

void Daemon::reconcileServers(bool restartAll) {
  const auto wanted = serverAccountsFrom(tree_, config_);
  for (std::size_t i = servers_.size(); i-- > 0;) {
    const auto& have = servers_[i]->config();
    const bool kept = std::any_of(wanted.begin(), wanted.end(), [&](const ServerConfig& w) {
      return w.shortId == have.shortId && w.uri == have.uri;
    });
    if (restartAll || !kept) removeServerConnection(i);
  }
  for (const auto& account : wanted) {
    const bool present = std::any_of(servers_.begin(), servers_.end(), [&](const auto& server) {
      return server->shortId() == account.shortId;
    });
    if (!present) addServerConnection(account);
  }
  ensureAccessControl();
  stateChanged();
}

Status Daemon::startBootstrap(const std::string& why) {
  if (bootstrapping()) return {};
  if (bootstrapAccounts(tree_).empty() && !config_.bootstrap)
    return Error{CoapCode::NotFound, "no Bootstrap-Server account is provisioned",
                 ErrorKind::Failed};
  logger_->info("bootstrapping: {}", why);
  ensureBootstrapConnection();
  // Nothing the Bootstrap-Server writes is durable before its Finish.
  state_->hold();
  bootstrap_->start();
  stateChanged();
  return {};
}

void Daemon::ensureBootstrapConnection() {
  if (bootstrap_) return;
  BootstrapConnection::Options options;
  options.endpoint = config_.endpoint;
  if (config_.bootstrap) options.fallbackUri = config_.bootstrap->uri;
  bootstrap_ = std::make_unique<BootstrapConnection>(
      loop_, *coap_, tree_, &attributes_, options,
      [this](bool success, const std::string& reason) { bootstrapFinished(success, reason); });
}

void Daemon::bootstrapRequestArrived() {
  if (state_->holding()) return;
  logger_->info("bootstrapping: the Bootstrap-Server provisions the client on its own initiative");
  state_->hold();
  loop_.addTimer(std::chrono::milliseconds(0), [this] { stateChanged(); });
}

void Daemon::bootstrapFinished(bool success, const std::string& reason) {
  if (success) {
    // Saved already, before the Finish was answered.
    logger_->info("bootstrap finished: registering with the provisioned servers");
  } else {
    logger_->error("bootstrap failed: {}", reason);
    state_->rollback();
  }
  reconcileServers(success);
  stateChanged();
  // Stay reachable for the next server-initiated bootstrap.
  if (success && !stopping_ && !bootstrapAccounts(tree_).empty())
    loop_.addTimer(std::chrono::milliseconds(0), [this] {
      if (bootstrap_ && !bootstrapping() && !stopping_) bootstrap_->listen();
    });
}

void Daemon::serverStateChanged(std::uint16_t shortId) {
  laterReapLeaving();
  // A Register or Update answered (or a registration ended): the sessions to resume changed.
  // Sending one changes nothing durable: saving then too cost an idle daemon a second save,
  // and a wake-up, a second after each Update's answer (issue 7).
  using State = RegistrationMachine::State;
  const bool inFlight = std::any_of(servers_.begin(), servers_.end(), [shortId](const auto& s) {
    const State state = s->registration().state();
    return s->shortId() == shortId && (state == State::Registering || state == State::Updating ||
                                       state == State::Deregistering);
  });
  if (state_ && !inFlight) state_->sessionsChanged();
  stateChanged();
  publishServer(shortId);
  if (stopping_ || bootstrapping() || servers_.empty()) return;
  const bool allFailed = std::all_of(servers_.begin(), servers_.end(), [](const auto& server) {
    return server->registration().state() == RegistrationMachine::State::Failed;
  });
  if (!allFailed || bootstrapAccounts(tree_).empty()) return;
  loop_.addTimer(std::chrono::milliseconds(0), [this] {
    if (auto started = startBootstrap("no server could be registered with"); !started)
      logger_->warn("cannot bootstrap: {}", started.error().message);
  });
}

void Daemon::beginShutdown() {
  if (stopping_) return;
  logger_->info("shutting down");
  sd_notify(0, "STOPPING=1");
  stopping_ = true;
  if (bootstrap_) bootstrap_->stop();
  if (config_.registration.keepOnStop) {
    // on_stop = "keep": the registrations stay on the servers and are saved as they are, for
    // the next start to resume them; nothing is sent.
    logger_->info("leaving the registrations in place (on_stop = \"keep\")");
    loop_.addTimer(std::chrono::milliseconds(0), [this] { loop_.stop(); });
    stateChanged();
    return;
  }
  for (auto& server : servers_) server->registration().shutdown();
  loop_.addTimer(kDeregisterGrace, [this] {
    logger_->warn("leaving without every De-register answered");
    loop_.stop();
  });
  stateChanged();
}

void Daemon::applyLimits() {
  const LimitsConfig& limits = config_.limits;
  if (coap_) coap_->setMaxPayloadBytes(limits.maxPayloadBytes);
  if (observe_) observe_->setMaxObservationsPerServer(limits.maxObservationsPerServer);
  if (providerRequests_) providerRequests_->setMaxPending(limits.maxPendingRequests);
  if (dbus_) dbus_->setLimits(limits);
}

int Daemon::run() {
  loadDefinitions(registry_, config_);
  if (auto status = addStandardInstances(tree_, config_); !status) {
    logger_->critical("cannot create the standard objects: {}", status.error().message);
    return kExitConfig;
  }
  // Server object values the registration cannot live with (Lifetime 0, an unknown Binding)
  // never get in, through whichever operation they come.
  tree_.setValidator(server_object::kObjectId,
                     [](const Instance&, const std::vector<ResourceData>& values) {
                       return validateServerValues(values);
                     });
  tree_.addListener(this);

  loop_.onSignal(SIGTERM, [this] { beginShutdown(); });
  loop_.onSignal(SIGINT, [this] { beginShutdown(); });
  loop_.onSignal(SIGHUP, [this] { reload(); });
  signal(SIGPIPE, SIG_IGN);

  // Export the objects first, then take the name: clients that see the name find them all.
  try {
    dbus_ = std::make_unique<DbusService>(
        *bus_, tree_, ManagerInfo{config_.endpoint, LWM2MD_VERSION, [this] { return state(); }});
    dbus_->setActions(managerActions());
    dbus_->setDeferChanges(true);  // flushed by integrateBus()'s hook
    bus_->requestName(kBusName);
  } catch (const sdbus::Error& error) {
    logger_->critical("cannot own {} on the bus: {} ({})", kBusName, error.getMessage(),
                      error.getName());
    return kExitUnavailable;
  }
  integrateBus();

  coap_ = std::make_unique<CoapEndpoint>(loop_);
  coap_->setTransmissionParameters(transmissionParameters(config_.coap));
  coap_->setRequestHandler(
      [this](const DmRequest& request, void* peer) { return serve(request, peer); });
  const auto providerTimeout =
      std::chrono::milliseconds(static_cast<std::int64_t>(config_.providerTimeoutSeconds * 1000.0));
  if (auto gateway = ProviderGateway::create(*bus_, registry_, providerTimeout); gateway) {
    providerGateway_ = std::move(*gateway);
    providerRequests_ =
        std::make_unique<ProviderRequests>(loop_, tree_, dataModel_, *dbus_, *providerGateway_);
    coap_->setDeferredHandler(
        [this](const DmRequest& request, void* peer, std::function<void(DmResponse)> complete) {
          if (bootstrap_ && peer == bootstrap_.get()) return false;
          if (request.path.depth() >= 1 && request.path.objectId() == kSecurityObject) return false;
          return providerRequests_->take(fromServer(request, peer), std::move(complete));
        });
  } else {
    logger_->error("callback providers unavailable: {}", gateway.error().message);
  }
  coap_->setBootstrapFinishHandler([this](void* peer) -> std::optional<DmResponse> {
    if (!bootstrap_ || peer != bootstrap_.get()) return std::nullopt;
    bootstrapRequestArrived();
    // The 2.04 tells the Bootstrap-Server the client has its new provisioning: it must be on
    // disk by then, or a crash right after the answer would bring the old one back.
    if (!bootstrap_->handler().inconsistency()) {
      if (auto saved = state_->commit(); !saved) {
        state_->hold();  // still bootstrapping: the server may try again
        return DmResponse::error(CoapCode::InternalServerError,
                                 "the new provisioning could not be saved");
      }
    }
    return bootstrap_->serveFinish();
  });
  observe_ = std::make_unique<ObserveManager>(
      loop_, *coap_, tree_, dataModel_.attributes(),
      [this](const DmRequest& request, void* peer) { return serve(request, peer); });
  observe_->setConfirmableLimit(config_.coap.nstart);
  observe_->setWatchListener([this] { laterPublishWatched(); });
  applyLimits();
  coap_->setObserveHandler([this](const DmRequest& request, const ObserveRequest& observe,
                                  void* peer) {
    if (bootstrap_ && peer == bootstrap_.get())
      return ObserveResponse{
          DmResponse::error(CoapCode::MethodNotAllowed, "no Observe on the Bootstrap interface"),
          std::nullopt};
    auto* server = static_cast<ServerConnection*>(peer);
    // Observations changed: tell the bus once this request is answered.
    if (server)
      loop_.addTimer(std::chrono::milliseconds(0),
                     [this, id = server->config().shortId] { publishServer(id); });
    return observe_->handle(request, observe, server);
  });
  coap_->setNotificationFailureHandler(
      [this](void* peer, const std::vector<std::uint8_t>& token, int mid, NotificationFailure why) {
        if (!peer || (bootstrap_ && peer == bootstrap_.get())) return;
        auto* server = static_cast<ServerConnection*>(peer);
        observe_->notificationFailed(server, token, mid, why);
        // Observations may have ended: tell the bus from the loop, outside libcoap's callback.
        loop_.addTimer(std::chrono::milliseconds(0),
                       [this, id = server->config().shortId] { publishServer(id); });
      });
  // Saved provisioning (a bootstrap's, or servers' later writes) replaces the factory one.
  state_ = std::make_unique<StateKeeper>(loop_, tree_, attributes_, config_.stateDir);
  const bool restored = state_->restore();
  savedSessions_ = state_->restoredSessions();
  state_->setSessionSource([this](PersistedState& state) { captureSessions(state); });
  observe_->setPersistListener([this] {
    if (state_) state_->sessionsChanged();
  });
  const auto accounts = serverAccountsFrom(tree_, config_);
  logger_->info("lwm2md {} starting as endpoint '{}' with {} server(s){}", LWM2MD_VERSION,
                config_.endpoint, accounts.size(), restored ? " (saved state)" : "");
  reconcileServers(false);
  if (accounts.empty()) {
    if (auto started = startBootstrap("no LwM2M server is provisioned"); !started)
      logger_->warn("nothing to register with: {}", started.error().message);
  } else if (!bootstrapAccounts(tree_).empty()) {
    // Provisioned already: a Bootstrap-Server may still re-provision the client unasked.
    ensureBootstrapConnection();
    bootstrap_->listen();
  }
  sd_notify(0, "READY=1");
  stateChanged();
  if (const auto timeout = Watchdog::requested()) {
    logger_->info("systemd watchdog: {} ms, pinging every {} ms", timeout->count() / 1000,
                  timeout->count() / 2000);
    watchdog_ = std::make_unique<Watchdog>(loop_, *timeout);
  }

  loop_.run();
  // The sessions as they are at the end: none after De-registers, all with on_stop = "keep".
  // (Not during a bootstrap: a save now would make its unfinished provisioning durable.)
  if (!state_->holding())
    if (auto saved = state_->saveNow(); !saved)
      logger_->error("cannot save the sessions: {}", saved.error().message);
  watchdog_.reset();
  tree_.removeListener(this);
  if (providerGateway_) providerGateway_->cancelAll("the daemon is shutting down");
  providerRequests_.reset();
  providerGateway_.reset();
  dbus_.reset();
  bootstrap_.reset();
  observe_.reset();
  leaving_.clear();
  servers_.clear();
  state_.reset();
  logger_->info("stopped");
  return kExitOk;
}

}  // namespace

int runDaemon(const Config& config, const CommandLine& commandLine) {
  auto level = log::parseLevel(config.logLevel);
  log::setup(level.value_or(spdlog::level::info));
  auto logger = log::get("daemon");
  std::unique_ptr<sdbus::IConnection> bus;
  try {
    bus = connectBus(commandLine);
  } catch (const sdbus::Error& error) {
    logger->critical("cannot connect to the bus: {} ({})", error.getMessage(), error.getName());
    return kExitUnavailable;
  }
  try {
    Daemon daemon(config, commandLine, std::move(bus));
    return daemon.run();
  } catch (const std::exception& error) {
    logger->critical("fatal: {}", error.what());
    return kExitFailure;
  }
}

}  // namespace lwm2md
