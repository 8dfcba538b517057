#pragma once

#include <string_view>

#include "model/content.hpp"
#include "model/result.hpp"

namespace lwm2md {

/// Formats that carry exactly one value (text/plain, application/octet-stream) share the rules
/// for where that value sits: a single resource (/o/i/r) or a resource instance (/o/i/r/ri).

struct SingleValueRef {
  const Value* value = nullptr;
  ResourceType type = ResourceType::None;
};

/// Finds the value `content` holds at content.path. 4.06 (with a reason naming `format`) when
/// the path is not a single resource or resource instance; 5.00 when the content lacks the value
/// or holds the wrong alternative for its type (a caller bug, not a server's fault).
Result<SingleValueRef> findSingleValue(const Content& content, std::string_view format);

/// The shape a single-value payload written to `path` must have: 4.00 unless `path` is a single
/// resource or an instance of a multiple resource, 4.04 (kind NotFound) for an unknown resource.
Result<ResourceShape> singleValueShape(const Path& path, const ShapeLookup& shapes,
                                       std::string_view format);

/// The Content a single-value decode yields for `path`.
Content singleValueContent(const Path& path, const ResourceShape& shape, Value value);

}  // namespace lwm2md
