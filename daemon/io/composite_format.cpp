#include "io/composite_format.hpp"

#include <fmt/format.h>

#include "io/senml_cbor_format.hpp"
#include "io/senml_json_format.hpp"

namespace lwm2md {

namespace {

constexpr std::string_view kJson = "SenML JSON";
constexpr std::string_view kCbor = "SenML CBOR";

Error notComposite(ContentFormat format, CoapCode code) {
  return Error{code,
               fmt::format("{} ({}) cannot carry a composite payload; use SenML JSON (110) or "
                           "SenML CBOR (112)",
                           toString(format), static_cast<unsigned>(format)),
               ErrorKind::InvalidType};
}

Result<std::vector<Record>> parseRecords(ContentFormat format,
                                         std::span<const std::uint8_t> payload) {
  if (format == ContentFormat::SenmlJson) return parseSenmlJsonRecords(payload);
  return parseSenmlCborRecords(payload);
}

RecordDialect dialectOf(ContentFormat format) {
  return RecordDialect{format == ContentFormat::SenmlJson ? kJson : kCbor, false};
}

}  // namespace

bool isCompositeFormat(ContentFormat format) {
  return format == ContentFormat::SenmlJson || format == ContentFormat::SenmlCbor;
}

Result<std::vector<Path>> decodeCompositePaths(ContentFormat format,
                                               std::span<const std::uint8_t> payload) {
  if (!isCompositeFormat(format)) return notComposite(format, CoapCode::UnsupportedContentFormat);
  auto records = parseRecords(format, payload);
  if (!records) return records.error();
  return pathsFromRecords(*records, dialectOf(format));
}

Result<std::vector<std::uint8_t>> encodeComposite(ContentFormat format,
                                                  const std::vector<Content>& parts) {
  if (!isCompositeFormat(format)) return notComposite(format, CoapCode::NotAcceptable);
  const std::string_view name = format == ContentFormat::SenmlJson ? kJson : kCbor;
  std::vector<RecordPack> packs;
  packs.reserve(parts.size());
  for (const Content& part : parts) {
    auto pack = recordsFromContent(part, name);
    if (!pack) return pack.error();
    packs.push_back(std::move(*pack));
  }
  if (format == ContentFormat::SenmlJson) return encodeSenmlJsonPacks(packs);
  return encodeSenmlCborPacks(packs);
}

Result<std::vector<Content>> decodeComposite(ContentFormat format,
                                             std::span<const std::uint8_t> payload,
                                             const ObjectShapes& shapesFor) {
  if (!isCompositeFormat(format)) return notComposite(format, CoapCode::UnsupportedContentFormat);
  auto records = parseRecords(format, payload);
  if (!records) return records.error();
  return compositeFromRecords(*records, shapesFor, dialectOf(format));
}

}  // namespace lwm2md
