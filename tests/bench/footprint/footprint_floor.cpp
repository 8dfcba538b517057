// footprint_floor: the baseline the footprint figures are compared with. It does what any
// LwM2M-over-D-Bus daemon must do and nothing more, with the same libraries: connect to the bus
// and own a name, set up logging, parse a TOML config and a DDF document, open a libcoap client
// session and have one POST /rd answered. Then it either exits (--exit: the start-up floor) or
// idles in poll() on both descriptors (--idle: the memory floor) until it is killed.
//
//   footprint_floor --bus ADDRESS --server coap://127.0.0.1:PORT (--exit | --idle)
#include <arpa/inet.h>
#include <coap3/coap.h>
#include <poll.h>

#include <sdbus-c++/sdbus-c++.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <toml++/toml.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <pugixml.hpp>
#include <string>

namespace {

using Clock = std::chrono::steady_clock;

// How long --idle lasts at most: the bench kills it long before.
constexpr auto kIdleLimit = std::chrono::minutes(10);
constexpr auto kResponseTimeout = std::chrono::seconds(5);

bool answered = false;

coap_response_t onResponse(coap_session_t*, const coap_pdu_t*, const coap_pdu_t*,
                           const coap_mid_t) {
  answered = true;
  return COAP_RESPONSE_OK;
}

// "coap://127.0.0.1:5683" -> the address; only IPv4 literals, which is all the bench uses.
bool parseServer(const std::string& uri, coap_address_t& address) {
  const std::string prefix = "coap://";
  if (uri.compare(0, prefix.size(), prefix) != 0) return false;
  const std::string rest = uri.substr(prefix.size());
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos) return false;
  coap_address_init(&address);
  address.addr.sin.sin_family = AF_INET;
  address.addr.sin.sin_port = htons(static_cast<uint16_t>(std::atoi(rest.c_str() + colon + 1)));
  address.size = sizeof(address.addr.sin);
  return ::inet_pton(AF_INET, rest.substr(0, colon).c_str(), &address.addr.sin.sin_addr) == 1;
}

bool registerOnce(coap_context_t* context, const coap_address_t& server) {
  coap_session_t* session = coap_new_client_session(context, nullptr, &server, COAP_PROTO_UDP);
  if (session == nullptr) return false;
  coap_pdu_t* pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_POST, session);
  if (pdu == nullptr) return false;
  uint8_t token[8];
  size_t tokenLength = 0;
  coap_session_new_token(session, &tokenLength, token);
  coap_add_token(pdu, tokenLength, token);
  coap_add_option(pdu, COAP_OPTION_URI_PATH, 2, reinterpret_cast<const uint8_t*>("rd"));
  const std::string query = "ep=bench-floor";
  coap_add_option(pdu, COAP_OPTION_URI_QUERY, query.size(),
                  reinterpret_cast<const uint8_t*>(query.data()));
  const std::string links = "</1/0>,</3/0>";
  coap_add_data(pdu, links.size(), reinterpret_cast<const uint8_t*>(links.data()));
  if (coap_send(session, pdu) == COAP_INVALID_MID) return false;
  const auto deadline = Clock::now() + kResponseTimeout;
  while (!answered && Clock::now() < deadline) coap_io_process(context, 50);
  return answered;
}

}  // namespace

int main(int argc, char** argv) {
  std::string busAddress;
  std::string serverUri;
  bool idle = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--bus" && i + 1 < argc) {
      busAddress = argv[++i];
    } else if (arg == "--server" && i + 1 < argc) {
      serverUri = argv[++i];
    } else if (arg == "--idle" || arg == "--exit") {
      idle = arg == "--idle";
    } else {
      std::fprintf(stderr, "usage: footprint_floor --bus ADDR --server URI (--exit | --idle)\n");
      return 64;
    }
  }

  auto logger =
      std::make_shared<spdlog::logger>("floor", std::make_shared<spdlog::sinks::stderr_sink_st>());
  try {
    auto config = toml::parse("endpoint = \"bench-floor\"\n[[server]]\nshort_id = 1\n");
    pugi::xml_document ddf;
    ddf.load_string("<LWM2M><Object><ObjectID>3</ObjectID></Object></LWM2M>");
    logger->info("floor endpoint {} object {}", config["endpoint"].value_or(""),
                 ddf.child("LWM2M").child("Object").child_value("ObjectID"));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "footprint_floor: %s\n", e.what());
    return 1;
  }

  std::unique_ptr<sdbus::IConnection> bus;
  try {
    bus = busAddress.empty() ? sdbus::createSessionBusConnection()
                             : sdbus::createSessionBusConnectionWithAddress(busAddress);
    bus->requestName("org.lwm2md1.BenchFloor");
  } catch (const sdbus::Error& e) {
    std::fprintf(stderr, "footprint_floor: bus: %s\n", e.getMessage().c_str());
    return 1;
  }

  coap_startup();
  coap_address_t server;
  if (!parseServer(serverUri, server)) {
    std::fprintf(stderr, "footprint_floor: bad server URI '%s'\n", serverUri.c_str());
    return 64;
  }
  coap_context_t* context = coap_new_context(nullptr);
  if (context == nullptr) return 1;
  coap_register_response_handler(context, onResponse);
  if (!registerOnce(context, server)) {
    std::fprintf(stderr, "footprint_floor: no answer to POST /rd\n");
    return 1;
  }
  if (!idle) {
    coap_free_context(context);
    coap_cleanup();
    return 0;
  }

  std::printf("floor ready\n");
  std::fflush(stdout);
  const auto deadline = Clock::now() + kIdleLimit;
  while (Clock::now() < deadline) {
    const auto poll = bus->getEventLoopPollData();
    pollfd fds[2] = {{poll.fd, static_cast<short>(poll.events), 0},
                     {coap_context_get_coap_fd(context), POLLIN, 0}};
    ::poll(fds, 2, 1000);
    while (bus->processPendingRequest()) {
    }
    coap_io_process(context, COAP_IO_NO_WAIT);
  }
  coap_free_context(context);
  coap_cleanup();
  return 0;
}
