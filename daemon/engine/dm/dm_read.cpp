#include <utility>

#include <fmt/format.h>

#include "ddf/object_registry.hpp"
#include "dm/data_model.hpp"
#include "dm/dm_common.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

namespace {

/// What a LwM2M 1.0 server gets without Accept (TS 1.0 §6.4: TLV is the format every 1.0
/// server reads; the TS's own Read examples answer a single resource in plain text): a plain
/// value for a single resource or resource instance (opaque for Opaque), TLV for anything with
/// structure.
ContentFormat legacyDefault(const Content& content) {
  if (content.path.depth() >= 3 && content.instances.size() == 1 &&
      content.instances[0].resources.size() == 1) {
    const ResourceData& r = content.instances[0].resources[0];
    if (content.path.isResourceInstance() || !r.multiple)
      return r.type == ResourceType::Opaque ? ContentFormat::Opaque : ContentFormat::TextPlain;
  }
  return ContentFormat::LwM2MTlv;
}

/// Encodes for a request without Accept. 1.1 servers get SenML CBOR (TS 1.1 §6.4.2: the
/// format a 1.1 client should prefer); should that codec be unavailable the 1.0 choice keeps
/// reads working.
Result<std::pair<ContentFormat, std::vector<std::uint8_t>>> encodeDefault(
    const Content& content, const std::string& serverVersion) {
  if (serverVersion != "1.0") {
    if (auto encoded = encodeContent(ContentFormat::SenmlCbor, content))
      return std::pair{ContentFormat::SenmlCbor, std::move(*encoded)};
    else if (encoded.error().code != CoapCode::NotAcceptable)
      return encoded.error();
  }
  const ContentFormat format = legacyDefault(content);
  auto encoded = encodeContent(format, content);
  if (!encoded) return encoded.error();
  return std::pair{format, std::move(*encoded)};
}

}  // namespace

DmResponse DataModel::read(const DmRequest& request) {
  if (request.path.isRoot())
    return DmResponse::error(CoapCode::MethodNotAllowed, "Read on the root path is not defined");
  if (auto denied = refused(request, AccessOperation::Read, request.path)) return *denied;
  auto content = readableContent(tree_, request.path);
  if (!content) return toResponse(content.error());
  // A Read of an object holds only the instances the server may read (TS 1.1 Core §7.3).
  if (request.path.isObject() && access_)
    std::erase_if(content->instances, [&](const InstanceData& instance) {
      return !mayRead(request.serverShortId, Path(request.path.objectId(), instance.id));
    });
  DmResponse response;
  if (request.accept) {
    auto encoded = encodeContent(static_cast<ContentFormat>(*request.accept), *content);
    if (!encoded) return toResponse(encoded.error());
    response.contentFormat = *request.accept;
    response.payload = std::move(*encoded);
  } else {
    auto encoded = encodeDefault(*content, request.serverVersion);
    if (!encoded) return toResponse(encoded.error());
    response.contentFormat = static_cast<std::uint16_t>(encoded->first);
    response.payload = std::move(encoded->second);
  }
  response.code = CoapCode::Content;
  return response;
}

}  // namespace lwm2md
