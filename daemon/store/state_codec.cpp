#include "store/state_codec.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <limits>
#include <set>
#include <span>
#include <utility>

#include <nlohmann/json.hpp>

#include "io/base64.hpp"
#include "io/utf8.hpp"
#include "store/crc32.hpp"
#include "store/json_fields.hpp"
#include "store/session_fields.hpp"

namespace lwm2md {

namespace {

using namespace state_json;

// The header line is short and fixed; a longer first line is not ours.
constexpr std::size_t kMaxHeaderLength = 128;

// The format's own type names: fixed by FORMAT.md, independent of the DDF spelling.
constexpr std::array<std::pair<ResourceType, std::string_view>, 10> kTypeNames{{
    {ResourceType::None, "none"},
    {ResourceType::String, "string"},
    {ResourceType::Integer, "integer"},
    {ResourceType::UnsignedInteger, "unsigned"},
    {ResourceType::Float, "float"},
    {ResourceType::Boolean, "boolean"},
    {ResourceType::Opaque, "opaque"},
    {ResourceType::Time, "time"},
    {ResourceType::Objlnk, "objlnk"},
    {ResourceType::Corelnk, "corelnk"},
}};

std::string_view typeName(ResourceType type) {
  for (const auto& [t, name] : kTypeNames)
    if (t == type) return name;
  return "none";
}

std::optional<ResourceType> typeFromName(std::string_view name) {
  for (const auto& [t, n] : kTypeNames)
    if (n == name) return t;
  return std::nullopt;
}

// ---- encoding ----

Json encodeValue(const Value& value) {
  return std::visit(
      [](const auto& v) -> Json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return encodeText(v);
        } else if constexpr (std::is_same_v<T, double>) {
          return encodeFloat(v);
        } else if constexpr (std::is_same_v<T, Opaque>) {
          return Json(encodeBase64(v));
        } else if constexpr (std::is_same_v<T, Objlnk>) {
          Json object = Json::object();
          object["object"] = v.objectId;
          object["instance"] = v.instanceId;
          return object;
        } else {
          return Json(v);  // int64, uint64, bool
        }
      },
      value);
}

Json encodeResource(const ResourceData& resource) {
  Json out = Json::object();
  out["id"] = resource.id;
  out["type"] = std::string(typeName(resource.type));
  if (resource.multiple) {
    out["multiple"] = true;
    Json instances = Json::array();
    for (const auto& [riid, value] : resource.instances) {
      Json entry = Json::object();
      entry["id"] = riid;
      entry["value"] = encodeValue(value);
      instances.push_back(std::move(entry));
    }
    out["instances"] = std::move(instances);
  } else if (resource.value) {
    out["value"] = encodeValue(*resource.value);
  }
  return out;
}

Json encodeAttributes(const StoredAttributeEntry& entry) {
  Json out = Json::object();
  out["server"] = entry.server;
  out["path"] = entry.path.toString();
  const StoredAttributes& a = entry.attributes;
  if (a.pmin) out["pmin"] = *a.pmin;
  if (a.pmax) out["pmax"] = *a.pmax;
  if (a.gt) out["gt"] = encodeFloat(*a.gt);
  if (a.lt) out["lt"] = encodeFloat(*a.lt);
  if (a.st) out["st"] = encodeFloat(*a.st);
  if (a.epmin) out["epmin"] = *a.epmin;
  if (a.epmax) out["epmax"] = *a.epmax;
  if (a.con) out["con"] = *a.con;
  return out;
}

std::string hex8(std::uint32_t value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(8, '0');
  for (int i = 7; i >= 0; --i, value >>= 4) out[static_cast<std::size_t>(i)] = kHex[value & 0x0F];
  return out;
}

// ---- decoding ----

