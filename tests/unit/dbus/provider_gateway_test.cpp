#include "dbus/service/provider_gateway.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "dbus/service/provider_errors.hpp"
#include "ddf/object_registry.hpp"
#include "provider_fixture.hpp"
#include "test_objects.hpp"

namespace lwm2md {
namespace {

using namespace std::chrono_literals;
using test::Clock;
using test::FakeProvider;
using Objlnk2 = sdbus::Struct<std::uint16_t, std::uint16_t>;
constexpr const char* kPath = "/fake";

// What one operation delivered: every completion is counted, so "exactly once" is checked.
struct Outcome {
  int completions = 0;
  std::optional<Error> error;
  std::vector<ResourceData> values;
  Clock::time_point at;

  ProviderGateway::ReadDone readDone() {
    return [this](Result<std::vector<ResourceData>> r) {
      ++completions;
      at = Clock::now();
      if (r)
        values = std::move(r).value();
      else
        error = r.error();
    };
  }
  ProviderGateway::Done done() {
    return [this](Status s) {
      ++completions;
      at = Clock::now();
      if (!s) error = s.error();
    };
  }
};

class ProviderGatewayTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { bus_ = std::make_unique<test::PrivateBus>(); }
  static void TearDownTestSuite() { bus_.reset(); }

  void SetUp() override {
    ASSERT_TRUE(bus_->ok()) << bus_->error();
    registry_.add(test::temperatureDef());
    registry_.add(test::typesDef());
    daemon_ = sdbus::createSessionBusConnectionWithAddress(bus_->address());
    auto created = ProviderGateway::create(*daemon_, registry_, 3s);
    ASSERT_TRUE(created.ok()) << created.error().message;
    gateway_ = std::move(*created);
    provider_ = std::make_unique<FakeProvider>(bus_->address(), kPath);
    ref_ = ProviderRef{provider_->name(), kPath};
  }
  void TearDown() override {
    provider_.reset();
    gateway_.reset();
    daemon_.reset();
  }

  bool waitFor(const Outcome& outcome, std::chrono::milliseconds max = 5000ms) {
    return test::pumpUntil(
        *daemon_, [&] { return outcome.completions > 0; }, max);
  }
  // Pumps a little longer and checks that nothing completes twice.
  void expectSingleCompletion(const Outcome& outcome) {
    test::pumpFor(*daemon_, 300ms);
    EXPECT_EQ(outcome.completions, 1);
    EXPECT_EQ(gateway_->pendingCount(), 0u);
  }

