#include "dbus/service/call_filter.hpp"

#include <systemd/sd-bus.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "dbus/service/logger.hpp"

namespace lwm2md {

namespace {

// sdbus::Message keeps its sd_bus_message in a protected member and offers no accessor in
// 1.2. A pointer to that member, formed through a derived class, reads it without any cast of
// the object (the access rules check the naming class only).
struct MessageAccess : sdbus::Message {
  static sd_bus_message* raw(const sdbus::Message& message) {
    return static_cast<sd_bus_message*>(message.*(&MessageAccess::msg_));
  }
};

std::string_view orEmpty(const char* text) {
  return text ? std::string_view(text) : std::string_view();
}

int onMessage(sd_bus_message* message, void* userdata, sd_bus_error* /*error*/) {
  std::uint8_t type = 0;
  if (sd_bus_message_get_type(message, &type) < 0 || type != SD_BUS_MESSAGE_METHOD_CALL) return 0;
  const auto* filter = static_cast<const CallFilter*>(userdata);
  const IncomingCall call{
      orEmpty(sd_bus_message_get_sender(message)), orEmpty(sd_bus_message_get_path(message)),
      orEmpty(sd_bus_message_get_interface(message)), orEmpty(sd_bus_message_get_member(message))};
  auto refusal = filter->verdict(call);
  if (!refusal) return 0;  // on to the matches and the object's handler
  const std::string name = refusal->getName();
  const std::string text = refusal->getMessage();
  const sd_bus_error reply = SD_BUS_ERROR_MAKE_CONST(name.c_str(), text.c_str());
  // A call sent without expecting a reply gets none; it is dropped all the same.
  if (int r = sd_bus_reply_method_error(message, &reply); r < 0)
    dbusLogger()->warn("cannot refuse a call to {}: {}", call.path, std::strerror(-r));
  return 1;  // handled: sd-bus dispatches it no further
}

sd_bus* busOf(sdbus::IConnection& connection) {
  // Any message created on the connection knows its bus; a Ping to the bus driver is never
  // sent here.
  auto proxy = sdbus::createProxy(connection, "org.freedesktop.DBus", "/org/freedesktop/DBus");
  auto probe = proxy->createMethodCall("org.freedesktop.DBus.Peer", "Ping");
  sd_bus_message* message = MessageAccess::raw(probe);
  sd_bus* bus = message ? sd_bus_message_get_bus(message) : nullptr;
  if (!bus) throw sdbus::Error("org.lwm2md1.Error.Failed", "cannot find the connection's sd_bus");
  return bus;
}

}  // namespace

CallFilter::CallFilter(sdbus::IConnection& connection, CallCheck check) : check_(std::move(check)) {
  sd_bus* bus = busOf(connection);
  if (int r = sd_bus_add_filter(bus, &slot_, onMessage, this); r < 0)
    throw sdbus::Error("org.lwm2md1.Error.Failed",
                       std::string("cannot install the call filter: ") + std::strerror(-r));
}

CallFilter::~CallFilter() {
  sd_bus_slot_unref(slot_);
}

std::optional<sdbus::Error> CallFilter::verdict(const IncomingCall& call) const {
  // Called from sd-bus's C dispatch: nothing may propagate out of here.
  try {
    return check_ ? check_(call) : std::nullopt;
  } catch (const std::exception& e) {
    dbusLogger()->error("call check failed, letting the call through: {}", e.what());
    return std::nullopt;
  }
}

}  // namespace lwm2md
