#include "io/single_value.hpp"

#include <fmt/format.h>

namespace lwm2md {

namespace {

Error internalError(std::string message) {
  return {CoapCode::InternalServerError, std::move(message), ErrorKind::Failed};
}

}  // namespace

Result<SingleValueRef> findSingleValue(const Content& content, std::string_view format) {
  const Path& path = content.path;
  if (path.depth() < 3)
    return Error{CoapCode::NotAcceptable,
                 fmt::format("{} carries a single resource value, not {}", format, path.toString()),
                 ErrorKind::InvalidType};
  for (const auto& instance : content.instances) {
    if (instance.id != path.instanceId()) continue;
    for (const auto& resource : instance.resources) {
      if (resource.id != path.resourceId()) continue;
      const Value* value = nullptr;
      if (path.depth() == 3) {
        if (resource.multiple)
          return Error{
              CoapCode::NotAcceptable,
              fmt::format("{} cannot carry the multiple resource {}", format, path.toString()),
              ErrorKind::InvalidType};
        if (resource.value) value = &*resource.value;
      } else if (auto it = resource.instances.find(path.resourceInstanceId());
                 resource.multiple && it != resource.instances.end()) {
        value = &it->second;
      }
      if (!value) return internalError(fmt::format("no value for {}", path.toString()));
      if (!holdsType(*value, resource.type))
        return internalError(fmt::format("value of {} does not match its type {}", path.toString(),
                                         toString(resource.type)));
      return SingleValueRef{value, resource.type};
    }
  }
  return internalError(fmt::format("no value for {}", path.toString()));
}

Result<ResourceShape> singleValueShape(const Path& path, const ShapeLookup& shapes,
                                       std::string_view format) {
  if (path.depth() < 3)
    return badRequest(
        fmt::format("{} carries a single resource value, not {}", format, path.toString()));
  auto shape = shapes ? shapes(path.resourceId()) : std::nullopt;
  if (!shape)
    return Error{CoapCode::NotFound, fmt::format("{} is not a known resource", path.toString()),
                 ErrorKind::NotFound};
  if (shape->type == ResourceType::None)
    return badRequest(fmt::format("{} is executable and has no value", path.toString()));
  if (path.depth() == 3 && shape->multiple)
    return badRequest(
        fmt::format("{} cannot carry the multiple resource {}", format, path.toString()));
  if (path.depth() == 4 && !shape->multiple)
    return badRequest(fmt::format("{} is not a multiple resource", path.toString()));
  return *shape;
}

Content singleValueContent(const Path& path, const ResourceShape& shape, Value value) {
  ResourceData resource;
  resource.id = path.resourceId();
  resource.type = shape.type;
  resource.multiple = path.depth() == 4;
  if (resource.multiple)
    resource.instances.emplace(path.resourceInstanceId(), std::move(value));
  else
    resource.value = std::move(value);
  Content content;
  content.path = path;
  content.instances.push_back(InstanceData{path.instanceId(), {std::move(resource)}});
  return content;
}

}  // namespace lwm2md
