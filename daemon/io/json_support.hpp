#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/result.hpp"

namespace lwm2md {

/// nlohmann::json behind the error-value boundary for the JSON content formats: nothing it
/// throws gets past these functions.

/// Parses `payload` as exactly one JSON text. Refuses what nlohmann would quietly accept but a
/// record cannot mean: duplicate keys in an object (nlohmann keeps the last) and nesting deeper
/// than 32. `recordDepth` is how many containers enclose a record object (1 for SenML's
/// top-level array, 2 for LwM2M JSON's "e"), so that messages can name the record.
/// Errors: 4.00 "<format>: ..." with the byte offset or the record index.
Result<nlohmann::json> parseJson(std::span<const std::uint8_t> payload, std::string_view format,
                                 int recordDepth);

/// Serialises compactly (no whitespace), keys in insertion order. 5.00 if a string is not
/// valid UTF-8 (which the model should never hold).
Result<std::vector<std::uint8_t>> dumpJson(const nlohmann::ordered_json& json,
                                           std::string_view format);

}  // namespace lwm2md