Result<Value> decodeValue(const Json& j, ResourceType type, const std::string& where) {
  switch (type) {
    case ResourceType::String:
    case ResourceType::Corelnk: {
      auto text = decodeText(j, where);
      if (!text) return text.error();
      return Value(std::move(*text));
    }
    case ResourceType::Integer:
    case ResourceType::Time: {
      auto value = decodeSigned(j, where);
      if (!value) return value.error();
      return Value(*value);
    }
    case ResourceType::UnsignedInteger: {
      auto value = decodeUnsigned(j, where, std::numeric_limits<std::uint64_t>::max());
      if (!value) return value.error();
      return Value(*value);
    }
    case ResourceType::Float: {
      auto value = decodeFloat(j, where);
      if (!value) return value.error();
      return Value(*value);
    }
    case ResourceType::Boolean: {
      auto value = decodeBool(j, where);
      if (!value) return value.error();
      return Value(*value);
    }
    case ResourceType::Opaque: {
      auto value = decodeBytes(j, where);
      if (!value) return value.error();
      return Value(std::move(*value));
    }
    case ResourceType::Objlnk: {
      if (auto s = expectObject(j, where, {"object", "instance"}); !s) return s.error();
      auto object = required(j, "object", where);
      if (!object) return object.error();
      auto oid = decodeId(**object, where + ".object");
      if (!oid) return oid.error();
      auto instance = required(j, "instance", where);
      if (!instance) return instance.error();
      auto iid = decodeId(**instance, where + ".instance");
      if (!iid) return iid.error();
      return Value(Objlnk{*oid, *iid});
    }
    case ResourceType::None:
      break;
  }
  return at(where, "an executable resource (type \"none\") has no value");
}

Result<ResourceData> decodeResource(const Json& j, const std::string& where) {
  if (auto s = expectObject(j, where, {"id", "type", "multiple", "value", "instances"}); !s)
    return s.error();
  ResourceData resource;
  auto id = required(j, "id", where);
  if (!id) return id.error();
  auto rid = decodeId(**id, where + ".id");
  if (!rid) return rid.error();
  resource.id = *rid;

  auto typeJson = required(j, "type", where);
  if (!typeJson) return typeJson.error();
  if (!(*typeJson)->is_string()) return at(where + ".type", "expected a type name");
  const auto& name = (*typeJson)->get_ref<const std::string&>();
  auto type = typeFromName(name);
  if (!type) return at(where + ".type", "unknown type " + printable(name));
  resource.type = *type;

  if (const Json* multiple = member(j, "multiple")) {
    auto flag = decodeBool(*multiple, where + ".multiple");
    if (!flag) return flag.error();
    resource.multiple = *flag;
  }

  if (resource.multiple) {
    if (resource.type == ResourceType::None)
      return at(where, "an executable resource (type \"none\") cannot be multiple");
    if (member(j, "value") != nullptr)
      return at(where, "a multiple resource has \"instances\", not \"value\"");
    auto instances = required(j, "instances", where);
    if (!instances) return instances.error();
    if (!(*instances)->is_array()) return at(where + ".instances", "expected an array");
    std::size_t index = 0;
    for (const Json& entry : **instances) {
      const std::string here = where + ".instances[" + std::to_string(index++) + "]";
      if (auto s = expectObject(entry, here, {"id", "value"}); !s) return s.error();
      auto riidJson = required(entry, "id", here);
      if (!riidJson) return riidJson.error();
      auto riid = decodeId(**riidJson, here + ".id");
      if (!riid) return riid.error();
      auto valueJson = required(entry, "value", here);
      if (!valueJson) return valueJson.error();
      auto value = decodeValue(**valueJson, resource.type, here + ".value");
      if (!value) return value.error();
      if (!resource.instances.emplace(*riid, std::move(*value)).second)
        return at(here + ".id", "resource instance " + std::to_string(*riid) + " appears twice");
    }
  } else {
    if (member(j, "instances") != nullptr)
      return at(where, "a single resource has \"value\", not \"instances\"");
    if (const Json* valueJson = member(j, "value")) {
      auto value = decodeValue(*valueJson, resource.type, where + ".value");
      if (!value) return value.error();
      resource.value = std::move(*value);
    }
  }
  return resource;
}

