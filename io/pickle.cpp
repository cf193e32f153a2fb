// The pickle virtual machine: opcodes of protocols 2-5 that plain data (dicts, lists, tuples, scalars, strings,
// globals, REDUCE/BUILD calls, persistent ids) needs. Nothing is executed: calls become Object::Kind::Call nodes.
#include "io/pickle.hpp"

#include <cstring>
#include <unordered_map>

#include "io/error.hpp"

namespace trifold::pickle {

using K = Object::Kind;

Ref Object::get(std::string_view key) const {
  if (kind != K::Dict) return nullptr;
  for (const auto& [k, v] : pairs)
    if (k && k->kind == K::Str && k->s == key) return v;
  return nullptr;
}

std::string Object::describe() const {
  switch (kind) {
    case K::None: return "None";
    case K::Bool: return b ? "True" : "False";
    case K::Int: return "int " + std::to_string(i);
    case K::BigInt: return "int (" + std::to_string(s.size()) + " bytes)";
    case K::Float: return "float " + std::to_string(f);
    case K::Str: return "str '" + s.substr(0, 60) + "'";
    case K::Bytes: return "bytes(" + std::to_string(s.size()) + ")";
    case K::List: return "list(" + std::to_string(items.size()) + ")";
    case K::Tuple: return "tuple(" + std::to_string(items.size()) + ")";
    case K::Dict: return "dict(" + std::to_string(pairs.size()) + ")";
    case K::Global: return module + "." + name;
    case K::Call: return (callable ? callable->describe() : std::string("?")) + "(...)";
    case K::PersId: return "persistent_id(...)";
  }
  return "?";
}

namespace {

Ref make(K k) {
  auto o = std::make_shared<Object>();
  o->kind = k;
  return o;
}

class Machine {
 public:
  Machine(std::string_view data, const std::string& what, size_t base) : d_(data), what_(what), base_(base) {}

