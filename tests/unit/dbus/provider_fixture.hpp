#pragma once

// Shared by the callback-provider tests: the daemon's side of the bus driven from the test's own
// thread (so the gateway's completions run where the test can see them without locks), and a
// fake provider on a connection of its own, answering from its own event-loop thread.

#include <poll.h>
#include <sdbus-c++/sdbus-c++.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dbus/service/value_conversion.hpp"
#include "private_bus.hpp"

namespace lwm2md::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

/// Processes `connection` on the calling thread until `done` holds or `max` passes; returns
/// whether `done` held. The daemon does the same in its loop (poll data + processPendingRequest).
inline bool pumpUntil(sdbus::IConnection& connection, const std::function<bool()>& done,
                      std::chrono::milliseconds max = 5000ms) {
  const auto deadline = Clock::now() + max;
  for (;;) {
    while (connection.processPendingRequest()) {
      if (done()) return true;
    }
    if (done()) return true;
    const auto now = Clock::now();
    if (now >= deadline) return false;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    const auto data = connection.getEventLoopPollData();
    const int timeout = data.getPollTimeout();
    if (timeout >= 0) left = std::min<long>(left, timeout);
    pollfd fd{data.fd, data.events, 0};
    (void)::poll(&fd, 1, static_cast<int>(std::min<long>(left, 50)));
  }
}

inline void pumpFor(sdbus::IConnection& connection, std::chrono::milliseconds duration) {
  (void)pumpUntil(
      connection, [] { return false; }, duration);
}

/// Renders values as "<rid>=<signature>:<value>" so that tests compare plain strings.
inline std::string showVariant(const sdbus::Variant& v) {
  const std::string sig = v.isEmpty() ? std::string() : v.peekValueType();
  if (sig == "d") return "d:" + std::to_string(v.get<double>());
  if (sig == "s") return "s:" + v.get<std::string>();
  if (sig == "x") return "x:" + std::to_string(v.get<std::int64_t>());
  if (sig == "t") return "t:" + std::to_string(v.get<std::uint64_t>());
  if (sig == "b") return std::string("b:") + (v.get<bool>() ? "true" : "false");
  if (sig == "a{qv}") {
    std::string out = "{";
    for (const auto& [k, inner] : v.get<DbusValues>())
      out += std::to_string(k) + "=" + showVariant(inner) + ";";
    return out + "}";
  }
  return "?" + sig;
}

inline std::string showValues(const DbusValues& values) {
  std::string out;
  for (const auto& [rid, v] : values) out += std::to_string(rid) + "=" + showVariant(v) + " ";
  return out;
}

/// A provider in miniature: implements org.lwm2md1.Provider at `path` on a connection of its
/// own, records every call, and answers as configured (values, a named error, or never).
class FakeProvider {
 public:
  static constexpr const char* kIface = "org.lwm2md1.Provider";

  FakeProvider(const std::string& address, const std::string& path, bool withCreateDelete = true)
      : connection_(sdbus::createSessionBusConnectionWithAddress(address)) {
    object_ = sdbus::createObject(*connection_, path);
    object_->registerMethod("Read").onInterface(kIface).implementedAs(
        [this](sdbus::Result<DbusValues>&& result, std::uint16_t oid, std::uint16_t iid,
               const std::vector<std::uint16_t>& rids) {
          std::string rendered;
          for (auto rid : rids) rendered += std::to_string(rid) + ",";
          auto reply = std::make_shared<sdbus::Result<DbusValues>>(std::move(result));
          std::lock_guard lock(mutex_);
          switch (record(fmt("Read {} {} [{}]", oid, iid, rendered))) {
            case Outcome::Hold:
              heldReads_.push_back(reply);
              break;
            case Outcome::Fail:
              reply->returnError(sdbus::Error(errorName_, errorMessage_));
              break;
            case Outcome::Answer:
              reply->returnResults(readAnswer_);
              break;
          }
        });
    object_->registerMethod("Write").onInterface(kIface).implementedAs(
        [this](sdbus::Result<>&& result, std::uint16_t oid, std::uint16_t iid,
               const DbusValues& values, bool replace) {
          auto reply = std::make_shared<sdbus::Result<>>(std::move(result));
          answerEmpty(reply, fmt("Write {} {} {}replace={}", oid, iid, showValues(values),
                                 replace ? "true" : "false"));
        });
    object_->registerMethod("Execute").onInterface(kIface).implementedAs(
        [this](sdbus::Result<>&& result, std::uint16_t oid, std::uint16_t iid, std::uint16_t rid,
               const std::string& args) {
          auto reply = std::make_shared<sdbus::Result<>>(std::move(result));
          answerEmpty(reply, fmt("Execute {} {} {} '{}'", oid, iid, rid, args));
        });
    if (withCreateDelete) {
      object_->registerMethod("Create").onInterface(kIface).implementedAs(
          [this](sdbus::Result<>&& result, std::uint16_t oid, std::uint16_t iid,
                 const DbusValues& values) {
            auto reply = std::make_shared<sdbus::Result<>>(std::move(result));
            answerEmpty(reply, fmt("Create {} {} {}", oid, iid, showValues(values)));
          });
      object_->registerMethod("Delete").onInterface(kIface).implementedAs(
          [this](sdbus::Result<>&& result, std::uint16_t oid, std::uint16_t iid) {
            auto reply = std::make_shared<sdbus::Result<>>(std::move(result));
            answerEmpty(reply, fmt("Delete {} {}", oid, iid));
          });
    }
    object_->finishRegistration();
    connection_->enterEventLoopAsync();
  }
  ~FakeProvider() { leave(); }
  FakeProvider(const FakeProvider&) = delete;
  FakeProvider& operator=(const FakeProvider&) = delete;

