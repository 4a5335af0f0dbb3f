// Unit tests of WBO parsing and validation (PUT bodies and POST batches).
#include "storage/wbo.h"

#include <boost/test/unit_test.hpp>

#include "core/errors.h"
#include "http/basic_auth.h"

namespace weave {
namespace {

const WboLimits kLimits;

// The Weave code a body's construction or parsing throws, or 0 when it does not throw.
template <typename Function>
int CodeOf(Function function) {
  try {
    function();
  } catch (const BadRequest& error) {
    return static_cast<int>(error.Code());
  }
  return 0;
}

int ParseCode(const std::string& body) {
  return CodeOf([&body] { WboBody parsed(body); });
}

int SingleCode(const std::string& body, const WboLimits& limits = kLimits) {
  return CodeOf([&] {
    WboBody parsed(body);
    parsed.ParseSingle("url-id", limits);
  });
}

std::string SingleDetail(const std::string& body, const WboLimits& limits = kLimits) {
  try {
    WboBody parsed(body);
    parsed.ParseSingle("url-id", limits);
  } catch (const BadRequest& error) {
    return error.what();
  }
  return "";
}

// The error of a one-record batch ("" when accepted).
std::string BatchError(const std::string& record, const WboLimits& limits = kLimits) {
  WboBody body("[" + record + "]");
  const std::vector<ParsedWbo> items = body.ParseBatch(limits);
  BOOST_REQUIRE_EQUAL(items.size(), 1U);
  BOOST_TEST(items[0].error.empty() == items[0].write.has_value());
  return items[0].error;
}

constexpr int kParseFailure = static_cast<int>(WeaveError::kJsonParseFailure);
constexpr int kInvalidWbo = static_cast<int>(WeaveError::kInvalidWbo);

}  // namespace

BOOST_AUTO_TEST_SUITE(wbo)

BOOST_AUTO_TEST_CASE(valid_item_ids_are_printable_ascii_up_to_64_bytes) {
  BOOST_TEST(IsValidItemId("a"));
  BOOST_TEST(IsValidItemId("{3a1b2c3d-0000-4e5f-8a9b-0123456789ab}"));
  BOOST_TEST(IsValidItemId("abc_DEF-123.~?#\\ @!"));
  BOOST_TEST(IsValidItemId(std::string(64, 'x')));
  BOOST_TEST(!IsValidItemId(""));
  BOOST_TEST(!IsValidItemId(std::string(65, 'x')));
  BOOST_TEST(!IsValidItemId("a/b"));
  BOOST_TEST(!IsValidItemId("a,b"));
  BOOST_TEST(!IsValidItemId("a\nb"));
  BOOST_TEST(!IsValidItemId(std::string("a\0b", 3)));
  BOOST_TEST(!IsValidItemId("a\x7f"));
  BOOST_TEST(!IsValidItemId("caf\xc3\xa9"));
}

BOOST_AUTO_TEST_CASE(put_reads_every_field_and_takes_id_from_url) {
  WboBody body(
      R"({"id":"body-id","payload":"{\"ciphertext\":\"x\"}","sortindex":5,)"
      R"("parentid":"p","predecessorid":"q","ttl":60,"modified":123.45,"extra":"ignored"})");
  const ItemWrite write = body.ParseSingle("url-id", kLimits);
  BOOST_TEST(write.id == "url-id");
  BOOST_TEST(write.payload.value() == R"({"ciphertext":"x"})");
  BOOST_TEST(write.sortindex.value() == 5);
  BOOST_TEST(write.parentid.value() == "p");
  BOOST_TEST(write.predecessorid.value() == "q");
  BOOST_TEST(write.ttl_seconds.value() == 60);
}

BOOST_AUTO_TEST_CASE(put_without_body_id_is_accepted) {
  WboBody body(R"({"payload":"x"})");
  const ItemWrite write = body.ParseSingle("abc", kLimits);
  BOOST_TEST(write.id == "abc");
  BOOST_TEST(!write.sortindex.has_value());
  BOOST_TEST(!write.ttl_seconds.has_value());
}

BOOST_AUTO_TEST_CASE(put_without_payload_is_a_metadata_update) {
  WboBody body(R"({"sortindex":3})");
  const ItemWrite write = body.ParseSingle("abc", kLimits);
  BOOST_TEST(!write.payload.has_value());
  BOOST_TEST(write.sortindex.value() == 3);
}

BOOST_AUTO_TEST_CASE(null_fields_are_absent) {
  WboBody body(R"({"id":null,"payload":null,"sortindex":null,"parentid":null,"predecessorid":null,)"
               R"("ttl":null})");
  const ItemWrite write = body.ParseSingle("abc", kLimits);
  BOOST_TEST(!write.payload.has_value());
  BOOST_TEST(!write.sortindex.has_value());
  BOOST_TEST(!write.parentid.has_value());
  BOOST_TEST(!write.predecessorid.has_value());
  BOOST_TEST(!write.ttl_seconds.has_value());
}

// The URL names the record; like Mozilla's Python server, only a body id's length counts.
BOOST_AUTO_TEST_CASE(put_checks_a_body_id_only_for_its_length) {
  for (const std::string& id :
       {std::string(R"("a/b")"), std::string(R"("")"), std::string(R"("a,b")"), std::string("1.5"),
        "\"" + std::string(64, 'x') + "\""}) {
    BOOST_TEST_INFO("id: " << id);
    WboBody body(R"({"payload":"x","id":)" + id + "}");
    BOOST_TEST(body.ParseSingle("url-id", kLimits).id == "url-id");
  }
  BOOST_TEST(SingleCode(R"({"id":")" + std::string(65, 'x') + R"(","payload":"x"})") ==
             kInvalidWbo);
  BOOST_TEST(SingleDetail(R"({"id":true})") == "invalid id");
}

BOOST_AUTO_TEST_CASE(put_rejects_bodies_that_are_not_objects) {
  for (const char* body : {"[]", R"([{"id":"a"}])", R"("text")", "42", "null", "true"}) {
    BOOST_TEST_INFO("body: " << body);
    BOOST_TEST(SingleCode(body) == kInvalidWbo);
  }
}

BOOST_AUTO_TEST_CASE(put_reports_each_validation_error) {
  BOOST_TEST(SingleDetail(R"({"payload":5})") == "payload not a string");
  BOOST_TEST(SingleDetail(R"({"sortindex":"x"})") == "invalid sortindex");
  BOOST_TEST(SingleDetail(R"({"ttl":-1})") == "invalid ttl");
  BOOST_TEST(SingleDetail(R"({"parentid":true})") == "invalid parentid");
  BOOST_TEST(SingleDetail(R"({"predecessorid":false})") == "invalid predecessorid");
  BOOST_TEST(SingleDetail(R"({"payload":[]})") == "invalid wbo");
  WboLimits small;
  small.max_payload_bytes = 3;
  BOOST_TEST(SingleDetail(R"({"payload":"abcd"})", small) == "payload too large");
  BOOST_TEST(SingleCode(R"({"payload":"abcd"})", small) == kInvalidWbo);
}

BOOST_AUTO_TEST_CASE(rejects_text_that_is_not_json_with_parse_failure) {
  for (const char* body :
       {"", " ", "{", "}", "{\"id\":}", "[1,]", "{'id':'a'}", "{\"a\":1} x", "{} {}", "NaN",
        "[Infinity]", "{\"a\":01}", "\"\\x41\"", "{\"a\":\"tab\there\"}", "[\"\\ud800\"]"}) {
    BOOST_TEST_INFO("body: " << body);
    BOOST_TEST(ParseCode(body) == kParseFailure);
  }
}

BOOST_AUTO_TEST_CASE(rejects_invalid_utf8_with_parse_failure) {
  BOOST_TEST(ParseCode("{\"payload\":\"caf\xe9\"}") == kParseFailure);           // Latin-1
  BOOST_TEST(ParseCode("{\"payload\":\"\xc0\xaf\"}") == kParseFailure);          // overlong
  BOOST_TEST(ParseCode("{\"payload\":\"\xed\xa0\x80\"}") == kParseFailure);      // surrogate
  BOOST_TEST(ParseCode("{\"payload\":\"\xf4\x90\x80\x80\"}") == kParseFailure);  // > U+10FFFF
  BOOST_TEST(ParseCode("{\"payload\":\"\xe2\x82\"}") == kParseFailure);          // truncated
  BOOST_TEST(ParseCode("{\"p\xff\":1}") == kParseFailure);                       // in a key
}

BOOST_AUTO_TEST_CASE(rejects_nul_byte_in_body_with_parse_failure) {
  BOOST_TEST(ParseCode(std::string("{\"payload\":\"a\0b\"}", 17)) == kParseFailure);
  BOOST_TEST(ParseCode(std::string("{}\0", 3)) == kParseFailure);
  BOOST_TEST(ParseCode(std::string("\0", 1)) == kParseFailure);
}

BOOST_AUTO_TEST_CASE(escaped_nul_in_payload_is_kept) {
  WboBody body(R"({"payload":"a\u0000b"})");
  const ItemWrite write = body.ParseSingle("x", kLimits);
  BOOST_TEST(write.payload.value() == std::string("a\0b", 3));
}

// An escaped lone low surrogate decodes to bytes that are not UTF-8; they must not be stored.
BOOST_AUTO_TEST_CASE(rejects_escaped_lone_low_surrogate_or_keeps_payload_valid_utf8) {
  bool rejected = false;
  try {
    WboBody body(R"({"payload":"\udc00"})");
    const ItemWrite write = body.ParseSingle("x", kLimits);
    BOOST_TEST(IsValidUtf8(write.payload.value()));
  } catch (const BadRequest& error) {
    rejected = true;
    BOOST_TEST(static_cast<int>(error.Code()) == kParseFailure);
  }
  BOOST_TEST_MESSAGE("lone low surrogate rejected: " << rejected);
}

BOOST_AUTO_TEST_CASE(escaped_surrogate_pair_decodes_to_utf8) {
  WboBody body(R"({"payload":"\ud83d\udd11"})");
  BOOST_TEST(body.ParseSingle("x", kLimits).payload.value() == "\xf0\x9f\x94\x91");
}

BOOST_AUTO_TEST_CASE(deeply_nested_json_does_not_exhaust_the_stack) {
  const size_t depth = 200000;
  const std::string arrays = std::string(depth, '[') + std::string(depth, ']');
  BOOST_TEST(SingleCode(arrays) == kInvalidWbo);
  {
    WboBody body(arrays);
    const auto items = body.ParseBatch(kLimits);
    BOOST_REQUIRE_EQUAL(items.size(), 1U);
    BOOST_TEST(items[0].error == "invalid wbo");
  }
  std::string objects;
  for (size_t i = 0; i < depth; ++i) {
    objects += "{\"a\":";
  }
  objects += "1" + std::string(depth, '}');
  BOOST_TEST(SingleDetail(objects) == "invalid wbo");
}

BOOST_AUTO_TEST_CASE(rejects_non_scalar_fields_as_invalid_wbo) {
  BOOST_TEST(BatchError(R"({"id":"a","payload":{"ciphertext":"x"}})") == "invalid wbo");
  BOOST_TEST(BatchError(R"({"id":"a","payload":"x","sortindex":[1]})") == "invalid wbo");
  BOOST_TEST(BatchError(R"({"id":"a","payload":"x","unknown":{}})") == "invalid wbo");
  BOOST_TEST(BatchError(R"({"id":["a"],"payload":"x"})") == "invalid wbo");
}

BOOST_AUTO_TEST_CASE(numeric_id_becomes_text) {
  WboBody body(R"([{"id":123,"payload":"x"},{"id":-7,"payload":"y"},{"id":1.5},)"
               R"({"id":18446744073709551615}])");
  const auto items = body.ParseBatch(kLimits);
  BOOST_REQUIRE_EQUAL(items.size(), 4U);
  BOOST_REQUIRE(items[0].write.has_value());
  BOOST_TEST(items[0].id == "123");
  BOOST_TEST(items[0].write->id == "123");
  BOOST_REQUIRE(items[1].write.has_value());
  BOOST_TEST(items[1].write->id == "-7");
  BOOST_TEST(items[2].write->id == "1.5");
  BOOST_TEST(items[3].write->id == "18446744073709551615");
}

// JSON true and false are not numbers (Python's bool, an int, made "True" of them).
BOOST_AUTO_TEST_CASE(rejects_boolean_ids) {
  BOOST_TEST(BatchError(R"({"id":true,"payload":"x"})") == "invalid id");
  BOOST_TEST(BatchError(R"({"id":false,"payload":"x"})") == "invalid id");
}

BOOST_AUTO_TEST_CASE(batch_reports_invalid_ids) {
  BOOST_TEST(BatchError(R"({"payload":"x"})") == "invalid id");
  BOOST_TEST(BatchError(R"({"id":null,"payload":"x"})") == "invalid id");
  BOOST_TEST(BatchError(R"({"id":"","payload":"x"})") == "invalid id");
  BOOST_TEST(BatchError(R"({"id":"a/b","payload":"x"})") == "invalid id");
  BOOST_TEST(BatchError(R"({"id":"a,b","payload":"x"})") == "invalid id");
  BOOST_TEST(BatchError(R"({"id":"a\nb","payload":"x"})") == "invalid id");
  BOOST_TEST(BatchError(R"({"id":"caf\u00e9","payload":"x"})") == "invalid id");
  BOOST_TEST(BatchError(R"({"id":")" + std::string(65, 'x') + R"(","payload":"x"})") ==
             "invalid id");
  BOOST_TEST(BatchError(R"({"id":")" + std::string(64, 'x') + R"(","payload":"x"})") == "");
}

BOOST_AUTO_TEST_CASE(batch_keeps_the_sent_id_of_a_failed_record) {
  WboBody body(R"([{"id":"a/b","payload":"x"},{"id":"ok","payload":5}])");
  const auto items = body.ParseBatch(kLimits);
  BOOST_REQUIRE_EQUAL(items.size(), 2U);
  BOOST_TEST(items[0].id == "a/b");
  BOOST_TEST(items[0].error == "invalid id");
  BOOST_TEST(items[1].id == "ok");
  BOOST_TEST(items[1].error == "payload not a string");
  BOOST_TEST(!items[1].write.has_value());
}

BOOST_AUTO_TEST_CASE(batch_reports_every_validation_error_string) {
  BOOST_TEST(BatchError(R"({"id":"a","payload":5})") == "payload not a string");
  BOOST_TEST(BatchError(R"({"id":"a","payload":true})") == "payload not a string");
  BOOST_TEST(BatchError(R"({"id":"a","sortindex":"abc"})") == "invalid sortindex");
  BOOST_TEST(BatchError(R"({"id":"a","sortindex":true})") == "invalid sortindex");
  BOOST_TEST(BatchError(R"({"id":"a","ttl":"abc"})") == "invalid ttl");
  BOOST_TEST(BatchError(R"({"id":"a","parentid":false})") == "invalid parentid");
  BOOST_TEST(BatchError(R"({"id":"a","parentid":")" + std::string(65, 'p') + "\"}") ==
             "invalid parentid");
  BOOST_TEST(BatchError(R"({"id":"a","predecessorid":[1]})") == "invalid wbo");
  BOOST_TEST(BatchError(R"({"id":"a","predecessorid":")" + std::string(65, 'p') + "\"}") ==
             "invalid predecessorid");
  WboLimits small;
  small.max_payload_bytes = 3;
  BOOST_TEST(BatchError(R"({"id":"a","payload":"abcd"})", small) == "payload too large");
}