Result<std::pair<std::uint16_t, InstanceData>> decodeInstance(const Json& j,
                                                              const std::string& where) {
  if (auto s = expectObject(j, where, {"object", "instance", "resources"}); !s) return s.error();
  auto objectJson = required(j, "object", where);
  if (!objectJson) return objectJson.error();
  auto oid = decodeId(**objectJson, where + ".object");
  if (!oid) return oid.error();
  auto instanceJson = required(j, "instance", where);
  if (!instanceJson) return instanceJson.error();
  auto iid = decodeId(**instanceJson, where + ".instance");
  if (!iid) return iid.error();
  auto resources = required(j, "resources", where);
  if (!resources) return resources.error();
  if (!(*resources)->is_array()) return at(where + ".resources", "expected an array");

  InstanceData data;
  data.id = *iid;
  std::set<std::uint16_t> seen;
  std::size_t index = 0;
  for (const Json& entry : **resources) {
    const std::string here = where + ".resources[" + std::to_string(index++) + "]";
    auto resource = decodeResource(entry, here);
    if (!resource) return resource.error();
    if (!seen.insert(resource->id).second)
      return at(here + ".id", "resource " + std::to_string(resource->id) + " appears twice");
    data.resources.push_back(std::move(*resource));
  }
  return std::make_pair(*oid, std::move(data));
}

Result<StoredAttributeEntry> decodeAttributeEntry(const Json& j, const std::string& where) {
  if (auto s = expectObject(
          j, where, {"server", "path", "pmin", "pmax", "gt", "lt", "st", "epmin", "epmax", "con"});
      !s)
    return s.error();
  StoredAttributeEntry entry;
  auto serverJson = required(j, "server", where);
  if (!serverJson) return serverJson.error();
  auto server = decodeId(**serverJson, where + ".server");
  if (!server) return server.error();
  entry.server = *server;

  auto pathJson = required(j, "path", where);
  if (!pathJson) return pathJson.error();
  if (!(*pathJson)->is_string()) return at(where + ".path", "expected a path string");
  const auto& text = (*pathJson)->get_ref<const std::string&>();
  auto path = Path::parse(text);
  // Only the canonical spelling ("/3/0/1") is accepted, so that each path has one encoding.
  if (!path || path->toString() != text)
    return at(where + ".path", "not an LwM2M path: " + printable(text));
  entry.path = *path;

  StoredAttributes& a = entry.attributes;
  for (auto [key, field] : {std::pair{"pmin", &a.pmin}, std::pair{"pmax", &a.pmax},
                            std::pair{"epmin", &a.epmin}, std::pair{"epmax", &a.epmax}}) {
    if (const Json* value = member(j, key)) {
      auto number = decodeU32(*value, where + "." + key);
      if (!number) return number.error();
      *field = *number;
    }
  }
  for (auto [key, field] :
       {std::pair{"gt", &a.gt}, std::pair{"lt", &a.lt}, std::pair{"st", &a.st}}) {
    if (const Json* value = member(j, key)) {
      auto number = decodeFloat(*value, where + "." + key);
      if (!number) return number.error();
      *field = *number;
    }
  }
  if (const Json* value = member(j, "con")) {
    auto flag = decodeBool(*value, where + ".con");
    if (!flag) return flag.error();
    a.con = *flag;
  }
  return entry;
}

// Decodes the members of an array member `key` with `decode`; `where` prefixes each error.
template <typename Decode>
Status decodeArray(const Json& root, std::string_view key, Decode decode) {
  auto list = required(root, key, "content");
  if (!list) return list.error();
  if (!(*list)->is_array()) return at(std::string(key), "expected an array");
  std::size_t index = 0;
  for (const Json& entry : **list)
    if (auto s = decode(entry, std::string(key) + "[" + std::to_string(index++) + "]"); !s)
      return s;
  return {};
}

// Version 2 adds the sessions (registrations and observations); version 1 has none.
Status decodeSessionsJson(const Json& root, PersistedState& state) {
  if (auto s = decodeArray(root, "registrations",
                           [&](const Json& entry, const std::string& here) -> Status {
                             auto registration = decodeRegistration(entry, here);
                             if (!registration) return registration.error();
                             state.registrations.push_back(std::move(*registration));
                             return {};
                           });
      !s)
    return s;
  if (auto s = decodeArray(root, "observations",
                           [&](const Json& entry, const std::string& here) -> Status {
                             auto observation = decodeObservation(entry, here);
                             if (!observation) return observation.error();
                             state.observations.push_back(std::move(*observation));
                             return {};
                           });
      !s)
    return s;
  return validateSessions(state);
}

