#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "value_text.hpp"

namespace lwm2md::ctl {

/// Exit codes (sysexits.h where one fits).
enum Exit : int {
  kExitOk = 0,
  kExitDbusError = 1,  // the daemon (or the bus) answered with an error
  kExitUsage = 64,
  kExitUnavailable = 69,  // the bus cannot be reached or lwm2md is not on it
};

struct Options {
  enum class Bus { System, Session, Address } bus = Bus::System;
  std::string address;
  bool json = false;
  double seconds = 0;  // watch: 0 = until SIGINT/SIGTERM
};

/// Resource names and types from the daemon's definitions.
struct ResourceInfo {
  std::string name;
  std::string type;
  std::string operations;
  bool multiple = false;
};
struct ObjectInfo {
  std::string name;
  std::map<std::uint16_t, ResourceInfo> resources;
};

/// The daemon as lwm2mctl sees it: one connection, the commands as methods. D-Bus failures
/// are thrown as sdbus::Error and reported by main().
class Ctl {
 public:
  Ctl(std::unique_ptr<sdbus::IConnection> connection, Options options);
  ~Ctl();

  int status();
  int servers();
  int tree();
  int get(const std::string& path);
  int set(const std::string& path, const std::string& value);
  int watch();
  /// register, update, deregister, bootstrap.
  int manage(const std::string& command);

 private:
  using Properties = std::map<std::string, sdbus::Variant>;
  using Managed = std::map<sdbus::ObjectPath, std::map<std::string, Properties>>;
  Managed managedObjects();
  const ObjectInfo* definition(std::uint16_t oid);
  Json resourcesJson(std::uint16_t oid, const std::map<std::uint16_t, sdbus::Variant>& values);
  void printResources(std::uint16_t oid, std::uint16_t iid,
                      const std::map<std::uint16_t, sdbus::Variant>& values,
                      const std::string& indent);
  void onSignal(sdbus::Message& message);

  std::unique_ptr<sdbus::IConnection> connection_;
  Options options_;
  std::unique_ptr<sdbus::IProxy> manager_;
  std::map<std::uint16_t, std::optional<ObjectInfo>> definitions_;
};

/// "/3/0" or "/3/0/5": the numbers, or nullopt when it is not such a path.
std::optional<std::vector<std::uint16_t>> parsePath(const std::string& path);

}  // namespace lwm2md::ctl
