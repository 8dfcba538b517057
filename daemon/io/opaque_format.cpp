#include "io/opaque_format.hpp"

#include <fmt/format.h>

#include "io/single_value.hpp"

namespace lwm2md {

namespace {

constexpr std::string_view kFormat = "application/octet-stream";

}  // namespace

Result<std::vector<std::uint8_t>> encodeOpaque(const Content& content) {
  auto found = findSingleValue(content, kFormat);
  if (!found) return found.error();
  if (found->type != ResourceType::Opaque)
    return Error{CoapCode::NotAcceptable,
                 fmt::format("{} only carries Opaque resources; {} is {}", kFormat,
                             content.path.toString(), toString(found->type)),
                 ErrorKind::InvalidType};
  return std::get<Opaque>(*found->value);
}

Result<Content> decodeOpaque(const Path& path, std::span<const std::uint8_t> payload,
                             const ShapeLookup& shapes) {
  auto shape = singleValueShape(path, shapes, kFormat);
  if (!shape) return shape.error();
  if (shape->type != ResourceType::Opaque)
    return Error{CoapCode::BadRequest,
                 fmt::format("{} only carries Opaque resources; {} is {}", kFormat, path.toString(),
                             toString(shape->type)),
                 ErrorKind::InvalidType};
  return singleValueContent(path, *shape, Opaque(payload.begin(), payload.end()));
}

}  // namespace lwm2md
