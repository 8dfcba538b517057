#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "io/senml_records.hpp"
#include "model/content.hpp"
#include "model/result.hpp"

namespace lwm2md {

/// SenML CBOR (content format 112), RFC 8428 §6 with LwM2M 1.1 TS Core §7.4.6: an array of
/// maps keyed by the RFC 8428 integer labels (bn -2, bt -3, n 0, v 2, vs 3, vb 4, vd 8) and the
/// text key "vlo" for an Objlnk. Names and base names as in senml_records.hpp.
///
/// Encoding writes bn, n, then the value: Integer/Time/Unsigned as CBOR integers, Float as the
/// shortest of half/single/double that keeps the value, String/Corelnk as text, Opaque as a
/// byte string (vd), Boolean as true/false (vb), Objlnk as text "oid:iid" (vlo).
Result<std::vector<std::uint8_t>> encodeSenmlCbor(const Content& content);

/// Decodes a pack addressed to `path`. Keys in any order; bt, t, ut, u, bu and bver are
/// accepted and ignored (a Write has no use for time); bv, bs and s are refused (they would
/// change the value); text labels ending in '_' are must-understand and refused (RFC 8428
/// §4.4); other unknown labels are ignored. Errors: 4.00 naming the record index, the field and
/// the path, or the byte offset for malformed CBOR; 4.04 (kind NotFound) for unknown resources.
Result<Content> decodeSenmlCbor(const Path& path, std::span<const std::uint8_t> payload,
                                const ShapeLookup& shapes);

/// The records of a pack, syntax checked, names not yet resolved (for the composite operations,
/// whose names span objects). Same field rules and errors as decodeSenmlCbor.
Result<std::vector<Record>> parseSenmlCborRecords(std::span<const std::uint8_t> payload);

/// Several packs as one: each pack's first record carries its base name (the composite
/// operations' answers, which span objects and instances). Packs without records add nothing.
Result<std::vector<std::uint8_t>> encodeSenmlCborPacks(const std::vector<RecordPack>& packs);

}  // namespace lwm2md
