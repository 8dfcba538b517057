#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/content.hpp"
#include "model/result.hpp"

namespace lwm2md {

/// text/plain (content format 0), LwM2M 1.1 TS Core §7.4.1: one value of a single resource or
/// of a resource instance. String/Corelnk as UTF-8, Integer/Time/Unsigned as decimal, Float as
/// the shortest decimal that reads back to the same double, Boolean "0"/"1", Opaque as base64,
/// Objlnk as "oid:iid".

/// 4.06 for anything but a single resource or resource instance, or a non-finite Float.
Result<std::vector<std::uint8_t>> encodeText(const Content& content);

/// Strict: no whitespace, no sign on unsigned values, no trailing garbage, values in range.
/// 4.00 with a reason naming the payload and the path; 4.04 for an unknown resource.
Result<Content> decodeText(const Path& path, std::span<const std::uint8_t> payload,
                           const ShapeLookup& shapes);

/// One value in its text form (also useful for logs and attributes). 4.06 for NaN/infinity,
/// which text/plain cannot express; 5.00 if `value` does not hold `type`'s alternative.
Result<std::string> formatTextValue(const Value& value, ResourceType type);

/// Parses one value of `type`; `where` is only used in the error message.
Result<Value> parseTextValue(std::string_view text, ResourceType type, const Path& where);

}  // namespace lwm2md
