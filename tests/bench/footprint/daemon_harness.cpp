#include "daemon_harness.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "bench/bench_report.hpp"

namespace lwm2md::bench {

namespace {

using namespace std::chrono_literals;

const char* envOr(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

}  // namespace

std::optional<BenchOptions> parseFootprintOptions(int argc, char** argv) {
  BenchOptions options;
  options.daemon = envOr("LWM2MD_BINARY", LWM2MD_BENCH_DAEMON);
  options.floor = envOr("LWM2MD_BENCH_FLOOR", LWM2MD_BENCH_FLOOR);
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--smoke") {
      options.smoke = true;
    } else if (arg == "--detail") {
      options.detail = true;
    } else if ((arg == "--daemon" || arg == "--floor") && i + 1 < argc) {
      (arg == "--daemon" ? options.daemon : options.floor) = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--smoke] [--detail] [--daemon PATH] [--floor PATH]\n",
                   argv[0]);
      return std::nullopt;
    }
  }
  return options;
}

DaemonHarness::DaemonHarness(BenchOptions options) : options_(std::move(options)) {
  if (!bus_.ok()) {
    error_ = "private bus: " + bus_.error();
    return;
  }
  if (!server_.ok()) {
    error_ = "test server: " + server_.error();
    return;
  }
  if (!dir_.ok()) {
    error_ = "cannot create a temp dir";
    return;
  }
  try {
    client_ = sdbus::createSessionBusConnectionWithAddress(bus_.address());
  } catch (const sdbus::Error& e) {
    error_ = "bus client: " + e.getMessage();
  }
}

DaemonHarness::~DaemonHarness() {
  if (daemon_ && daemon_->running()) stop();
}

std::string DaemonHarness::config(int lifetime) const {
  return fmt::format(
      "endpoint = \"bench-gw\"\n"
      "log_level = \"info\"\n"
      "[registration]\nretry_initial = 1\nretry_max = 4\n"
      "[device]\nmanufacturer = \"lwm2md bench\"\nmodel = \"B\"\nserial = \"0001\"\n"
      "firmware_version = \"1.0.0\"\n"
      "[[server]]\nuri = \"{}\"\nshort_id = 1\nlifetime = {}\nbinding = \"U\"\n"
      "version = \"1.1\"\n",
      server_.uri(), lifetime);
}

bool DaemonHarness::start(int lifetime, const std::map<std::string, std::string>& env) {
  const int run = ++runs_;
  const std::string file = dir_.file(fmt::format("lwm2md-{}.toml", run));
  if (!test::writeFile(file, config(lifetime))) {
    note("cannot write " + file);
    return false;
  }
  test::DaemonOptions options;
  options.binary = options_.daemon;
  options.configFile = file;
  options.busAddress = bus_.address();
  options.stateDir = stateRoot_.empty() ? dir_.file(fmt::format("state-{}", run))
                                        : fmt::format("{}/state-{}", stateRoot_, run);
  // The daemon's own default (debug with --detail): the debug log would measure the logger.
  options.logLevel = options_.detail ? "debug" : "info";
  options.env = env;
  daemon_ = std::make_unique<test::DaemonProcess>(options);
  if (!daemon_->started()) {
    note("cannot start the daemon: " + daemon_->error());
    return false;
  }
  return true;
}

std::optional<test::Event> DaemonHarness::waitRegister(std::chrono::milliseconds timeout) {
  auto event = server_.waitForEvent(test::Event::Kind::Register, timeout);
  if (!event || event->code != 0x41) {
    note("no Register answered with 2.01; daemon output:\n" + daemonOutput());
    return std::nullopt;
  }
  return event;
}

bool DaemonHarness::stop() {
  if (!daemon_) return false;
  auto code = daemon_->stop(10s, [this] { server_.pump(5ms); });
  return code && *code == 0;
}

void DaemonHarness::idle(std::chrono::milliseconds duration, const std::function<void()>& each) {
  const auto deadline = std::chrono::steady_clock::now() + duration;
  // waitFor's slices are at most 50 ms: a bounded loop that also answers the daemon's Updates.
  server_.waitFor(
      [&] {
        if (each) each();
        return std::chrono::steady_clock::now() >= deadline;
      },
      duration + 1s);
}

std::unique_ptr<sdbus::IProxy> DaemonHarness::manager() {
  return sdbus::createProxy(*client_, "org.lwm2md1", "/org/lwm2md1");
}

bool DaemonHarness::waitForBusName(std::chrono::milliseconds timeout) {
  try {
    auto dbus = sdbus::createProxy(*client_, "org.freedesktop.DBus", "/org/freedesktop/DBus");
    return server_.waitFor(
        [&] {
          bool has = false;
          dbus->callMethod("NameHasOwner")
              .onInterface("org.freedesktop.DBus")
              .withArguments(std::string("org.lwm2md1"))
              .storeResultsTo(has);
          return has;
        },
        timeout);
  } catch (const sdbus::Error& e) {
    note("NameHasOwner: " + e.getMessage());
    return false;
  }
}

std::optional<std::uint16_t> DaemonHarness::addObjectDefinition(const std::string& ddf) {
  try {
    std::uint16_t oid = 0;
    manager()
        ->callMethod("AddObjectDefinition")
        .onInterface("org.lwm2md1.Manager")
        .withArguments(ddf)
        .storeResultsTo(oid);
    return oid;
  } catch (const sdbus::Error& e) {
    note("AddObjectDefinition: " + e.getName() + ": " + e.getMessage());
    return std::nullopt;
  }
}

bool DaemonHarness::addInstance(std::uint16_t oid, std::uint16_t iid, const DbusValues& values) {
  try {
    sdbus::ObjectPath path;
    manager()
        ->callMethod("AddInstance")
        .onInterface("org.lwm2md1.Manager")
        .withArguments(oid, iid, values, std::map<std::string, sdbus::Variant>{})
        .storeResultsTo(path);
    return true;
  } catch (const sdbus::Error& e) {
    note(fmt::format("AddInstance /{}/{}: {}: {}", oid, iid, e.getName(), e.getMessage()));
    return false;
  }
}

bool DaemonHarness::registerAgain() {
  try {
    manager()->callMethod("Register").onInterface("org.lwm2md1.Manager");
    return true;
  } catch (const sdbus::Error& e) {
    note("Register: " + e.getName() + ": " + e.getMessage());
    return false;
  }
}

std::string floatObjectDdf(std::uint16_t oid, int resources) {
  std::string items;
  for (int id = 0; id < resources; ++id) {
    items += fmt::format(
        "<Item ID=\"{}\"><Name>Value {}</Name><Operations>RW</Operations>"
        "<MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory>"
        "<Type>Float</Type><RangeEnumeration></RangeEnumeration><Units></Units>"
        "<Description>A benchmark value.</Description></Item>",
        id, id);
  }
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><LWM2M><Object ObjectType=\"MODefinition\">"
      "<Name>Bench {}</Name><Description1>Benchmark object.</Description1>"
      "<ObjectID>{}</ObjectID><ObjectURN>urn:oma:lwm2m:x:{}</ObjectURN>"
      "<LWM2MVersion>1.1</LWM2MVersion><ObjectVersion>1.0</ObjectVersion>"
      "<MultipleInstances>Multiple</MultipleInstances><Mandatory>Optional</Mandatory>"
      "<Resources>{}</Resources><Description2></Description2></Object></LWM2M>",
      oid, oid, oid, items);
}

}  // namespace lwm2md::bench
