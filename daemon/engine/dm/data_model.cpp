#include "dm/data_model.hpp"

#include "core/log.hpp"

namespace lwm2md {

DmResponse toResponse(const Error& error) {
  return DmResponse::error(error.code, error.message);
}

DmResponse DataModel::handle(const DmRequest& request) {
  static const auto logger = log::get("dm");
  DmResponse response;
  // Operation mapping of the LwM2M transport binding (TS Transport §6.4).
  switch (request.method) {
    case CoapMethod::Get:
      if (request.accept == static_cast<std::uint16_t>(ContentFormat::LinkFormat))
        response = discover(request);
      else
        response = read(request);
      break;
    case CoapMethod::Put:
      response = write(request, /*partialUpdate=*/false);
      break;
    case CoapMethod::Post:
      if (request.path.isResource())
        response = execute(request);
      else if (request.path.isInstance())
        response = write(request, /*partialUpdate=*/true);
      else
        response = DmResponse::error(CoapCode::MethodNotAllowed,
                                     "Create is not supported by this version of lwm2md");
      break;
    case CoapMethod::Delete:
      response = DmResponse::error(CoapCode::MethodNotAllowed,
                                   "Delete is not supported by this version of lwm2md");
      break;
    default:
      response = DmResponse::error(CoapCode::MethodNotAllowed, "method not allowed on LwM2M paths");
      break;
  }
  if (isSuccess(response.code))
    logger->debug("{} -> {}", request.path.toString(), toString(response.code));
  else
    logger->info("{} -> {} {}", request.path.toString(), toString(response.code),
                 response.diagnostic());
  return response;
}

}  // namespace lwm2md
