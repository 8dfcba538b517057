#include "ctl.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <utility>

#include "variant_conversion.hpp"

namespace lwm2md::ctl {

namespace {

constexpr const char* kService = "org.lwm2md1";
constexpr const char* kRoot = "/org/lwm2md1";
constexpr const char* kManagerIface = "org.lwm2md1.Manager";
constexpr const char* kInstanceIface = "org.lwm2md1.Instance";
constexpr const char* kServerIface = "org.lwm2md1.Server";
constexpr const char* kPropertiesIface = "org.freedesktop.DBus.Properties";
constexpr const char* kObjectPrefix = "/org/lwm2md1/Object/";
constexpr const char* kServerPrefix = "/org/lwm2md1/Server/";

using ValueMap = std::map<std::uint16_t, sdbus::Variant>;
using ResourceStruct =
    sdbus::Struct<std::uint16_t, std::string, std::string, std::string, bool, bool>;

template <typename T>
T property(const std::map<std::string, sdbus::Variant>& props, const std::string& name) {
  auto it = props.find(name);
  if (it == props.end()) return T{};
  try {
    return it->second.get<T>();
  } catch (const sdbus::Error&) {
    return T{};
  }
}

/// "/org/lwm2md1/Object/3303/0" -> "/3303/0"; "/org/lwm2md1/Server/1" -> "server/1";
/// "/org/lwm2md1" -> "manager".
std::string subject(const std::string& path) {
  if (path.rfind(kObjectPrefix, 0) == 0)
    return "/" + path.substr(std::string(kObjectPrefix).size());
  if (path.rfind(kServerPrefix, 0) == 0)
    return "server/" + path.substr(std::string(kServerPrefix).size());
  if (path == kRoot) return "manager";
  return path;
}

std::string lastUpdateText(std::uint64_t seconds) {
  if (seconds == 0) return "never";
  char buffer[64];
  const auto t = static_cast<time_t>(seconds);
  struct tm tm {};
  gmtime_r(&t, &tm);
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::to_string(seconds) + " (" + buffer + ")";
}

void printJson(const Json& json) {
  std::cout << json.dump() << std::endl;
}

}  // namespace

std::optional<std::vector<std::uint16_t>> parsePath(const std::string& path) {
  if (path.empty() || path[0] != '/') return std::nullopt;
  std::vector<std::uint16_t> ids;
  std::size_t start = 1;
  while (start <= path.size() && ids.size() < 4) {
    const auto slash = std::min(path.find('/', start), path.size());
    const std::string part = path.substr(start, slash - start);
    if (part.empty() || part.size() > 5 ||
        part.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    const unsigned long id = std::stoul(part);
    if (id > 65535) return std::nullopt;
    ids.push_back(static_cast<std::uint16_t>(id));
    start = slash + 1;
  }
  return ids;
}

Ctl::Ctl(std::unique_ptr<sdbus::IConnection> connection, Options options)
    : connection_(std::move(connection)),
      options_(std::move(options)),
      manager_(sdbus::createProxy(*connection_, kService, kRoot)) {}

Ctl::~Ctl() {
  manager_.reset();
}

Ctl::Managed Ctl::managedObjects() {
  Managed objects;
  manager_->callMethod("GetManagedObjects")
      .onInterface("org.freedesktop.DBus.ObjectManager")
      .storeResultsTo(objects);
  return objects;
}

const ObjectInfo* Ctl::definition(std::uint16_t oid) {
  auto it = definitions_.find(oid);
  if (it == definitions_.end()) {
    std::optional<ObjectInfo> info;
    try {
      std::string name;
      bool multiple = false;
      std::vector<ResourceStruct> resources;
      manager_->callMethod("GetObjectDefinition")
          .onInterface(kManagerIface)
          .withArguments(oid)
          .storeResultsTo(name, multiple, resources);
      info = ObjectInfo{name, {}};
      for (const auto& r : resources)
        info->resources[r.get<0>()] = ResourceInfo{r.get<1>(), r.get<2>(), r.get<3>(), r.get<4>()};
    } catch (const sdbus::Error& e) {
      // Unknown to the daemon (or an older daemon): show numbers without names.
      if (e.getName() != "org.lwm2md1.Error.UnknownObject" &&
          e.getName() != "org.freedesktop.DBus.Error.UnknownMethod")
        throw;
    }
    it = definitions_.emplace(oid, std::move(info)).first;
  }
  return it->second ? &*it->second : nullptr;
}

int Ctl::status() {
  Properties props;
  manager_->callMethod("GetAll")
      .onInterface(kPropertiesIface)
      .withArguments(std::string(kManagerIface))
      .storeResultsTo(props);
  std::size_t servers = 0;
  std::size_t instances = 0;
  for (const auto& [path, ifaces] : managedObjects()) {
    servers += ifaces.count(kServerIface);
    instances += ifaces.count(kInstanceIface);
  }
  const auto endpoint = property<std::string>(props, "Endpoint");
  const auto state = property<std::string>(props, "State");
  const auto version = property<std::string>(props, "Version");
  if (options_.json) {
    printJson(Json{{"endpoint", endpoint},
                   {"state", state},
                   {"version", version},
                   {"servers", servers},
                   {"instances", instances}});
  } else {
    std::printf("endpoint:  %s\nstate:     %s\nversion:   %s\nservers:   %zu\ninstances: %zu\n",
                endpoint.c_str(), state.c_str(), version.c_str(), servers, instances);
  }
  return kExitOk;
}

int Ctl::servers() {
  std::map<std::uint16_t, Properties> byId;
  for (auto& [path, ifaces] : managedObjects()) {
    auto it = ifaces.find(kServerIface);
    if (it == ifaces.end()) continue;
    byId.emplace(property<std::uint16_t>(it->second, "ShortServerId"), std::move(it->second));
  }
  Json list = Json::array();
  for (const auto& [id, props] : byId) {
    const auto lastUpdate = property<std::uint64_t>(props, "LastUpdate");
    if (options_.json) {
      list.push_back(Json{{"short_server_id", id},
                          {"uri", property<std::string>(props, "Uri")},
                          {"state", property<std::string>(props, "State")},
                          {"lifetime", property<std::uint32_t>(props, "Lifetime")},
                          {"binding", property<std::string>(props, "Binding")},
                          {"registration_id", property<std::string>(props, "RegistrationId")},
                          {"last_update", lastUpdate},
                          {"observations", property<std::uint32_t>(props, "Observations")}});
      continue;
    }
    std::printf("server %u\n", id);
    std::printf("  uri:             %s\n", property<std::string>(props, "Uri").c_str());
    std::printf("  state:           %s\n", property<std::string>(props, "State").c_str());
    std::printf("  lifetime:        %u\n", property<std::uint32_t>(props, "Lifetime"));
    std::printf("  binding:         %s\n", property<std::string>(props, "Binding").c_str());
    std::printf("  registration id: %s\n", property<std::string>(props, "RegistrationId").c_str());
    std::printf("  last update:     %s\n", lastUpdateText(lastUpdate).c_str());
    std::printf("  observations:    %u\n", property<std::uint32_t>(props, "Observations"));
  }
  if (options_.json)
    printJson(list);
  else if (byId.empty())
    std::printf("no servers\n");
  return kExitOk;
}

Json Ctl::resourcesJson(std::uint16_t oid, const ValueMap& values) {
  const ObjectInfo* def = definition(oid);
  Json list = Json::array();
  for (const auto& [rid, value] : values) {
    const ResourceInfo* res = nullptr;
    if (def)
      if (auto it = def->resources.find(rid); it != def->resources.end()) res = &it->second;
    list.push_back(Json{{"id", rid},
                        {"name", res ? res->name : std::string()},
                        {"type", res ? res->type : std::string()},
                        {"value", toJson(value)}});
  }
  return list;
}

void Ctl::printResources(std::uint16_t oid, std::uint16_t iid, const ValueMap& values,
                         const std::string& indent) {
  const ObjectInfo* def = definition(oid);
  for (const auto& [rid, value] : values) {
    std::string name;
    if (def)
      if (auto it = def->resources.find(rid); it != def->resources.end()) name = it->second.name;
    std::printf("%s/%u/%u/%u %s = %s\n", indent.c_str(), oid, iid, rid,
                name.empty() ? "?" : name.c_str(), toText(value).c_str());
  }
}

int Ctl::tree() {
  struct InstanceView {
    std::string owner;
    ValueMap values;
  };
  std::map<std::uint16_t, std::map<std::uint16_t, InstanceView>> objects;
  for (const auto& [path, ifaces] : managedObjects()) {
    auto it = ifaces.find(kInstanceIface);
    if (it == ifaces.end()) continue;
    const auto& props = it->second;
    objects[property<std::uint16_t>(props, "ObjectId")]
           [property<std::uint16_t>(props, "InstanceId")] = InstanceView{
               property<std::string>(props, "Owner"), property<ValueMap>(props, "Values")};
  }
  Json list = Json::array();
  for (const auto& [oid, instances] : objects) {
    const ObjectInfo* def = definition(oid);
    const std::string name = def ? def->name : std::string();
    if (options_.json) {
      Json jsonInstances = Json::array();
      for (const auto& [iid, view] : instances)
        jsonInstances.push_back(Json{
            {"id", iid}, {"owner", view.owner}, {"resources", resourcesJson(oid, view.values)}});
      list.push_back(Json{{"id", oid}, {"name", name}, {"instances", jsonInstances}});
      continue;
    }
    std::printf("/%u %s\n", oid, name.empty() ? "?" : name.c_str());
    for (const auto& [iid, view] : instances) {
      std::printf("  /%u/%u (owner: %s)\n", oid, iid,
                  view.owner.empty()  ? "lwm2md"
                  : view.owner == "*" ? "shared"
                                      : view.owner.c_str());
      printResources(oid, iid, view.values, "    ");
    }
  }
  if (options_.json) printJson(Json{{"objects", list}});
  return kExitOk;
}

int Ctl::get(const std::string& path) {
  const auto ids = parsePath(path);
  if (!ids || ids->size() < 2 || ids->size() > 3) {
    std::fprintf(stderr, "lwm2mctl: get: '%s' is not /OBJECT/INSTANCE[/RESOURCE]\n", path.c_str());
    return kExitUsage;
  }
  const std::uint16_t oid = (*ids)[0];
  const std::uint16_t iid = (*ids)[1];
  std::vector<std::uint16_t> rids;
  if (ids->size() == 3) rids.push_back((*ids)[2]);
  auto instance = sdbus::createProxy(
      *connection_, kService, kObjectPrefix + std::to_string(oid) + "/" + std::to_string(iid));
  ValueMap values;
  instance->callMethod("Get")
      .onInterface(kInstanceIface)
      .withArguments(rids)
      .storeResultsTo(values);
  if (rids.empty()) {
    if (options_.json)
      printJson(Json{{"path", path}, {"resources", resourcesJson(oid, values)}});
    else
      printResources(oid, iid, values, "");
    return kExitOk;
  }
  auto it = values.find(rids[0]);
  if (it == values.end()) {
    std::fprintf(stderr, "lwm2mctl: get: the daemon returned no value for %s\n", path.c_str());
    return kExitDbusError;
  }
  if (options_.json) {
    Json resource = resourcesJson(oid, {{it->first, it->second}}).at(0);
    resource["path"] = path;
    printJson(resource);
  } else {
    // One value alone, plain, for shell scripts: a string without quotes.
    auto value = provider::fromVariant(it->second);
    if (value && value->type() == provider::Value::Type::String)
      std::printf("%s\n", value->asString()->c_str());
    else
      std::printf("%s\n", toText(it->second).c_str());
  }
  return kExitOk;
}

int Ctl::set(const std::string& path, const std::string& text) {
  const auto ids = parsePath(path);
  if (!ids || ids->size() != 3) {
    std::fprintf(stderr, "lwm2mctl: set: '%s' is not /OBJECT/INSTANCE/RESOURCE\n", path.c_str());
    return kExitUsage;
  }
  const std::uint16_t oid = (*ids)[0];
  const std::uint16_t iid = (*ids)[1];
  const std::uint16_t rid = (*ids)[2];
  const ObjectInfo* def = definition(oid);
  if (!def) {
    std::fprintf(stderr, "lwm2mctl: set: object %u has no definition in lwm2md\n", oid);
    return kExitUsage;
  }
  auto res = def->resources.find(rid);
  if (res == def->resources.end()) {
    std::fprintf(stderr, "lwm2mctl: set: object %u (%s) has no resource %u\n", oid,
                 def->name.c_str(), rid);
    return kExitUsage;
  }
  std::string error;
  auto value = parseValue(text, res->second.type, res->second.multiple, error);
  if (!value) {
    std::fprintf(stderr, "lwm2mctl: set: %s (%s, %s): %s\n", path.c_str(), res->second.name.c_str(),
                 res->second.type.empty() ? "executable" : res->second.type.c_str(), error.c_str());
    return kExitUsage;
  }
  auto instance = sdbus::createProxy(
      *connection_, kService, kObjectPrefix + std::to_string(oid) + "/" + std::to_string(iid));
  instance->callMethod("Set")
      .onInterface(kInstanceIface)
      .withArguments(ValueMap{{rid, provider::toVariant(*value)}});
  if (options_.json)
    printJson(Json{{"path", path},
                   {"name", res->second.name},
                   {"value", toJson(provider::toVariant(*value))}});
  else
    std::printf("%s %s = %s\n", path.c_str(), res->second.name.c_str(), value->toString().c_str());
  return kExitOk;
}

void Ctl::onSignal(sdbus::Message& message) {
  const std::string member = message.getMemberName();
  const std::string path = message.getPath();
  Json event;
  std::string text;
  if (member == "Written") {
    ValueMap values;
    message >> values;
    Json json = Json::object();
    for (const auto& [rid, v] : values) {
      json[std::to_string(rid)] = toJson(v);
      text += " " + std::to_string(rid) + "=" + toText(v);
    }
    event = Json{{"event", "written"}, {"path", subject(path)}, {"values", json}};
    text = "written " + subject(path) + text;
  } else if (member == "Executed") {
    std::uint16_t rid = 0;
    std::string args;
    message >> rid >> args;
    const std::string target = subject(path) + "/" + std::to_string(rid);
    event = Json{{"event", "executed"}, {"path", target}, {"arguments", args}};
    text = "executed " + target + " \"" + args + "\"";
  } else if (member == "InterfacesAdded") {
    sdbus::ObjectPath added;
    std::map<std::string, Properties> ifaces;
    message >> added >> ifaces;
    event = Json{{"event", "added"}, {"path", subject(added)}};
    text = "added " + subject(added);
    if (auto it = ifaces.find(kInstanceIface); it != ifaces.end()) {
      const auto owner = property<std::string>(it->second, "Owner");
      event["owner"] = owner;
      text += " (owner: " + (owner.empty() ? std::string("lwm2md") : owner) + ")";
    }
  } else if (member == "InterfacesRemoved") {
    sdbus::ObjectPath removed;
    std::vector<std::string> ifaces;
    message >> removed >> ifaces;
    event = Json{{"event", "removed"}, {"path", subject(removed)}};
    text = "removed " + subject(removed);
  } else if (member == "PropertiesChanged") {
    std::string iface;
    Properties changed;
    std::vector<std::string> invalidated;
    message >> iface >> changed >> invalidated;
    Json json = Json::object();
    text = "changed " + subject(path);
    for (const auto& [name, v] : changed) {
      json[name] = toJson(v);
      text += " " + name + "=" + toText(v);
    }
    event = Json{{"event", "changed"}, {"path", subject(path)}, {"properties", json}};
  } else {
    return;
  }
  if (options_.json)
    printJson(event);
  else
    std::cout << text << std::endl;
}

int Ctl::watch() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  const int signalFd = signalfd(-1, &mask, SFD_CLOEXEC);
  // The bus daemon applies a well-known sender to whoever owns the name when a signal is sent.
  auto slot = connection_->addMatch(std::string("type='signal',sender='") + kService + "'",
                                    [this](sdbus::Message& message) { onSignal(message); });
  // Make sure the match is in place before saying so: a round trip to the bus orders them.
  (void)managedObjects();
  std::fprintf(stderr, "watching %s%s\n", kService,
               options_.seconds > 0 ? "" : " (Ctrl-C to stop)");
  std::fflush(stderr);
  using Clock = std::chrono::steady_clock;
  const auto deadline =
      options_.seconds > 0
          ? Clock::now() + std::chrono::milliseconds(static_cast<long>(options_.seconds * 1000))
          : Clock::time_point::max();
  for (;;) {
    while (connection_->processPendingRequest()) {
    }
    const auto now = Clock::now();
    if (now >= deadline) break;
    long waitMs = deadline == Clock::time_point::max()
                      ? -1
                      : std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    const auto poll = connection_->getEventLoopPollData();
    const int busTimeout = poll.getPollTimeout();
    if (busTimeout >= 0 && (waitMs < 0 || busTimeout < waitMs)) waitMs = busTimeout;
    pollfd fds[2] = {{poll.fd, poll.events, 0}, {signalFd, POLLIN, 0}};
    ::poll(fds, 2, static_cast<int>(waitMs));
    if (fds[1].revents & POLLIN) break;
  }
  if (signalFd >= 0) ::close(signalFd);
  return kExitOk;
}

int Ctl::manage(const std::string& command) {
  const std::map<std::string, std::string> methods = {{"register", "Register"},
                                                      {"update", "UpdateRegistration"},
                                                      {"deregister", "Deregister"},
                                                      {"bootstrap", "Bootstrap"}};
  const std::string& method = methods.at(command);
  manager_->callMethod(method).onInterface(kManagerIface);
  if (options_.json)
    printJson(Json{{"command", command}, {"ok", true}});
  else
    std::printf("%s: requested\n", command.c_str());
  return kExitOk;
}

}  // namespace lwm2md::ctl
