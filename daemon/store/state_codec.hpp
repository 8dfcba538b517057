#pragma once

#include <string>
#include <string_view>

#include "model/result.hpp"
#include "store/state.hpp"

namespace lwm2md {

/// The first word of every state file, and the newest format version this code reads and
/// writes (FORMAT.md). A file with a higher version is refused, never guessed at.
inline constexpr std::string_view kStateFormatName = "lwm2md-state";
inline constexpr unsigned kStateFormatVersion = 2;

/// Checks that `state` can be written so that it reads back identically: every value holds the
/// alternative its type is stored as, executable resources carry no value, and no instance,
/// resource or attribute entry appears twice. save() refuses a state that fails this.
Status validateState(const PersistedState& state);

/// The state file text: a header line (format, version, content length, CRC-32) and the
/// content as JSON. Precondition: validateState(state) is ok (otherwise values that do not match
/// their type are written as their own alternative and will not read back).
std::string encodeState(const PersistedState& state);

/// Strict inverse of encodeState. Anything truncated, corrupt, of another format or of a newer
/// version yields an error whose message says what is wrong and where. Never throws.
Result<PersistedState> decodeState(std::string_view text);

}  // namespace lwm2md
