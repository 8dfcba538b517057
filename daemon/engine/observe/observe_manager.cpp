#include "observe/observe_manager.hpp"

#include <algorithm>

#include "core/log.hpp"
#include "dm/data_model.hpp"
#include "io/composite_format.hpp"
#include "io/content_format.hpp"
#include "registration/server_connection.hpp"

namespace lwm2md {

namespace {

constexpr std::uint16_t kServerObject = 1;
constexpr std::uint16_t kServerShortId = 0;
constexpr std::uint16_t kDefaultPmin = 2;
constexpr std::uint16_t kDefaultPmax = 3;
constexpr std::uint32_t kSequenceMask = 0xFFFFFF;  // the Observe option holds 24 bits
// Observe values are persisted ahead of use (Observation::reserved), this many at a time, so
// that a restart never reuses one without a save per notification. Far below 2^23, so a value
// taken up after a restart is still "newer" to the server (RFC 7641 §4.4).
constexpr std::uint32_t kSequenceReserve = 1U << 16;

// How far `to` lies ahead of `from` on the 24-bit circle.
std::uint32_t sequenceAhead(std::uint32_t from, std::uint32_t to) {
  return (to - from) & kSequenceMask;
}

std::shared_ptr<spdlog::logger> logger() {
  static const auto instance = log::get("observe");
  return instance;
}

std::string hex(const ObserveToken& token) {
  std::string out;
  for (auto byte : token) out += fmt::format("{:02x}", byte);
  return out;
}

std::optional<std::int64_t> integerOf(const std::optional<ResourceData>& data) {
  if (!data || !data->value) return std::nullopt;
  if (const auto* value = std::get_if<std::int64_t>(&*data->value)) return *value;
  if (const auto* value = std::get_if<std::uint64_t>(&*data->value))
    return static_cast<std::int64_t>(*value);
  return std::nullopt;
}

/// True when a change of `rids` in instance (oid, iid) touches what `path` observes.
bool touches(const Path& path, std::uint16_t oid, std::uint16_t iid,
             const std::vector<std::uint16_t>& rids) {
  if (path.isRoot()) return true;
  if (path.objectId() != oid) return false;
  if (path.isObject()) return true;
  if (path.instanceId() != iid) return false;
  if (path.isInstance()) return true;
  return std::find(rids.begin(), rids.end(), path.resourceId()) != rids.end();
}

bool touchesAny(const std::vector<Path>& paths, std::uint16_t oid, std::uint16_t iid,
                const std::vector<std::uint16_t>& rids) {
  return std::any_of(paths.begin(), paths.end(),
                     [&](const Path& path) { return touches(path, oid, iid, rids); });
}

/// True when a change at or below `changed` concerns one of `paths` (above, at or below it).
bool overlapsAny(const std::vector<Path>& paths, const Path& changed) {
  return std::any_of(paths.begin(), paths.end(), [&](const Path& path) {
    return path.contains(changed) || changed.contains(path);
  });
}

/// "/3/0/7", or "[/1/0/1, /3/0]" for an Observe-Composite, for the logs.
std::string describePaths(const Observation& observation) {
  if (!observation.composite()) return observation.request.path.toString();
  std::string out = "[";
  for (const Path& path : observation.paths) {
    if (out.size() > 1) out += ", ";
    out += path.toString();
  }
  return out + "]";
}

}  // namespace

ObserveManager::ObserveManager(EventLoop& loop, CoapEndpoint& coap, ObjectTree& tree,
                               AttributeStore& attributes, ReadFunction read)
    : loop_(loop), coap_(coap), tree_(tree), attributes_(attributes), read_(std::move(read)) {
  tree_.addListener(this);
  attributes_.addChangeListener(this, [this] { replanAll(); });
  coap_.setNotificationAckHandler(
      [this](void* peer, int mid) { notificationAcknowledged(peer, mid); });
}

ObserveManager::~ObserveManager() {
  coap_.setNotificationAckHandler(nullptr);
  for (const auto& [server, timer] : drainTimers_) loop_.cancelTimer(timer);
  attributes_.removeChangeListener(this);
  tree_.removeListener(this);
  for (auto id : store_.ids())
    if (auto* observation = store_.find(id); observation && observation->timer)
      loop_.cancelTimer(*observation->timer);
}

ServerConnection* ObserveManager::serverOf(const Observation& observation) const {
  // The store keeps the connection only as an identity; the manager put it there.
  return static_cast<ServerConnection*>(const_cast<void*>(observation.server));
}

NotificationAttributes ObserveManager::serverDefaults(const ServerConnection& server) const {
  const auto& config = server.config();
  std::optional<std::int64_t> pmin;
  std::optional<std::int64_t> pmax;
  for (const Instance* instance : tree_.instancesOf(kServerObject)) {
    if (integerOf(instance->resource(kServerShortId)) != std::int64_t{config.shortId}) continue;
    pmin = integerOf(instance->resource(kDefaultPmin));
    pmax = integerOf(instance->resource(kDefaultPmax));
    break;
  }
  NotificationAttributes defaults;
  defaults.pmin = static_cast<std::uint32_t>(
      std::max<std::int64_t>(0, pmin.value_or(static_cast<std::int64_t>(config.defaultPmin))));
  const std::int64_t max = pmax.value_or(static_cast<std::int64_t>(config.defaultPmax));
  if (max > 0) defaults.pmax = static_cast<std::uint32_t>(max);
  return defaults;
}

NotificationAttributes ObserveManager::effectiveAttributes(const Observation& observation) const {
  const ServerConnection* server = serverOf(observation);
  const auto defaults = serverDefaults(*server);
  if (!observation.composite())
    return attributes_.effective(server->config().shortId, observation.request.path, defaults);
  std::vector<NotificationAttributes> each;
  for (const Path& path : observation.paths)
    each.push_back(attributes_.effective(server->config().shortId, path, defaults));
  return combineForComposite(each);
}

std::optional<double> ObserveManager::numberAt(const Path& path) const {
  if (path.depth() < 3) return std::nullopt;
  const Instance* instance = tree_.find(path.objectId(), path.instanceId());
  if (!instance) return std::nullopt;
  auto data = instance->resource(path.resourceId());
  if (!data) return std::nullopt;
  const Value* value = nullptr;
  if (path.isResource()) {
    if (data->multiple || !data->value) return std::nullopt;
    value = &*data->value;
  } else {
    auto it = data->instances.find(path.resourceInstanceId());
    if (it == data->instances.end()) return std::nullopt;
    value = &it->second;
  }
  if (const auto* v = std::get_if<std::int64_t>(value)) return static_cast<double>(*v);
  if (const auto* v = std::get_if<std::uint64_t>(value)) return static_cast<double>(*v);
  if (const auto* v = std::get_if<double>(value)) return *v;
  return std::nullopt;
}

ObserveResponse ObserveManager::handle(const DmRequest& request, const ObserveRequest& observe,
                                       ServerConnection* server) {
  Observation* existing = server ? store_.find(server, observe.token) : nullptr;
  if (!existing && server && observe.action == 1) {
    // Some servers cancel with a fresh token (coap-shepherd does): the TS's Cancel Observation
    // names the path, so a lone observation of that server on that path is the one meant.
    for (auto id : store_.idsOf(server)) {
      Observation* candidate = store_.find(id);
      // A composite names its paths in the payload: the same list is the same observation.
      if (candidate && candidate->request.path == request.path &&
          candidate->request.method == request.method &&
          (!candidate->composite() || candidate->request.payload == request.payload)) {
        if (existing) {
          existing = nullptr;  // ambiguous: several observations of the path
          break;
        }
        existing = candidate;
      }
    }
  }
  // A cancel (Observe=1) without Accept is answered in the observation's own format: servers
  // often omit the option there and may not read the version's default (coap-shepherd).
  DmRequest effective = request;
  if (observe.action == 1 && existing && !request.accept)
    effective.accept = existing->request.accept;
  DmResponse response = read_(effective, server);
  if (!server) return {std::move(response), std::nullopt};
  // Observe-Composite (FETCH): the paths come from the payload, which the Read just accepted.
  const bool composite = request.method == CoapMethod::Fetch;
  std::vector<Path> paths{request.path};
  if (composite && isSuccess(response.code)) {
    auto listed = pathsOf(request);
    if (!listed) return {toResponse(listed.error()), std::nullopt};
    paths = std::move(*listed);
  }
  const bool observes = observe.action == 0 && isSuccess(response.code) &&
                        request.accept != static_cast<std::uint16_t>(ContentFormat::LinkFormat);
  if (!observes) {
    // Observe=1 cancels; a failed (re-)registration ends the old one too (RFC 7641 §4.1).
    if (existing && (observe.action == 1 || observe.action == 0)) {
      logger()->info("server {}: observation {} of {} cancelled", server->config().shortId,
                     hex(observe.token), describePaths(*existing));
      remove(existing->id);
    }
    return {std::move(response), std::nullopt};
  }

  // A new observation beyond the server's share: the Read is the answer, without Observe.
  // (`existing` is one with this token: replacing it adds nothing.)
  if (!existing && maxPerServer_ != 0 && store_.countOf(server) >= maxPerServer_) {
    if (auto suppressed = limitWarning_.hit())
      logger()->warn(
          "server {}: not observing {}: it holds {} observations, the limit ([limits] "
          "max_observations_per_server); answered as a plain Read{}",
          server->config().shortId, request.path.toString(), store_.countOf(server),
          LimitWarning::suppressedNote(*suppressed));
    return {std::move(response), std::nullopt};
  }
  const std::uint32_t sequence = existing ? existing->sequence : 0;
  DmRequest stored = request;
  if (!composite) stored.payload.clear();  // a composite's payload is its list of paths
  stored.query.clear();
  Observation* observation =
      establish(server, observe.token, stored, std::move(paths), (sequence + 1) & kSequenceMask);
  observation->lastPayload = response.payload;
  observation->lastFormat = response.contentFormat;
  plan(*observation);
  logger()->info("server {}: observing {} (token {}, {} in all)", server->config().shortId,
                 describePaths(*observation), hex(observe.token), store_.size());
  return {std::move(response), observation->sequence};
}

void ObserveManager::notificationFailed(ServerConnection* server, const ObserveToken& token,
                                        int mid, NotificationFailure failure) {
  // A failed CON frees the server's slot too; the next one goes from the loop, as this runs
  // inside a libcoap handler.
  if (gate_.release(server, mid) && !drainTimers_.contains(server))
    drainTimers_[server] = loop_.addTimer(std::chrono::milliseconds(0), [this, server] {
      drainTimers_.erase(server);
      drain(server);
    });
  Observation* observation = token.empty() ? nullptr : store_.find(server, token);
  if (!observation) observation = store_.findByMid(server, mid);
  if (!observation) return;
  logger()->info("server {}: observation of {} ends: {}", server->config().shortId,
                 describePaths(*observation),
                 failure == NotificationFailure::Reset
                     ? "the server answered with RST"
                     : "a CON notification was never acknowledged");
  remove(observation->id);
}

void ObserveManager::notificationAcknowledged(const void* peer, int mid) {
  if (gate_.release(peer, mid)) drain(peer);
}

void ObserveManager::drain(const void* server) {
  // Each waiting observation is taken out of the line once: bounded by the line's length.
  while (!gate_.busy(server)) {
    auto id = gate_.next(server);
    if (!id) return;
    Observation* observation = store_.find(*id);
    if (!observation) continue;  // ended while it waited
    if (observation->timer) loop_.cancelTimer(*observation->timer);
    onTimer(observation->id);
  }
}

void ObserveManager::dropServer(const ServerConnection* server) {
  gate_.dropServer(server);
  if (auto timer = drainTimers_.find(server); timer != drainTimers_.end()) {
    loop_.cancelTimer(timer->second);
    drainTimers_.erase(timer);
  }
  const auto ids = store_.idsOf(server);
  if (ids.empty()) return;
  logger()->info("server {}: dropping {} observation(s)", server->config().shortId, ids.size());
  for (auto id : ids) remove(id);
}

void ObserveManager::changed(const Path& path) {
  for (auto id : store_.ids()) {
    Observation* observation = store_.find(id);
    if (overlapsAny(observation->paths, path)) touch(*observation);
  }
}

void ObserveManager::instanceAdded(const Instance& instance) {
  changed(Path(instance.objectId()));
}

void ObserveManager::instanceRemoved(std::uint16_t oid, std::uint16_t iid) {
  const Path removed(oid, iid);
  for (auto id : store_.ids()) {
    Observation* observation = store_.find(id);
    const Path& observed = observation->request.path;
    if (observation->composite()) {
      // One instance of several paths went: the next notification leaves it out (ETS
      // int-309); should nothing readable remain, that read's error ends the observation.
      if (overlapsAny(observation->paths, removed)) touch(*observation);
      continue;
    }
    if (observed.depth() >= 2 && removed.contains(observed)) {
      // What it observes is gone: a final 4.04 ends it (sent from a timer, never from inside
      // the handler of the Delete that may have caused this).
      observation->finalCode = CoapCode::NotFound;
      if (observation->timer) loop_.cancelTimer(*observation->timer);
      observation->timer =
          loop_.addTimer(std::chrono::milliseconds(0), [this, id] { onTimer(id); });
    } else if (observed.depth() < 2 && observed.contains(removed)) {
      touch(*observation);
    }
  }
}

void ObserveManager::valuesChanged(const Instance& instance, const std::vector<std::uint16_t>& rids,
                                   ChangeOrigin) {
  // A write of a Server object instance may change the default pmin/pmax of its server.
  if (instance.objectId() == kServerObject) replanAll();
  for (auto id : store_.idsWatching(instance.objectId(), instance.instanceId())) {
    Observation* observation = store_.find(id);
    if (touchesAny(observation->paths, instance.objectId(), instance.instanceId(), rids))
      touch(*observation);
  }
}

void ObserveManager::touch(Observation& observation) {
  observation.planner.markChanged();
  plan(observation);
}

void ObserveManager::plan(Observation& observation) {
  if (observation.finalCode) return;  // its final notification is already due
  // Waiting for the server's CON slot: drain() evaluates it then, with whatever changed.
  if (gate_.waiting(observation.id)) return;
  observation.planner.setAttributes(effectiveAttributes(observation));
  const auto next = observation.planner.nextWakeUp();
  if (observation.timer) loop_.cancelTimer(*observation.timer);
  observation.timer.reset();
  if (!next) return;  // idle until a change
  auto delay = std::chrono::ceil<std::chrono::milliseconds>(*next - Clock::now());
  if (delay.count() < 0) delay = std::chrono::milliseconds(0);
  const auto id = observation.id;
  observation.timer = loop_.addTimer(delay, [this, id] { onTimer(id); });
}

void ObserveManager::replanAll() {
  for (auto id : store_.ids()) plan(*store_.find(id));
}

void ObserveManager::onTimer(std::uint64_t id) {
  Observation* observation = store_.find(id);
  if (!observation) return;
  observation->timer.reset();
  if (observation->finalCode) {
    const std::string reason = "the observed instance was removed";
    finish(*observation, *observation->finalCode, {reason.begin(), reason.end()});
    return;
  }
  // Another CON is in flight to this server: wait for its ACK rather than queue a value behind
  // it that may be stale by the time it goes (RFC 7641 §4.5.2). Nothing is read meanwhile.
  if (gate_.busy(observation->server) && confirmableNext(*observation, Clock::now())) {
    gate_.wait(observation->server, id);
    return;
  }
  evaluate(*observation);
}

bool ObserveManager::confirmableNext(const Observation& observation, Clock::time_point now) const {
  return notifyConfirmable(serverOf(observation)->config().notifyConfirmable,
                           observation.planner.attributes(), observation.lastConfirmableAt, now);
}

void ObserveManager::evaluate(Observation& observation) {
  ServerConnection* server = serverOf(observation);
  DmResponse response = read_(observation.request, server);
  if (!isSuccess(response.code)) {
    // The path cannot be read any more (gone, access revoked): an error ends it.
    finish(observation, response.code, response.payload);
    return;
  }
  const auto now = Clock::now();
  observation.planner.setAttributes(effectiveAttributes(observation));
  NotificationPlanner::Sample sample;
  sample.differs = response.payload != observation.lastPayload ||
                   response.contentFormat != observation.lastFormat;
  if (!observation.composite()) sample.number = numberAt(observation.request.path);
  if (observation.planner.evaluate(now, sample) == NotificationPlanner::Verdict::Send)
    send(observation, response, now);
  plan(observation);
}

void ObserveManager::send(Observation& observation, const DmResponse& response,
                          Clock::time_point now) {
  ServerConnection* server = serverOf(observation);
  Notification notification;
  notification.token = observation.token;
  notification.confirmable =
      notifyConfirmable(server->config().notifyConfirmable, observation.planner.attributes(),
                        observation.lastConfirmableAt, now);
  notification.sequence = (observation.sequence + 1) & kSequenceMask;
  notification.code = response.code;
  notification.contentFormat = response.contentFormat;
  notification.payload = response.payload;
  notification.path = observation.request.path;
  auto mid = coap_.notify(server->session(), notification);
  if (!mid) {
    logger()->warn("server {}: cannot notify {}: {}", server->config().shortId,
                   describePaths(observation), mid.error().message);
    observation.planner.failed(now);
    return;
  }
  observation.sequence = *notification.sequence;
  if (sequenceAhead(observation.sequence, observation.reserved) < kSequenceReserve / 2)
    reserveSequence(observation);
  observation.lastMid = *mid;
  if (notification.confirmable) {
    observation.lastConfirmableAt = now;
    gate_.occupy(observation.server, *mid);
  }
  observation.lastPayload = response.payload;
  observation.lastFormat = response.contentFormat;
  observation.planner.sent(
      now, observation.composite() ? std::nullopt : numberAt(observation.request.path));
  if (logger()->should_log(spdlog::level::debug))
    logger()->debug("server {}: notified {} ({}, Observe {}, {} bytes)", server->config().shortId,
                    describePaths(observation), notification.confirmable ? "CON" : "NON",
                    observation.sequence, response.payload.size());
}

void ObserveManager::finish(Observation& observation, CoapCode code,
                            const std::vector<std::uint8_t>& reason) {
  ServerConnection* server = serverOf(observation);
  Notification notification;
  notification.token = observation.token;
  notification.confirmable = server->config().notifyConfirmable;
  notification.code = code;
  notification.payload = reason;
  if (auto mid = coap_.notify(server->session(), notification); !mid)
    logger()->warn("server {}: cannot send the final {}: {}", server->config().shortId,
                   toString(code), mid.error().message);
  logger()->info("server {}: observation of {} ended with {}", server->config().shortId,
                 describePaths(observation), toString(code));
  remove(observation.id);
}

void ObserveManager::remove(std::uint64_t id) {
  auto removed = store_.remove(id);
  gate_.forget(id);
  if (removed && removed->timer) loop_.cancelTimer(*removed->timer);
  if (removed && watchListener_) watchListener_();
  if (removed && persistListener_) persistListener_();
}

void ObserveManager::reserveSequence(Observation& observation) {
  observation.reserved = (observation.sequence + kSequenceReserve) & kSequenceMask;
  if (persistListener_) persistListener_();
}

std::vector<ObserveManager::Resumable> ObserveManager::resumable(
    const ServerConnection* server) const {
  std::vector<Resumable> out;
  for (auto id : store_.idsOf(server))
    if (const Observation* observation = store_.find(id))
      out.push_back({observation->token, observation->request, observation->reserved});
  return out;
}

Result<std::vector<Path>> ObserveManager::pathsOf(const DmRequest& request) {
  if (request.method != CoapMethod::Fetch) return std::vector<Path>{request.path};
  return decodeCompositePaths(static_cast<ContentFormat>(request.contentFormat.value_or(0)),
                              request.payload);
}

Observation* ObserveManager::establish(ServerConnection* server, const ObserveToken& token,
                                       const DmRequest& request, std::vector<Path> paths,
                                       std::uint32_t sequence) {
  const auto now = Clock::now();
  const bool composite = request.method == CoapMethod::Fetch;
  auto [observation, replaced] =
      store_.add(server, token, request,
                 NotificationPlanner(NotificationAttributes{}, now,
                                     composite ? std::nullopt : numberAt(request.path)));
  if (replaced && replaced->timer) loop_.cancelTimer(*replaced->timer);
  store_.setPaths(*observation, std::move(paths));
  if (watchListener_) watchListener_();
  observation->sequence = sequence;
  observation->lastConfirmableAt = now;
  reserveSequence(*observation);
  return observation;
}

Status ObserveManager::resume(ServerConnection* server, const ObserveToken& token,
                              const DmRequest& request, std::uint32_t sequence) {
  auto paths = pathsOf(request);
  if (!paths) return paths.error();
  // Every value up to `sequence` may have been used before the restart: continue above it.
  Observation* observation =
      establish(server, token, request, std::move(*paths), sequence & kSequenceMask);
  plan(*observation);
  logger()->info("server {}: resumed observation of {} (token {}, Observe {})",
                 server->config().shortId, describePaths(*observation), hex(token),
                 observation->sequence);
  return {};
}

std::vector<Path> ObserveManager::observedPaths() {
  std::vector<Path> paths;
  for (auto id : store_.ids())
    if (const Observation* observation = store_.find(id))
      paths.insert(paths.end(), observation->paths.begin(), observation->paths.end());
  return paths;
}

}  // namespace lwm2md
