// lwm2mctl: inspect and drive lwm2md over D-Bus, in the style of mmcli/nmcli.
#include <sdbus-c++/sdbus-c++.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "ctl.hpp"

namespace {

using namespace lwm2md::ctl;

constexpr const char* kUsage =
    "usage: lwm2mctl [--system | --session | --address ADDR] [--json] COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  status               the daemon's endpoint, state and version\n"
    "  servers              the LwM2M servers and their registrations\n"
    "  tree                 every object instance and resource, with names\n"
    "  get PATH             values of /OBJECT/INSTANCE or /OBJECT/INSTANCE/RESOURCE\n"
    "  set PATH VALUE       sets /OBJECT/INSTANCE/RESOURCE, typed from its definition\n"
    "                       (instances lwm2mctl may change: shared ones)\n"
    "  watch [--seconds N]  print writes, executes and changes as they happen\n"
    "  register | update | deregister | bootstrap\n"
    "                       ask every server for a Register, Update, De-register, or bootstrap\n"
    "\n"
    "--json prints JSON (watch: one object per line). Exit codes: 0 ok, 1 the daemon answered\n"
    "with an error (its name and message are printed), 64 bad usage, 69 lwm2md not on the bus.\n";

int usage(const std::string& message) {
  if (!message.empty()) std::fprintf(stderr, "lwm2mctl: %s\n", message.c_str());
  std::fputs(kUsage, stderr);
  return kExitUsage;
}

std::unique_ptr<sdbus::IConnection> connect(const Options& options) {
  switch (options.bus) {
    case Options::Bus::Session:
      return sdbus::createSessionBusConnection();
    case Options::Bus::Address:
      return sdbus::createSessionBusConnectionWithAddress(options.address);
    case Options::Bus::System:
      break;
  }
  return sdbus::createSystemBusConnection();
}

bool daemonPresent(sdbus::IConnection& connection) {
  auto dbus = sdbus::createProxy(connection, "org.freedesktop.DBus", "/org/freedesktop/DBus");
  bool present = false;
  dbus->callMethod("NameHasOwner")
      .onInterface("org.freedesktop.DBus")
      .withArguments(std::string("org.lwm2md1"))
      .storeResultsTo(present);
  return present;
}

int report(const Options& options, const std::string& name, const std::string& message, int code) {
  std::fprintf(stderr, "lwm2mctl: %s: %s\n", name.c_str(), message.c_str());
  if (options.json)
    std::cout << Json{{"error", {{"name", name}, {"message", message}}}}.dump() << std::endl;
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  std::vector<std::string> words;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    } else if (arg == "--system") {
      options.bus = Options::Bus::System;
    } else if (arg == "--session") {
      options.bus = Options::Bus::Session;
    } else if (arg == "--address") {
      if (++i >= argc) return usage("--address needs a bus address");
      options.bus = Options::Bus::Address;
      options.address = argv[i];
    } else if (arg == "--json") {
      options.json = true;
    } else if (arg == "--seconds") {
      if (++i >= argc) return usage("--seconds needs a number");
      char* end = nullptr;
      options.seconds = std::strtod(argv[i], &end);
      if (*end != '\0' || !(options.seconds > 0)) return usage("--seconds needs a positive number");
    } else if (arg.size() > 1 && arg[0] == '-' && arg[1] == '-') {
      return usage("unknown option " + arg);
    } else {
      words.push_back(arg);
    }
  }
  if (words.empty()) return usage("no command given");
  const std::string command = words[0];
  const std::set<std::string> noArgs = {"status",   "servers", "tree",       "watch",
                                        "register", "update",  "deregister", "bootstrap"};
  std::size_t wanted = 0;
  if (noArgs.count(command))
    wanted = 1;
  else if (command == "get")
    wanted = 2;
  else if (command == "set")
    wanted = 3;
  else
    return usage("unknown command '" + command + "'");
  if (words.size() != wanted) return usage("wrong number of arguments for '" + command + "'");
  if (options.seconds > 0 && command != "watch") return usage("--seconds is for watch");

  try {
    auto connection = connect(options);
    if (!daemonPresent(*connection))
      return report(options, "org.freedesktop.DBus.Error.ServiceUnknown",
                    "lwm2md (org.lwm2md1) is not on the bus", kExitUnavailable);
    Ctl ctl(std::move(connection), options);
    if (command == "status") return ctl.status();
    if (command == "servers") return ctl.servers();
    if (command == "tree") return ctl.tree();
    if (command == "get") return ctl.get(words[1]);
    if (command == "set") return ctl.set(words[1], words[2]);
    if (command == "watch") return ctl.watch();
    return ctl.manage(command);
  } catch (const sdbus::Error& e) {
    // The bus itself cannot be reached, or the daemon left it: nothing to talk to.
    const std::string name = e.getName();
    const bool unavailable = name == "org.freedesktop.DBus.Error.ServiceUnknown" ||
                             name == "org.freedesktop.DBus.Error.NameHasNoOwner" ||
                             name == "org.freedesktop.DBus.Error.FileNotFound" ||
                             name == "org.freedesktop.DBus.Error.NoServer" ||
                             name.rfind("System.Error.", 0) == 0 || name == "sdbus.Error";
    return report(options, name, e.getMessage(), unavailable ? kExitUnavailable : kExitDbusError);
  } catch (const std::exception& e) {
    return report(options, "lwm2mctl.Error", e.what(), kExitDbusError);
  }
}
