#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "io/senml_records.hpp"
#include "model/content.hpp"
#include "model/result.hpp"

namespace lwm2md {

/// SenML JSON (content format 110), RFC 8428 §4-5 with LwM2M 1.1 TS Core §7.4.4: an array of
/// records; names and base names as in senml_records.hpp ("bn":"/3/0/","n":"0"; a single
/// resource as "bn":"/3/0/0" without "n").
///
/// Encoding, compact, fields in the order bn, n, value: Integer/Time/Unsigned/Float as "v"
/// (a Float always with a fraction or exponent), String/Corelnk as "vs", Boolean as "vb",
/// Opaque as "vd" in base64url without padding (RFC 8428 §4.3), Objlnk as "vlo" "oid:iid".
/// 4.06 for a non-finite Float, which JSON cannot carry.
Result<std::vector<std::uint8_t>> encodeSenmlJson(const Content& content);

/// Decodes a pack addressed to `path`. Fields in any order; bt, t, ut, u, bu and bver are
/// accepted and ignored; bv, bs and s are refused; fields ending in '_' are must-understand and
/// refused (RFC 8428 §4.4); other unknown fields are ignored; duplicate fields are refused.
/// Errors: 4.00 naming the record index, the field and the path, or the byte offset for
/// malformed JSON; 4.04 (kind NotFound) for unknown resources.
Result<Content> decodeSenmlJson(const Path& path, std::span<const std::uint8_t> payload,
                                const ShapeLookup& shapes);

/// The records of a pack, syntax checked, names not yet resolved (for the composite operations,
/// whose names span objects). Same field rules and errors as decodeSenmlJson.
Result<std::vector<Record>> parseSenmlJsonRecords(std::span<const std::uint8_t> payload);

/// Several packs as one: each pack's first record carries its base name (the composite
/// operations' answers, which span objects and instances). Packs without records add nothing.
Result<std::vector<std::uint8_t>> encodeSenmlJsonPacks(const std::vector<RecordPack>& packs);

}  // namespace lwm2md
