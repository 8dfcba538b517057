#include "store/session_fields.hpp"

#include <limits>
#include <set>
#include <utility>

#include "io/base64.hpp"

namespace lwm2md::state_json {

namespace {

// RFC 7252 §5.3.1: a token is 0 to 8 bytes; RFC 7641 §4.4: the Observe value has 24 bits.
constexpr std::size_t kMaxTokenLength = 8;
constexpr std::uint32_t kObserveValueLimit = 1U << 24;

Result<std::uint16_t> requiredId(const Json& j, std::string_view key, const std::string& where) {
  auto found = required(j, key, where);
  if (!found) return found.error();
  return decodeId(**found, where + "." + std::string(key));
}

Result<std::string> requiredText(const Json& j, std::string_view key, const std::string& where) {
  auto found = required(j, key, where);
  if (!found) return found.error();
  return decodeText(**found, where + "." + std::string(key));
}

std::string tokenHex(const std::vector<std::uint8_t>& token) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (auto byte : token) {
    out += kHex[byte >> 4];
    out += kHex[byte & 0x0F];
  }
  return out.empty() ? "(empty)" : out;
}

}  // namespace

Json encodeRegistration(const StoredRegistration& registration) {
  Json out = Json::object();
  out["server"] = registration.server;
  out["uri"] = encodeText(registration.uri);
  out["endpoint"] = encodeText(registration.endpoint);
  out["lifetime"] = registration.lifetime;
  out["updated"] = registration.updatedAt;
  out["port"] = registration.localPort;
  return out;
}

Result<StoredRegistration> decodeRegistration(const Json& j, const std::string& where) {
  if (auto s = expectObject(j, where, {"server", "uri", "endpoint", "lifetime", "updated", "port"});
      !s)
    return s.error();
  StoredRegistration registration;
  auto server = requiredId(j, "server", where);
  if (!server) return server.error();
  registration.server = *server;
  auto uri = requiredText(j, "uri", where);
  if (!uri) return uri.error();
  registration.uri = std::move(*uri);
  auto endpoint = requiredText(j, "endpoint", where);
  if (!endpoint) return endpoint.error();
  registration.endpoint = std::move(*endpoint);
  auto lifetimeJson = required(j, "lifetime", where);
  if (!lifetimeJson) return lifetimeJson.error();
  auto lifetime = decodeU32(**lifetimeJson, where + ".lifetime");
  if (!lifetime) return lifetime.error();
  registration.lifetime = *lifetime;
  auto updatedJson = required(j, "updated", where);
  if (!updatedJson) return updatedJson.error();
  auto updated = decodeSigned(**updatedJson, where + ".updated");
  if (!updated) return updated.error();
  registration.updatedAt = *updated;
  auto port = requiredId(j, "port", where);
  if (!port) return port.error();
  registration.localPort = *port;
  return registration;
}

Json encodeObservation(const StoredObservation& observation) {
  Json out = Json::object();
  out["server"] = observation.server;
  out["token"] = encodeBase64(observation.token);
  out["method"] = observation.composite ? "FETCH" : "GET";
  out["path"] = observation.path.toString();
  if (observation.accept) out["accept"] = *observation.accept;
  if (observation.contentFormat) out["format"] = *observation.contentFormat;
  if (!observation.payload.empty()) out["payload"] = encodeBase64(observation.payload);
  out["sequence"] = observation.sequence;
  return out;
}

Result<StoredObservation> decodeObservation(const Json& j, const std::string& where) {
  if (auto s = expectObject(
          j, where,
          {"server", "token", "method", "path", "accept", "format", "payload", "sequence"});
      !s)
    return s.error();
  StoredObservation observation;
  auto server = requiredId(j, "server", where);
  if (!server) return server.error();
  observation.server = *server;

  auto tokenJson = required(j, "token", where);
  if (!tokenJson) return tokenJson.error();
  auto token = decodeBytes(**tokenJson, where + ".token");
  if (!token) return token.error();
  if (token->size() > kMaxTokenLength)
    return at(where + ".token", std::to_string(token->size()) + " bytes (a token has at most 8)");
  observation.token = std::move(*token);

  auto method = requiredText(j, "method", where);
  if (!method) return method.error();
  if (*method != "GET" && *method != "FETCH")
    return at(where + ".method", "expected \"GET\" or \"FETCH\", found " + printable(*method));
  observation.composite = *method == "FETCH";

  auto pathText = requiredText(j, "path", where);
  if (!pathText) return pathText.error();
  auto path = Path::parse(*pathText);
  // Only the canonical spelling, as for attributes: each path has one encoding.
  if (!path || path->toString() != *pathText)
    return at(where + ".path", "not an LwM2M path: " + printable(*pathText));
  observation.path = *path;

  for (auto [key, field] : {std::pair{"accept", &observation.accept},
                            std::pair{"format", &observation.contentFormat}}) {
    if (const Json* value = member(j, key)) {
      auto number = decodeId(*value, where + "." + key);
      if (!number) return number.error();
      *field = *number;
    }
  }
  if (const Json* payload = member(j, "payload")) {
    auto bytes = decodeBytes(*payload, where + ".payload");
    if (!bytes) return bytes.error();
    observation.payload = std::move(*bytes);
  }
  auto sequenceJson = required(j, "sequence", where);
  if (!sequenceJson) return sequenceJson.error();
  auto sequence = decodeUnsigned(**sequenceJson, where + ".sequence", kObserveValueLimit - 1);
  if (!sequence) return sequence.error();
  observation.sequence = static_cast<std::uint32_t>(*sequence);
  return observation;
}

Status validateSessions(const PersistedState& state) {
  std::set<std::uint16_t> servers;
  for (const auto& registration : state.registrations)
    if (!servers.insert(registration.server).second)
      return stateError("the registration with server " + std::to_string(registration.server) +
                        " appears twice");
  std::set<std::pair<std::uint16_t, std::vector<std::uint8_t>>> tokens;
  for (const auto& observation : state.observations) {
    const std::string what = "observation of server " + std::to_string(observation.server) +
                             " with token " + tokenHex(observation.token);
    if (observation.token.size() > kMaxTokenLength)
      return stateError(what + ": a token has at most 8 bytes");
    if (observation.sequence >= kObserveValueLimit)
      return stateError(what + ": the Observe value has 24 bits");
    if (!tokens.emplace(observation.server, observation.token).second)
      return stateError(what + " appears twice");
  }
  return {};
}

}  // namespace lwm2md::state_json
