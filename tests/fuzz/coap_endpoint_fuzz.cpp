// libFuzzer target: raw datagrams into the daemon's real CoapEndpoint over loopback. A UDP
// socket plays the LwM2M server: the endpoint opens its client session to it (as it does to a
// real server) and every input is sent from there as one datagram, which the endpoint screens
// (4.13), libcoap receives and deduplicates, and CoapEndpoint::onRequest collects (Block1)
// and serves, the session keeping its state from input to input; the requests are
// served from the fuzz tree (fuzz_dm_tree.hpp), Observe through a stand-in for the observation
// engine that answers with a sequence number, and Bootstrap-Finish (POST /bs) with 2.04.
// Every datagram the endpoint sends back must parse as CoAP.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <coap3/coap.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "coap/coap_endpoint.hpp"
#include "core/event_loop.hpp"
#include "core/log.hpp"
#include "dm/data_model.hpp"
#include "fuzz_dm_tree.hpp"
#include "observe/attributes.hpp"

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv);
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

using namespace lwm2md;

/// The endpoint, its session to the loopback "server" and the tree it serves. Lives for the
/// whole run (a context per input would cost more than the request); the tree is made afresh
/// for every input.
struct Harness {
  Harness() {
    server = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (server < 0 || bind(server, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        getsockname(server, reinterpret_cast<sockaddr*>(&address), &length) != 0)
      std::abort();
    endpoint.setRequestHandler([this](const DmRequest& request, void*) { return serve(request); });
    endpoint.setObserveHandler(
        [this](const DmRequest& request, const ObserveRequest& observe, void*) {
          DmResponse response = serve(request);
          std::optional<std::uint32_t> sequence;
          if (observe.action == 0 && isSuccess(response.code)) sequence = ++observeSequence;
          return ObserveResponse{std::move(response), sequence};
        });
    endpoint.setBootstrapFinishHandler([](void*) -> std::optional<DmResponse> {
      DmResponse finished;
      finished.code = CoapCode::Changed;
      return finished;
    });
    auto session =
        endpoint.connect("coap://127.0.0.1:" + std::to_string(ntohs(address.sin_port)), this);
    if (!session) std::abort();
    const coap_address_t* local = coap_session_get_addr_local(*session);
    client.sin_family = AF_INET;
    client.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    client.sin_port = htons(coap_address_get_port(local));
  }

  DmResponse serve(const DmRequest& request) {
    DmRequest copy = request;
    copy.serverShortId = 1;
    if (request.path.depth() >= 1 && request.path.objectId() == 0)
      return DmResponse::error(CoapCode::Unauthorized, "the Security object is not accessible");
    DmResponse response = model->handle(copy);
    fuzz::checkResponse(*tree, copy, response);
    return response;
  }

  EventLoop loop;
  CoapEndpoint endpoint{loop};
  int server = -1;
  sockaddr_in client{};
  std::unique_ptr<ObjectTree> tree;
  AttributeStore attributes;
  std::unique_ptr<DataModel> model;
  std::uint32_t observeSequence = 0;
  std::uint16_t messageId = 0;
};

Harness* harness = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  log::setup(spdlog::level::off);
  (void)fuzz::registry();
  harness = new Harness;  // never destroyed: libFuzzer exits without unwinding
  coap_set_log_level(LOG_EMERG);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Harness& h = *harness;
  h.model.reset();
  h.tree = std::make_unique<ObjectTree>(fuzz::registry());
  fuzz::populate(*h.tree);
  h.model = std::make_unique<DataModel>(*h.tree, h.attributes);
  // A fresh message id for every datagram: libcoap takes a repeated one from the same peer for
  // a retransmission and never lets the request through again.
  std::vector<std::uint8_t> datagram(data, data + size);
  if (datagram.size() >= 4) {
    ++h.messageId;
    datagram[2] = static_cast<std::uint8_t>(h.messageId >> 8);
    datagram[3] = static_cast<std::uint8_t>(h.messageId & 0xFF);
  }
  if (sendto(h.server, datagram.data(), datagram.size(), 0,
             reinterpret_cast<const sockaddr*>(&h.client),
             sizeof h.client) != static_cast<ssize_t>(size))
    return 0;  // e.g. larger than a datagram
  // Loopback delivers before sendto returns: one pass reads and answers it; the second sends
  // what libcoap queued meanwhile (a separate response, the next block).
  for (int pass = 0; pass < 2; ++pass) h.endpoint.process();
  std::uint8_t reply[65536];
  for (int i = 0; i < 16; ++i) {
    const ssize_t n = recv(h.server, reply, sizeof reply, MSG_DONTWAIT);
    if (n < 0) break;
    std::unique_ptr<coap_pdu_t, decltype(&coap_delete_pdu)> pdu(
        coap_pdu_init(COAP_MESSAGE_CON, COAP_EMPTY_CODE, 0, static_cast<size_t>(n)),
        &coap_delete_pdu);
    if (!pdu || !coap_pdu_parse(COAP_PROTO_UDP, reply, static_cast<size_t>(n), pdu.get()))
      std::abort();  // the endpoint sent something that is not CoAP
  }
  return 0;
}
