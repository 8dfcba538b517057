// libFuzzer target: the whole CoAP request path. The input is one UDP datagram: libcoap parses
// it (coap_pdu_parse), the endpoint's own decoding (coap/request_decoding.hpp) turns it into a
// DmRequest, and it is served as the daemon serves it: by the Device Management DataModel, or
// the Bootstrap interface, over the shipped objects with the standard instances (two servers
// and a bootstrap account), temperature sensors and Access Control instances.
//
// The datagram's message id picks how it is served, so that real requests stay valid seeds:
//   bit 0: Access Control enforced; bit 1: the asking server is short id 2 (else 1);
//   bit 2: the request comes on the Bootstrap interface; bit 3: the server registered as 1.0.
// What the answer must satisfy: a diagnostic only on errors, a Location-Path only on 2.01,
// and a successful Read answer in a value format decodes again at the request's path.
#include <coap3/coap.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "access/access_control.hpp"
#include "bootstrap/bootstrap_handler.hpp"
#include "coap/request_decoding.hpp"
#include "core/log.hpp"
#include "dm/data_model.hpp"
#include "fuzz_dm_tree.hpp"
#include "io/composite_format.hpp"
#include "io/content_format.hpp"
#include "observe/attributes.hpp"
#include "tree/object_tree.hpp"

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv);
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

using namespace lwm2md;
using fuzz::checkResponse;
using fuzz::populate;
using fuzz::registry;

DmResponse serveBootstrap(ObjectTree& tree, AttributeStore& attributes, CoapMethod method,
                          const coap_pdu_t* pdu) {
  BootstrapHandler handler(tree, &attributes);
  if (isBootstrapPath(stringOptions(pdu, COAP_OPTION_URI_PATH)) && method == CoapMethod::Post)
    return handler.finish();
  auto request = decodeDmRequest(method, pdu);
  if (!request) return DmResponse::error(CoapCode::NotFound, "not an LwM2M path");
  DmResponse response = handler.handle(*request);
  checkResponse(tree, *request, response);
  return response;
}

DmResponse serveDm(ObjectTree& tree, AttributeStore& attributes, CoapMethod method,
                   const coap_pdu_t* pdu, unsigned selector) {
  auto request = decodeDmRequest(method, pdu);
  if (!request) return DmResponse::error(CoapCode::NotFound, "not an LwM2M path");
  request->serverShortId = (selector & 2) ? 2 : 1;
  request->serverVersion = (selector & 8) ? "1.0" : "1.1";
  // As the daemon does: the Security object is never a server's to see.
  if (request->path.depth() >= 1 && request->path.objectId() == 0)
    return DmResponse::error(CoapCode::Unauthorized, "the Security object is not accessible");
  AccessControl access(tree);
  DataModel model(tree, attributes);
  if (selector & 1) model.setAccessControl(&access);
  // The observation engine's first answer is a Read (Observe=0 establishes, 1 cancels); an
  // Observe-Composite names its paths in the payload, which it decodes after the Read.
  const auto observe = uintOption(pdu, COAP_OPTION_OBSERVE);
  DmResponse response = model.handle(*request);
  if (observe && method == CoapMethod::Fetch && isSuccess(response.code))
    (void)decodeCompositePaths(static_cast<ContentFormat>(request->contentFormat.value_or(0)),
                               request->payload);
  checkResponse(tree, *request, response);
  // A second request on the changed tree: what a write left behind must read back.
  DmRequest reread;
  reread.path = request->path;
  reread.serverShortId = request->serverShortId;
  reread.accept = request->accept;
  checkResponse(tree, reread, model.handle(reread));
  return response;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  coap_startup();
  coap_set_log_level(LOG_EMERG);
  // The data model logs every request; the fuzzer's output would drown in it. Loggers made
  // later (by other modules) take the level set here.
  log::setup(spdlog::level::off);
  (void)registry();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lwm2md;
  std::unique_ptr<coap_pdu_t, decltype(&coap_delete_pdu)> pdu(
      coap_pdu_init(COAP_MESSAGE_CON, COAP_EMPTY_CODE, 0, size), &coap_delete_pdu);
  if (!pdu) return 0;
  if (!coap_pdu_parse(COAP_PROTO_UDP, data, size, pdu.get())) return 0;
  auto method = fromPduCode(coap_pdu_get_code(pdu.get()));
  if (!method) return 0;  // the endpoint answers 4.05 without looking further
  (void)tokenOf(pdu.get());
  const unsigned selector = static_cast<unsigned>(coap_pdu_get_mid(pdu.get()));
  ObjectTree tree(registry());
  populate(tree);
  AttributeStore attributes;
  if (selector & 4)
    (void)serveBootstrap(tree, attributes, *method, pdu.get());
  else
    (void)serveDm(tree, attributes, *method, pdu.get(), selector);
  return 0;
}