  Ref run(size_t* consumed) {
    for (;;) {
      size_t op_pos = pos_;
      uint8_t op = u8();
      switch (op) {
        case 0x80: u8(); break;                   // PROTO
        case 0x95: take(8); break;                // FRAME: length hint only
        case '.': {                               // STOP
          if (stack_.size() != 1) fail(op_pos, "STOP with " + std::to_string(stack_.size()) + " stack items");
          if (consumed) *consumed = pos_;
          return stack_.back();
        }
        case '(': marks_.push_back(stack_.size()); break;                      // MARK
        case '}': push(make(K::Dict)); break;                                  // EMPTY_DICT
        case ']': push(make(K::List)); break;                                  // EMPTY_LIST
        case ')': push(make(K::Tuple)); break;                                 // EMPTY_TUPLE
        case 'N': push(make(K::None)); break;                                  // NONE
        case 0x88: push_bool(true); break;                                     // NEWTRUE
        case 0x89: push_bool(false); break;                                    // NEWFALSE
        case 'J': push_int(static_cast<int32_t>(le(4))); break;                // BININT
        case 'K': push_int(le(1)); break;                                      // BININT1
        case 'M': push_int(le(2)); break;                                      // BININT2
        case 0x8a: push_long(le(1), op_pos); break;                            // LONG1
        case 0x8b: push_long(le(4), op_pos); break;                            // LONG4
        case 'G': {                                                            // BINFLOAT (big-endian)
          std::string_view b = take(8);
          uint64_t bits = 0;
          for (char c : b) bits = (bits << 8) | static_cast<uint8_t>(c);
          auto o = make(K::Float);
          std::memcpy(&o->f, &bits, 8);
          push(o);
          break;
        }
        case 'X': push_str(K::Str, le(4)); break;                              // BINUNICODE
        case 0x8c: push_str(K::Str, le(1)); break;                             // SHORT_BINUNICODE
        case 0x8d: push_str(K::Str, le(8)); break;                             // BINUNICODE8
        case 'T': push_str(K::Str, le(4)); break;                              // BINSTRING (py2 str)
        case 'U': push_str(K::Str, le(1)); break;                              // SHORT_BINSTRING
        case 'B': push_str(K::Bytes, le(4)); break;                            // BINBYTES
        case 'C': push_str(K::Bytes, le(1)); break;                            // SHORT_BINBYTES
        case 0x8e: push_str(K::Bytes, le(8)); break;                           // BINBYTES8
        case 'q': memo_[le(1)] = top(op_pos); break;                           // BINPUT
        case 'r': memo_[le(4)] = top(op_pos); break;                           // LONG_BINPUT
        case 0x94: memo_[memo_.size()] = top(op_pos); break;                   // MEMOIZE
        case 'h': push(memo_get(le(1), op_pos)); break;                        // BINGET
        case 'j': push(memo_get(le(4), op_pos)); break;                        // LONG_BINGET
        case 'c': {                                                            // GLOBAL "module\nname\n"
          auto g = make(K::Global);
          g->module = line(op_pos);
          g->name = line(op_pos);
          push(g);
          break;
        }
        case 0x93: {                                                           // STACK_GLOBAL
          Ref nm = pop(op_pos), mod = pop(op_pos);
          if (!nm->is(K::Str) || !mod->is(K::Str)) fail(op_pos, "STACK_GLOBAL needs two strings");
          auto g = make(K::Global);
          g->module = mod->s;
          g->name = nm->s;
          push(g);
          break;
        }
        case 't': {                                                            // TUPLE
          auto t = make(K::Tuple);
          t->items = pop_mark(op_pos);
          push(t);
          break;
        }
        case 0x85: case 0x86: case 0x87: {                                     // TUPLE1..3
          size_t n = op - 0x84u;
          if (stack_.size() < n + floor()) fail(op_pos, "TUPLE" + std::to_string(n) + " on a short stack");
          auto t = make(K::Tuple);
          t->items.assign(stack_.end() - static_cast<long>(n), stack_.end());
          stack_.resize(stack_.size() - n);
          push(t);
          break;
        }
        case 'R': case 0x81: {                                                 // REDUCE, NEWOBJ
          Ref a = pop(op_pos), f = pop(op_pos);
          if (!a->is(K::Tuple)) fail(op_pos, "call arguments are not a tuple");
          if (f->is_global("collections", "OrderedDict") && a->items.empty()) {
            push(make(K::Dict));
          } else {
            auto c = make(K::Call);
            c->callable = f;
            c->args = a;
            push(c);
          }
          break;
        }
        case 'b': {                                                            // BUILD
          Ref st = pop(op_pos);
          Ref obj = top(op_pos);
          obj->state = st;  // OrderedDict._metadata, object __dict__: kept, not interpreted
          break;
        }
        case 's': {                                                            // SETITEM
          Ref v = pop(op_pos), k = pop(op_pos);
          Ref d = top(op_pos);
          if (!d->is(K::Dict)) fail(op_pos, "SETITEM on " + d->describe());
          d->pairs.emplace_back(k, v);
          break;
        }
        case 'u': {                                                            // SETITEMS
          auto kv = pop_mark(op_pos);
          Ref d = top(op_pos);
          if (!d->is(K::Dict) || kv.size() % 2) fail(op_pos, "SETITEMS on " + d->describe());
          for (size_t k = 0; k < kv.size(); k += 2) d->pairs.emplace_back(kv[k], kv[k + 1]);
          break;
        }
        case 'a': {                                                            // APPEND
          Ref v = pop(op_pos);
          Ref l = top(op_pos);
          if (!l->is(K::List)) fail(op_pos, "APPEND on " + l->describe());
          l->items.push_back(v);
          break;
        }
        case 'e': {                                                            // APPENDS
          auto vs = pop_mark(op_pos);
          Ref l = top(op_pos);
          if (!l->is(K::List)) fail(op_pos, "APPENDS on " + l->describe());
          l->items.insert(l->items.end(), vs.begin(), vs.end());
          break;
        }
        case 'Q': {                                                            // BINPERSID
          auto p = make(K::PersId);
          p->args = pop(op_pos);
          push(p);
          break;
        }
        case '0': pop(op_pos); break;                                          // POP
        case '1': pop_mark(op_pos); break;                                     // POP_MARK
        case '2': push(top(op_pos)); break;                                    // DUP
        default: {
          char hex[8];
          std::snprintf(hex, sizeof hex, "0x%02x", op);
          fail(op_pos, std::string("unsupported opcode ") + hex + " (not a torch state dict?)");
        }
      }
    }
  }

