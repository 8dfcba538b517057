#include "app/provider_requests.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "core/event_loop.hpp"
#include "dbus/service/dbus_service.hpp"
#include "dbus/service/provider_gateway.hpp"
#include "ddf/object_registry.hpp"
#include "dm/data_model.hpp"
#include "io/content_format.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

namespace {

bool isDiscover(const DmRequest& request) {
  return request.accept == static_cast<std::uint16_t>(ContentFormat::LinkFormat);
}

/// An Execute: POST on a resource whose definition allows E.
bool isExecute(const DmRequest& request, const Instance& instance) {
  if (request.method != CoapMethod::Post || request.path.depth() != 3) return false;
  const ResourceDef* def = instance.definition().resource(request.path.resourceId());
  return def && def->operations.execute;
}

}  // namespace

ProviderRequests::Route ProviderRequests::routeOf(const DmRequest& request,
                                                  std::optional<ProviderRef>& provider) const {
  // Create and Delete on an object a provider owns whole go to that provider, whatever the
  // instance (it answers for all of them).
  if (request.path.depth() == 1 && request.method == CoapMethod::Post)
    if ((provider = dbus_.objectProviderOf(request.path.objectId()))) return Route::Create;
  if (request.path.depth() == 2 && request.method == CoapMethod::Delete)
    if ((provider = dbus_.objectProviderOf(request.path.objectId()))) return Route::Remove;
  if (request.path.depth() == 1 && request.method == CoapMethod::Get && !isDiscover(request)) {
    const auto instances = tree_.instancesOf(request.path.objectId());
    const bool provided = std::any_of(instances.begin(), instances.end(), [&](const Instance* i) {
      return dbus_.providerOf(i->objectId(), i->instanceId()).has_value();
    });
    return provided ? Route::ReadObject : Route::None;
  }
  if (request.path.depth() < 2) return Route::None;
  const Instance* instance = tree_.find(request.path.objectId(), request.path.instanceId());
  if (!instance || !dbus_.providerOf(instance->objectId(), instance->instanceId()))
    return Route::None;
  if (request.method == CoapMethod::Get && !isDiscover(request)) return Route::Read;
  if (isExecute(request, *instance)) return Route::Execute;
  if (request.method == CoapMethod::Put || request.method == CoapMethod::Post) return Route::Write;
  return Route::None;
}

bool ProviderRequests::take(const DmRequest& request, Complete complete) {
  std::optional<ProviderRef> provider;
  const Route route = routeOf(request, provider);
  if (route == Route::None) return false;
  auto slot = slots_.acquire();
  if (!slot) {
    if (auto suppressed = limitWarning_.hit())
      logger_->warn(
          "refused a server request on {}: {} requests wait for providers already, "
          "the limit ([limits] max_pending_requests){}",
          request.path.toString(), slots_.count(), LimitWarning::suppressedNote(*suppressed));
    DmResponse busy = DmResponse::error(
        CoapCode::ServiceUnavailable,
        fmt::format("too many requests waiting for providers ({})", slots_.limit()));
    busy.maxAge = kRetryAfterSeconds;
    later(std::move(complete), std::move(busy));
    return true;
  }
  // The slot frees with the answer, whichever path gives it (provider, error, timeout, the
  // provider leaving the bus), or when the completion is dropped unanswered.
  Complete counted = [slot, complete = std::move(complete)](DmResponse response) {
    slot->release();
    complete(std::move(response));
  };
  switch (route) {
    case Route::Create:
      create(request, *provider, std::move(counted));
      break;
    case Route::Remove:
      remove(request, *provider, std::move(counted));
      break;
    case Route::ReadObject:
      readObject(request, std::move(counted));
      break;
    case Route::Read:
      read(request, std::move(counted));
      break;
    case Route::Execute:
      execute(request, std::move(counted));
      break;
    case Route::Write:
      write(request, std::move(counted));
      break;
    case Route::None:
      break;
  }
  return true;
}

void ProviderRequests::later(Complete complete, DmResponse response) {
  loop_.addTimer(
      std::chrono::milliseconds(0),
      [complete = std::move(complete), response = std::move(response)] { complete(response); });
}