  static inline std::unique_ptr<test::PrivateBus> bus_;
  ObjectRegistry registry_;
  std::unique_ptr<sdbus::IConnection> daemon_;
  std::unique_ptr<ProviderGateway> gateway_;
  std::unique_ptr<FakeProvider> provider_;
  ProviderRef ref_;
};

TEST_F(ProviderGatewayTest, ReadRoundTripIsTypedAndNeverCompletesInsideTheCall) {
  provider_->answerRead({{5700, sdbus::Variant(21.5)}, {5701, sdbus::Variant(std::string("Cel"))}});
  Outcome outcome;
  ASSERT_TRUE(gateway_->read(ref_, 3303, 0, {5700, 5701}, outcome.readDone()).ok());
  EXPECT_EQ(outcome.completions, 0);  // asynchronous, whatever happens
  EXPECT_EQ(gateway_->pendingCount(), 1u);
  ASSERT_TRUE(waitFor(outcome));
  ASSERT_FALSE(outcome.error) << outcome.error->message;
  ASSERT_EQ(outcome.values.size(), 2u);
  EXPECT_EQ(outcome.values[0], (ResourceData{5700, ResourceType::Float, false, Value(21.5), {}}));
  EXPECT_EQ(outcome.values[1],
            (ResourceData{5701, ResourceType::String, false, Value(std::string("Cel")), {}}));
  EXPECT_EQ(provider_->calls(), std::vector<std::string>{"Read 3303 0 [5700,5701,]"});
  expectSingleCompletion(outcome);
}

TEST_F(ProviderGatewayTest, ReadDropsResourcesNotAskedForAndReadsMultipleAndObjlnk) {
  provider_->answerRead({{1, sdbus::Variant(std::int64_t{-7})},
                         {7, sdbus::Variant(Objlnk2(3, 0))},
                         {9, sdbus::Variant(DbusValues{{0, sdbus::Variant(std::int64_t{1})},
                                                       {4, sdbus::Variant(std::int64_t{2})}})}});
  Outcome outcome;
  ASSERT_TRUE(gateway_->read(ref_, test::kTypesOid, 2, {7, 9}, outcome.readDone()).ok());
  ASSERT_TRUE(waitFor(outcome));
  ASSERT_FALSE(outcome.error) << outcome.error->message;
  ASSERT_EQ(outcome.values.size(), 2u);  // 1 was not asked for
  EXPECT_EQ(outcome.values[0].id, 7);
  EXPECT_EQ(outcome.values[0].value, Value(Objlnk{3, 0}));
  EXPECT_EQ(outcome.values[1].id, 9);
  EXPECT_TRUE(outcome.values[1].multiple);
  EXPECT_EQ(
      outcome.values[1].instances,
      (std::map<std::uint16_t, Value>{{0, Value(std::int64_t{1})}, {4, Value(std::int64_t{2})}}));

  // No resource ids: everything the provider has.
  Outcome all;
  ASSERT_TRUE(gateway_->read(ref_, test::kTypesOid, 2, {}, all.readDone()).ok());
  ASSERT_TRUE(waitFor(all));
  ASSERT_FALSE(all.error) << all.error->message;
  EXPECT_EQ(all.values.size(), 3u);
}

TEST_F(ProviderGatewayTest, WriteExecuteCreateDeleteRoundTrips) {
  std::vector<ResourceData> values = {
      {0, ResourceType::String, false, Value(std::string("hello")), {}},
      {9, ResourceType::Integer, true, std::nullopt, {{0, Value(std::int64_t{5})}}}};
  Outcome write;
  Outcome execute;
  Outcome create;
  Outcome remove;
  ASSERT_TRUE(gateway_->write(ref_, test::kTypesOid, 1, values, true, write.done()).ok());
  ASSERT_TRUE(gateway_->execute(ref_, test::kTypesOid, 1, 11, "0='x',1", execute.done()).ok());
  ASSERT_TRUE(gateway_->createInstance(ref_, test::kTypesOid, 4, {values[0]}, create.done()).ok());
  ASSERT_TRUE(gateway_->deleteInstance(ref_, test::kTypesOid, 4, remove.done()).ok());
  EXPECT_EQ(gateway_->pendingCount(), 4u);
  ASSERT_TRUE(test::pumpUntil(*daemon_, [&] {
    return write.completions && execute.completions && create.completions && remove.completions;
  }));
  for (const Outcome* o : {&write, &execute, &create, &remove})
    EXPECT_FALSE(o->error) << o->error->message;
  EXPECT_EQ(provider_->calls(), (std::vector<std::string>{
                                    "Write 33000 1 0=s:hello 9={0=x:5;} replace=true",
                                    "Execute 33000 1 11 '0='x',1'",
                                    "Create 33000 4 0=s:hello ",
                                    "Delete 33000 4",
                                }));
  // A partial update says so.
  Outcome partial;
  ASSERT_TRUE(gateway_->write(ref_, test::kTypesOid, 1, {values[0]}, false, partial.done()).ok());
  ASSERT_TRUE(waitFor(partial));
  EXPECT_EQ(provider_->calls().back(), "Write 33000 1 0=s:hello replace=false");
  expectSingleCompletion(partial);
}

struct ErrorCase {
  const char* name;
  CoapCode code;
  ErrorKind kind;
};

class ProviderErrorMappingTest : public ProviderGatewayTest,
                                 public ::testing::WithParamInterface<ErrorCase> {};

TEST_P(ProviderErrorMappingTest, ProviderErrorBecomesItsCoapCode) {
  const ErrorCase c = GetParam();
  provider_->fail(c.name, "the sensor says no");
  Outcome read;
  Outcome write;
  ASSERT_TRUE(gateway_->read(ref_, 3303, 0, {5700}, read.readDone()).ok());
  ASSERT_TRUE(gateway_->write(ref_, 3303, 0, {}, false, write.done()).ok());
  ASSERT_TRUE(test::pumpUntil(*daemon_, [&] { return read.completions && write.completions; }));
  for (const Outcome* o : {&read, &write}) {
    ASSERT_TRUE(o->error);
    EXPECT_EQ(o->error->code, c.code) << toString(o->error->code);
    EXPECT_EQ(o->error->kind, c.kind);
    // The provider's words reach the server.
    EXPECT_NE(o->error->message.find("the sensor says no"), std::string::npos) << o->error->message;
  }
  EXPECT_NE(read.error->message.find("Read /3303/0"), std::string::npos) << read.error->message;
}

INSTANTIATE_TEST_SUITE_P(
    Names, ProviderErrorMappingTest,
    ::testing::Values(
        ErrorCase{"org.lwm2md1.Error.NotFound", CoapCode::NotFound, ErrorKind::NotFound},
        ErrorCase{"org.lwm2md1.Error.UnknownObject", CoapCode::NotFound, ErrorKind::UnknownObject},
        ErrorCase{"org.lwm2md1.Error.InvalidValue", CoapCode::BadRequest, ErrorKind::InvalidValue},
        ErrorCase{"org.lwm2md1.Error.InvalidType", CoapCode::BadRequest, ErrorKind::InvalidType},
        ErrorCase{"org.lwm2md1.Error.AlreadyExists", CoapCode::BadRequest,
                  ErrorKind::AlreadyExists},
        ErrorCase{"org.lwm2md1.Error.NotPermitted", CoapCode::MethodNotAllowed,
                  ErrorKind::NotPermitted},
        ErrorCase{"org.lwm2md1.Error.Timeout", CoapCode::GatewayTimeout, ErrorKind::Timeout},
        ErrorCase{"org.lwm2md1.Error.Failed", CoapCode::InternalServerError, ErrorKind::Failed},
        ErrorCase{"org.lwm2md1.Error.SomethingNew", CoapCode::InternalServerError,
                  ErrorKind::Failed},
        ErrorCase{"com.example.Sensor.Error.Jammed", CoapCode::InternalServerError,
                  ErrorKind::Failed}),
    [](const ::testing::TestParamInfo<ErrorCase>& param) {
      std::string name = param.param.name;
      name = name.substr(name.rfind('.') + 1);
      return name + std::to_string(param.index);
    });

TEST_F(ProviderGatewayTest, MissingMethodIsMethodNotAllowed) {
  FakeProvider readOnly(bus_->address(), "/readonly", false);
  Outcome create;
  ASSERT_TRUE(
      gateway_
          ->createInstance(ProviderRef{readOnly.name(), "/readonly"}, 3303, 1, {}, create.done())
          .ok());
  ASSERT_TRUE(waitFor(create));
  ASSERT_TRUE(create.error);
  EXPECT_EQ(create.error->code, CoapCode::MethodNotAllowed) << create.error->message;
}

TEST_F(ProviderGatewayTest, NoObjectAtThePathIsInternalError) {
  Outcome read;
  ASSERT_TRUE(
      gateway_->read(ProviderRef{provider_->name(), "/nothing/here"}, 3303, 0, {}, read.readDone())
          .ok());
  ASSERT_TRUE(waitFor(read));
  ASSERT_TRUE(read.error);
  EXPECT_EQ(read.error->code, CoapCode::InternalServerError) << read.error->message;
}

TEST_F(ProviderGatewayTest, WrongTypedAnswerIsInternalErrorNamingTheResource) {
  provider_->answerRead({{5700, sdbus::Variant(std::string("warm"))}});
  Outcome outcome;
  ASSERT_TRUE(gateway_->read(ref_, 3303, 0, {5700}, outcome.readDone()).ok());
  ASSERT_TRUE(waitFor(outcome));
  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->code, CoapCode::InternalServerError);
  EXPECT_NE(outcome.error->message.find("5700 (Sensor Value)"), std::string::npos)
      << outcome.error->message;
  EXPECT_NE(outcome.error->message.find("'d'"), std::string::npos) << outcome.error->message;
  EXPECT_NE(outcome.error->message.find(provider_->name()), std::string::npos);
  expectSingleCompletion(outcome);

