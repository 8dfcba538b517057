#include <fmt/format.h>

#include "dm/data_model.hpp"
#include "dm/dm_common.hpp"
#include "dm/execute_arguments.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

DmResponse DataModel::execute(const DmRequest& request) {
  const Path& path = request.path;
  auto def = findObject(tree_, path.objectId());
  if (!def) return toResponse(def.error());
  auto instance = findInstance(tree_, path.objectId(), path.instanceId());
  if (!instance) return toResponse(instance.error());
  if (auto denied = refused(request, AccessOperation::Execute, path)) return *denied;
  auto res = findResource(**def, path.resourceId());
  if (!res) return toResponse(res.error());
  if (!(*res)->operations.execute)
    return DmResponse::error(
        CoapCode::MethodNotAllowed,
        fmt::format("{} is not executable", describeResource(**def, path.instanceId(), **res)));
  const std::string args(request.payload.begin(), request.payload.end());
  if (auto parsed = parseExecuteArguments(args); !parsed) return toResponse(parsed.error());
  tree_.notifyExecuted(**instance, path.resourceId(), args);
  return emptyResponse(CoapCode::Changed);
}

}  // namespace lwm2md
