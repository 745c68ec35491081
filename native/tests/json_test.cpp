#include <doctest/doctest.h>

#include <string>

#include "formats/json.h"
#include "formats/tensor_file.h"

using verbatim::FormatError;
namespace json = verbatim::json;

#define CHECK_FORMAT_ERROR(expression, text) \
  CHECK_THROWS_WITH_AS(expression, doctest::Contains(std::string(text).c_str()), verbatim::FormatError)

namespace {

json::Value parse(const std::string& text, const json::Limits& limits = json::Limits()) {
  return json::parse(text, "doc.json", limits);
}

}  // namespace

TEST_CASE("json: values of every kind, in document order") {
  const json::Value root = parse(
      " {\"n\": null, \"t\": true, \"f\": false, \"i\": -12, \"x\": 1.5e-3, \"s\": \"a\\\"b\\\\c\\/\\n\\t\","
      " \"a\": [1, [2, []], {}], \"o\": {\"k\": \"v\"}}\r\n");
  REQUIRE(root.is_object());
  REQUIRE(root.members().size() == 8);
  CHECK(root.members()[0].first == "n");
  CHECK(root.members()[7].first == "o");
  CHECK(root.find("n")->is_null());
  CHECK(root.find("t")->as_bool());
  CHECK_FALSE(root.find("f")->as_bool());
  CHECK(root.find("i")->as_int64() == -12);
  CHECK_FALSE(root.find("i")->as_uint64().has_value());
  CHECK(root.find("x")->number_text() == "1.5e-3");
  CHECK_FALSE(root.find("x")->as_int64().has_value());
  CHECK(root.find("s")->as_string() == "a\"b\\c/\n\t");
  const json::Value& array = *root.find("a");
  REQUIRE(array.items().size() == 3);
  CHECK(array.items()[1].items()[1].is_array());
  CHECK(array.items()[2].is_object());
  CHECK(root.find("o")->find("k")->as_string() == "v");
  CHECK(root.find("absent") == nullptr);
  CHECK(parse("\"top\"").as_string() == "top");
  CHECK(parse("0").as_uint64() == 0u);
}

TEST_CASE("json: integers convert exactly at the int64 and uint64 limits") {
  CHECK(parse("9223372036854775807").as_int64() == INT64_MAX);
  CHECK(parse("-9223372036854775808").as_int64() == INT64_MIN);
  CHECK_FALSE(parse("9223372036854775808").as_int64().has_value());
  CHECK_FALSE(parse("-9223372036854775809").as_int64().has_value());
  CHECK(parse("18446744073709551615").as_uint64() == UINT64_MAX);
  CHECK_FALSE(parse("18446744073709551616").as_uint64().has_value());
  CHECK_FALSE(parse("1e3").as_int64().has_value());
  CHECK_FALSE(parse("\"12\"").as_int64().has_value());
  CHECK(parse("-0").as_int64() == 0);
}

TEST_CASE("json: unicode escapes and raw UTF-8 decode to UTF-8") {
  CHECK(parse(R"("\u00e9\u20ac\ud83d\ude00")").as_string() == "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  CHECK(parse("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"").as_string() == "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  CHECK(parse(R"("\u0000")").as_string() == std::string(1, '\0'));
}

