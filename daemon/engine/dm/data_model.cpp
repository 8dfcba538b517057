#include "dm/data_model.hpp"

#include <fmt/format.h>

#include "core/log.hpp"
#include "ddf/object_registry.hpp"
#include "model/limit_warning.hpp"
#include "observe/attributes.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

namespace {

constexpr std::uint16_t kSecurityObjectId = 0;

/// POST on a resource is Execute when the definition says so, a partial update otherwise
/// (LwM2M 1.1 Transport, CoAP mapping of the DM interface).
bool isExecutable(const ObjectTree& tree, const Path& path) {
  const ObjectDef* def = tree.registry().find(path.objectId());
  if (!def) return false;
  const ResourceDef* res = def->resource(path.resourceId());
  return res && res->operations.execute;
}

}  // namespace

DmResponse toResponse(const Error& error) {
  return DmResponse::error(error.code, error.message);
}

DataModel::DataModel(ObjectTree& tree, AttributeStore& attributes)
    : tree_(tree), attributes_(attributes) {}

DataModel::DataModel(ObjectTree& tree)
    : tree_(tree),
      ownAttributes_(std::make_unique<AttributeStore>()),
      attributes_(*ownAttributes_) {}

DataModel::~DataModel() = default;

AccessDecision DataModel::decide(std::uint16_t server, AccessOperation op, const Path& path) const {
  return access_ ? access_->check(server, op, path) : AccessDecision::allow();
}

bool DataModel::mayRead(std::uint16_t server, const Path& path) const {
  return decide(server, AccessOperation::Read, path).allowed;
}

std::optional<DmResponse> DataModel::refused(const DmRequest& request, AccessOperation op,
                                             const Path& path) const {
  if (!access_) return std::nullopt;
  // The operation answers 4.04 for a target that does not exist; Access Control judges
  // rights on what exists (the Security object excepted: it is refused whatever the path).
  if (path.depth() >= 2 && path.objectId() != kSecurityObjectId &&
      !tree_.find(path.objectId(), path.instanceId()))
    return std::nullopt;
  const AccessDecision decision = access_->check(request.serverShortId, op, path);
  if (decision) return std::nullopt;
  return DmResponse::error(decision.code, decision.reason);
}

DmResponse DataModel::handle(const DmRequest& request) {
  static const auto logger = log::get("dm");
  const Path& path = request.path;
  DmResponse response;
  switch (request.method) {
    case CoapMethod::Get:
      if (request.accept == static_cast<std::uint16_t>(ContentFormat::LinkFormat))
        response = discover(request);
      else
        response = read(request);
      break;
    case CoapMethod::Put:
      // Write-Attributes carries its attributes as Uri-Query; Write carries a payload.
      if (!request.query.empty())
        response = writeAttributes(request);
      else
        response = write(request, /*partialUpdate=*/false);
      break;
    case CoapMethod::Post:
      if (path.isObject())
        response = create(request);
      else if (path.isInstance())
        response = write(request, /*partialUpdate=*/true);
      else if (path.isResource())
        response = isExecutable(tree_, path) || !tree_.registry().find(path.objectId())
                       ? execute(request)
                       : write(request, /*partialUpdate=*/true);
      else
        response = DmResponse::error(
            CoapCode::MethodNotAllowed,
            path.isRoot() ? "POST on / is not a Device Management operation"
                          : "POST on a resource instance is not a Device Management operation");
      break;
    case CoapMethod::Delete:
      response = remove(request);
      break;
    case CoapMethod::Fetch:
      response = readComposite(request);
      break;
    case CoapMethod::IPatch:
      response = writeComposite(request);
      break;
    default:
      response = DmResponse::error(CoapCode::MethodNotAllowed, "method not allowed on LwM2M paths");
      break;
  }
  // Only when it is logged: formatting the path and code was a tenth of a Read (issue 7).
  if (isSuccess(response.code)) {
    if (logger->should_log(spdlog::level::debug))
      logger->debug("{} -> {}", path.toString(), toString(response.code));
  } else if (logger->should_log(spdlog::level::debug)) {
    logger->debug("{} -> {} {}", path.toString(), toString(response.code), response.diagnostic());
  } else {
    // A server's failed requests are worth a line each, but garbage from the server's address
    // fails by the thousand a second: at most ten lines a second, the rest counted.
    static LimitWarning budget(std::chrono::milliseconds(100));
    if (const auto suppressed = budget.hit())
      logger->info("{} -> {} {}{}", path.toString(), toString(response.code), response.diagnostic(),
                   LimitWarning::suppressedNote(*suppressed));
  }
  return response;
}

}  // namespace lwm2md
