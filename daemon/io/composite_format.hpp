#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "io/content_format.hpp"
#include "io/senml_records.hpp"
#include "model/content.hpp"
#include "model/result.hpp"

namespace lwm2md {

/// Payloads of the composite operations (LwM2M 1.1 TS Core §6.3.8 Read-Composite, §6.3.9
/// Write-Composite, §6.4.3 Observe-Composite; the Transport binding maps them to FETCH and
/// iPATCH). Only the SenML formats can name paths across objects: SenML JSON (110) and SenML
/// CBOR (112); any other format is 4.15 for a request and 4.06 for an answer.

/// True for the formats a composite payload may use.
bool isCompositeFormat(ContentFormat format);

/// The paths a Read-Composite or Observe-Composite request lists, in the order given.
/// Errors: 4.15 for another format; 4.00 for malformed data, an empty list, a record with a
/// value or a name that is not a path.
Result<std::vector<Path>> decodeCompositePaths(ContentFormat format,
                                               std::span<const std::uint8_t> payload);

/// The answer to a Read-Composite: the values of every part as one pack; each part (a Content
/// at an object, instance, resource or resource instance path) starts with its own base name.
/// Errors: 4.06 for another format; as encodeSenmlJson/encodeSenmlCbor otherwise.
Result<std::vector<std::uint8_t>> encodeComposite(ContentFormat format,
                                                  const std::vector<Content>& parts);

/// A Write-Composite payload: one Content per object (path /oid) in ascending object order.
/// Errors: 4.15 for another format; 4.00 for malformed data, names that are not a resource or
/// resource instance, values of the wrong type, duplicates; 4.04 for an unknown object or
/// resource.
Result<std::vector<Content>> decodeComposite(ContentFormat format,
                                             std::span<const std::uint8_t> payload,
                                             const ObjectShapes& shapesFor);

}  // namespace lwm2md
