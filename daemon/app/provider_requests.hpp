#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "app/pending_slots.hpp"
#include "core/log.hpp"
#include "dm/dm_request.hpp"
#include "model/limit_warning.hpp"
#include "model/result.hpp"

namespace lwm2md {

class DataModel;
class DbusService;
class EventLoop;
class ObjectTree;
class ProviderGateway;
struct ProviderRef;

/// Serves the Device Management requests on callback-provided instances (AddInstance with
/// option `provider`): the values live in the provider, not in the daemon, so a Read asks the
/// provider first, a Write is checked by the data model and then handed to the provider, an
/// Execute goes to it after its arguments are checked. Everything else (formats, access
/// control, response codes) is the data model's, as for any instance. The answer comes later:
/// the CoAP layer sends an empty ACK and then the response (RFC 7252 §5.2.2). A provider that
/// errs or times out gives the server the mapped error (ProviderGateway's table).
///
/// Objects a provider owns whole (Manager.ProvideObject): a server's Create is checked by the
/// data model and then offered to the provider; only once it accepts does the instance enter
/// the tree, as a callback instance of that provider. A Delete is checked, then offered; the
/// instance goes (with its Access Control instance) once the provider agrees.
class ProviderRequests {
 public:
  using Complete = std::function<void(DmResponse)>;

  ProviderRequests(EventLoop& loop, ObjectTree& tree, DataModel& dataModel, DbusService& dbus,
                   ProviderGateway& gateway)
      : loop_(loop),
        tree_(tree),
        dataModel_(dataModel),
        dbus_(dbus),
        gateway_(gateway),
        logger_(log::get("provider")) {}

  /// Takes `request` when it addresses a callback-provided instance with an operation a
  /// provider serves (Read, Write, Execute), or is a Create or Delete on an object a provider
  /// owns whole; false leaves it to the data model alone.
  /// `complete` runs exactly once, never from within this call.
  /// Beyond maxPending requests waiting for providers at once, a request it would take gets
  /// 5.03 Service Unavailable with Max-Age (a retry hint) and a short diagnostic instead.
  bool take(const DmRequest& request, Complete complete);

  /// Server requests waiting for providers at once, all servers together (0: no limit).
  void setMaxPending(std::size_t limit) { slots_.setLimit(limit); }
  std::size_t pending() const { return slots_.count(); }

  /// Seconds a refused server is told to wait (Max-Age of the 5.03).
  static constexpr std::uint32_t kRetryAfterSeconds = 2;

 private:
  /// Which operation `take` hands a request to.
  enum class Route { None, Create, Remove, ReadObject, Read, Execute, Write };
  /// `provider` is set for Create and Remove (the object's provider).
  Route routeOf(const DmRequest& request, std::optional<ProviderRef>& provider) const;
  void read(const DmRequest& request, Complete complete);
  /// A Read of a whole object: its callback instances are asked first; false when it has none.
  bool readObject(const DmRequest& request, Complete complete);
  /// Asks the provider of /oid/iid for `rids` (empty: every readable resource) and stores the
  /// answer in the tree; `done` runs later, exactly once, unless an error is returned.
  Status refresh(std::uint16_t oid, std::uint16_t iid, std::vector<std::uint16_t> rids,
                 std::function<void(Status)> done);
  void write(const DmRequest& request, Complete complete);
  void execute(const DmRequest& request, Complete complete);
  void create(const DmRequest& request, const ProviderRef& provider, Complete complete);
  void remove(const DmRequest& request, const ProviderRef& provider, Complete complete);
  /// The lowest instance id of `oid` neither in the tree nor promised to a Create in flight.
  std::optional<std::uint16_t> freeInstanceId(std::uint16_t oid) const;
  /// Answers from the loop: `complete` must not run inside take().
  void later(Complete complete, DmResponse response);

  EventLoop& loop_;
  ObjectTree& tree_;
  DataModel& dataModel_;
  DbusService& dbus_;
  ProviderGateway& gateway_;
  std::shared_ptr<spdlog::logger> logger_;
  // (oid, iid) of Creates a provider has not answered yet: a second Create must not be
  // offered the same id meanwhile.
  std::set<std::pair<std::uint16_t, std::uint16_t>> creating_;
  PendingSlots slots_;
  LimitWarning limitWarning_;
};

}  // namespace lwm2md