BOOST_AUTO_TEST_CASE(batch_elements_that_are_not_objects_are_invalid_wbo) {
  WboBody body(R"([1,"a",null,true,[]])");
  const auto items = body.ParseBatch(kLimits);
  BOOST_REQUIRE_EQUAL(items.size(), 5U);
  for (const ParsedWbo& item : items) {
    BOOST_TEST(item.error == "invalid wbo");
    BOOST_TEST(item.id == "");
  }
}

// One object is not a batch: the handlers take it as a PUT (ParseSingleWithOwnId).
BOOST_AUTO_TEST_CASE(batch_rejects_a_bare_object) {
  BOOST_TEST(CodeOf([] {
               WboBody parsed(R"({"id":"solo","payload":"x"})");
               parsed.ParseBatch(kLimits);
             }) == kInvalidWbo);
}

BOOST_AUTO_TEST_CASE(batch_rejects_scalars_with_invalid_wbo) {
  for (const char* body : {R"("text")", "42", "null", "false"}) {
    BOOST_TEST_INFO("body: " << body);
    BOOST_TEST(CodeOf([body] {
                 WboBody parsed(body);
                 parsed.ParseBatch(kLimits);
               }) == kInvalidWbo);
  }
}

BOOST_AUTO_TEST_CASE(empty_batch_has_no_records) {
  WboBody body("[]");
  BOOST_TEST(body.ParseBatch(kLimits).empty());
}

