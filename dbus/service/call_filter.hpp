#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <functional>
#include <optional>
#include <string_view>

// sd-bus's own types, declared here so that only call_filter.cpp includes sd-bus.
struct sd_bus_slot;

namespace lwm2md {

/// An incoming method call as a CallFilter's check sees it. The views are valid during the
/// check only; a field the message lacks is empty.
struct IncomingCall {
  std::string_view sender;  // the caller's unique bus name
  std::string_view path;
  std::string_view interface;
  std::string_view member;
};

/// The named error that refuses a call, or nullopt to let it through.
using CallCheck = std::function<std::optional<sdbus::Error>(const IncomingCall&)>;

/// Runs a check on every method call a connection receives, before anything else of the
/// process sees it, and answers a refused call with the check's error instead of dispatching
/// it: its handler never runs.
///
/// Why not sdbus-c++'s addMatch: in sdbus-c++ 1.2 a match callback cannot stop the dispatch
/// (its result is ignored) and an exception thrown from it terminates the process. An sd-bus
/// filter can: sd-bus runs filters before matches and object handlers, and a filter that
/// answers the call ends its processing. sdbus-c++ 1.2 gives no access to the sd_bus of a
/// connection, so the filter finds it through a message created on that connection.
class CallFilter {
 public:
  /// Installs the filter; throws sdbus::Error when sd-bus refuses it. `check` must not throw
  /// (an exception from it lets the call through and is logged).
  CallFilter(sdbus::IConnection& connection, CallCheck check);
  ~CallFilter();
  CallFilter(const CallFilter&) = delete;
  CallFilter& operator=(const CallFilter&) = delete;

  /// For the sd-bus callback: the check's verdict on one call, never throwing.
  std::optional<sdbus::Error> verdict(const IncomingCall& call) const;

 private:
  CallCheck check_;
  sd_bus_slot* slot_ = nullptr;
};

}  // namespace lwm2md
