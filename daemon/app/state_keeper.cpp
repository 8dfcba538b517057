#include "app/state_keeper.hpp"

#include <utility>

#include "core/log.hpp"
#include "observe/attributes.hpp"

namespace lwm2md {

namespace {

// The objects whose instances are provisioning: Security, Server, Access Control.
constexpr std::uint16_t kPersistedObjects[] = {0, 1, 2};

bool persisted(std::uint16_t oid) {
  return oid <= 2;
}

std::shared_ptr<spdlog::logger> logger() {
  static const auto instance = log::get("state");
  return instance;
}

StoredAttributes toStored(const NotificationAttributes& a) {
  return StoredAttributes{a.pmin, a.pmax, a.gt, a.lt, a.st, a.epmin, a.epmax, a.con};
}

NotificationAttributes fromStored(const StoredAttributes& a) {
  NotificationAttributes out;
  out.pmin = a.pmin;
  out.pmax = a.pmax;
  out.gt = a.gt;
  out.lt = a.lt;
  out.st = a.st;
  out.epmin = a.epmin;
  out.epmax = a.epmax;
  out.con = a.con;
  return out;
}

}  // namespace

StateKeeper::StateKeeper(EventLoop& loop, ObjectTree& tree, AttributeStore& attributes,
                         std::filesystem::path directory)
    : loop_(loop), tree_(tree), attributes_(attributes), store_(std::move(directory)) {
  tree_.addListener(this);
  attributes_.addChangeListener(this, [this] {
    if (!applying_) scheduleSave();
  });
}

StateKeeper::~StateKeeper() {
  attributes_.removeChangeListener(this);
  tree_.removeListener(this);
  if (saveTimer_) loop_.cancelTimer(*saveTimer_);
  if (sessionTimer_) loop_.cancelTimer(*sessionTimer_);
}

bool StateKeeper::restore() {
  LoadResult loaded = store_.load();
  for (const auto& problem : loaded.problems)
    logger()->error("{}: {}", store_.directory().string(), problem);
  if (!loaded.state) return false;
  apply(*loaded.state);
  generation_ = loaded.state->generation;
  bootstrapped_ = loaded.state->bootstrapped;
  restoredSessions_.locations = loaded.state->locations;
  restoredSessions_.registrations = loaded.state->registrations;
  restoredSessions_.observations = loaded.state->observations;
  lastSaved_ = std::move(loaded.state);
  logger()->info("restored the saved state (generation {}{}) from {}", generation_,
                 bootstrapped_ ? ", from a bootstrap server" : "", store_.directory().string());
  return true;
}

void StateKeeper::apply(const PersistedState& state) {
  applying_ = true;
  for (std::uint16_t oid : kPersistedObjects)
    for (const Instance* instance : tree_.instancesOf(oid))
      (void)tree_.removeInstance(oid, instance->instanceId());
  for (const auto& [oid, data] : state.instances)
    if (auto added = tree_.addInstance(oid, data.id, data.resources, ""); !added)
      logger()->error("saved instance /{}/{} does not fit its definition: {}", oid, data.id,
                      added.error().message);
  std::vector<std::pair<std::uint16_t, Path>> stale;
  for (const auto& entry : attributes_.all()) stale.push_back(entry.first);
  for (const auto& [server, path] : stale) attributes_.set(server, path, {});
  for (const auto& entry : state.attributes)
    attributes_.set(entry.server, entry.path, fromStored(entry.attributes));
  applying_ = false;
}

PersistedState StateKeeper::capture() const {
  PersistedState state;
  state.generation = generation_ + 1;
  state.bootstrapped = bootstrapped_;
  for (std::uint16_t oid : kPersistedObjects)
    for (const Instance* instance : tree_.instancesOf(oid))
      state.instances.emplace_back(oid, instance->snapshot());
  for (const auto& [key, attributes] : attributes_.all())
    state.attributes.push_back(StoredAttributeEntry{key.first, key.second, toStored(attributes)});
  if (sessionSource_) sessionSource_(state);
  return state;
}

Status StateKeeper::saveNow() {
  if (saveTimer_) {
    loop_.cancelTimer(*saveTimer_);
    saveTimer_.reset();
  }
  if (sessionTimer_) {
    loop_.cancelTimer(*sessionTimer_);
    sessionTimer_.reset();
  }
  lastSaveTime_ = std::chrono::steady_clock::now();
  PersistedState state = capture();
  if (auto saved = store_.save(state); !saved) {
    logger()->error("cannot save the state: {}", saved.error().message);
    return saved;
  }
  generation_ = state.generation;
  lastSaved_ = std::move(state);
  logger()->debug("state saved (generation {})", generation_);
  return {};
}

void StateKeeper::changed(std::uint16_t oid) {
  if (persisted(oid) && !applying_) scheduleSave();
}

void StateKeeper::scheduleSave() {
  if (holding_ || saveTimer_) return;
  // After the event that changed it: one save for a request that wrote many values.
  saveTimer_ = loop_.addTimer(std::chrono::milliseconds(0), [this] {
    saveTimer_.reset();
    (void)saveNow();
  });
}

void StateKeeper::scheduleSessionSave() {
  if (holding_ || saveTimer_ || sessionTimer_) return;
  // Sessions change in bursts (a server observing a thousand resources is a thousand changes):
  // at most one save a second instead of an fsync each. The first change after a quiet second
  // is saved as soon as its event is handled, so an idle daemon's periodic Update costs no
  // wake-up of its own; the rest of a burst waits for the second to end. A crash within it
  // costs at most that second's observations (the server sets them up again) or a fresh
  // Register.
  constexpr std::chrono::milliseconds kSessionSaveSpacing{1000};
  std::chrono::milliseconds delay{0};
  if (lastSaveTime_) {
    const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - *lastSaveTime_);
    if (since < kSessionSaveSpacing) delay = kSessionSaveSpacing - since;
  }
  sessionTimer_ = loop_.addTimer(delay, [this] {
    sessionTimer_.reset();
    (void)saveNow();
  });
}

void StateKeeper::hold() {
  holding_ = true;
  if (saveTimer_ || sessionTimer_) {
    // What changed before the bootstrap began is still the old provisioning: keep it.
    (void)saveNow();  // cancels both timers
  }
}

Status StateKeeper::commit() {
  holding_ = false;
  bootstrapped_ = true;
  return saveNow();
}

void StateKeeper::rollback() {
  holding_ = false;
  if (lastSaved_) {
    logger()->warn("bootstrap failed: back to the saved provisioning (generation {})",
                   lastSaved_->generation);
    const PersistedState previous = *lastSaved_;
    apply(previous);
  }
}

}  // namespace lwm2md
