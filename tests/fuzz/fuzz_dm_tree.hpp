#pragma once

// The object tree the CoAP fuzzers serve requests from, and the checks every answer must pass.

#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "build_config.hpp"
#include "config/config.hpp"
#include "ddf/object_registry.hpp"
#include "dm/dm_request.hpp"
#include "io/content_format.hpp"
#include "objects/server_object.hpp"
#include "objects/standard_objects.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md::fuzz {

constexpr std::uint16_t kTemperature = 3303;
constexpr std::uint16_t kAccessControl = 2;

inline ResourceData single(std::uint16_t rid, ResourceType type, Value value) {
  return ResourceData{rid, type, false, std::move(value), {}};
}

inline ResourceData multiple(std::uint16_t rid, ResourceType type,
                             std::map<std::uint16_t, Value> values) {
  return ResourceData{rid, type, true, std::nullopt, std::move(values)};
}

inline const ObjectRegistry& registry() {
  static const ObjectRegistry* instance = [] {
    auto* loaded = new ObjectRegistry;
    std::vector<std::string> errors;
    if (loaded->loadDirectory(LWM2MD_SOURCE_OBJECTS_DIR, errors) < 6 || !errors.empty())
      std::abort();  // the fuzzer would test nothing without the shipped definitions
    return loaded;
  }();
  return *instance;
}

inline Config fuzzConfig() {
  Config config;
  config.endpoint = "fuzz";
  for (std::uint16_t id : {1, 2}) {
    ServerConfig server;
    server.uri = "coap://127.0.0.1:" + std::to_string(5682 + id);
    server.shortId = id;
    config.servers.push_back(server);
  }
  config.bootstrap = BootstrapConfig{};
  config.bootstrap->uri = "coap://127.0.0.1:5690";
  config.device.manufacturer = "ACME";
  return config;
}

/// A fresh tree per input: every run starts from the same state.
inline void populate(ObjectTree& tree) {
  if (!addStandardInstances(tree, fuzzConfig())) std::abort();
  tree.setValidator(server_object::kObjectId,
                    [](const Instance&, const std::vector<ResourceData>& values) {
                      return validateServerValues(values);
                    });
  for (std::uint16_t iid : {0, 1}) {
    if (!tree.addInstance(kTemperature, iid,
                          {single(5700, ResourceType::Float, 21.5 + iid),
                           single(5701, ResourceType::String, std::string("Cel")),
                           single(5601, ResourceType::Float, -4.0)},
                          iid == 0 ? "" : ":1.7"))
      std::abort();
  }
  // Server 1 owns and may do anything on /3303/0; server 2 may read it; server 1 may create
  // 3303 instances.
  if (!tree.addInstance(
          kAccessControl, 0,
          {single(0, ResourceType::Integer, std::int64_t{kTemperature}),
           single(1, ResourceType::Integer, std::int64_t{0}),
           multiple(2, ResourceType::Integer, {{1, std::int64_t{31}}, {2, std::int64_t{1}}}),
           single(3, ResourceType::Integer, std::int64_t{1})},
          ""))
    std::abort();
  if (!tree.addInstance(kAccessControl, 1,
                        {single(0, ResourceType::Integer, std::int64_t{kTemperature}),
                         single(1, ResourceType::Integer, std::int64_t{65535}),
                         multiple(2, ResourceType::Integer, {{1, std::int64_t{16}}}),
                         single(3, ResourceType::Integer, std::int64_t{65535})},
                        ""))
    std::abort();
}

inline bool isValueFormat(std::uint16_t format) {
  switch (static_cast<ContentFormat>(format)) {
    case ContentFormat::TextPlain:
    case ContentFormat::Opaque:
    case ContentFormat::Cbor:
    case ContentFormat::LwM2MTlv:
    case ContentFormat::LwM2MJson:
    case ContentFormat::SenmlJson:
    case ContentFormat::SenmlCbor:
      return true;
    default:
      return false;
  }
}

/// The checks every answer must pass; abort() marks a finding.
inline void checkResponse(const ObjectTree& tree, const DmRequest& request,
                          const DmResponse& response) {
  if (response.code == CoapCode::Created) {
    if (response.locationPath.empty()) std::abort();
  } else if (!response.locationPath.empty()) {
    std::abort();
  }
  if (!isSuccess(response.code)) {
    if (response.contentFormat) std::abort();  // an error carries a diagnostic, no format
    return;
  }
  // A single-path Read answered in a value format must decode at its own path: the server
  // would otherwise get bytes it cannot read.
  if (request.method != CoapMethod::Get || !response.contentFormat ||
      !isValueFormat(*response.contentFormat) || request.path.isRoot())
    return;
  const ObjectDef* def = tree.registry().find(request.path.objectId());
  if (!def) std::abort();  // a Read of an undefined object succeeded
  const ShapeLookup shapes = [def](std::uint16_t rid) -> std::optional<ResourceShape> {
    const ResourceDef* res = def->resource(rid);
    if (!res) return std::nullopt;
    return ResourceShape{res->type, res->multiple};
  };
  auto decoded = decodeContent(static_cast<ContentFormat>(*response.contentFormat), request.path,
                               response.payload, shapes);
  if (!decoded) std::abort();
}

}  // namespace lwm2md::fuzz
