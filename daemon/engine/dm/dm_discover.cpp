#include <fmt/format.h>

#include "ddf/object_registry.hpp"
#include "dm/data_model.hpp"
#include "io/link_format.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

namespace {

/// Links for one instance's present resources; `dim` gives a multiple resource's size.
void addResourceLinks(const Instance& instance, std::vector<Link>& links,
                      std::optional<std::uint16_t> only = std::nullopt) {
  for (std::uint16_t rid : instance.resourceIds()) {
    if (only && rid != *only) continue;
    Link link{Path(instance.objectId(), instance.instanceId(), rid).toString(), {}};
    if (auto data = instance.resource(rid); data && data->multiple)
      link.attributes.push_back({"dim", std::to_string(data->instances.size()), false});
    links.push_back(std::move(link));
  }
}

}  // namespace

DmResponse DataModel::discover(const DmRequest& request) {
  const Path& path = request.path;
  if (path.isRoot() || path.isResourceInstance())
    return DmResponse::error(CoapCode::MethodNotAllowed,
                             "Discover applies to an object, an instance or a resource");
  const ObjectDef* def = tree_.registry().find(path.objectId());
  if (!def)
    return DmResponse::error(CoapCode::NotFound,
                             fmt::format("object {} is not supported", path.objectId()));
  std::vector<Link> links;
  if (path.isObject()) {
    Link objectLink{path.toString(), {}};
    if (def->objectVersion != "1.0")
      objectLink.attributes.push_back({"ver", def->objectVersion, false});
    links.push_back(std::move(objectLink));
    for (const Instance* instance : tree_.instancesOf(path.objectId())) {
      links.push_back({Path(path.objectId(), instance->instanceId()).toString(), {}});
      addResourceLinks(*instance, links);
    }
  } else {
    const Instance* instance = tree_.find(path.objectId(), path.instanceId());
    if (!instance)
      return DmResponse::error(
          CoapCode::NotFound,
          fmt::format("{} does not exist", Path(path.objectId(), path.instanceId()).toString()));
    if (path.isInstance()) {
      links.push_back({path.toString(), {}});
      addResourceLinks(*instance, links);
    } else {
      if (!instance->resource(path.resourceId()))
        return DmResponse::error(CoapCode::NotFound,
                                 fmt::format("{} does not exist", path.toString()));
      addResourceLinks(*instance, links, path.resourceId());
    }
  }
  const std::string text = encodeLinks(links);
  return {CoapCode::Content, static_cast<std::uint16_t>(ContentFormat::LinkFormat),
          std::vector<std::uint8_t>(text.begin(), text.end())};
}

}  // namespace lwm2md
