// Device option parsing: CUDA requests never fall back silently to the CPU.
#include <gtest/gtest.h>

#include "io/error.hpp"
#include "model/device.hpp"

using namespace trifold;
using namespace trifold::model;

TEST(Device, ParsesCpu) {
  Device d = parse_device("cpu");
  EXPECT_EQ(d.kind, DeviceKind::Cpu);
  EXPECT_EQ(d.str(), "cpu");
}

TEST(Device, RejectsMalformed) {
  EXPECT_THROW(parse_device("gpu"), InputError);
  EXPECT_THROW(parse_device("cuda:"), InputError);
  EXPECT_THROW(parse_device("cuda:x"), InputError);
  EXPECT_THROW(parse_device("cuda-1"), InputError);
}

TEST(Device, CudaWithoutDeviceIsAnErrorNotAFallback) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is visible; covered by test_device_gpu";
  try {
    parse_device("cuda");
    FAIL() << "expected an error";
  } catch (const InputError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("cuda"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--device cpu"), std::string::npos) << msg;
  }
}

// The spec-only parse (batch --submit on a login node): syntax and "CUDA in this build", no device lookup.
TEST(Device, SpecParseDoesNotLookForTheDevice) {
  EXPECT_THROW(parse_device_spec("cuda:x"), InputError);
  EXPECT_EQ(parse_device_spec("cpu").kind, DeviceKind::Cpu);
  if (!cuda_built()) {
    EXPECT_THROW(parse_device_spec("cuda"), InputError);
    return;
  }
  const Device d = parse_device_spec("cuda:7");  // whatever this machine has
  EXPECT_EQ(d.kind, DeviceKind::Cuda);
  EXPECT_EQ(d.index, 7);
  EXPECT_EQ(d.str(), "cuda:7");
}
