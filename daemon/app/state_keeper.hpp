#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/event_loop.hpp"
#include "model/result.hpp"
#include "store/state.hpp"
#include "store/state_store.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

class AttributeStore;

/// Keeps what must survive a restart in the state directory: the instances of objects 0, 1
/// and 2 and every server's Write-Attributes. Any change is saved once the event that caused
/// it is handled (one save per request, however many values it wrote). During a bootstrap
/// the keeper holds: nothing a bootstrap server writes is durable before Bootstrap-Finish
/// commits it, and a bootstrap that fails rolls the tree back to what was last saved, so a
/// crash at any point leaves the old or the new provisioning, never a mix.
class StateKeeper final : public TreeListener {
 public:
  StateKeeper(EventLoop& loop, ObjectTree& tree, AttributeStore& attributes,
              std::filesystem::path directory);
  ~StateKeeper() override;
  StateKeeper(const StateKeeper&) = delete;
  StateKeeper& operator=(const StateKeeper&) = delete;

  /// Replaces objects 0, 1 and 2 and the attributes with the saved state, when there is a
  /// usable one (problems such as a corrupt file are logged). Returns whether it did.
  bool restore();
  /// Whether the state in use came from a bootstrap server (restored or committed).
  bool bootstrapped() const { return bootstrapped_; }

  /// A bootstrap begins: changes stop being saved until commit() or rollback().
  void hold();
  bool holding() const { return holding_; }
  /// Bootstrap-Finish accepted: saves the new provisioning at once.
  Status commit();
  /// The bootstrap failed: objects 0, 1, 2 and the attributes go back to the last saved state.
  void rollback();

  /// Saves now (the state as it stands); the change timer's work.
  Status saveNow();
  /// A change waits for the save timer (nothing is pending while holding).
  bool savePending() const { return saveTimer_.has_value(); }

  /// Fills in the sessions (registrations, locations, observations) at every save.
  using SessionSource = std::function<void(PersistedState&)>;
  void setSessionSource(SessionSource source) { sessionSource_ = std::move(source); }
  /// A session changed (a registration or an observation): saved once the event is handled
  /// when nothing was saved in the last second, else a second after that save, together with
  /// whatever else changes meanwhile.
  void sessionsChanged() {
    if (!applying_) scheduleSessionSave();
  }
  /// The sessions restore() found (registrations, locations, observations; nothing else), for
  /// the daemon to take up once.
  const PersistedState& restoredSessions() const { return restoredSessions_; }

  void instanceAdded(const Instance& instance) override { changed(instance.objectId()); }
  void instanceRemoved(std::uint16_t oid, std::uint16_t) override { changed(oid); }
  void valuesChanged(const Instance& instance, const std::vector<std::uint16_t>&,
                     ChangeOrigin) override {
    changed(instance.objectId());
  }

 private:
  void changed(std::uint16_t oid);
  void scheduleSave();
  void scheduleSessionSave();
  PersistedState capture() const;
  void apply(const PersistedState& state);

  EventLoop& loop_;
  ObjectTree& tree_;
  AttributeStore& attributes_;
  StateStore store_;
  std::optional<EventLoop::TimerId> saveTimer_;
  std::optional<EventLoop::TimerId> sessionTimer_;
  /// When saveNow() last ran: session saves come at most once a second.
  std::optional<std::chrono::steady_clock::time_point> lastSaveTime_;
  std::uint64_t generation_ = 0;
  bool bootstrapped_ = false;
  bool holding_ = false;
  bool applying_ = false;
  SessionSource sessionSource_;
  PersistedState restoredSessions_;
  /// The last state saved (or restored): what rollback() returns to.
  std::optional<PersistedState> lastSaved_;
};

}  // namespace lwm2md
