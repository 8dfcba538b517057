#pragma once

#include <string>

#include "model/result.hpp"
#include "store/json_fields.hpp"
#include "store/state.hpp"

/// The version-2 members of the state file (FORMAT.md): registrations and observations, the
/// soft state that lets a restarted daemon resume its sessions with the servers.
namespace lwm2md::state_json {

Json encodeRegistration(const StoredRegistration& registration);
Result<StoredRegistration> decodeRegistration(const Json& j, const std::string& where);

Json encodeObservation(const StoredObservation& observation);
Result<StoredObservation> decodeObservation(const Json& j, const std::string& where);

/// Each registration's server once; each (server, token) once; tokens of at most 8 bytes;
/// Observe values below 2^24.
Status validateSessions(const PersistedState& state);

}  // namespace lwm2md::state_json
