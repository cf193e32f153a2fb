// Device selection; the CUDA queries live in model/cuda/device.cu when the backend is built.
#include "model/device.hpp"

#include <charconv>

#include "io/error.hpp"

#ifdef TRIFOLD_WITH_CUDA
namespace trifold::model::cuda {
int device_count();
std::string unavailable_reason();
std::string device_description(int index);
}  // namespace trifold::model::cuda
#endif

namespace trifold::model {

std::string Device::str() const { return kind == DeviceKind::Cpu ? "cpu" : "cuda:" + std::to_string(index); }

bool cuda_built() {
#ifdef TRIFOLD_WITH_CUDA
  return true;
#else
  return false;
#endif
}

int cuda_device_count() {
#ifdef TRIFOLD_WITH_CUDA
  return cuda::device_count();
#else
  return 0;
#endif
}

std::string cuda_unavailable_reason() {
#ifdef TRIFOLD_WITH_CUDA
  return cuda::unavailable_reason();
#else
  return "this TriFold build has no CUDA backend";
#endif
}

std::string cuda_device_description(int index) {
#ifdef TRIFOLD_WITH_CUDA
  return cuda::device_description(index);
#else
  throw Error("this TriFold build has no CUDA backend (rebuild with -DTRIFOLD_CUDA=ON)");
#endif
}

Device parse_device_spec(const std::string& spec) {
  if (spec == "cpu") return {DeviceKind::Cpu, 0};
  if (spec.rfind("cuda", 0) != 0)
    throw InputError("unknown device '" + spec + "' (expected cpu, cuda or cuda:N)");
  int index = 0;
  if (spec.size() > 4) {
    const char* b = spec.data() + 5;
    const char* e = spec.data() + spec.size();
    auto [p, ec] = std::from_chars(b, e, index);
    if (spec[4] != ':' || b == e || ec != std::errc() || p != e || index < 0)
      throw InputError("unknown device '" + spec + "' (expected cpu, cuda or cuda:N)");
  }
  if (!cuda_built())
    throw InputError("device '" + spec + "' requested, but this TriFold build has no CUDA backend "
                     "(rebuild with -DTRIFOLD_CUDA=ON, or use --device cpu)");
  return {DeviceKind::Cuda, index};
}

Device parse_device(const std::string& spec) {
  const Device d = parse_device_spec(spec);
  if (d.kind == DeviceKind::Cpu) return d;
  const int index = d.index;
  int n = cuda_device_count();
  if (index >= n)
    throw InputError("device '" + spec + "' requested, but " +
                     (n == 0 ? "no CUDA device is visible on this machine (" + cuda_unavailable_reason() + ")"
                             : std::to_string(n) + " CUDA device(s) are visible") + " (use --device cpu)");
  return {DeviceKind::Cuda, index};
}

}  // namespace trifold::model