 private:
  [[noreturn]] void fail(size_t at, const std::string& msg) const {
    throw InputError(what_ + ": pickle: byte " + std::to_string(base_ + at) + ": " + msg);
  }
  std::string_view take(size_t n) {
    if (n > d_.size() - pos_) fail(pos_, "unexpected end of data (truncated file?)");
    auto v = d_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  uint8_t u8() { return static_cast<uint8_t>(take(1)[0]); }
  uint64_t le(size_t n) {
    auto b = take(n);
    uint64_t v = 0;
    for (size_t k = n; k-- > 0;) v = (v << 8) | static_cast<uint8_t>(b[k]);
    return v;
  }
  std::string line(size_t at) {
    size_t e = d_.find('\n', pos_);
    if (e == std::string_view::npos) fail(at, "unterminated GLOBAL");
    std::string s(d_.substr(pos_, e - pos_));
    pos_ = e + 1;
    return s;
  }
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  void push(Ref r) { stack_.push_back(std::move(r)); }
  void push_bool(bool v) {
    auto o = make(K::Bool);
    o->b = v;
    push(o);
  }
  void push_int(int64_t v) {
    auto o = make(K::Int);
    o->i = v;
    push(o);
  }
  void push_long(uint64_t n, size_t at) {
    std::string_view b = take(n);
    if (n <= 8) {
      uint64_t v = 0;
      for (size_t k = n; k-- > 0;) v = (v << 8) | static_cast<uint8_t>(b[k]);
      if (n > 0 && n < 8 && (static_cast<uint8_t>(b[n - 1]) & 0x80)) v |= ~uint64_t{0} << (8 * n);  // sign
      push_int(static_cast<int64_t>(v));
    } else {
      auto o = make(K::BigInt);
      o->s = std::string(b);
      push(o);
    }
  }
  void push_str(K k, uint64_t n) {
    auto o = make(k);
    o->s = std::string(take(n));
    push(o);
  }
  Ref top(size_t at) {
    if (stack_.size() <= floor()) fail(at, "stack underflow");
    return stack_.back();
  }
  Ref pop(size_t at) {
    Ref r = top(at);
    stack_.pop_back();
    return r;
  }
  std::vector<Ref> pop_mark(size_t at) {
    if (marks_.empty()) fail(at, "no MARK on the stack");
    size_t m = marks_.back();
    marks_.pop_back();
    std::vector<Ref> v(stack_.begin() + static_cast<long>(m), stack_.end());
    stack_.resize(m);
    return v;
  }
  Ref memo_get(uint64_t k, size_t at) {
    auto it = memo_.find(k);
    if (it == memo_.end()) fail(at, "memo key " + std::to_string(k) + " not defined");
    return it->second;
  }

  std::string_view d_;
  const std::string& what_;
  size_t base_;
  size_t pos_ = 0;
  std::vector<Ref> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Ref> memo_;
};

}  // namespace

Ref load(std::string_view data, const std::string& what, size_t* consumed, size_t base_offset) {
  Machine m(data, what, base_offset);
  return m.run(consumed);
}

}  // namespace trifold::pickle
