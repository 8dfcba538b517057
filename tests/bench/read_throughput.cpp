// Read throughput (issue 7): a libcoap client keeps 16 GETs of one resource in flight for
// 10 s against the daemon, and then against a bare libcoap server (another process, as the
// daemon is) that answers the same GET with the same payload: the floor. The GETs are NON so
// that libcoap's NSTART=1 does not serialise them (a CON request waits for the previous ACK).
#include <coap3/coap.h>

#include <array>
#include <cstdio>
#include <string>

#include "bench_daemon.hpp"
#include "bench_report.hpp"
#include "support/ports.hpp"

namespace lwm2md::bench {
namespace {

using namespace std::chrono_literals;

constexpr size_t kInFlight = 16;
constexpr auto kRequestTimeout = 1s;
constexpr const char* kPath = "/33000/0/0";

std::string bareServerPayload;  // what the bare server answers (a libcoap handler has no closure)

void answerGet(coap_resource_t* resource, coap_session_t* session, const coap_pdu_t* request,
               const coap_string_t* query, coap_pdu_t* response) {
  coap_pdu_set_code(response, COAP_RESPONSE_CODE_CONTENT);
  // The same call the daemon answers with, so both pay for libcoap's block-wise bookkeeping.
  coap_add_data_large_response(resource, session, request, response, query,
                               COAP_MEDIATYPE_TEXT_PLAIN, -1, 0, bareServerPayload.size(),
                               reinterpret_cast<const uint8_t*>(bareServerPayload.data()), nullptr,
                               nullptr);
}

/// The floor: a libcoap server with only this resource, until killed.
int runBareServer(uint16_t port, const std::string& payload) {
  bareServerPayload = payload;
  coap_startup();
  coap_set_log_level(LOG_EMERG);
  coap_context_t* context = coap_new_context(nullptr);
  if (!context) return 1;
  coap_context_set_block_mode(context, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
  coap_address_t address;
  coap_address_init(&address);
  address.addr.sin.sin_family = AF_INET;
  address.addr.sin.sin_port = htons(port);
  address.addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (!coap_new_endpoint(context, &address, COAP_PROTO_UDP)) return 1;
  coap_resource_t* resource = coap_resource_init(coap_make_str_const(kPath + 1), 0);
  coap_register_handler(resource, COAP_REQUEST_GET, &answerGet);
  coap_add_resource(context, resource);
  std::printf("ready\n");
  std::fflush(stdout);
  while (true) coap_io_process(context, COAP_IO_WAIT);  // ends when the benchmark kills it
}

struct Reads {
  uint64_t answered = 0;  // 2.05 within the window
  uint64_t failed = 0;    // another code
  uint64_t lost = 0;      // no answer within kRequestTimeout
  double seconds = 0;
};

/// One GET (CON) of kPath: its payload, or nullopt.
std::optional<std::string> readOnce(CoapPeer& peer, std::chrono::milliseconds timeout) {
  std::optional<std::string> payload;
  CoapPeer::Request request;
  request.path = kPath;
  request.accept = 0;
  const uint64_t token = peer.send(request, [&](const Reply& reply) {
    if (reply.code == 0x45) payload = std::string(reply.payload);
  });
  if (token == 0) return std::nullopt;
  if (!peer.waitFor([&] { return payload.has_value(); }, timeout)) peer.forget(token);
  return payload;
}

Reads measureReads(CoapPeer& peer, std::chrono::seconds duration) {
  struct Slot {
    uint64_t token = 0;  // 0: free
    Clock::time_point sent;
  };
  std::array<Slot, kInFlight> slots{};
  Reads reads;
  bool counting = true;
  CoapPeer::Request request;
  request.path = kPath;
  request.accept = 0;
  request.confirmable = false;
  const auto start = Clock::now();
  const auto end = start + duration;
  while (Clock::now() < end) {
    for (size_t i = 0; i < slots.size(); ++i) {
      if (slots[i].token != 0 && Clock::now() - slots[i].sent > kRequestTimeout) {
        peer.forget(slots[i].token);
        slots[i].token = 0;
        ++reads.lost;
      }
      if (slots[i].token != 0) continue;
      slots[i].sent = Clock::now();
      slots[i].token = peer.send(request, [&slots, &reads, &counting, i](const Reply& reply) {
        slots[i].token = 0;
        if (!counting) return;
        if (reply.code == 0x45)
          ++reads.answered;
        else
          ++reads.failed;
      });
    }
    peer.pump(1);
  }
  reads.seconds = secondsSince(start);
  counting = false;
  // Late answers must not reach handlers that refer to this frame.
  for (auto& slot : slots)
    if (slot.token != 0) peer.forget(slot.token);
  peer.pump(0);
  return reads;
}

int run(const Options& options) {
  const auto duration = options.smoke ? 1s : 10s;
  BenchDaemon bench;
  if (!bench.start({options.daemon})) {
    std::fprintf(stderr, "read_throughput: %s\n", bench.error().c_str());
    return 1;
  }
  if (!bench.addInstance(bench.connection(), 0, 1234567)) {
    std::fprintf(stderr, "read_throughput: %s\n", bench.error().c_str());
    return 1;
  }
  const auto payload = readOnce(bench.peer(), 5s);
  if (!payload) {
    std::fprintf(stderr, "read_throughput: no answer to GET %s\n", kPath);
    return 1;
  }
  const auto cpuStart = cpuSeconds(bench.pid());
  const Reads daemon = measureReads(bench.peer(), duration);
  const auto cpuEnd = cpuSeconds(bench.pid());

  const uint16_t port = test::freeUdpPort();
  test::ChildProcess server(selfPath(), {"--bare-server", std::to_string(port), *payload});
  if (!server.waitForOutput("ready", 5s) || !bench.peer().connect("127.0.0.1", port) ||
      readOnce(bench.peer(), 2s) != payload) {
    std::fprintf(stderr, "read_throughput: bare server did not answer: %s\n",
                 server.output().c_str());
    return 1;
  }
  const Reads floor = measureReads(bench.peer(), duration);

  const double rate = static_cast<double>(daemon.answered) / daemon.seconds;
  const double floorRate = static_cast<double>(floor.answered) / floor.seconds;
  report({"read-throughput", "reads", rate, "1/s", floorRate, ">= 0.8x floor",
          rate >= 0.8 * floorRate});
  report({"read-throughput", "lost", static_cast<double>(daemon.lost + daemon.failed), "requests",
          static_cast<double>(floor.lost + floor.failed), std::nullopt, std::nullopt});
  if (cpuStart && cpuEnd)
    report({"read-throughput", "daemon-cpu", (*cpuEnd - *cpuStart) / daemon.seconds * 100, "%",
            std::nullopt, std::nullopt, std::nullopt});
  std::printf(
      "read_throughput: daemon %llu reads (%llu lost, %llu failed), bare %llu (%llu lost)\n",
      static_cast<unsigned long long>(daemon.answered),
      static_cast<unsigned long long>(daemon.lost), static_cast<unsigned long long>(daemon.failed),
      static_cast<unsigned long long>(floor.answered), static_cast<unsigned long long>(floor.lost));
  if (options.smoke && (daemon.answered == 0 || floor.answered == 0 || daemon.failed > 0)) {
    std::fprintf(stderr, "read_throughput: insane figures\n");
    return 2;
  }
  return 0;
}

}  // namespace
}  // namespace lwm2md::bench

int main(int argc, char** argv) {
  using namespace lwm2md::bench;
  const Options options = parseOptions(argc, argv);
  if (options.rest.size() == 3 && options.rest[0] == "--bare-server")
    return runBareServer(static_cast<uint16_t>(std::stoi(options.rest[1])), options.rest[2]);
  return run(options);
}
