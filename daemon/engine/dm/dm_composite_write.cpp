#include <fmt/format.h>

#include <vector>

#include "ddf/object_registry.hpp"
#include "dm/data_model.hpp"
#include "dm/dm_common.hpp"
#include "io/composite_format.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

namespace {

constexpr std::uint16_t kSecurityObject = 0;
constexpr std::uint16_t kOscoreObject = 21;

/// One instance's share of the write, checked and ready to store.
struct InstanceWrite {
  std::uint16_t oid = 0;
  std::uint16_t iid = 0;
  std::vector<ResourceData> values;
};

}  // namespace

DmResponse DataModel::writeComposite(const DmRequest& request) {
  if (!request.contentFormat)
    return DmResponse::error(CoapCode::BadRequest,
                             "Write-Composite without a Content-Format option");
  const ObjectTree& tree = tree_;
  auto decoded = decodeComposite(static_cast<ContentFormat>(*request.contentFormat),
                                 request.payload, [&tree](std::uint16_t oid) -> ShapeLookup {
                                   const ObjectDef* def = tree.registry().find(oid);
                                   return def ? shapesOf(*def) : ShapeLookup{};
                                 });
  if (!decoded) return toResponse(decoded.error());

  // Check everything before anything changes: a failure leaves every instance as it was.
  std::vector<InstanceWrite> writes;
  for (auto& content : *decoded) {
    const std::uint16_t oid = content.path.objectId();
    if (oid == kSecurityObject || oid == kOscoreObject)
      return DmResponse::error(CoapCode::Unauthorized,
                               fmt::format("object {} is not accessible to servers", oid));
    auto def = findObject(tree_, oid);
    if (!def) return toResponse(def.error());
    for (auto& instanceData : content.instances) {
      const Path where(oid, instanceData.id);
      if (!request.path.contains(where) && !where.contains(request.path))
        return DmResponse::error(CoapCode::BadRequest,
                                 fmt::format("{} lies outside the request path {}",
                                             where.toString(), request.path.toString()));
      // Write-Composite changes existing instances only; Create makes new ones.
      auto instance = findInstance(tree_, oid, instanceData.id);
      if (!instance) return toResponse(instance.error());
      // Every instance written needs the W bit; one refusal fails the whole request.
      if (auto denied = refused(request, AccessOperation::Write, where)) return *denied;
      for (const auto& value : instanceData.resources) {
        auto res = findResource(**def, value.id);
        if (!res) return toResponse(res.error());
        if (!(*res)->operations.write)
          return DmResponse::error(
              CoapCode::MethodNotAllowed,
              fmt::format("{} is not writable", describeResource(**def, instanceData.id, **res)));
        if (request.path.depth() > 2 && !request.path.contains(where.child(value.id)))
          return DmResponse::error(
              CoapCode::BadRequest,
              fmt::format("{} lies outside the request path {}", where.child(value.id).toString(),
                          request.path.toString()));
      }
      if (auto status = tree_.validate(**instance, instanceData.resources); !status)
        return toResponse(status.error());
      writes.push_back({oid, instanceData.id, std::move(instanceData.resources)});
    }
  }

  // A resource named is replaced; a resource instance named joins the resource's others (each
  // record writes what it names and nothing else).
  for (const auto& write : writes)
    if (auto status = tree_.setValues(write.oid, write.iid, write.values, ChangeOrigin::Server,
                                      /*replaceMultiple=*/false);
        !status)
      return toResponse(status.error());
  return emptyResponse(CoapCode::Changed);
}

}  // namespace lwm2md
