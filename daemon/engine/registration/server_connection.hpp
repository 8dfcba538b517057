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
/// RegistrationMachine decides (it is the machine's transport).
class ServerConnection final : public RegistrationTransport {
 public:
  ServerConnection(EventLoop& loop, CoapEndpoint& coap, const ObjectTree& tree, ServerConfig server,
                   std::string endpoint, const RegistrationConfig& timing,
                   std::function<void()> onStateChange);
  ~ServerConnection() override;
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;

  /// Opens the session and sends the first Register.
  void start();
  RegistrationMachine& registration() { return machine_; }
  const RegistrationMachine& registration() const { return machine_; }
  const ServerConfig& config() const { return server_; }
  /// Number of Register requests sent (status, tests).
  unsigned registersSent() const { return registersSent_; }
  /// The CoAP session to the server (null before the first Register).
  coap_session_t* session() const { return session_; }
  /// Runs before every Register: a new registration ends the server's observations (TS §6.2).
  void setRegisterHook(std::function<void()> hook) { registerHook_ = std::move(hook); }

  void sendRegister() override;
  void sendUpdate(const std::vector<std::string>& location, bool withObjects) override;
  void sendDeregister(const std::vector<std::string>& location) override;
  void schedule(std::chrono::milliseconds delay) override;
  void cancelSchedule() override;

 private:
  bool ensureSession();
  void changed();

  EventLoop& loop_;
  CoapEndpoint& coap_;
  const ObjectTree& tree_;
  ServerConfig server_;
  std::string endpoint_;
  RegistrationMachine machine_;
  std::function<void()> onStateChange_;
  std::function<void()> registerHook_;
  coap_session_t* session_ = nullptr;
  std::optional<EventLoop::TimerId> timer_;
  unsigned registersSent_ = 0;
  RegistrationMachine::State lastState_ = RegistrationMachine::State::Idle;
};

}  // namespace lwm2md
