#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/result.h"
#include "lib/json/json.h"

namespace daap::kube {

// One compiled Kubernetes JSONPath expression (k8s.io/client-go/util/jsonpath), as CRD
// additionalPrinterColumns[].jsonPath and `kubectl -o jsonpath` use it: fields (`.spec.tier`,
// `.metadata.labels.app\.kubernetes\.io/name`, `['app\.kubernetes\.io/name']`), `*`, indexes and
// slices (`[0]`, `[-1]`, `[1:3]`, `[*]`), unions (`[0,2]`), recursive descent (`..name`) and
// filters (`[?(@.type=="Ready")]` with == != < > <= >= or a bare existence test). Evaluation
// follows client-go with missing keys allowed, including its errors: an index out of range or a
// comparison between a string and a number fails the whole evaluation, which then yields no
// match, as it yields an empty cell in the API server.
// Move-only and immutable; evaluate() is safe from many threads.
class JsonPath {
public:
  // Accepts one expression, bare (`.spec.tier`, as printer columns hold it) or in braces
  // (`{.spec.tier}`, as kubectl takes it). Templates with several `{}` or text around them are
  // refused. Errors are InvalidArgument with client-go's parser message.
  static Result<JsonPath> compile(std::string_view expression);

  JsonPath(JsonPath&&) noexcept;
  JsonPath& operator=(JsonPath&&) noexcept;
  ~JsonPath();

  // The values the expression selects in `root`, in document order; empty when nothing matches
  // or the evaluation fails. Pointers are into `root`, except quoted or numeric literals of the
  // expression itself (`{"text"}`), which point into this JsonPath.
  std::vector<const json::Value*> evaluate(const json::Value& root) const;

  // The expression as given to compile().
  const std::string& expression() const;

private:
  struct Program;
  explicit JsonPath(std::unique_ptr<const Program> program);

  std::unique_ptr<const Program> program_;
};

// A Table cell for a CRD printer column, as the API server's tableconvertor builds it from the
// matches of the column's JSONPath: only the first match counts, and no match is null.
// - "string": the value printed as Go prints it (strings as is, numbers, `true`, objects as
//   `map[k:v]`, arrays as `[a b]`, JSON null as `<no value>`).
// - "integer" / "number": an integer (a fraction truncated) / a double; null for non-numbers.
// - "boolean": the bool; null otherwise.
// - "date": an RFC 3339 string becomes its age relative to `now` as the server prints it ("5m",
//   "3d4h"); `<invalid>` when it does not parse; null for a non-string.
// - any other type: null.
json::Value cellValue(const std::vector<const json::Value*>& matches, std::string_view column_type,
                      std::chrono::system_clock::time_point now, json::Allocator& allocator);

// duration.HumanDuration of k8s.io/apimachinery: the age format of `kubectl get` and of date
// cells ("45s", "2m30s", "15m", "5h2m", "47h", "3d4h", "400d", "2y30d", "10y").
std::string humanDuration(std::chrono::nanoseconds duration);

}  // namespace daap::kube
