#include <fmt/format.h>

#include "bootstrap/bootstrap_handler.hpp"
#include "bootstrap/bootstrap_objects.hpp"
#include "ddf/object_registry.hpp"
#include "dm/data_model.hpp"
#include "dm/dm_common.hpp"
#include "io/link_format.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

namespace {

using namespace bootstrap_ids;

/// `ssid` and, for Security instances, `uri` of a Server Account instance (TS 1.1 §6.1.7.3);
/// the Bootstrap-Server account has no Short Server ID and so neither.
std::vector<LinkAttribute> accountAttributes(const Instance& instance) {
  std::vector<LinkAttribute> attributes;
  const auto oid = instance.objectId();
  if (oid == kSecurity) {
    if (isBootstrapAccount(instance)) return attributes;
    if (auto ssid = integerValue(instance, kSecurityShortServerId))
      attributes.push_back({"ssid", std::to_string(*ssid), false});
    if (auto uri = singleValue(instance, kServerUri))
      if (const auto* text = std::get_if<std::string>(&*uri))
        attributes.push_back({"uri", *text, true});
  } else if (oid == kServer) {
    if (auto ssid = integerValue(instance, kServerShortServerId))
      attributes.push_back({"ssid", std::to_string(*ssid), false});
  }
  return attributes;
}

void addObjectLinks(const ObjectTree& tree, const ObjectDef& def, std::vector<Link>& links) {
  const auto instances = tree.instancesOf(def.id);
  const bool versioned = !def.objectVersion.empty() && def.objectVersion != "1.0";
  // An object appears on its own when it has a version to state or no instance to stand for
  // it (TS 1.1 §6.1.7.3 examples: `</5>`, `</55>;ver=1.9,</55/0>`).
  if (versioned || instances.empty()) {
    Link link{Path(def.id).toString(), {}};
    if (versioned) link.attributes.push_back({"ver", def.objectVersion, false});
    links.push_back(std::move(link));
  }
  for (const Instance* instance : instances)
    links.push_back(
        {Path(def.id, instance->instanceId()).toString(), accountAttributes(*instance)});
}

}  // namespace

DmResponse BootstrapHandler::read(const DmRequest& request) {
  const Path& path = request.path;
  if (path.isRoot())
    return DmResponse::error(CoapCode::BadRequest, "Bootstrap-Read needs an object id");
  // TS 1.1 §6.1.7.4: only the Server and Access Control objects; the Bootstrap-Server has no
  // business reading anything else (keys, application data).
  if (path.objectId() != kServer && path.objectId() != kAccessControl)
    return DmResponse::error(
        CoapCode::Unauthorized,
        fmt::format("Bootstrap-Read applies to the Server (1) and Access Control (2) objects, "
                    "not to object {}",
                    path.objectId()));
  if (path.depth() > 2)
    return DmResponse::error(CoapCode::BadRequest,
                             "Bootstrap-Read addresses an object or an object instance");
  auto content = readableContent(tree_, path);
  if (!content) return toResponse(content.error());
  const auto format =
      request.accept ? static_cast<ContentFormat>(*request.accept) : options_.readFormat;
  auto encoded = encodeContent(format, *content);
  if (!encoded) return toResponse(encoded.error());
  DmResponse response;
  response.code = CoapCode::Content;
  response.contentFormat = static_cast<std::uint16_t>(format);
  response.payload = std::move(*encoded);
  return response;
}

DmResponse BootstrapHandler::discover(const DmRequest& request) {
  const Path& path = request.path;
  if (path.depth() > 1)
    return DmResponse::error(CoapCode::BadRequest,
                             "Bootstrap-Discover addresses / or an object, not " + path.toString());
  std::vector<Link> links;
  links.push_back({"/", {{"lwm2m", options_.lwm2mVersion, false}}});
  if (path.isRoot()) {
    for (const auto& [oid, def] : tree_.registry().all()) addObjectLinks(tree_, def, links);
  } else {
    auto def = findObject(tree_, path.objectId());
    if (!def) return toResponse(def.error());
    addObjectLinks(tree_, **def, links);
  }
  const std::string text = encodeLinks(links);
  DmResponse response;
  response.code = CoapCode::Content;
  response.contentFormat = static_cast<std::uint16_t>(ContentFormat::LinkFormat);
  response.payload.assign(text.begin(), text.end());
  return response;
}

}  // namespace lwm2md