Status ProviderRequests::refresh(std::uint16_t oid, std::uint16_t iid,
                                 std::vector<std::uint16_t> rids,
                                 std::function<void(Status)> done) {
  const Instance* instance = tree_.find(oid, iid);
  if (rids.empty())
    for (const auto& [rid, def] : instance->definition().resources)
      if (def.operations.read) rids.push_back(rid);
  const auto provider = *dbus_.providerOf(oid, iid);
  return gateway_.read(
      provider, oid, iid, rids,
      [this, oid, iid, rids, done](Result<std::vector<ResourceData>> values) {
        if (!values) return done(values.error());
        // The provider's answer becomes the instance's values, and the data model answers
        // from them (format, access control, codes): one way of reading for every instance.
        // What it was asked for and did not give has no value now: never a stale one.
        std::vector<std::uint16_t> absent;
        for (std::uint16_t rid : rids)
          if (std::none_of(values->begin(), values->end(),
                           [rid](const ResourceData& r) { return r.id == rid; }))
            absent.push_back(rid);
        if (auto stored = tree_.setValues(oid, iid, *values, ChangeOrigin::Provider, true, absent);
            !stored)
          return done(
              Error{CoapCode::InternalServerError,
                    "the provider's values do not fit the object: " + stored.error().message});
        done({});
      });
}

void ProviderRequests::read(const DmRequest& request, Complete complete) {
  std::vector<std::uint16_t> rids;
  if (request.path.depth() >= 3) rids.push_back(request.path.resourceId());
  auto started =
      refresh(request.path.objectId(), request.path.instanceId(), rids,
              [this, request, complete](Status status) {
                complete(status ? dataModel_.handle(request) : toResponse(status.error()));
              });
  if (!started) later(std::move(complete), toResponse(started.error()));
}

bool ProviderRequests::readObject(const DmRequest& request, Complete complete) {
  std::vector<std::uint16_t> provided;
  for (const Instance* instance : tree_.instancesOf(request.path.objectId()))
    if (dbus_.providerOf(instance->objectId(), instance->instanceId()))
      provided.push_back(instance->instanceId());
  if (provided.empty()) return false;
  // Every callback instance is asked (at once); the data model answers once all have
  // answered. An instance whose provider fails keeps no stale values: it is read as empty.
  auto left = std::make_shared<std::size_t>(provided.size());
  auto finish = [this, request, complete, left](Status status) {
    if (!status) logger_->warn("object read: a provider failed: {}", status.error().message);
    if (--*left == 0) complete(dataModel_.handle(request));
  };
  for (std::uint16_t iid : provided)
    if (auto started = refresh(request.path.objectId(), iid, {}, finish); !started)
      loop_.addTimer(std::chrono::milliseconds(0),
                     [finish, error = started.error()] { finish(error); });
  return true;
}

void ProviderRequests::write(const DmRequest& request, Complete complete) {
  const std::uint16_t oid = request.path.objectId();
  const std::uint16_t iid = request.path.instanceId();
  const InstanceData before = tree_.find(oid, iid)->snapshot();
  // The data model decodes and checks the payload (all or nothing) into the instance.
  DmResponse checked = dataModel_.handle(request);
  if (!isSuccess(checked.code)) return later(std::move(complete), std::move(checked));
  const InstanceData after = tree_.find(oid, iid)->snapshot();
  std::vector<ResourceData> written;
  for (const auto& resource : after.resources) {
    auto old = std::find_if(before.resources.begin(), before.resources.end(),
                            [&](const ResourceData& r) { return r.id == resource.id; });
    if (old == before.resources.end() || !(*old == resource)) written.push_back(resource);
  }
  const bool replace = request.method == CoapMethod::Put;
  const auto provider = *dbus_.providerOf(oid, iid);
  auto restore = [this, oid, iid, before] {
    // The provider refused: the instance shows what it showed before.
    (void)tree_.setValues(oid, iid, before.resources, ChangeOrigin::Provider);
  };
  auto started = gateway_.write(provider, oid, iid, written, replace,
                                [complete, checked, restore](Status status) {
                                  if (!status) {
                                    restore();
                                    return complete(toResponse(status.error()));
                                  }
                                  complete(checked);
                                });
  if (!started) {
    restore();
    later(std::move(complete), toResponse(started.error()));
  }
}