Status decodeContentJson(const Json& root, PersistedState& state, std::uint64_t version) {
  const std::string where = "content";
  const auto known =
      version >= 2
          ? expectObject(root, where,
                         {"generation", "bootstrapped", "instances", "attributes", "locations",
                          "registrations", "observations"})
          : expectObject(root, where,
                         {"generation", "bootstrapped", "instances", "attributes", "locations"});
  if (!known) return known;

  auto generationJson = required(root, "generation", where);
  if (!generationJson) return generationJson.error();
  auto generation =
      decodeUnsigned(**generationJson, "generation", std::numeric_limits<std::uint64_t>::max());
  if (!generation) return generation.error();
  state.generation = *generation;

  auto bootstrappedJson = required(root, "bootstrapped", where);
  if (!bootstrappedJson) return bootstrappedJson.error();
  auto bootstrapped = decodeBool(**bootstrappedJson, "bootstrapped");
  if (!bootstrapped) return bootstrapped.error();
  state.bootstrapped = *bootstrapped;

  auto instances = required(root, "instances", where);
  if (!instances) return instances.error();
  if (!(*instances)->is_array()) return at("instances", "expected an array");
  std::set<std::pair<std::uint16_t, std::uint16_t>> seenInstances;
  std::size_t index = 0;
  for (const Json& entry : **instances) {
    const std::string here = "instances[" + std::to_string(index++) + "]";
    auto instance = decodeInstance(entry, here);
    if (!instance) return instance.error();
    if (!seenInstances.emplace(instance->first, instance->second.id).second)
      return at(here, "instance /" + std::to_string(instance->first) + "/" +
                          std::to_string(instance->second.id) + " appears twice");
    state.instances.push_back(std::move(*instance));
  }

  auto attributes = required(root, "attributes", where);
  if (!attributes) return attributes.error();
  if (!(*attributes)->is_array()) return at("attributes", "expected an array");
  std::set<std::pair<std::uint16_t, Path>> seenAttributes;
  index = 0;
  for (const Json& entry : **attributes) {
    const std::string here = "attributes[" + std::to_string(index++) + "]";
    auto attribute = decodeAttributeEntry(entry, here);
    if (!attribute) return attribute.error();
    if (!seenAttributes.emplace(attribute->server, attribute->path).second)
      return at(here, "attributes of server " + std::to_string(attribute->server) + " on " +
                          attribute->path.toString() + " appear twice");
    state.attributes.push_back(std::move(*attribute));
  }

  auto locations = required(root, "locations", where);
  if (!locations) return locations.error();
  if (!(*locations)->is_array()) return at("locations", "expected an array");
  index = 0;
  for (const Json& entry : **locations) {
    const std::string here = "locations[" + std::to_string(index++) + "]";
    if (auto s = expectObject(entry, here, {"server", "path"}); !s) return s;
    auto serverJson = required(entry, "server", here);
    if (!serverJson) return serverJson.error();
    auto server = decodeId(**serverJson, here + ".server");
    if (!server) return server.error();
    auto pathJson = required(entry, "path", here);
    if (!pathJson) return pathJson.error();
    if (!(*pathJson)->is_array()) return at(here + ".path", "expected an array of segments");
    std::vector<std::string> segments;
    std::size_t segmentIndex = 0;
    for (const Json& segment : **pathJson) {
      auto text = decodeText(segment, here + ".path[" + std::to_string(segmentIndex++) + "]");
      if (!text) return text.error();
      segments.push_back(std::move(*text));
    }
    if (!state.locations.emplace(*server, std::move(segments)).second)
      return at(here + ".server",
                "location of server " + std::to_string(*server) + " appears twice");
  }
  if (version >= 2) return decodeSessionsJson(root, state);
  return {};
}

