#include <fmt/format.h>

#include <set>

#include "dm/attribute_query.hpp"
#include "dm/data_model.hpp"
#include "dm/dm_common.hpp"
#include "io/link_format.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

namespace {

/// The resources an instance implements: those holding a value, and the executable ones the
/// definition lists (they hold nothing, yet a server may call them).
std::set<std::uint16_t> implementedResources(const Instance& instance) {
  std::set<std::uint16_t> rids;
  for (std::uint16_t rid : instance.resourceIds()) rids.insert(rid);
  for (const auto& [rid, res] : instance.definition().resources)
    if (res.operations.execute) rids.insert(rid);
  return rids;
}

void append(std::vector<LinkAttribute>& to, std::vector<LinkAttribute> more) {
  for (auto& attribute : more) to.push_back(std::move(attribute));
}

/// Builds the links of a Discover for one server (LwM2M 1.1 TS §5.4.2, §6.3.4).
class LinkBuilder {
 public:
  LinkBuilder(const AttributeStore& store, std::uint16_t server) : store_(store), server_(server) {}

  void object(const ObjectDef& def) {
    Link link{Path(def.id).toString(), {}};
    if (def.objectVersion != "1.0") link.attributes.push_back({"ver", def.objectVersion, false});
    append(link.attributes, toLinkAttributes(store_.at(server_, Path(def.id))));
    links_.push_back(std::move(link));
  }

  void instance(const Instance& instance, bool withAttributes) {
    const Path path(instance.objectId(), instance.instanceId());
    Link link{path.toString(), {}};
    if (withAttributes) append(link.attributes, toLinkAttributes(store_.at(server_, path)));
    links_.push_back(std::move(link));
  }

  /// One resource: `dim` for a multiple resource, then `attributes`.
  void resource(const Instance& instance, std::uint16_t rid,
                const NotificationAttributes& attributes) {
    Link link{Path(instance.objectId(), instance.instanceId(), rid).toString(), {}};
    if (auto data = instance.resource(rid); data && data->multiple)
      link.attributes.push_back({"dim", std::to_string(data->instances.size()), false});
    append(link.attributes, toLinkAttributes(attributes));
    links_.push_back(std::move(link));
  }

  void resourceInstance(const Path& path) {
    links_.push_back({path.toString(), toLinkAttributes(store_.at(server_, path))});
  }

  NotificationAttributes at(const Path& path) const { return store_.at(server_, path); }
  std::vector<Link> take() { return std::move(links_); }

 private:
  const AttributeStore& store_;
  std::uint16_t server_;
  std::vector<Link> links_;
};

}  // namespace

DmResponse DataModel::discover(const DmRequest& request) {
  const Path& path = request.path;
  if (path.isRoot() || path.isResourceInstance())
    return DmResponse::error(CoapCode::MethodNotAllowed,
                             "Discover applies to an object, an instance or a resource");
  auto def = findObject(tree_, path.objectId());
  if (!def) return toResponse(def.error());
  if (auto denied = refused(request, AccessOperation::Discover, path)) return *denied;
  LinkBuilder links(attributes_, request.serverShortId);
  if (path.isObject()) {
    // The object with its attributes; instances and resources bare (but with `dim`). Only
    // the instances the server may read (TS 1.1 Core §7.3: R covers Discover).
    links.object(**def);
    for (const Instance* instance : tree_.instancesOf(path.objectId())) {
      if (!mayRead(request.serverShortId, Path(path.objectId(), instance->instanceId()))) continue;
      links.instance(*instance, false);
      for (std::uint16_t rid : implementedResources(*instance)) links.resource(*instance, rid, {});
    }
  } else {
    auto instance = findInstance(tree_, path.objectId(), path.instanceId());
    if (!instance) return toResponse(instance.error());
    const Path instancePath(path.objectId(), path.instanceId());
    if (path.isInstance()) {
      // The instance and its resources, each with the attributes attached to it.
      links.instance(**instance, true);
      for (std::uint16_t rid : implementedResources(**instance))
        links.resource(**instance, rid, links.at(instancePath.child(rid)));
    } else {
      auto res = findResource(**def, path.resourceId());
      if (!res) return toResponse(res.error());
      if (!implementedResources(**instance).contains(path.resourceId()))
        return DmResponse::error(
            CoapCode::NotFound,
            fmt::format("{} is not present", describeResource(**def, path.instanceId(), **res)));
      // The resource with its own attributes and those it inherits from the instance and the
      // object; then each resource instance with the attributes attached to it.
      const NotificationAttributes inherited = links.at(path)
                                                   .inheritFrom(links.at(instancePath))
                                                   .inheritFrom(links.at(Path(path.objectId())));
      links.resource(**instance, path.resourceId(), inherited);
      if (auto data = (*instance)->resource(path.resourceId()); data && data->multiple)
        for (const auto& entry : data->instances) links.resourceInstance(path.child(entry.first));
    }
  }
  const std::vector<Link> result = links.take();
  const std::string text = encodeLinks(result);
  DmResponse response;
  response.code = CoapCode::Content;
  response.contentFormat = static_cast<std::uint16_t>(ContentFormat::LinkFormat);
  response.payload.assign(text.begin(), text.end());
  return response;
}

}  // namespace lwm2md
