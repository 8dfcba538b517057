#pragma once

#include <coap3/coap.h>

#include <functional>
#include <optional>
#include <string>

#include "bootstrap/bootstrap_handler.hpp"
#include "bootstrap/bootstrap_machine.hpp"
#include "core/event_loop.hpp"
#include "dm/dm_request.hpp"

namespace lwm2md {

class AttributeStore;
class CoapEndpoint;
class ObjectTree;

/// The client's side of the Bootstrap interface with its Bootstrap-Server: owns the CoAP session,
/// sends the Bootstrap-Request, serves the server's Bootstrap operations through a
/// BootstrapHandler and carries out what the BootstrapMachine decides (it is the machine's
/// transport). The Bootstrap-Server account is the Security instance whose Bootstrap-Server
/// resource (/0/x/1) is true: its URI (0), Client Hold Off Time (11) and Bootstrap-Server
/// Account Timeout (12) are read at every start().
class BootstrapConnection final : public BootstrapTransport {
 public:
  struct Options {
    std::string endpoint;  // Endpoint Client Name (ep=)
    /// `pct` of the Bootstrap-Request; also what a Bootstrap-Read without Accept answers in.
    std::optional<ContentFormat> preferredFormat = ContentFormat::SenmlCbor;
    /// Used when the tree holds no Bootstrap-Server account (yet).
    std::string fallbackUri;
    std::chrono::seconds finishTimeout{BootstrapMachine::kExchangeLifetime};
    std::chrono::seconds retryInitial{10};
    std::chrono::seconds retryMax{600};
    unsigned maxAttempts = 5;
  };
  /// Told when the bootstrap ends: `success` after an accepted Bootstrap-Finish (register with
  /// the servers the tree now holds), otherwise why it failed. Runs from the event loop, after
  /// the Finish response went out.
  using FinishedCallback = std::function<void(bool success, const std::string& reason)>;

  BootstrapConnection(EventLoop& loop, CoapEndpoint& coap, ObjectTree& tree,
                      AttributeStore* attributes, Options options, FinishedCallback onFinished);
  ~BootstrapConnection() override;
  BootstrapConnection(const BootstrapConnection&) = delete;
  BootstrapConnection& operator=(const BootstrapConnection&) = delete;

  /// Client-initiated bootstrap: reads the account, then Hold Off and Bootstrap-Request.
  void start();
  /// Opens the session to the Bootstrap-Server without asking for anything, so that a
  /// Bootstrap-Server that knows this client can provision it on its own initiative
  /// (server-initiated bootstrap): its first request moves the machine to waiting for Finish.
  bool listen();
  /// Ends any bootstrap under way and closes the session (shutdown).
  void stop();

  /// A request that came on this connection's session (`peer` == this), on an LwM2M path.
  DmResponse serve(const DmRequest& request);
  /// POST /bs on this connection's session: Bootstrap-Finish.
  DmResponse serveFinish();

  BootstrapMachine& machine() { return machine_; }
  const BootstrapMachine& machine() const { return machine_; }
  BootstrapHandler& handler() { return handler_; }
  /// The session to the Bootstrap-Server (null when none is open).
  coap_session_t* session() const { return session_; }
  /// Bootstrap-Requests sent (status, tests).
  unsigned requestsSent() const { return requestsSent_; }

  void sendBootstrapRequest(const BootstrapRequestArgs& args) override;
  void schedule(std::chrono::milliseconds delay) override;
  void cancelSchedule() override;
  void disconnect() override;
  void finished(bool success, const std::string& reason) override;
  void purgeBootstrapAccount() override;

 private:
  /// The machine's parameters: Options plus the Bootstrap-Server account's resources.
  BootstrapMachine::Params currentParams() const;
  /// The Bootstrap-Server's URI: the account's, else Options::fallbackUri.
  std::string serverUri() const;
  bool ensureSession();
  void changed();

  EventLoop& loop_;
  CoapEndpoint& coap_;
  ObjectTree& tree_;
  Options options_;
  FinishedCallback onFinished_;
  BootstrapHandler handler_;
  BootstrapMachine machine_;
  coap_session_t* session_ = nullptr;
  std::optional<EventLoop::TimerId> timer_;
  /// A session being closed: released from the loop, never inside a libcoap callback.
  coap_session_t* closing_ = nullptr;
  std::optional<EventLoop::TimerId> closeTimer_;
  std::optional<EventLoop::TimerId> finishedTimer_;
  std::optional<EventLoop::TimerId> pingTimer_;  // the second ping of listen()
  unsigned requestsSent_ = 0;
  BootstrapMachine::State lastState_ = BootstrapMachine::State::Idle;
};

/// The Uri-Query items of a Bootstrap-Request: `ep=<name>` and, when given, `pct=<format>`.
std::vector<std::string> bootstrapRequestQuery(const BootstrapRequestArgs& args);

}  // namespace lwm2md