  // A resource the object does not define, and a value for an executable one: just as wrong.
  for (const std::uint16_t rid : {std::uint16_t{4242}, std::uint16_t{5605}}) {
    provider_->answerRead({{rid, sdbus::Variant(1.0)}});
    Outcome bad;
    ASSERT_TRUE(gateway_->read(ref_, 3303, 0, {}, bad.readDone()).ok());
    ASSERT_TRUE(waitFor(bad));
    ASSERT_TRUE(bad.error) << rid;
    EXPECT_EQ(bad.error->code, CoapCode::InternalServerError);
    EXPECT_NE(bad.error->message.find(std::to_string(rid)), std::string::npos)
        << bad.error->message;
  }

  // A multiple resource whose instance has the wrong type.
  provider_->answerRead({{9, sdbus::Variant(DbusValues{{0, sdbus::Variant(std::string("one"))}})}});
  Outcome multi;
  ASSERT_TRUE(gateway_->read(ref_, test::kTypesOid, 0, {9}, multi.readDone()).ok());
  ASSERT_TRUE(waitFor(multi));
  ASSERT_TRUE(multi.error);
  EXPECT_NE(multi.error->message.find("9 (Numbers)"), std::string::npos) << multi.error->message;
}

TEST_F(ProviderGatewayTest, AnswerOfTheWrongSignatureIsInternalError) {
  // A provider whose Read returns a string instead of a{qv}.
  auto connection = sdbus::createSessionBusConnectionWithAddress(bus_->address());
  auto object = sdbus::createObject(*connection, "/odd");
  object->registerMethod("Read")
      .onInterface("org.lwm2md1.Provider")
      .implementedAs([](std::uint16_t, std::uint16_t, const std::vector<std::uint16_t>&) {
        return std::string("21.5");
      });
  object->finishRegistration();
  connection->enterEventLoopAsync();
  Outcome outcome;
  ASSERT_TRUE(gateway_
                  ->read(ProviderRef{connection->getUniqueName(), "/odd"}, 3303, 0, {5700},
                         outcome.readDone())
                  .ok());
  ASSERT_TRUE(waitFor(outcome));
  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->code, CoapCode::InternalServerError);
  EXPECT_NE(outcome.error->message.find("a{qv}"), std::string::npos) << outcome.error->message;
  connection->leaveEventLoop();
}

