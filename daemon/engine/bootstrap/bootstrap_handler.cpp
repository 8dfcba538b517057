#include "bootstrap/bootstrap_handler.hpp"

#include "core/log.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

BootstrapHandler::BootstrapHandler(ObjectTree& tree, AttributeStore* attributes)
    : BootstrapHandler(tree, attributes, Options{}) {}

BootstrapHandler::BootstrapHandler(ObjectTree& tree, AttributeStore* attributes, Options options)
    : tree_(tree), attributes_(attributes), options_(std::move(options)) {}

bool isBootstrapPath(const std::vector<std::string>& uriPath) {
  return uriPath.size() == 1 && uriPath[0] == "bs";
}

DmResponse BootstrapHandler::handle(const DmRequest& request) {
  static const auto logger = log::get("bootstrap");
  DmResponse response;
  switch (request.method) {
    case CoapMethod::Get:
      if (request.accept == static_cast<std::uint16_t>(ContentFormat::LinkFormat))
        response = discover(request);
      else
        response = read(request);
      break;
    case CoapMethod::Put:
      // Write-Attributes (PUT with Uri-Query) is a Device Management operation only.
      if (!request.query.empty())
        response = DmResponse::error(CoapCode::MethodNotAllowed,
                                     "Write-Attributes is not a Bootstrap operation");
      else
        response = write(request);
      break;
    case CoapMethod::Delete:
      response = remove(request);
      break;
    case CoapMethod::Post:
      response = DmResponse::error(
          CoapCode::MethodNotAllowed,
          "Execute, Create and partial Write are not Bootstrap operations (POST only on /bs)");
      break;
    default:
      response = DmResponse::error(CoapCode::MethodNotAllowed,
                                   "composite operations are not Bootstrap operations");
      break;
  }
  // Payloads are not logged: a Bootstrap-Write carries keys.
  if (isSuccess(response.code))
    logger->debug("bootstrap {} -> {}", request.path.toString(), toString(response.code));
  else
    logger->info("bootstrap {} -> {} {}", request.path.toString(), toString(response.code),
                 response.diagnostic());
  return response;
}

DmResponse BootstrapHandler::finish() {
  static const auto logger = log::get("bootstrap");
  if (auto problem = inconsistency()) {
    logger->warn("Bootstrap-Finish refused: {}", *problem);
    return DmResponse::error(CoapCode::NotAcceptable, *problem);
  }
  logger->info("Bootstrap-Finish: configuration accepted");
  DmResponse response;
  response.code = CoapCode::Changed;
  return response;
}

}  // namespace lwm2md
