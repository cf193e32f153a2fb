// The accuracy envelope of reduced-precision matrix products (bf16, TF32 operands, fp32 sums) through the whole
// e2e network, against fp32, on the golden `small` checkpoint and cases, with the GPU's tensor-core rounding
// emulated on the CPU (cpu::MatmulPrecisionScope). The GPU runs the same rounding in hardware against the same
// envelope (test_cuda_e2e, CudaPrecision); `trifold bench precision` prints the table for any weights and input.
#include <gtest/gtest.h>

#include "model/cpu/ops.hpp"
#include "tests/e2e/e2e_golden.hpp"
#include "tests/e2e/precision_envelope.hpp"

namespace trifold::model {
namespace {

namespace eg = trifold::test::e2eg;
namespace tp = trifold::test::precision;

void check_case(const std::string& case_name) {
  TRIFOLD_REQUIRE_SHARED("golden/rf1/weights/small/RoseTTAFold_e2e.pt");
  TRIFOLD_REQUIRE_SHARED("golden/rf1/inputs/" + case_name + "/query.a3m");
  const e2e::Network net(eg::weights("small"));
  const TrunkInputs in = tp::golden_inputs(case_name);
  e2e::RefineOptions opt;
  opt.fixed_iter = 2;
  const e2e::NetworkOutputs ref = net.forward(in, opt);
  for (auto p : {MatmulPrecision::Bf16, MatmulPrecision::Tf32}) {
    e2e::NetworkOutputs got;
    {
      cpu::MatmulPrecisionScope scope(p);
      got = net.forward(in, opt);
    }
    tp::expect_within_envelope(case_name, p, got, ref);
  }
}

TEST(PrecisionEnvelope, SmallL48) { check_case("L48_N64_templ"); }
TEST(PrecisionEnvelope, SmallL20) { check_case("L20_N16_notempl"); }

}  // namespace
}  // namespace trifold::model