BOOST_AUTO_TEST_CASE(payload_limit_counts_utf8_bytes) {
  WboLimits limits;
  limits.max_payload_bytes = 10;
  BOOST_TEST(BatchError(R"({"id":"a","payload":"0123456789"})", limits) == "");
  BOOST_TEST(BatchError(R"({"id":"a","payload":"01234567890"})", limits) == "payload too large");
  // Five two-byte characters (one of them escaped) fill the limit; six exceed it.
  BOOST_TEST(BatchError(R"({"id":"a","payload":"\u00e9éééé"})", limits) == "");
  BOOST_TEST(BatchError(R"({"id":"a","payload":"éééééé"})", limits) == "payload too large");
}

BOOST_AUTO_TEST_CASE(payload_at_default_limit_is_accepted_and_one_more_byte_is_not) {
  const std::string fits(262144, 'x');
  BOOST_TEST(BatchError(R"({"id":"a","payload":")" + fits + "\"}") == "");
  BOOST_TEST(BatchError(R"({"id":"a","payload":")" + fits + "y\"}") == "payload too large");
}

BOOST_AUTO_TEST_CASE(empty_payload_is_allowed) {
  BOOST_TEST(BatchError(R"({"id":"a","payload":""})") == "");
}

BOOST_AUTO_TEST_CASE(float_sortindex_is_truncated_toward_zero) {
  WboBody body(
      R"([{"id":"a","sortindex":5.5},{"id":"b","sortindex":-5.9},{"id":"c","sortindex":2.0},)"
      R"({"id":"d","sortindex":1e3}])");
  const auto items = body.ParseBatch(kLimits);
  BOOST_REQUIRE_EQUAL(items.size(), 4U);
  BOOST_TEST(items[0].write->sortindex.value() == 5);
  BOOST_TEST(items[1].write->sortindex.value() == -5);
  BOOST_TEST(items[2].write->sortindex.value() == 2);
  BOOST_TEST(items[3].write->sortindex.value() == 1000);
}

