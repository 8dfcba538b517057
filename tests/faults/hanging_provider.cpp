// A callback provider for the crash tests: adds /3303/0 with read and write handlers that
// announce the call on stdout ("in read" / "in write") and then hang, so the test can SIGKILL
// the process while the daemon waits for its answer. Anything else it is asked it answers.
//
//   faults-hanging-provider --bus-address ADDR [--seconds N]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <lwm2md/provider.hpp>
#include <string>
#include <thread>

namespace {

namespace lp = lwm2md::provider;

/// Hangs as a provider stuck in a blocking call would, for at most `limit`.
void hang(std::chrono::seconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

}  // namespace

int main(int argc, char** argv) {
  std::string address;
  double seconds = 60;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--bus-address")
      address = argv[i + 1];
    else if (arg == "--seconds")
      seconds = std::atof(argv[i + 1]);
  }
  if (address.empty()) {
    std::fprintf(stderr, "usage: %s --bus-address ADDR [--seconds N]\n", argv[0]);
    return 2;
  }
  auto connected = lp::Provider::connect(lp::Bus::at(address));
  if (!connected) {
    std::fprintf(stderr, "connect: %s: %s\n", connected.error().name.c_str(),
                 connected.error().message.c_str());
    return 1;
  }
  auto provider = std::move(*connected);
  lp::CallbackHandlers handlers;
  handlers.read = [](std::uint16_t, std::uint16_t,
                     const std::vector<std::uint16_t>&) -> lp::Result<lp::Values> {
    std::printf("in read\n");
    std::fflush(stdout);
    hang(std::chrono::seconds(30));
    return lp::Values{{5700, lp::Value::floating(1.0)}};
  };
  handlers.write = [](std::uint16_t, std::uint16_t, const lp::Values&, bool) -> lp::Status {
    std::printf("in write\n");
    std::fflush(stdout);
    hang(std::chrono::seconds(30));
    return {};
  };
  auto added = provider->addCallbackInstance(3303, 0, std::move(handlers));
  if (!added) {
    std::fprintf(stderr, "add: %s: %s\n", added.error().name.c_str(),
                 added.error().message.c_str());
    return 1;
  }
  std::printf("added %s\n", added->path.c_str());
  std::fflush(stdout);
  auto status = provider->runFor(std::chrono::milliseconds(static_cast<long>(seconds * 1000)));
  return status ? 0 : 1;
}
