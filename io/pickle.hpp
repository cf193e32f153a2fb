// A small Python pickle interpreter (protocols 2-5, the subset torch.save writes): builds a generic object tree.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trifold::pickle {

struct Object;
using Ref = std::shared_ptr<Object>;

// One Python value. Containers have reference semantics (shared_ptr), like Python, so that a memoised dict
// filled by later SETITEMS is the same object everywhere it is referenced.
struct Object {
  enum class Kind {
    None,
    Bool,
    Int,       // fits int64: `i`
    BigInt,    // LONG1/LONG4 wider than 64 bits: little-endian two's complement bytes in `s`
    Float,     // `f`
    Str,       // unicode, UTF-8 in `s`
    Bytes,     // `s`
    List,      // `items`
    Tuple,     // `items`
    Dict,      // `pairs`, insertion order (dict and collections.OrderedDict)
    Global,    // GLOBAL / STACK_GLOBAL: `module`, `name`
    Call,      // REDUCE / NEWOBJ of anything but OrderedDict: `callable`, `args`; BUILD stores `state`
    PersId,    // BINPERSID: the persistent id object in `args`
  };
  Kind kind = Kind::None;
  bool b = false;
  int64_t i = 0;
  double f = 0.0;
  std::string s;
  std::string module, name;
  std::vector<Ref> items;
  std::vector<std::pair<Ref, Ref>> pairs;
  Ref callable, args, state;

  bool is(Kind k) const { return kind == k; }
  bool is_global(std::string_view mod, std::string_view nm) const {
    return kind == Kind::Global && module == mod && name == nm;
  }
  // Dict lookup by string key; nullptr when absent or not a dict.
  Ref get(std::string_view key) const;
  // Short description for error messages: "dict(3)", "str 'abc'", "torch._utils._rebuild_tensor_v2(...)".
  std::string describe() const;
};

// Unpickles one object starting at data[0]. `consumed` receives the number of bytes read up to and including
// STOP, so that several pickles written back to back (torch's legacy format) can be read in sequence.
// Throws InputError("<what>: pickle: ...") naming the byte offset (relative to `base_offset`) on malformed
// or unsupported input; `what` names the file or archive entry for the messages.
Ref load(std::string_view data, const std::string& what, size_t* consumed = nullptr, size_t base_offset = 0);

}  // namespace trifold::pickle