BOOST_AUTO_TEST_CASE(sortindex_accepts_numbers_as_text_truncated_like_python) {
  WboBody body(R"([{"id":"a","sortindex":"12"},{"id":"b","sortindex":"-3"},)"
               R"({"id":"c","sortindex":"+4"}])");
  const auto items = body.ParseBatch(kLimits);
  BOOST_REQUIRE_EQUAL(items.size(), 3U);
  BOOST_TEST(items[0].write->sortindex.value() == 12);
  BOOST_TEST(items[1].write->sortindex.value() == -3);
  BOOST_TEST(items[2].write->sortindex.value() == 4);
  // Python's int(float(text)): fractions truncate, spaces and exponents are read.
  WboBody decimals(R"([{"id":"a","sortindex":"5.5"},{"id":"b","sortindex":"-5.9"},)"
                   R"({"id":"c","sortindex":" 5"},{"id":"d","sortindex":"1e3"}])");
  const auto read = decimals.ParseBatch(kLimits);
  BOOST_REQUIRE_EQUAL(read.size(), 4U);
  BOOST_TEST(read[0].write->sortindex.value() == 5);
  BOOST_TEST(read[1].write->sortindex.value() == -5);
  BOOST_TEST(read[2].write->sortindex.value() == 5);
  BOOST_TEST(read[3].write->sortindex.value() == 1000);
  // Any white space Python strips, and any number of digits.
  WboBody spaced(R"([{"id":"a","sortindex":"\u000b7\f"},{"id":"b","sortindex":"0000000000000000)"
                 R"(000000000000000000000012"},{"id":"c","sortindex":"-.5e1"}])");
  const auto more = spaced.ParseBatch(kLimits);
  BOOST_REQUIRE_EQUAL(more.size(), 3U);
  BOOST_TEST(more[0].write->sortindex.value() == 7);
  BOOST_TEST(more[1].write->sortindex.value() == 12);
  BOOST_TEST(more[2].write->sortindex.value() == -5);
  for (const char* text : {"\"\"", "\" \"", "\"\\t \\n\"", "\"-\"", "\"0x10\"", "\"nan\"",
                           "\"inf\"", "\"-infinity\"", "\"5 5\"", "\"1_0\"", "\"9999999999999\""}) {
    BOOST_TEST_INFO("sortindex: " << text);
    BOOST_TEST(BatchError(std::string(R"({"id":"a","sortindex":)") + text + "}") ==
               "invalid sortindex");
  }
}