std::optional<std::uint64_t> parseField(std::string_view token, std::string_view name) {
  if (token.substr(0, name.size()) != name) return std::nullopt;
  token.remove_prefix(name.size());
  // Plain decimal digits only: no sign, no leading zero, at most 19 digits (fits uint64).
  if (token.empty() || token.size() > 19 || (token.size() > 1 && token.front() == '0'))
    return std::nullopt;
  if (!std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  std::uint64_t value = 0;
  std::from_chars(token.data(), token.data() + token.size(), value);
  return value;
}

std::optional<std::uint32_t> parseCrcField(std::string_view token) {
  constexpr std::string_view kName = "crc32=";
  if (token.substr(0, kName.size()) != kName || token.size() != kName.size() + 8)
    return std::nullopt;
  std::uint32_t value = 0;
  for (char c : token.substr(kName.size())) {
    std::uint32_t digit = 0;
    if (c >= '0' && c <= '9')
      digit = static_cast<std::uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f')
      digit = static_cast<std::uint32_t>(c - 'a' + 10);
    else
      return std::nullopt;
    value = (value << 4) | digit;
  }
  return value;
}

std::vector<std::string_view> splitSpaces(std::string_view text) {
  std::vector<std::string_view> tokens;
  while (true) {
    const auto space = text.find(' ');
    tokens.push_back(text.substr(0, space));
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
  return tokens;
}

struct Envelope {
  std::uint64_t version = 0;
  std::string_view content;
};

// Checks the header line and the integrity of what follows; returns the version and the
// content (the JSON).
Result<Envelope> checkEnvelope(std::string_view text) {
  if (text.empty()) return stateError("empty file");
  const std::string_view name = text.substr(0, text.find_first_of(" \n"));
  if (name != kStateFormatName) {
    if (name.size() == text.size() && kStateFormatName.substr(0, name.size()) == name)
      return stateError("truncated inside the header line");
    return stateError("not an lwm2md state file (it begins with " + printable(text) + ")");
  }
  const auto eol = text.find('\n');
  if (eol == std::string_view::npos && text.size() <= kMaxHeaderLength)
    return stateError("truncated inside the header line");
  if (eol == std::string_view::npos || eol > kMaxHeaderLength)
    return stateError("the header line is too long");
  const std::string_view header = text.substr(0, eol);
  const std::string_view body = text.substr(eol + 1);
  const auto tokens = splitSpaces(header);

  // "lwm2md-state version=N" is fixed for every version; the rest is version 1's.
  if (tokens.size() < 2) return stateError("the header line has no version");
  const auto version = parseField(tokens[1], "version=");
  if (!version) return stateError("malformed version field " + printable(tokens[1]));
  if (*version > kStateFormatVersion)
    return stateError("format version " + std::to_string(*version) +
                      " is newer than this daemon understands (up to " +
                      std::to_string(kStateFormatVersion) + "): refusing it");
  if (*version < 1) return stateError("unknown format version " + std::to_string(*version));

  const auto length = tokens.size() == 4 ? parseField(tokens[2], "length=") : std::nullopt;
  const auto crc = tokens.size() == 4 ? parseCrcField(tokens[3]) : std::nullopt;
  if (!length || !crc)
    return stateError("malformed header line " + printable(header, 80) +
                      " (expected \"lwm2md-state version=<v> length=<bytes> crc32=<8 hex "
                      "digits>\")");
  if (body.size() < *length)
    return stateError("truncated: the header announces " + std::to_string(*length) +
                      " bytes of content, " + std::to_string(body.size()) + " present");
  if (body.size() > *length)
    return stateError(std::to_string(body.size()) +
                      " bytes of content where the header announces " + std::to_string(*length) +
                      " (data appended?)");
  if (crc32(body) != *crc) return stateError("checksum mismatch (half-written or corrupt)");
  return Envelope{*version, body};
}

Result<PersistedState> decodeChecked(std::string_view text) {
  auto envelope = checkEnvelope(text);
  if (!envelope) return envelope.error();
  Json root;
  try {
    root = Json::parse(envelope->content.begin(), envelope->content.end());
  } catch (const Json::exception& e) {
    return stateError(std::string("the content is not valid JSON: ") + e.what());
  }
  PersistedState state;
  if (auto s = decodeContentJson(root, state, envelope->version); !s) return s.error();
  return state;
}

Status validateValue(const Value& value, ResourceType type, const std::string& where) {
  if (type == ResourceType::None)
    return stateError(where + ": an executable resource has no value");
  if (!holdsType(value, type))
    return stateError(where + ": the value does not hold the " + std::string(typeName(type)) +
                      " type");
  return {};
}

}  // namespace

Status validateState(const PersistedState& state) {
  std::set<std::pair<std::uint16_t, std::uint16_t>> seenInstances;
  for (const auto& [oid, instance] : state.instances) {
    const std::string where = "/" + std::to_string(oid) + "/" + std::to_string(instance.id);
    if (!seenInstances.emplace(oid, instance.id).second)
      return stateError("instance " + where + " appears twice");
    std::set<std::uint16_t> seenResources;
    for (const auto& resource : instance.resources) {
      const std::string here = where + "/" + std::to_string(resource.id);
      if (!seenResources.insert(resource.id).second)
        return stateError("resource " + here + " appears twice");
      if (resource.multiple) {
        if (resource.type == ResourceType::None)
          return stateError(here + ": an executable resource cannot be multiple");
        if (resource.value) return stateError(here + ": a multiple resource has no single value");
        for (const auto& [riid, value] : resource.instances)
          if (auto s = validateValue(value, resource.type, here + "/" + std::to_string(riid)); !s)
            return s;
      } else {
        if (!resource.instances.empty())
          return stateError(here + ": a single resource has no resource instances");
        if (resource.value)
          if (auto s = validateValue(*resource.value, resource.type, here); !s) return s;
      }
    }
  }
  std::set<std::pair<std::uint16_t, Path>> seenAttributes;
  for (const auto& entry : state.attributes)
    if (!seenAttributes.emplace(entry.server, entry.path).second)
      return stateError("attributes of server " + std::to_string(entry.server) + " on " +
                        entry.path.toString() + " appear twice");
  return validateSessions(state);
}

std::string encodeState(const PersistedState& state) {
  Json root = Json::object();
  root["generation"] = state.generation;
  root["bootstrapped"] = state.bootstrapped;
  Json instances = Json::array();
  for (const auto& [oid, instance] : state.instances) {
    Json entry = Json::object();
    entry["object"] = oid;
    entry["instance"] = instance.id;
    Json resources = Json::array();
    for (const auto& resource : instance.resources) resources.push_back(encodeResource(resource));
    entry["resources"] = std::move(resources);
    instances.push_back(std::move(entry));
  }
  root["instances"] = std::move(instances);
  Json attributes = Json::array();
  for (const auto& entry : state.attributes) attributes.push_back(encodeAttributes(entry));
  root["attributes"] = std::move(attributes);
  Json locations = Json::array();
  for (const auto& [server, segments] : state.locations) {
    Json entry = Json::object();
    entry["server"] = server;
    Json path = Json::array();
    for (const auto& segment : segments) path.push_back(encodeText(segment));
    entry["path"] = std::move(path);
    locations.push_back(std::move(entry));
  }
  root["locations"] = std::move(locations);
  // A state without sessions is written as version 1, so that an older daemon can still read
  // what it could have written itself.
  const bool withSessions = !state.registrations.empty() || !state.observations.empty();
  if (withSessions) {
    Json registrations = Json::array();
    for (const auto& entry : state.registrations)
      registrations.push_back(encodeRegistration(entry));
    root["registrations"] = std::move(registrations);
    Json observations = Json::array();
    for (const auto& entry : state.observations) observations.push_back(encodeObservation(entry));
    root["observations"] = std::move(observations);
  }

  // Every string was checked for UTF-8 above, so `replace` never fires; it only guarantees
  // that dump() cannot throw.
  const std::string body = root.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
  return std::string(kStateFormatName) + " version=" + (withSessions ? "2" : "1") +
         " length=" + std::to_string(body.size()) + " crc32=" + hex8(crc32(body)) + "\n" + body;
}

Result<PersistedState> decodeState(std::string_view text) {
  // nlohmann-json and the standard library may throw (bad_alloc, a type error missed by the
  // checks above): nothing escapes the decoder.
  try {
    return decodeChecked(text);
  } catch (const std::exception& e) {
    return stateError(std::string("cannot decode the state: ") + e.what());
  } catch (...) {
    return stateError("cannot decode the state: unknown error");
  }
}

}  // namespace lwm2md
