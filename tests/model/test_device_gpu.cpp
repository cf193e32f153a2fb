// GPU device queries (label gpu): skipped visibly when no CUDA device is present.
#include <gtest/gtest.h>

#include "io/error.hpp"
#include "model/device.hpp"

using namespace trifold::model;

TEST(DeviceGpu, DescribesEveryVisibleDevice) {
  if (!cuda_built()) GTEST_SKIP() << "built without CUDA";
  int n = cuda_device_count();
  if (n == 0) GTEST_SKIP() << "no CUDA device visible";
  for (int i = 0; i < n; ++i) {
    std::string d = cuda_device_description(i);
    EXPECT_NE(d.find("sm_"), std::string::npos) << d;
  }
  Device dev = parse_device("cuda:0");
  EXPECT_EQ(dev.kind, DeviceKind::Cuda);
  EXPECT_THROW(parse_device("cuda:" + std::to_string(n)), trifold::InputError);
}