BOOST_AUTO_TEST_CASE(sortindex_range_is_plus_minus_999999999) {
  BOOST_TEST(BatchError(R"({"id":"a","sortindex":999999999})") == "");
  BOOST_TEST(BatchError(R"({"id":"a","sortindex":-999999999})") == "");
  BOOST_TEST(BatchError(R"({"id":"a","sortindex":999999999.9})") == "");
  BOOST_TEST(BatchError(R"({"id":"a","sortindex":1000000000})") == "invalid sortindex");
  BOOST_TEST(BatchError(R"({"id":"a","sortindex":-1000000000})") == "invalid sortindex");
  BOOST_TEST(BatchError(R"({"id":"a","sortindex":1e300})") == "invalid sortindex");
  BOOST_TEST(BatchError(R"({"id":"a","sortindex":18446744073709551615})") == "invalid sortindex");
}

BOOST_AUTO_TEST_CASE(ttl_range_is_zero_to_one_year) {
  BOOST_TEST(BatchError(R"({"id":"a","ttl":0})") == "");
  BOOST_TEST(BatchError(R"({"id":"a","ttl":31536000})") == "");
  BOOST_TEST(BatchError(R"({"id":"a","ttl":31536001})") == "invalid ttl");
  BOOST_TEST(BatchError(R"({"id":"a","ttl":-1})") == "invalid ttl");
  BOOST_TEST(BatchError(R"({"id":"a","ttl":"600"})") == "");
  WboBody body(R"([{"id":"a","ttl":1.9}])");
  BOOST_TEST(body.ParseBatch(kLimits)[0].write->ttl_seconds.value() == 1);
}

