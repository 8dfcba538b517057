#include "bench_daemon.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace lwm2md::bench {
namespace {

using namespace std::chrono_literals;

std::string benchObjectDdf() {
  std::string items;
  for (int id = 0; id < kBenchResources; ++id)
    items += "<Item ID=\"" + std::to_string(id) + "\"><Name>Value" + std::to_string(id) +
             "</Name><Operations>RW</Operations><MultipleInstances>Single</MultipleInstances>"
             "<Mandatory>Optional</Mandatory><Type>Integer</Type><RangeEnumeration>"
             "</RangeEnumeration><Units></Units><Description>A counter.</Description></Item>\n";
  return R"(<?xml version="1.0" encoding="UTF-8"?>
<LWM2M><Object ObjectType="MODefinition"><Name>Bench</Name>
<Description1>Benchmark object: ten Integer resources.</Description1>
<ObjectID>33000</ObjectID><ObjectURN>urn:oma:lwm2m:x:33000</ObjectURN>
<LWM2MVersion>1.1</LWM2MVersion><ObjectVersion>1.0</ObjectVersion>
<MultipleInstances>Multiple</MultipleInstances><Mandatory>Optional</Mandatory>
<Resources>
)" + items +
         "</Resources></Object></LWM2M>\n";
}

}  // namespace

DbusValues benchValues(int64_t value) {
  DbusValues values;
  for (uint16_t id = 0; id < kBenchResources; ++id) values.emplace(id, sdbus::Variant(value));
  return values;
}

BenchDaemon::~BenchDaemon() {
  if (daemon_ && daemon_->running()) daemon_->stop(5s, [this] { peer_.pump(5); });
  // For diagnosis: LWM2MD_BENCH_DAEMON_LOG=FILE keeps the daemon's output (appended), and
  // LWM2MD_BENCH_LOG_LEVEL raises its log level.
  if (const char* file = std::getenv("LWM2MD_BENCH_DAEMON_LOG"); file && daemon_) {
    std::ofstream out(file, std::ios::app);
    out << daemon_->output();
  }
}

bool BenchDaemon::start(const Settings& settings) {
  if (settings.binary.empty())
    return error_ = "no daemon binary (--daemon or LWM2MD_BINARY)", false;
  if (!bus_.ok()) return error_ = "private bus: " + bus_.error(), false;
  if (!peer_.ok()) return error_ = "no CoAP endpoint on loopback", false;
  if (!dir_.ok()) return error_ = "no temp dir", false;
  const std::string objects = dir_.file("objects");
  std::filesystem::create_directories(objects);
  test::writeFile(objects + "/33000.xml", benchObjectDdf());
  // A long lifetime: no registration update lands inside a measurement.
  const std::string config =
      "endpoint = \"bench-gw\"\n"
      "object_dirs = [\"" +
      objects +
      "\"]\n"
      "[device]\nmanufacturer = \"lwm2md bench\"\nmodel = \"B\"\nserial = \"1\"\n"
      "firmware_version = \"1\"\n"
      "[[server]]\nuri = \"" +
      peer_.uri() +
      "\"\nshort_id = 1\nlifetime = 3600\n"
      "binding = \"U\"\nversion = \"1.1\"\nnotify_confirmable = " +
      (settings.notifyConfirmable ? "true" : "false") +
      "\n[coap]\nnstart = " + std::to_string(settings.nstart) + "\n";
  test::writeFile(dir_.file("lwm2md.toml"), config);
  try {
    connection_ = sdbus::createSessionBusConnectionWithAddress(bus_.address());
  } catch (const sdbus::Error& e) {
    return error_ = std::string("D-Bus: ") + e.what(), false;
  }
  test::DaemonOptions options;
  options.binary = settings.binary;
  options.configFile = dir_.file("lwm2md.toml");
  options.busAddress = bus_.address();
  options.stateDir = dir_.file("state");
  options.logLevel = settings.logLevel;
  if (const char* level = std::getenv("LWM2MD_BENCH_LOG_LEVEL")) options.logLevel = level;
  daemon_ = std::make_unique<test::DaemonProcess>(options);
  if (!daemon_->started()) return error_ = "daemon: " + daemon_->error(), false;
  if (!peer_.waitFor([this] { return peer_.registers() > 0; }, 10s))
    return error_ = "no Register within 10 s; daemon output:\n" + daemon_->output(), false;
  // The bus name is taken before registering, but check rather than assume.
  auto dbus = sdbus::createProxy(*connection_, "org.freedesktop.DBus", "/org/freedesktop/DBus");
  const bool named = peer_.waitFor(
      [&] {
        bool has = false;
        dbus->callMethod("NameHasOwner")
            .onInterface("org.freedesktop.DBus")
            .withArguments(std::string("org.lwm2md1"))
            .storeResultsTo(has);
        return has;
      },
      10s);
  if (!named) return error_ = "org.lwm2md1 never appeared on the bus", false;
  return true;
}

std::optional<sdbus::ObjectPath> BenchDaemon::addInstance(sdbus::IConnection& connection,
                                                          uint16_t instance, int64_t initial) {
  try {
    sdbus::ObjectPath path;
    sdbus::createProxy(connection, "org.lwm2md1", "/org/lwm2md1")
        ->callMethod("AddInstance")
        .onInterface("org.lwm2md1.Manager")
        .withArguments(kBenchObject, instance, benchValues(initial),
                       std::map<std::string, sdbus::Variant>{})
        .storeResultsTo(path);
    return path;
  } catch (const sdbus::Error& e) {
    error_ = "AddInstance " + std::to_string(instance) + ": " + e.getName() + " " + e.getMessage();
    return std::nullopt;
  }
}

bool BenchDaemon::writeAttributes(const std::string& path,
                                  const std::vector<std::string>& attributes) {
  bool done = false;
  uint8_t code = 0;
  CoapPeer::Request request;
  request.method = CoapPeer::Method::Put;
  request.path = path;
  request.query = attributes;
  const uint64_t token = peer_.send(request, [&](const Reply& reply) {
    done = true;
    code = reply.code;
  });
  if (token == 0) return false;
  // The handler refers to this frame: forget it if no answer came.
  if (!peer_.waitFor([&] { return done; }, 5s)) peer_.forget(token);
  return code == 0x44;
}

}  // namespace lwm2md::bench
