// Tests of the PyTorch checkpoint reader: the golden tiny/small checkpoints in both torch formats, and small
// hand-made checkpoints (built byte by byte here) for strides, dtypes, deflate and bad inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <regex>

#include "io/error.hpp"
#include "io/file_util.hpp"
#include "io/torch_checkpoint.hpp"
#include "tests/common/test_data.hpp"

namespace trifold {
namespace {

namespace fs = std::filesystem;
using torch::Checkpoint;
using torch::DType;

const char* kTiny = "golden/rf1/weights/tiny/RoseTTAFold_e2e.pt";
const char* kSmall = "golden/rf1/weights/small/RoseTTAFold_e2e.pt";
const char* kSmallLegacy = "golden/rf1/weights/small/RoseTTAFold_e2e.legacy-format.pt";

bool is_buffer(const std::string& k) {
  auto ends = [&](const char* s) { return k.size() >= std::strlen(s) && k.ends_with(s); };
  return ends(".pos.pe") || ends(".div_term") || ends(".projection_matrix") || ends(".calls_since_last_redraw");
}

// "key": <integer> from the golden config.json (written by the reference harness).
int64_t config_int(const std::string& cfg, const std::string& key) {
  std::smatch m;
  std::string text = read_file(test::shared_path("golden/rf1/weights/" + cfg + "/config.json"));
  if (!std::regex_search(text, m, std::regex("\"" + key + "\": ([0-9]+)"))) return -1;
  return std::stoll(m[1]);
}

void check_counts(const Checkpoint& ck, const std::string& cfg) {
  int64_t params = 0, buffers = 0;
  for (const auto& t : ck.tensors) (is_buffer(t.name) ? buffers : params) += static_cast<int64_t>(t.data.size());
  EXPECT_EQ(static_cast<int64_t>(ck.tensors.size()), config_int(cfg, "n_state_dict_entries"));
  EXPECT_EQ(params, config_int(cfg, "n_parameters"));
  EXPECT_EQ(buffers, config_int(cfg, "n_buffer_values"));
}

const torch::Tensor* find(const Checkpoint& ck, const std::string& name) {
  for (const auto& t : ck.tensors)
    if (t.name == name) return &t;
  return nullptr;
}

TEST(TorchCheckpoint, TinyZipCountsAndValues) {
  TRIFOLD_REQUIRE_SHARED(kTiny);
  Checkpoint ck = torch::read_checkpoint(test::shared_path(kTiny));
  EXPECT_EQ(ck.format, Checkpoint::Format::Zip);
  check_counts(ck, "tiny");
  EXPECT_EQ(ck.tensors.front().name, "msa_emb.emb.weight");  // state-dict order is kept
  const auto* pe = find(ck, "msa_emb.pos.pe");
  ASSERT_NE(pe, nullptr);
  ASSERT_EQ(pe->shape, (std::vector<int64_t>{1, 5000, 64}));
  // The PE buffer is the sinusoid table (spec 2.4); decoding the raw bytes must reproduce it. torch computes it
  // in fp32 (exp/log of the frequency, then sin of pos*f up to pos 4999), so arguments ~5e3 carry ~5e3 * 6e-8
  // = 3e-4 of rounding; 2e-3 leaves margin while still catching any byte-order or offset error.
  double worst = 0;
  for (int pos : {0, 1, 7, 100, 4999})
    for (int k = 0; k < 32; ++k) {
      double f = std::pow(10000.0, -2.0 * k / 64.0);
      worst = std::max(worst, std::abs(pe->data[pos * 64 + 2 * k] - std::sin(pos * f)));
      worst = std::max(worst, std::abs(pe->data[pos * 64 + 2 * k + 1] - std::cos(pos * f)));
    }
  EXPECT_LT(worst, 2e-3);
  const auto* counter = find(ck, "templ_emb.encoder_L.layers.0.attn_L.calls_since_last_redraw");
  ASSERT_NE(counter, nullptr);
  EXPECT_EQ(counter->dtype, DType::Int64);
  EXPECT_TRUE(counter->shape.empty());
  EXPECT_EQ(counter->data.size(), 1u);
}

TEST(TorchCheckpoint, SmallZipAndLegacyAreBitIdentical) {
  TRIFOLD_REQUIRE_SHARED(kSmall);
  TRIFOLD_REQUIRE_SHARED(kSmallLegacy);
  Checkpoint z = torch::read_checkpoint(test::shared_path(kSmall));
  Checkpoint l = torch::read_checkpoint(test::shared_path(kSmallLegacy));
  EXPECT_EQ(z.format, Checkpoint::Format::Zip);
  EXPECT_EQ(l.format, Checkpoint::Format::Legacy);
  check_counts(z, "small");
  check_counts(l, "small");
  ASSERT_EQ(z.tensors.size(), l.tensors.size());
  for (size_t i = 0; i < z.tensors.size(); ++i) {
    const auto &a = z.tensors[i], &b = l.tensors[i];
    ASSERT_EQ(a.name, b.name);
    EXPECT_EQ(a.shape, b.shape) << a.name;
    EXPECT_EQ(a.dtype, b.dtype) << a.name;
    ASSERT_EQ(a.data.size(), b.data.size()) << a.name;
    EXPECT_EQ(std::memcmp(a.data.data(), b.data.data(), a.data.size() * 4), 0) << a.name;
  }
}

// ---- hand-made checkpoints -------------------------------------------------------------------------------

std::string le(uint64_t v, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}
std::string pstr(const std::string& s) { return "X" + le(s.size(), 4) + s; }
std::string pint(int64_t v) { return "J" + le(static_cast<uint64_t>(v), 4); }
std::string ptuple(const std::vector<int64_t>& v) {
  std::string s = "(";
  for (auto x : v) s += pint(x);
  return s + "t";
}
const std::string kOrderedDict = "ccollections\nOrderedDict\n)R";

struct Fake {
  std::string name, storage_type, key;
  int64_t storage_numel, offset;
  std::vector<int64_t> size, stride;
};

// pickle of {'model_state_dict': OrderedDict(name → _rebuild_tensor_v2(...))}; legacy ids have 6 fields.
std::string state_pickle(const std::vector<Fake>& ts, bool legacy) {
  std::string p = "\x80\x02}" + pstr("model_state_dict") + kOrderedDict + "(";
  for (const auto& t : ts) {
    p += pstr(t.name) + "ctorch._utils\n_rebuild_tensor_v2\n(";
    p += "(" + pstr("storage") + "ctorch\n" + t.storage_type + "\n" + pstr(t.key) + pstr("cpu") + pint(t.storage_numel);
    p += legacy ? "Nt" : "t";
    p += "Q" + pint(t.offset) + ptuple(t.size) + ptuple(t.stride) + "\x89" + kOrderedDict + "tR";
  }
  return p + "us.";
}

template <class T>
std::string raw(std::initializer_list<T> v) {
  std::string s(v.size() * sizeof(T), '\0');
  std::memcpy(s.data(), std::data(v), s.size());
  return s;
}

// fp16 bits: 1, -2, 0.5, 65504, smallest subnormal 2^-24, -0.
const std::string kHalf = raw<uint16_t>({0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x8000});
const std::string kDouble = raw<double>({0.1, 0.2, 0.3, 0.4, 0.5});
const std::string kLong = raw<int64_t>({7});
const std::string kFloat = raw<float>({1.5f, 2.5f, 3.5f, 4.5f});

std::vector<Fake> fake_tensors() {
  return {
      {"half_t", "HalfStorage", "0", 6, 0, {3, 2}, {1, 3}},   // transposed view of a (2,3) tensor
      {"dbl", "DoubleStorage", "1", 5, 1, {2, 2}, {2, 1}},    // offset 1, rows 2 apart
      {"counter", "LongStorage", "2", 1, 0, {}, {}},          // 0-d int64 buffer
      {"flt", "FloatStorage", "3", 4, 0, {4}, {1}},
      {"flt_tail", "FloatStorage", "3", 4, 2, {2}, {1}},      // shares storage "3"
  };
}

void write_bytes(const fs::path& p, const std::string& s) {
  std::ofstream f(p, std::ios::binary);
  f << s;
}

std::string legacy_file(const std::vector<Fake>& ts) {
  std::string f = "\x80\x02\x8a\x0a" + std::string("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 10) + ".";
  f += "\x80\x02" + pint(1001) + ".";
  f += "\x80\x02}" + pstr("little_endian") + "\x88s.";
  f += state_pickle(ts, true);
  f += "\x80\x02](" + pstr("0") + pstr("1") + pstr("2") + pstr("3") + "e.";
  f += le(6, 8) + kHalf + le(5, 8) + kDouble + le(1, 8) + kLong + le(4, 8) + kFloat;
  return f;
}

void check_fake(const Checkpoint& ck) {
  ASSERT_EQ(ck.tensors.size(), 5u);
  const auto& h = ck.tensors[0];
  EXPECT_EQ(h.dtype, DType::Float16);
  EXPECT_EQ(h.shape, (std::vector<int64_t>{3, 2}));
  // storage [1, -2, 0.5, 65504, 2^-24, -0] viewed (3,2) with strides (1,3): out[i][j] = s[i + 3j]
  std::vector<float> want = {1.0f, 65504.0f, -2.0f, std::ldexp(1.0f, -24), 0.5f, -0.0f};
  EXPECT_EQ(h.data, want);
  EXPECT_TRUE(std::signbit(h.data[5]));
  EXPECT_EQ(ck.tensors[1].data, (std::vector<float>{0.2f, 0.3f, 0.4f, 0.5f}));
  EXPECT_EQ(ck.tensors[2].dtype, DType::Int64);
  EXPECT_EQ(ck.tensors[2].data, (std::vector<float>{7.0f}));
  EXPECT_EQ(ck.tensors[3].data, (std::vector<float>{1.5f, 2.5f, 3.5f, 4.5f}));
  EXPECT_EQ(ck.tensors[4].data, (std::vector<float>{3.5f, 4.5f}));
}

TEST(TorchCheckpoint, HandMadeLegacyStridesAndDtypes) {
  test::ScratchDir dir("torch_legacy");
  write_bytes(dir / "fake.pt", legacy_file(fake_tensors()));
  check_fake(torch::read_checkpoint(dir / "fake.pt"));
}

// Zip layout built with the `zip` program: deflated, stored and zip64 archives.
TEST(TorchCheckpoint, HandMadeZipStoredAndDeflated) {
  TRIFOLD_REQUIRE_PROGRAM("zip");
  test::ScratchDir dir("torch_zip");
  fs::create_directories(dir / "arch/data");
  write_bytes(dir / "arch/data.pkl", state_pickle(fake_tensors(), false));
  write_bytes(dir / "arch/data/0", kHalf);
  write_bytes(dir / "arch/data/1", kDouble);
  write_bytes(dir / "arch/data/2", kLong);
  write_bytes(dir / "arch/data/3", kFloat);
  write_bytes(dir / "arch/version", "3\n");
  // deflate, stored, and stored with forced zip64 records (-fz: zip64 end-of-central-directory + extra fields)
  const char* variants[][2] = {{"deflate", "-9"}, {"stored", "-0"}, {"zip64", "-0 -fz"}};
  for (const auto& [tag, flags] : variants) {
    fs::path out = dir / (std::string("fake_") + tag + ".pt");
    auto r = test::run_command("cd '" + dir.path().string() + "' && zip -q -X " + flags + " -r '" + out.string() +
                               "' arch/data.pkl arch/data arch/version");
    ASSERT_EQ(r.status, 0) << r.output;
    check_fake(torch::read_checkpoint(out));
    // Truncations and single-byte corruptions of the archive: read or trifold::Error, never a crash.
    const std::string good = read_file(out);
    int failures = 0;
    for (size_t i = 0; i < 2 * good.size(); ++i) {
      std::string bad = i < good.size() ? good.substr(0, i) : good;
      if (i >= good.size()) bad[i - good.size()] = static_cast<char>(bad[i - good.size()] ^ 0x5a);
      try {
        torch::read_checkpoint_data(bad, "fuzz");
      } catch (const Error&) {
        ++failures;
      }
    }
    EXPECT_GE(failures, static_cast<int>(good.size())) << tag;  // at least every truncation fails
  }
  // A storage entry whose size disagrees with the element count in the pickle.
  write_bytes(dir / "arch/data/3", kFloat + raw<float>({5.5f}));
  auto r = test::run_command("cd '" + dir.path().string() + "' && zip -q -X -0 -r mismatch.pt arch/data.pkl arch/data");
  ASSERT_EQ(r.status, 0) << r.output;
  try {
    torch::read_checkpoint(dir / "mismatch.pt");
    ADD_FAILURE() << "size mismatch not detected";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("storage '3': 20 bytes, but the pickle declares 4 elements"), std::string::npos)
        << e.what();
  }
}

std::string error_of(const fs::path& p) {
  try {
    torch::read_checkpoint(p);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

TEST(TorchCheckpoint, BadInputsGiveClearErrors) {
  test::ScratchDir dir("torch_bad");
  // A tensor that reaches past its storage.
  auto ts = fake_tensors();
  ts[3].size = {10};
  write_bytes(dir / "outside.pt", legacy_file(ts));
  EXPECT_NE(error_of(dir / "outside.pt").find("tensor 'flt': elements up to 9"), std::string::npos)
      << error_of(dir / "outside.pt");
  // Legacy file cut inside the storage bytes.
  std::string full = legacy_file(fake_tensors());
  write_bytes(dir / "cut.pt", full.substr(0, full.size() - 5));
  EXPECT_NE(error_of(dir / "cut.pt").find("truncated"), std::string::npos) << error_of(dir / "cut.pt");
  // Not a checkpoint at all.
  write_bytes(dir / "text.pt", ">query\nACDE\n");
  EXPECT_NE(error_of(dir / "text.pt").find("not a PyTorch checkpoint"), std::string::npos);
  write_bytes(dir / "empty.pt", "");
  EXPECT_NE(error_of(dir / "empty.pt").find("not a PyTorch checkpoint"), std::string::npos);
}

// Every truncation length and every single-byte corruption of a small legacy checkpoint either reads or
// throws trifold::Error; nothing crashes, hangs or throws anything else (run under ASan with
// -DTRIFOLD_SANITIZE=ON to also catch silent out-of-bounds reads).
TEST(TorchCheckpoint, CorruptedBytesNeverCrash) {
  const std::string good = legacy_file(fake_tensors());
  int errors = 0, ok = 0;
  auto attempt = [&](const std::string& bytes) {
    try {
      torch::read_checkpoint_data(bytes, "fuzz");
      ++ok;
    } catch (const Error&) {
      ++errors;
    }
  };
  for (size_t n = 0; n < good.size(); ++n) attempt(good.substr(0, n));
  const int truncation_errors = errors;
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    attempt(bad);
  }
  EXPECT_EQ(ok + errors, static_cast<int>(2 * good.size()));
  EXPECT_EQ(truncation_errors, static_cast<int>(good.size()));  // every strict truncation must fail
}

TEST(TorchCheckpoint, TruncatedRealCheckpointsFail) {
  TRIFOLD_REQUIRE_SHARED(kSmall);
  TRIFOLD_REQUIRE_SHARED(kSmallLegacy);
  test::ScratchDir dir("torch_trunc");
  for (const char* rel : {kSmall, kSmallLegacy}) {
    std::string bytes = read_file(test::shared_path(rel));
    for (double frac : {0.999, 0.5, 0.01}) {
      fs::path p = dir / "cut.pt";
      write_bytes(p, bytes.substr(0, static_cast<size_t>(bytes.size() * frac)));
      std::string err = error_of(p);
      EXPECT_NE(err.find(p.string()), std::string::npos) << rel << " " << frac << ": " << err;
      EXPECT_TRUE(err.find("truncated") != std::string::npos || err.find("end of data") != std::string::npos)
          << rel << " " << frac << ": " << err;
    }
  }
}

}  // namespace
}  // namespace trifold