// Python read a ttl with int(): text must be a whole number, unlike a sortindex's.
BOOST_AUTO_TEST_CASE(ttl_text_is_read_with_python_int) {
  WboBody body(R"([{"id":"a","ttl":" 60\t"},{"id":"b","ttl":"+0"},{"id":"c","ttl":"-0"}])");
  const auto items = body.ParseBatch(kLimits);
  BOOST_REQUIRE_EQUAL(items.size(), 3U);
  BOOST_TEST(items[0].write->ttl_seconds.value() == 60);
  BOOST_TEST(items[1].write->ttl_seconds.value() == 0);
  BOOST_TEST(items[2].write->ttl_seconds.value() == 0);
  for (const char* text : {"\"60.5\"", "\"1e3\"", "\"0x10\"", "\"\"", "\"-1\"",
                           "\"99999999999999999999999\"", "true"}) {
    BOOST_TEST_INFO("ttl: " << text);
    BOOST_TEST(BatchError(std::string(R"({"id":"a","ttl":)") + text + "}") == "invalid ttl");
  }
}

BOOST_AUTO_TEST_CASE(reference_ids_may_be_empty_up_to_64_bytes) {
  BOOST_TEST(BatchError(R"({"id":"a","parentid":""})") == "");
  BOOST_TEST(BatchError(R"({"id":"a","parentid":")" + std::string(64, 'p') + "\"}") == "");
  BOOST_TEST(BatchError(R"({"id":"a","predecessorid":")" + std::string(64, 'p') + "\"}") == "");
}