TEST_CASE("json: errors give the exact byte, line and column") {
  CHECK_FORMAT_ERROR(parse("{\"a\": 1,\n  \"b\" 2}"),
                     "doc.json: invalid JSON at byte 15 (line 2, column 7): expected ':' after an object key, found '2'");
  CHECK_FORMAT_ERROR(parse("[1, 2,]"), "at byte 6 (line 1, column 7): expected a value, found ']'");
  CHECK_FORMAT_ERROR(parse("{\"a\": 1,}"), "at byte 8 (line 1, column 9): expected a string key, found '}'");
  CHECK_FORMAT_ERROR(parse("{\"a\": 1, \"a\": 2}"), "at byte 9 (line 1, column 10): duplicate key \"a\"");
  CHECK_FORMAT_ERROR(parse("[1] x"), "at byte 4 (line 1, column 5): unexpected 'x' after the JSON value");
  CHECK_FORMAT_ERROR(parse("012"), "at byte 1 (line 1, column 2): numbers must not have leading zeros");
  CHECK_FORMAT_ERROR(parse("-"), "at byte 1 (line 1, column 2): expected a digit, found end of input");
  CHECK_FORMAT_ERROR(parse("1."), "expected a digit after '.'");
  CHECK_FORMAT_ERROR(parse("1e+"), "expected a digit in the exponent");
  CHECK_FORMAT_ERROR(parse("NaN"), "expected a value, found 'N'");
  CHECK_FORMAT_ERROR(parse("tru"), "expected a value, found 't'");
  CHECK_FORMAT_ERROR(parse(""), "at byte 0 (line 1, column 1): expected a value, found end of input");
  CHECK_FORMAT_ERROR(parse("// comment\n1"), "expected a value, found '/'");
  CHECK_FORMAT_ERROR(parse("\"abc"), "at byte 0 (line 1, column 1): unterminated string");
  CHECK_FORMAT_ERROR(parse("\"a\tb\""), "at byte 2 (line 1, column 3): control character in a string");
  CHECK_FORMAT_ERROR(parse(R"("\x")"), "at byte 1 (line 1, column 2): invalid escape: backslash followed by 'x'");
  CHECK_FORMAT_ERROR(parse(R"("\u12G4")"), "expected a hex digit in a \\u escape, found 'G'");
  CHECK_FORMAT_ERROR(parse(R"("\u12)"), "expected 4 hex digits after \\u, found end of input");
  CHECK_FORMAT_ERROR(parse(R"("ab\ud83d")"), "at byte 3 (line 1, column 4): unpaired high surrogate");
  CHECK_FORMAT_ERROR(parse(R"("\ud83d\u0041")"), "unpaired high surrogate");
  CHECK_FORMAT_ERROR(parse(R"("\ude00")"), "unpaired low surrogate");
  CHECK_FORMAT_ERROR(parse("\"\xff\""), "at byte 1 (line 1, column 2): invalid UTF-8 in a string");
  CHECK_FORMAT_ERROR(parse("\"\xc0\xaf\""), "invalid UTF-8");          // overlong '/'
  CHECK_FORMAT_ERROR(parse("\"\xed\xa0\x80\""), "invalid UTF-8");      // encoded surrogate
  CHECK_FORMAT_ERROR(parse("\"\xf4\x90\x80\x80\""), "invalid UTF-8");  // past U+10FFFF
  CHECK_FORMAT_ERROR(parse("\"\xe2\x82\""), "invalid UTF-8");  // the quote is no continuation byte
  CHECK_FORMAT_ERROR(parse("\"\xe2\x82"), "at byte 1 (line 1, column 2): truncated UTF-8");
  CHECK_FORMAT_ERROR(parse("\xef\xbb\xbf{}"), "expected a value, found byte 0xef");  // no byte order mark
}

TEST_CASE("json: depth, size and value-count limits") {
  json::Limits limits;
  limits.max_depth = 3;
  CHECK_NOTHROW(parse("[[[1]]]", limits));
  CHECK_FORMAT_ERROR(parse("[[[[1]]]]", limits), "at byte 3 (line 1, column 4): nesting deeper than 3 levels");
  CHECK_FORMAT_ERROR(parse(std::string(100000, '['), json::Limits()), "nesting deeper than 64 levels");

  limits = json::Limits();
  limits.max_bytes = 4;
  CHECK_NOTHROW(parse("[12]", limits));
  CHECK_FORMAT_ERROR(parse("[123]", limits), "doc.json: 5 bytes of JSON, more than the limit of 4");

  limits = json::Limits();
  limits.max_values = 3;
  CHECK_NOTHROW(parse("[1,2]", limits));
  CHECK_FORMAT_ERROR(parse("[1,2,3]", limits), "at byte 5 (line 1, column 6): more than 3 values");
}

TEST_CASE("json: describe() summarises values for error messages") {
  CHECK(parse("\"x\"").describe() == "\"x\"");
  CHECK(parse("-3.5").describe() == "-3.5");
  CHECK(parse("true").describe() == "true");
  CHECK(parse("null").describe() == "null");
  CHECK(parse("[]").describe() == "an array");
  CHECK(parse("{}").describe() == "an object");
  CHECK(parse("\"" + std::string(50, 'a') + "\"").describe() == "\"" + std::string(40, 'a') + "...\"");
}
