#pragma once

#include <coap3/coap.h>

#include <functional>
#include <string>

#include "config/config.hpp"
#include "core/event_loop.hpp"
#include "registration/registration_machine.hpp"

namespace lwm2md {

class CoapEndpoint;
class ObjectTree;

/// One LwM2M server: its CoAP session and its registration. Carries out what the
/// RegistrationMachine decides (it is the machine's transport), and feeds the machine the
/// lifetime, binding and retry timers of the server's Server object instance (/1/x, found by
/// the Short Server ID), falling back to the config where a resource is absent.
class ServerConnection final : public RegistrationTransport {
 public:
  ServerConnection(EventLoop& loop, CoapEndpoint& coap, const ObjectTree& tree, ServerConfig server,
                   std::string endpoint, const RegistrationConfig& timing,
                   std::function<void()> onStateChange);
  ~ServerConnection() override;
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;

  /// Reads the Server object instance, opens the session and sends the first Register.
  void start();
  /// Takes up a registration the server accepted before a restart (at `location`, with the
  /// `accepted` lifetime and binding, last accepted at `acceptedAt`, Unix seconds): opens the
  /// session from `localPort`, the port the server knows the client by, and sends an Update at
  /// once. False, with nothing started, when that port cannot be bound (or the session is
  /// DTLS): a server that matches its observations by address would not recognise us.
  bool resume(std::vector<std::string> location, const RegisterArgs& accepted,
              std::uint16_t localPort, std::int64_t acceptedAt);
  /// The Server object instance changed: re-reads it; a new lifetime or binding goes to the
  /// server in an Update.
  void settingsChanged();
  /// Registration Update Trigger (/1/x/8).
  void triggerUpdate();
  /// Disable (/1/x/4): De-register, stay away for the Disable Timeout (/1/x/5).
  void disable();

  RegistrationMachine& registration() { return machine_; }
  const RegistrationMachine& registration() const { return machine_; }
  const ServerConfig& config() const { return server_; }
  std::uint16_t shortId() const { return server_.shortId; }
  /// Number of Register requests sent (status, tests).
  unsigned registersSent() const { return registersSent_; }
  /// The CoAP session to the server (null before the first Register and while disabled).
  coap_session_t* session() const { return session_; }
  /// The local UDP port of the session (0 without one): saved for resume().
  std::uint16_t localPort() const;
  /// Unix seconds of the server's last 2.01 (Register) or 2.04 (Update); 0 before any.
  std::int64_t acceptedAt() const { return acceptedAt_; }
  /// Runs before every Register: a new registration ends the server's observations (TS §6.2).
  void setRegisterHook(std::function<void()> hook) { registerHook_ = std::move(hook); }
  /// Runs before every De-register (shutdown, Disable): the observations end with it.
  void setDeregisterHook(std::function<void()> hook) { deregisterHook_ = std::move(hook); }

  void sendRegister(const RegisterArgs& args) override;
  void sendUpdate(const std::vector<std::string>& location, const UpdateArgs& args) override;
  void sendDeregister(const std::vector<std::string>& location) override;
  void schedule(std::chrono::milliseconds delay) override;
  void cancelSchedule() override;
  void disconnect() override;

 private:
  bool ensureSession(std::uint16_t localPort = 0);
  void changed();
  /// The machine's parameters: the config's, overridden by the Server object instance.
  RegistrationMachine::Params currentParams() const;

  EventLoop& loop_;
  CoapEndpoint& coap_;
  const ObjectTree& tree_;
  ServerConfig server_;
  std::string endpoint_;
  RegistrationConfig timing_;
  RegistrationMachine machine_;
  std::function<void()> onStateChange_;
  std::function<void()> registerHook_;
  std::function<void()> deregisterHook_;
  coap_session_t* session_ = nullptr;
  std::optional<EventLoop::TimerId> timer_;
  /// A session being closed: released from the loop, never inside a libcoap callback.
  coap_session_t* closing_ = nullptr;
  std::optional<EventLoop::TimerId> closeTimer_;
  unsigned registersSent_ = 0;
  std::int64_t acceptedAt_ = 0;
  std::uint64_t acceptancesSeen_ = 0;  // machine_.acceptances() when acceptedAt_ was taken
  RegistrationMachine::State lastState_ = RegistrationMachine::State::Idle;
};

}  // namespace lwm2md
