// A program of the kind a gateway application is: built by install_test.sh against the
// installed liblwm2md-provider only (header and library found through pkg-config). Exits 0 and
// prints "consumer ok" when the library behaves; anything else names what did not.
#include <lwm2md/provider.hpp>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  using lwm2md::provider::Bus;
  using lwm2md::provider::Provider;
  using lwm2md::provider::Value;
  if (argc != 2) {
    std::fprintf(stderr, "usage: consumer BUS_ADDRESS_WITH_NO_BUS\n");
    return 64;
  }
  const Value temperature = Value::floating(21.5);
  if (temperature.type() != Value::Type::Float || temperature.asFloat() != 21.5 ||
      temperature.asString()) {
    std::fprintf(stderr, "Value::floating is not a Float 21.5\n");
    return 1;
  }
  if (Value().asString() != std::string()) {
    std::fprintf(stderr, "a default Value is not the empty string\n");
    return 1;
  }
  // No bus there: connect() must answer with an error value, not throw or crash.
  auto provider = Provider::connect(Bus::at(argv[1]));
  if (provider || provider.error().name.empty()) {
    std::fprintf(stderr, "connect to a missing bus did not fail with a named error\n");
    return 1;
  }
  std::printf("consumer ok (%s)\n", provider.error().name.c_str());
  return 0;
}