void ProviderRequests::execute(const DmRequest& request, Complete complete) {
  // The data model checks the arguments and the right to execute first.
  DmResponse checked = dataModel_.handle(request);
  if (!isSuccess(checked.code)) return later(std::move(complete), std::move(checked));
  const std::uint16_t oid = request.path.objectId();
  const std::uint16_t iid = request.path.instanceId();
  const auto provider = *dbus_.providerOf(oid, iid);
  auto started = gateway_.execute(provider, oid, iid, request.path.resourceId(),
                                  std::string(request.payload.begin(), request.payload.end()),
                                  [complete, checked](Status status) {
                                    complete(status ? checked : toResponse(status.error()));
                                  });
  if (!started) later(std::move(complete), toResponse(started.error()));
}

std::optional<std::uint16_t> ProviderRequests::freeInstanceId(std::uint16_t oid) const {
  for (std::uint32_t iid = 0; iid < Path::kInvalidId; ++iid) {
    const auto id = static_cast<std::uint16_t>(iid);
    if (!tree_.find(oid, id) && !creating_.contains({oid, id})) return id;
  }
  return std::nullopt;
}

void ProviderRequests::create(const DmRequest& request, const ProviderRef& provider,
                              Complete complete) {
  const std::uint16_t oid = request.path.objectId();
  // Everything the data model would check (definition, access, payload, mandatory
  // resources) is checked before the provider hears of it.
  auto plan = dataModel_.prepareCreate(request);
  if (!plan) return later(std::move(complete), toResponse(plan.error()));
  const ObjectDef* def = tree_.registry().find(oid);
  const bool creatingOne = std::any_of(creating_.begin(), creating_.end(),
                                       [oid](const auto& key) { return key.first == oid; });
  if (def && !def->multiple && creatingOne)
    return later(std::move(complete),
                 DmResponse::error(CoapCode::BadRequest,
                                   fmt::format("object {} ({}) is single-instance and an instance "
                                               "of it is being created",
                                               oid, def->name)));
  std::uint16_t iid = plan->instanceId;
  if (iid == Path::kInvalidId) {
    auto free = freeInstanceId(oid);
    if (!free)
      return later(std::move(complete),
                   DmResponse::error(CoapCode::InternalServerError,
                                     fmt::format("object {} has no free instance id", oid)));
    iid = *free;
  } else if (creating_.contains({oid, iid})) {
    return later(std::move(complete),
                 DmResponse::error(CoapCode::BadRequest,
                                   fmt::format("/{}/{} is being created already", oid, iid)));
  }
  creating_.insert({oid, iid});
  auto started = gateway_.createInstance(
      provider, oid, iid, plan->values,
      [this, request, provider, oid, iid, complete](Status status) {
        creating_.erase({oid, iid});
        if (!status) return complete(toResponse(status.error()));
        // The provider keeps the values: the tree holds a callback instance without any,
        // owned by the provider (it goes when the provider leaves the bus).
        if (!dbus_.bindProvider(oid, iid, provider))
          return complete(DmResponse::error(
              CoapCode::BadRequest,
              fmt::format("/{}/{} was added by someone else meanwhile", oid, iid)));
        DmResponse response = dataModel_.commitCreate(request, iid, {}, provider.busName);
        if (!isSuccess(response.code)) {
          dbus_.unbindProvider(oid, iid);
          logger_->warn("provider {} created /{}/{}, but the daemon cannot keep it: {}",
                        provider.busName, oid, iid, response.diagnostic());
        } else {
          logger_->info("server created /{}/{} through provider {}", oid, iid, provider.busName);
        }
        complete(std::move(response));
      });
  if (!started) {
    creating_.erase({oid, iid});
    later(std::move(complete), toResponse(started.error()));
  }
}

void ProviderRequests::remove(const DmRequest& request, const ProviderRef& provider,
                              Complete complete) {
  if (auto refusal = dataModel_.checkRemove(request))
    return later(std::move(complete), std::move(*refusal));
  const std::uint16_t oid = request.path.objectId();
  const std::uint16_t iid = request.path.instanceId();
  auto started =
      gateway_.deleteInstance(provider, oid, iid, [this, request, complete](Status status) {
        if (!status) return complete(toResponse(status.error()));
        // Checked again: the instance may have gone while the provider was asked.
        complete(dataModel_.remove(request));
      });
  if (!started) later(std::move(complete), toResponse(started.error()));
}

}  // namespace lwm2md
