#pragma once

#include <string>
#include <string_view>

namespace lwm2md {

/// Where the daemon sends a callback-provided instance's operations: the provider's bus name
/// (the unique name of the connection that added the instance) and the path of its object
/// implementing org.lwm2md1.Provider.
struct ProviderRef {
  std::string busName;
  std::string path;

  bool operator==(const ProviderRef&) const = default;
};

/// D-Bus object path syntax: "/" or "/"-separated non-empty elements of [A-Za-z0-9_], with no
/// trailing "/". sd-bus checks paths it sends and receives as 'o', but a path can also arrive
/// in other ways (configuration, a string option), so the daemon checks before it stores one.
bool isObjectPath(std::string_view path);

}  // namespace lwm2md