BOOST_AUTO_TEST_CASE(client_modified_and_unknown_scalars_are_ignored) {
  BOOST_TEST(BatchError(R"({"id":"a","modified":"yesterday","foo":1,"bar":null})") == "");
}

BOOST_AUTO_TEST_CASE(real_firefox_bookmark_batch_is_accepted) {
  WboBody body(
      R"([{"id":"menu","sortindex":1000000,"payload":"{\"ciphertext\":\"dGVzdA==\",)"
      R"(\"IV\":\"aXY=\",\"hmac\":\"0123456789abcdef\"}"},)"
      R"({"id":"Vqc1SmMEfgRa","parentid":"menu","predecessorid":"toolbar","sortindex":100,)"
      R"("payload":"{\"ciphertext\":\"eA==\",\"IV\":\"eQ==\",\"hmac\":\"00\"}","ttl":5184000}])");
  const auto items = body.ParseBatch(kLimits);
  BOOST_REQUIRE_EQUAL(items.size(), 2U);
  BOOST_TEST(items[0].error == "");
  BOOST_TEST(items[1].error == "");
  BOOST_TEST(items[1].write->parentid.value() == "menu");
  BOOST_TEST(items[1].write->ttl_seconds.value() == 5184000);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace weave

namespace weave {

BOOST_AUTO_TEST_SUITE(wbo_leniency)

BOOST_AUTO_TEST_CASE(numeric_references_are_stored_as_text) {
  WboBody body(R"([{"id":"a","parentid":7,"predecessorid":2.5},{"id":"b","parentid":-3}])");
  const auto items = body.ParseBatch(kLimits);
  BOOST_REQUIRE_EQUAL(items.size(), 2U);
  BOOST_TEST(items[0].write->parentid.value() == "7");
  BOOST_TEST(items[0].write->predecessorid.value() == "2.5");
  BOOST_TEST(items[1].write->parentid.value() == "-3");
}

BOOST_AUTO_TEST_CASE(records_past_the_bound_are_not_parsed) {
  // Everything after the third record is garbage: it is never read.
  WboBody body(R"([{"id":"a"},{"id":"b"},{"id":"c"},{"id":"d"},{"id":)", 3);
  const auto items = body.ParseBatch(kLimits);
  BOOST_REQUIRE_EQUAL(items.size(), 3U);
  BOOST_TEST(items[2].id == "c");
  // Within the bound, the body is checked as before.
  BOOST_CHECK_THROW(WboBody(R"([{"id":"a"},{"id":)", 3), BadRequest);
  WboBody nested(R"([[1,[2]],{"id":"x","payload":"{[,]}"},3,4,5])", 2);
  BOOST_TEST(nested.ParseBatch(kLimits).size() == 2U);
  // Separators inside strings do not end an element early.
  WboBody strings(R"([{"id":"a,]"},{"id":"b\",}"},"c,",)", 2);
  const auto read = strings.ParseBatch(kLimits);
  BOOST_REQUIRE_EQUAL(read.size(), 2U);
  BOOST_TEST(read[1].id == "b\",}");
}

BOOST_AUTO_TEST_CASE(a_collection_put_object_needs_its_own_valid_id) {
  WboBody good(R"({"id":"own","payload":"p"})");
  BOOST_TEST(good.IsObject());
  BOOST_TEST(good.ParseSingleWithOwnId(kLimits).id == "own");
  for (const std::string& body : {std::string(R"({"payload":"p"})"), std::string(R"({"id":"a/b"})"),
                                  R"({"id":")" + std::string(65, 'x') + "\"}"}) {
    BOOST_TEST_INFO("body " << body);
    WboBody parsed(body);
    try {
      parsed.ParseSingleWithOwnId(kLimits);
      BOOST_ERROR("accepted");
    } catch (const BadRequest& error) {
      BOOST_TEST((error.Code() == WeaveError::kInvalidWbo));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace weave