  std::string name() const { return uniqueName_; }

  void answerRead(DbusValues values) {
    std::lock_guard lock(mutex_);
    readAnswer_ = std::move(values);
  }
  /// Every call from now on fails with this error.
  void fail(std::string name, std::string message) {
    std::lock_guard lock(mutex_);
    errorName_ = std::move(name);
    errorMessage_ = std::move(message);
  }
  /// Every call from now on is held and never answered (until releaseHeld()).
  void neverAnswer() {
    std::lock_guard lock(mutex_);
    never_ = true;
  }
  /// Answers the held calls now (late).
  void releaseHeld() {
    std::lock_guard lock(mutex_);
    for (auto& r : heldReads_) r->returnResults(readAnswer_);
    for (auto& r : held_) r->returnResults();
    heldReads_.clear();
    held_.clear();
  }
  std::vector<std::string> calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  std::size_t callCount() {
    std::lock_guard lock(mutex_);
    return calls_.size();
  }
  /// Closes the connection: the bus sees the provider leave.
  void leave() {
    if (!connection_) return;
    connection_->leaveEventLoop();
    {
      std::lock_guard lock(mutex_);
      heldReads_.clear();
      held_.clear();
    }
    object_.reset();
    connection_.reset();
  }

 private:
  template <typename... A>
  static std::string fmt(const char* format, const A&... args) {
    std::string out = format;
    (replaceFirst(out, toText(args)), ...);
    return out;
  }
  static std::string toText(const std::string& s) { return s; }
  static std::string toText(const char* s) { return s; }
  template <typename T>
  static std::string toText(const T& v) {
    return std::to_string(v);
  }
  static void replaceFirst(std::string& s, const std::string& with) {
    const auto at = s.find("{}");
    if (at != std::string::npos) s.replace(at, 2, with);
  }

  enum class Outcome { Answer, Fail, Hold };
  // Records the call (mutex_ held) and says how to answer it.
  Outcome record(const std::string& call) {
    calls_.push_back(call);
    if (never_) return Outcome::Hold;
    return errorName_.empty() ? Outcome::Answer : Outcome::Fail;
  }
  void answerEmpty(const std::shared_ptr<sdbus::Result<>>& reply, const std::string& call) {
    std::lock_guard lock(mutex_);
    switch (record(call)) {
      case Outcome::Hold:
        held_.push_back(reply);
        break;
      case Outcome::Fail:
        reply->returnError(sdbus::Error(errorName_, errorMessage_));
        break;
      case Outcome::Answer:
        reply->returnResults();
        break;
    }
  }

  std::unique_ptr<sdbus::IConnection> connection_;
  std::string uniqueName_ = connection_->getUniqueName();
  std::unique_ptr<sdbus::IObject> object_;
  std::mutex mutex_;
  std::vector<std::string> calls_;
  DbusValues readAnswer_;
  std::string errorName_;
  std::string errorMessage_;
  bool never_ = false;
  std::vector<std::shared_ptr<sdbus::Result<DbusValues>>> heldReads_;
  std::vector<std::shared_ptr<sdbus::Result<>>> held_;
};

}  // namespace lwm2md::test
