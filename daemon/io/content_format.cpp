#include "io/content_format.hpp"

#include <fmt/format.h>

#include "io/cbor_format.hpp"
#include "io/lwm2m_json_format.hpp"
#include "io/opaque_format.hpp"
#include "io/senml_cbor_format.hpp"
#include "io/senml_json_format.hpp"
#include "io/text_format.hpp"
#include "io/tlv_format.hpp"

namespace lwm2md {

namespace {

/// The modern equivalent of a pre-1.0 number; other formats map to themselves.
ContentFormat canonical(ContentFormat format) {
  switch (format) {
    case ContentFormat::LegacyText:
      return ContentFormat::TextPlain;
    case ContentFormat::LegacyTlv:
      return ContentFormat::LwM2MTlv;
    case ContentFormat::LegacyJson:
      return ContentFormat::LwM2MJson;
    case ContentFormat::LegacyOpaque:
      return ContentFormat::Opaque;
    default:
      return format;
  }
}

std::string describeFormat(ContentFormat format) {
  return fmt::format("{} ({})", toString(format), static_cast<unsigned>(format));
}

}  // namespace

std::string_view toString(ContentFormat format) {
  switch (format) {
    case ContentFormat::TextPlain:
      return "text/plain";
    case ContentFormat::LinkFormat:
      return "application/link-format";
    case ContentFormat::Opaque:
      return "application/octet-stream";
    case ContentFormat::Cbor:
      return "application/cbor";
    case ContentFormat::SenmlJson:
      return "application/senml+json";
    case ContentFormat::SenmlCbor:
      return "application/senml+cbor";
    case ContentFormat::LwM2MTlv:
      return "application/vnd.oma.lwm2m+tlv";
    case ContentFormat::LwM2MJson:
      return "application/vnd.oma.lwm2m+json";
    case ContentFormat::LegacyText:
      return "application/vnd.oma.lwm2m+text";
    case ContentFormat::LegacyTlv:
      return "application/vnd.oma.lwm2m+tlv (legacy)";
    case ContentFormat::LegacyJson:
      return "application/vnd.oma.lwm2m+json (legacy)";
    case ContentFormat::LegacyOpaque:
      return "application/vnd.oma.lwm2m+opaque";
  }
  return "unknown";
}

Result<std::vector<std::uint8_t>> encodeContent(ContentFormat format, const Content& content) {
  switch (canonical(format)) {
    case ContentFormat::TextPlain:
      return encodeText(content);
    case ContentFormat::Opaque:
      return encodeOpaque(content);
    case ContentFormat::Cbor:
      return encodeCborValue(content);
    case ContentFormat::LwM2MTlv:
      return encodeTlv(content);
    case ContentFormat::LwM2MJson:
      return encodeLwm2mJson(content);
    case ContentFormat::SenmlJson:
      return encodeSenmlJson(content);
    case ContentFormat::SenmlCbor:
      return encodeSenmlCbor(content);
    case ContentFormat::LinkFormat:
      return Error{CoapCode::NotAcceptable,
                   "application/link-format (40) carries links, not resource values",
                   ErrorKind::InvalidType};
    default:
      break;
  }
  return Error{
      CoapCode::NotAcceptable,
      fmt::format("content format {} is not supported for encoding", describeFormat(format)),
      ErrorKind::InvalidType};
}

Result<Content> decodeContent(ContentFormat format, const Path& path,
                              std::span<const std::uint8_t> payload, const ShapeLookup& shapes) {
  switch (canonical(format)) {
    case ContentFormat::TextPlain:
      return decodeText(path, payload, shapes);
    case ContentFormat::Opaque:
      return decodeOpaque(path, payload, shapes);
    case ContentFormat::Cbor:
      return decodeCborValue(path, payload, shapes);
    case ContentFormat::LwM2MTlv:
      return decodeTlv(path, payload, shapes);
    case ContentFormat::LwM2MJson:
      return decodeLwm2mJson(path, payload, shapes);
    case ContentFormat::SenmlJson:
      return decodeSenmlJson(path, payload, shapes);
    case ContentFormat::SenmlCbor:
      return decodeSenmlCbor(path, payload, shapes);
    case ContentFormat::LinkFormat:
      return Error{CoapCode::UnsupportedContentFormat,
                   "application/link-format (40) carries links, not resource values",
                   ErrorKind::InvalidType};
    default:
      break;
  }
  return Error{CoapCode::UnsupportedContentFormat,
               fmt::format("content format {} is not supported", describeFormat(format)),
               ErrorKind::InvalidType};
}

}  // namespace lwm2md