TEST_F(ProviderGatewayTest, ProviderThatNeverAnswersTimesOut) {
  gateway_->setTimeout(200ms);
  provider_->neverAnswer();
  Outcome outcome;
  const auto start = Clock::now();
  ASSERT_TRUE(gateway_->execute(ref_, 3303, 0, 5605, "", outcome.done()).ok());
  ASSERT_TRUE(waitFor(outcome, 5000ms));
  const auto took = outcome.at - start;
  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->code, CoapCode::GatewayTimeout) << outcome.error->message;
  EXPECT_EQ(outcome.error->kind, ErrorKind::Timeout);
  EXPECT_NE(outcome.error->message.find("within 200 ms"), std::string::npos)
      << outcome.error->message;
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 2000ms);
  EXPECT_EQ(provider_->callCount(), 1u);

  // The answer that comes too late changes nothing.
  provider_->releaseHeld();
  expectSingleCompletion(outcome);

  // Reads time out the same way.
  Outcome read;
  ASSERT_TRUE(gateway_->read(ref_, 3303, 0, {5700}, read.readDone()).ok());
  ASSERT_TRUE(waitFor(read, 5000ms));
  ASSERT_TRUE(read.error);
  EXPECT_EQ(read.error->code, CoapCode::GatewayTimeout);
}

