#include <fmt/format.h>

#include "ddf/object_registry.hpp"
#include "dm/data_model.hpp"
#include "dm/execute_arguments.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

DmResponse DataModel::execute(const DmRequest& request) {
  const Path& path = request.path;
  const ObjectDef* def = tree_.registry().find(path.objectId());
  if (!def)
    return DmResponse::error(CoapCode::NotFound,
                             fmt::format("object {} is not supported", path.objectId()));
  const Instance* instance = tree_.find(path.objectId(), path.instanceId());
  if (!instance)
    return DmResponse::error(
        CoapCode::NotFound,
        fmt::format("{} does not exist", Path(path.objectId(), path.instanceId()).toString()));
  const ResourceDef* res = def->resource(path.resourceId());
  if (!res)
    return DmResponse::error(CoapCode::NotFound, fmt::format("object {} defines no resource {}",
                                                             def->id, path.resourceId()));
  if (!res->operations.execute)
    return DmResponse::error(CoapCode::MethodNotAllowed,
                             fmt::format("{} ({}) is not executable", path.toString(), res->name));
  const std::string args(request.payload.begin(), request.payload.end());
  if (auto parsed = parseExecuteArguments(args); !parsed) return toResponse(parsed.error());
  tree_.notifyExecuted(*instance, path.resourceId(), args);
  return {CoapCode::Changed, std::nullopt, {}};
}

}  // namespace lwm2md
