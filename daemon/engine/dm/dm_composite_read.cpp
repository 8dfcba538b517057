#include <fmt/format.h>

#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "dm/data_model.hpp"
#include "dm/dm_common.hpp"
#include "io/composite_format.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

namespace {

// A server never sees keys (Security, TS §E.1, and OSCORE, object 21): a composite path into them
// is refused like a plain Read of them, and "/" leaves them out.
constexpr std::uint16_t kSecurityObject = 0;
constexpr std::uint16_t kOscoreObject = 21;

bool hiddenFromServers(std::uint16_t oid) {
  return oid == kSecurityObject || oid == kOscoreObject;
}

/// The union of what several reads return, each value once: object → instance → resource.
class Union {
 public:
  void add(const Content& content) {
    for (const auto& instance : content.instances) {
      auto& resources = objects_[content.path.objectId()][instance.id];
      for (const auto& resource : instance.resources) {
        auto [it, fresh] = resources.try_emplace(resource.id, resource);
        if (fresh) continue;
        // Overlapping paths (/3/0 and /3/0/11/0): instances of a multiple resource join.
        for (const auto& [riid, value] : resource.instances) it->second.instances[riid] = value;
      }
    }
  }
  /// An empty instance still counts: a Read of it succeeded.
  void addInstance(std::uint16_t oid, std::uint16_t iid) { objects_[oid][iid]; }

  /// One part per instance, so every instance's records start with its base name "/o/i/".
  std::vector<Content> parts() const {
    std::vector<Content> out;
    for (const auto& [oid, instances] : objects_)
      for (const auto& [iid, resources] : instances) {
        InstanceData data;
        data.id = iid;
        for (const auto& [rid, resource] : resources) data.resources.push_back(resource);
        out.push_back(Content{Path(oid, iid), {std::move(data)}});
      }
    return out;
  }

 private:
  std::map<std::uint16_t, std::map<std::uint16_t, std::map<std::uint16_t, ResourceData>>> objects_;
};

/// Access Control's verdict on reading an instance path (TS 1.1 Core §7.3).
using ReadCheck = std::function<AccessDecision(const Path&)>;

/// Reads one listed path into `all`; an error says why this path contributes nothing. "/" and
/// objects hold only the instances `mayRead` allows; a path into an instance it refuses
/// contributes nothing, with its 4.01.
Status readInto(const ObjectTree& tree, const Path& path, const ReadCheck& mayRead, Union& all) {
  if (path.isRoot()) {
    for (const Instance* instance : tree.allInstances()) {
      if (hiddenFromServers(instance->objectId())) continue;
      if (!mayRead(Path(instance->objectId(), instance->instanceId()))) continue;
      auto content = readableContent(tree, Path(instance->objectId(), instance->instanceId()));
      if (!content) return content.error();
      all.addInstance(instance->objectId(), instance->instanceId());
      all.add(*content);
    }
    return {};
  }
  if (hiddenFromServers(path.objectId()))
    return Error{CoapCode::Unauthorized,
                 fmt::format("{} is not accessible to servers", path.toString()),
                 ErrorKind::NotPermitted};
  if (path.depth() >= 2 && tree.find(path.objectId(), path.instanceId()))
    if (const AccessDecision decision = mayRead(Path(path.objectId(), path.instanceId()));
        !decision)
      return Error{decision.code, decision.reason, ErrorKind::NotPermitted};
  auto content = readableContent(tree, path);
  if (!content) return content.error();
  if (path.isObject())
    std::erase_if(content->instances, [&](const InstanceData& instance) {
      return !mayRead(Path(path.objectId(), instance.id)).allowed;
    });
  if (path.depth() <= 2)
    for (const auto& instance : content->instances) all.addInstance(path.objectId(), instance.id);
  all.add(*content);
  return {};
}

}  // namespace

DmResponse DataModel::readComposite(const DmRequest& request) {
  if (!request.contentFormat)
    return DmResponse::error(CoapCode::BadRequest,
                             "Read-Composite without a Content-Format option for its path list");
  const auto format = static_cast<ContentFormat>(*request.contentFormat);
  // The answer's format: Accept, else the request's own (TS 1.1 §6.3.8). Checked before the
  // paths, so a server learns of an impossible Accept without a wasted read.
  const auto answer = request.accept ? static_cast<ContentFormat>(*request.accept) : format;
  if (isCompositeFormat(format) && !isCompositeFormat(answer))
    return DmResponse::error(
        CoapCode::NotAcceptable,
        fmt::format("Read-Composite answers in SenML JSON (110) or SenML CBOR (112), not {}",
                    static_cast<unsigned>(answer)));
  auto paths = decodeCompositePaths(format, request.payload);
  if (!paths) return toResponse(paths.error());

  const ReadCheck mayRead = [this, &request](const Path& instance) {
    return decide(request.serverShortId, AccessOperation::Read, instance);
  };
  Union all;
  std::optional<Error> firstError;
  bool anyRead = false;
  for (const Path& path : *paths) {
    if (!request.path.contains(path))
      return DmResponse::error(CoapCode::BadRequest,
                               fmt::format("{} lies outside the request path {}", path.toString(),
                                           request.path.toString()));
    if (auto status = readInto(tree_, path, mayRead, all); status)
      anyRead = true;
    else if (!firstError)
      firstError = status.error();
  }
  if (!anyRead) return toResponse(*firstError);

  auto encoded = encodeComposite(answer, all.parts());
  if (!encoded) return toResponse(encoded.error());
  DmResponse response;
  response.code = CoapCode::Content;
  response.contentFormat = static_cast<std::uint16_t>(answer);
  response.payload = std::move(*encoded);
  return response;
}

}  // namespace lwm2md