TEST_F(ProviderGatewayTest, ProviderLeavingMidRequestFailsAtOnce) {
  // A long timeout: the failure must come from the provider leaving, not from the clock.
  gateway_->setTimeout(10s);
  provider_->neverAnswer();
  Outcome read;
  Outcome write;
  ASSERT_TRUE(gateway_->read(ref_, 3303, 0, {5700}, read.readDone()).ok());
  ASSERT_TRUE(gateway_->write(ref_, 3303, 0, {}, true, write.done()).ok());
  // Wait until the provider holds both calls: the request is truly in the middle.
  ASSERT_TRUE(test::pumpUntil(*daemon_, [&] { return provider_->callCount() == 2; }));
  EXPECT_EQ(read.completions + write.completions, 0);

  const auto left = Clock::now();
  provider_->leave();
  ASSERT_TRUE(test::pumpUntil(
      *daemon_, [&] { return read.completions && write.completions; }, 3000ms));
  EXPECT_LT(read.at - left, 1000ms);
  EXPECT_LT(write.at - left, 1000ms);
  for (const Outcome* o : {&read, &write}) {
    ASSERT_TRUE(o->error);
    EXPECT_EQ(o->error->code, CoapCode::ServiceUnavailable) << o->error->message;
    EXPECT_NE(o->error->message.find("left the bus"), std::string::npos) << o->error->message;
  }
  expectSingleCompletion(read);
  EXPECT_EQ(write.completions, 1);

  // A later call to the provider that left fails before anything is sent.
  Outcome later;
  const Status status = gateway_->read(ref_, 3303, 0, {5700}, later.readDone());
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, CoapCode::ServiceUnavailable);
  test::pumpFor(*daemon_, 100ms);
  EXPECT_EQ(later.completions, 0);
}

TEST_F(ProviderGatewayTest, ProviderNotOnTheBusIsServiceUnavailable) {
  Outcome outcome;
  ASSERT_TRUE(
      gateway_->read(ProviderRef{":1.999999", kPath}, 3303, 0, {}, outcome.readDone()).ok());
  ASSERT_TRUE(waitFor(outcome));
  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->code, CoapCode::ServiceUnavailable) << outcome.error->message;
}

TEST_F(ProviderGatewayTest, CancelAllCompletesEveryPendingCallOnce) {
  provider_->neverAnswer();
  Outcome a;
  Outcome b;
  ASSERT_TRUE(gateway_->read(ref_, 3303, 0, {}, a.readDone()).ok());
  ASSERT_TRUE(gateway_->execute(ref_, 3303, 0, 5605, "", b.done()).ok());
  ASSERT_TRUE(test::pumpUntil(*daemon_, [&] { return provider_->callCount() == 2; }));
  gateway_->cancelAll("the daemon is shutting down");
  EXPECT_EQ(a.completions, 1);
  EXPECT_EQ(b.completions, 1);
  ASSERT_TRUE(a.error);
  EXPECT_EQ(a.error->code, CoapCode::ServiceUnavailable);
  EXPECT_NE(a.error->message.find("shutting down"), std::string::npos);
  provider_->releaseHeld();
  expectSingleCompletion(a);
  EXPECT_EQ(b.completions, 1);
}

