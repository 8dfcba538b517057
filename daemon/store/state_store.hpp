#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "model/result.hpp"
#include "store/state.hpp"

namespace lwm2md {

/// What load() found: the state to use, and what went wrong on the way (for the log).
struct LoadResult {
  /// nullopt: nothing usable (first start, or every file damaged).
  std::optional<PersistedState> state;
  /// One line each, naming the file, e.g. "state.json: checksum mismatch (half-written or
  /// corrupt): using state.json.prev". Empty on a clean load and on a first start.
  std::vector<std::string> problems;
};

/// The durable state in one directory: state.json (the current state), state.json.prev (the
/// previous good one) and, briefly during save, state.json.tmp. The format is FORMAT.md's.
/// One process saves at a time (the daemon is a single instance); load() never writes.
class StateStore {
 public:
  static constexpr const char* kFileName = "state.json";
  static constexpr const char* kPreviousFileName = "state.json.prev";
  static constexpr const char* kTempFileName = "state.json.tmp";

  explicit StateStore(std::filesystem::path dir);

  /// Writes `state` so that a crash at any moment leaves either the old or the new state
  /// readable: write state.json.tmp and fsync it, keep the current state.json (when it is
  /// valid) as state.json.prev, rename the temp file over state.json, fsync the directory.
  /// Creates the directory (0700) if missing; files are 0600 since they hold keys. An error
  /// names the path and the system's reason.
  Status save(const PersistedState& state);

  /// state.json if valid, else state.json.prev if valid (saying so in problems), else nullopt.
  LoadResult load() const;

  const std::filesystem::path& directory() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

}  // namespace lwm2md