TEST_F(ProviderGatewayTest, CallsThatCannotBeMadeFailAtOnceWithoutCompletion) {
  Outcome outcome;
  const Status noName = gateway_->read(ProviderRef{"", kPath}, 3303, 0, {}, outcome.readDone());
  EXPECT_FALSE(noName.ok());
  const Status badPath =
      gateway_->execute(ProviderRef{provider_->name(), "fake/"}, 3303, 0, 1, "", outcome.done());
  EXPECT_FALSE(badPath.ok());
  const Status noDefinition = gateway_->read(ref_, 4242, 0, {}, outcome.readDone());
  ASSERT_FALSE(noDefinition.ok());
  EXPECT_EQ(noDefinition.error().code, CoapCode::NotFound);
  const Status noCompletion = gateway_->deleteInstance(ref_, 3303, 0, nullptr);
  EXPECT_FALSE(noCompletion.ok());
  test::pumpFor(*daemon_, 100ms);
  EXPECT_EQ(outcome.completions, 0);
  EXPECT_EQ(gateway_->pendingCount(), 0u);
  EXPECT_EQ(provider_->callCount(), 0u);
}

TEST_F(ProviderGatewayTest, CompletionMayStartTheNextCall) {
  provider_->answerRead({{5700, sdbus::Variant(20.0)}});
  Outcome second;
  int first = 0;
  ASSERT_TRUE(gateway_
                  ->read(ref_, 3303, 0, {5700},
                         [&](Result<std::vector<ResourceData>> r) {
                           ++first;
                           EXPECT_TRUE(r.ok());
                           EXPECT_TRUE(
                               gateway_->read(ref_, 3303, 0, {5700}, second.readDone()).ok());
                         })
                  .ok());
  ASSERT_TRUE(waitFor(second));
  EXPECT_EQ(first, 1);
  EXPECT_FALSE(second.error);
  expectSingleCompletion(second);
}

TEST_F(ProviderGatewayTest, DestroyingTheGatewayCompletesNothing) {
  provider_->neverAnswer();
  Outcome outcome;
  ASSERT_TRUE(gateway_->read(ref_, 3303, 0, {}, outcome.readDone()).ok());
  ASSERT_TRUE(test::pumpUntil(*daemon_, [&] { return provider_->callCount() == 1; }));
  gateway_.reset();
  provider_->releaseHeld();
  test::pumpFor(*daemon_, 200ms);
  EXPECT_EQ(outcome.completions, 0);
}

TEST(ProviderErrors, TableIsTheOnePlaceOfTheMapping) {
  ASSERT_FALSE(providerErrorTable().empty());
  for (const ProviderErrorMapping& row : providerErrorTable()) {
    const Error e = providerError(row.dbusName, "why");
    EXPECT_EQ(e.code, row.code) << row.dbusName;
    EXPECT_EQ(e.kind, row.kind) << row.dbusName;
    EXPECT_EQ(e.message, "why");
  }
  // Every name the daemon itself uses has a row (D-Bus names are the contract both ways).
  for (ErrorKind kind : {ErrorKind::Failed, ErrorKind::NotFound, ErrorKind::InvalidType,
                         ErrorKind::InvalidValue, ErrorKind::NotPermitted, ErrorKind::AlreadyExists,
                         ErrorKind::UnknownObject, ErrorKind::Timeout}) {
    const std::string name = "org.lwm2md1.Error." + std::string(toString(kind));
    EXPECT_EQ(providerError(name, "").kind, kind) << name;
  }
  EXPECT_EQ(providerError("", "").code, CoapCode::InternalServerError);
  EXPECT_EQ(providerError("org.lwm2md1.Error.notfound", "").code, CoapCode::InternalServerError);
  EXPECT_EQ(providerError("org.freedesktop.DBus.Error.AccessDenied", "").code,
            CoapCode::InternalServerError);
  EXPECT_EQ(providerTimeoutError("t").code, CoapCode::GatewayTimeout);
  EXPECT_EQ(providerGoneError("g").code, CoapCode::ServiceUnavailable);
}

}  // namespace
}  // namespace lwm2md
